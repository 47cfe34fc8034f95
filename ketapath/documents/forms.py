"""The upload form and the entered-in-error form.

The upload form tells the file's type by its content (:mod:`ketapath.documents.content_types`),
never by its name or the type the browser sends, and refuses an empty file or one over
``KETAPATH_DOCUMENT_MAX_BYTES`` with a message at the file field. Its hidden ``client_key`` is made
when the form is drawn, so a second submit of the same form adds nothing.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from ketapath.documents.actions import max_bytes
from ketapath.documents.content_types import HEAD, PDF_TAIL, accepted_list, human_size, sniff
from ketapath.documents.models import EARLIEST_DATE, LATEST_DATE, TITLE_MAX, DocumentKind
from ketapath.ui.widgets import DateInput

REASON_MAX = 1000


def read_ends(upload: UploadedFile[bytes]) -> tuple[bytes, bytes]:
    """The first and the last bytes of an upload (enough to tell its type), the file rewound."""
    upload.seek(0)
    head = upload.read(HEAD)
    size = upload.size or 0
    upload.seek(max(0, size - PDF_TAIL))
    tail = upload.read(PDF_TAIL)
    upload.seek(0)
    return head, tail


class DocumentForm(forms.Form):
    client_key = forms.UUIDField(widget=forms.HiddenInput())
    file = forms.FileField(
        label="File",
        allow_empty_file=True,  # refused below with our own message
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}),
    )
    kind = forms.ChoiceField(label="Kind", choices=[("", "Choose…"), *DocumentKind.choices])
    title = forms.CharField(label="Title", max_length=TITLE_MAX)
    document_date = forms.DateField(
        label="Date of the document",
        widget=DateInput(),
        help_text="The date written on it (taken or issued).",
    )

    def __init__(self, *args: Any, patient: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("client_key", uuid.uuid4())
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.fields["file"].help_text = f"{accepted_list()}; at most {human_size(max_bytes())}."
        self.content_type = ""

    def clean_file(self) -> UploadedFile[bytes]:
        upload: UploadedFile[bytes] = self.cleaned_data["file"]
        size = upload.size or 0
        if size == 0:
            raise forms.ValidationError("The file is empty.")
        if size > max_bytes():
            raise forms.ValidationError(
                f"The file is {human_size(size)}: the largest accepted is {human_size(max_bytes())}."
            )
        sniffed = sniff(*read_ends(upload))
        if not sniffed.content_type:
            raise forms.ValidationError(sniffed.problem)
        self.content_type = sniffed.content_type
        return upload

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        # The hidden key is no field a person can correct: say so at the top of the form.
        if self.errors.pop("client_key", None):
            self.add_error(None, "This form is out of date: reload the page and attach the file again.")
        return cleaned

    def clean_title(self) -> str:
        title = " ".join(str(self.cleaned_data["title"]).split())
        if not title:
            raise forms.ValidationError("Give the document a title.")
        return title

    def clean_document_date(self) -> date:
        day: date = self.cleaned_data["document_date"]
        if day > timezone.localdate() or day >= LATEST_DATE:
            raise forms.ValidationError("The date cannot be in the future.")
        earliest = max(EARLIEST_DATE, self.patient.date_of_birth)
        if day < earliest:
            raise forms.ValidationError(
                f"The date cannot be before {earliest:%d %B %Y} (the patient's birth)."
            )
        return day


class EnteredInErrorForm(forms.Form):
    reason = forms.CharField(
        label="Reason (kept in the document's history)",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=REASON_MAX,
    )
