"""Every change to a chart's documents: attach one, mark one entered in error. Nothing deletes.

:func:`attach_document` writes the file, then its row, in one transaction: if the row is not saved
(a refusal, a constraint, a crash of the save) the file is removed, so nothing is left half-saved.
A second submit of the same form (the same ``client_key``) returns the row the first one saved and
writes no second file.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ketapath.audit.actions import mark_entered_in_error
from ketapath.audit.history import note_change
from ketapath.audit.refusals import ActionRefused
from ketapath.documents import storage
from ketapath.documents.content_types import EXTENSIONS, human_size
from ketapath.documents.models import (
    EARLIEST_DATE,
    LATEST_DATE,
    MAX_STORED_BYTES,
    ORIGINAL_NAME_MAX,
    TITLE_MAX,
    ChartDocument,
    DocumentKind,
)
from ketapath.patients.models import Patient


class DocumentRefused(ActionRefused):
    """A document the rules refuse: nothing was saved (no row, no file)."""


@dataclass(frozen=True)
class Attached:
    document: ChartDocument
    duplicate: bool = False


def max_bytes() -> int:
    return min(int(settings.KETAPATH_DOCUMENT_MAX_BYTES), MAX_STORED_BYTES)


def display_name(name: str) -> str:
    """The uploaded name as text to show: no folders, no control characters, length-limited."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:ORIGINAL_NAME_MAX]


def attach_document(
    patient: Patient,
    user: Any,
    *,
    client_key: uuid.UUID,
    kind: str,
    title: str,
    document_date: date,
    content_type: str,
    chunks: Iterable[bytes],
    original_name: str = "",
    now: datetime | None = None,
) -> Attached:
    """Store a file the form has checked (``content_type`` is what its content showed) and its row."""
    now = now or timezone.now()
    title = " ".join(title.split())
    if kind not in DocumentKind.values:
        raise DocumentRefused("Choose what kind of document this is.", field="kind")
    if not title:
        raise DocumentRefused("Give the document a title.", field="title")
    if len(title) > TITLE_MAX:
        raise DocumentRefused(f"A title has at most {TITLE_MAX} characters.", field="title")
    if content_type not in EXTENSIONS:
        raise DocumentRefused("Only PDF, PNG and JPEG files can be attached.", field="file")
    earliest = max(EARLIEST_DATE, patient.date_of_birth)
    if not earliest <= document_date < LATEST_DATE or document_date > timezone.localdate(now):
        raise DocumentRefused(
            "The document's date must lie between the patient's birth and today.", field="document_date"
        )
    if patient.is_entered_in_error:
        raise DocumentRefused("This chart is marked entered in error: nothing can be attached to it.")
    with transaction.atomic():
        # One upload at a time per chart: a double submit waits here and finds the first one's row.
        locked = Patient.objects.select_for_update().get(pk=patient.pk)
        existing = ChartDocument.objects.filter(client_key=client_key).first()
        if existing is not None:
            if existing.patient_id != locked.pk or existing.uploaded_by_id != getattr(user, "pk", None):
                raise DocumentRefused("This form was already used for another upload: reload the page.")
            return Attached(existing, duplicate=True)
        written = storage.write(chunks, EXTENSIONS[content_type])
        try:
            if written.size_bytes == 0:
                raise DocumentRefused("The file is empty.", field="file")
            if written.size_bytes > max_bytes():
                raise DocumentRefused(f"The file is larger than {human_size(max_bytes())}.", field="file")
            document = ChartDocument(
                patient=locked,
                kind=kind,
                title=title,
                document_date=document_date,
                content_type=content_type,
                size_bytes=written.size_bytes,
                sha256=written.sha256,
                stored_name=written.name,
                original_name=display_name(original_name),
                uploaded_by=user,
                uploaded_at=now,
                client_key=client_key,
            )
            with transaction.atomic():  # a savepoint: a failed insert leaves the outer block usable
                note_change(document, f"Attached: {document.get_kind_display()}", user, when=now).save()
        except BaseException:
            storage.discard(written.name)
            raise
    return Attached(document)


def mark_document_in_error(
    document: ChartDocument, user: Any, reason: str, *, now: datetime | None = None
) -> ChartDocument:
    """Mark a document entered in error. Its row and its file stay; the history keeps the reason."""
    with transaction.atomic():
        locked = ChartDocument.objects.select_for_update().get(pk=document.pk)
        mark_entered_in_error(locked, user, reason, now=now)
    return locked
