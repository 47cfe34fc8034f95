"""Documents attached to a chart: ECGs, lab reports, referral letters (issue 16).

The row holds what the chart shows and what proves the file: its type (told by its content), its
size, its SHA-256 and the random name it is stored under in ``KETAPATH_DOCUMENTS_DIR``, a folder
outside the web root that no URL maps. The name the file was uploaded with is kept only as text to
show. A document is never deleted, neither its row nor its file: a wrong one is marked entered in
error and stays viewable, with its banner.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.utils import timezone
from simple_history.models import HistoricalRecords

from ketapath.audit.records import ClinicalRecord
from ketapath.documents.content_types import EXTENSIONS, JPEG, PDF, PNG, human_size
from ketapath.patients.models import EARLIEST_BIRTH_DATE
from ketapath.patients.models import LATEST_DATE as LATEST_DATE

#: Text caps in characters (typing-error guards, no source).
TITLE_MAX = 200
ORIGINAL_NAME_MAX = 200
#: The stored name: 32 hexadecimal characters, a dot and the type's extension.
STORED_NAME_MAX = 40
#: The largest file the database accepts, whatever ``KETAPATH_DOCUMENT_MAX_BYTES`` says (100 MiB:
#: a scanned letter is a few MiB; the setting, default 20 MiB, may not be set above this).
MAX_STORED_BYTES = 100 * 1024 * 1024
#: A document's date lies in [1900-01-01, 2100-01-01) in the database; the form gives the exact
#: window (not before the patient's birth, not in the future).
EARLIEST_DATE = EARLIEST_BIRTH_DATE


class DocumentKind(models.TextChoices):
    ECG = "ecg", "ECG"
    LAB_REPORT = "lab-report", "Lab report"
    REFERRAL_LETTER = "referral", "Referral letter"
    OTHER = "other", "Other"


class ContentType(models.TextChoices):
    PDF_FILE = PDF, "PDF"
    PNG_IMAGE = PNG, "PNG image"
    JPEG_IMAGE = JPEG, "JPEG image"


def _text_cap(name: str, limit: int, *, least: int = 0) -> models.CheckConstraint:
    condition = models.Q(LessThanOrEqual(Length(name), limit))
    if least:
        condition &= models.Q(GreaterThanOrEqual(Length(name), least))
    return models.CheckConstraint(name=f"chartdocument_{name}_length", condition=condition)


class ChartDocument(ClinicalRecord):
    """One file attached to a patient's chart."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=12, choices=DocumentKind.choices)
    title = models.CharField(max_length=TITLE_MAX)
    document_date = models.DateField("date of the document")
    content_type = models.CharField(max_length=20, choices=ContentType.choices)
    size_bytes = models.PositiveIntegerField("size in bytes")
    sha256 = models.CharField("SHA-256", max_length=64)
    stored_name = models.CharField(
        max_length=STORED_NAME_MAX,
        unique=True,
        editable=False,
        help_text="A random name, never the uploaded one.",
    )
    original_name = models.CharField(
        max_length=ORIGINAL_NAME_MAX, blank=True, help_text="The uploaded file's name, shown as text only."
    )
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # A default, not auto_now_add: the action passes its ``now``.
    uploaded_at = models.DateTimeField(default=timezone.now, editable=False)
    client_key = models.UUIDField(
        unique=True, help_text="Sent with the form: a second submit of the same form finds this row."
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-document_date", "-uploaded_at", "-id"]
        indexes = [models.Index(fields=["patient", "-document_date"], name="chartdocument_patient_date")]
        constraints = [
            models.CheckConstraint(
                name="chartdocument_kind_known", condition=models.Q(kind__in=DocumentKind.values)
            ),
            models.CheckConstraint(
                name="chartdocument_content_type_known",
                condition=models.Q(content_type__in=ContentType.values),
            ),
            models.CheckConstraint(
                name="chartdocument_size_bytes_range",
                condition=models.Q(size_bytes__gte=1, size_bytes__lte=MAX_STORED_BYTES),
            ),
            models.CheckConstraint(
                name="chartdocument_document_date_plausible",
                condition=models.Q(document_date__gte=EARLIEST_DATE, document_date__lt=LATEST_DATE),
            ),
            models.CheckConstraint(
                name="chartdocument_sha256_hex", condition=models.Q(sha256__regex=r"^[0-9a-f]{64}$")
            ),
            models.CheckConstraint(
                name="chartdocument_stored_name_random",
                condition=models.Q(stored_name__regex=r"^[0-9a-f]{32}\.(pdf|png|jpg)$"),
            ),
            _text_cap("title", TITLE_MAX, least=1),
            _text_cap("original_name", ORIGINAL_NAME_MAX),
            _text_cap("entered_in_error_reason", 1000),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title} ({self.document_date})"

    @property
    def extension(self) -> str:
        return EXTENSIONS.get(self.content_type, "bin")

    @property
    def size_display(self) -> str:
        return human_size(self.size_bytes)
