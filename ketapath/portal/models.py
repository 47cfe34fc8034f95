"""What the patient writes in their own pages, and the clinic's tips.

- :class:`JournalEntry`: one day of the patient's pain journal (pain, sleep, mood, activity, side
  effects, free notes). One entry per day: saving the same day again updates it (kept in history).
- :class:`SymptomReport`: symptoms after discharge that the patient wants the care team to know;
  each raises an alert (``ketapath.portal.actions.report_symptoms``).
- :class:`Tip`: the clinic's own copy of a troubleshooting tip. A clinic with none shows the
  project's defaults (``ketapath.portal.tips``); customising copies them here for editing.
- :class:`AppointmentReminder`: an appointment's reminder went out for its start time (claimed
  before sending, in the sending transaction; a moved appointment is reminded of its new time).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone
from simple_history.models import HistoricalRecords

from ketapath.audit.records import ClinicalRecord, RecordStatus

ACTIVE = models.Q(record_status=RecordStatus.ACTIVE)

# Bounds held by the database (issue 13). Dates: a calendar window, a typing-error guard (no
# source); the forms use narrower windows around today. Free text: the forms' own limits.
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)
NOTES_MAX = 4000  # characters of a journal note or a symptom report (a page of text)


def _codes(raw: Any) -> list[str]:
    """The text codes of a JSON list as stored; anything else the database holds reads as none."""
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        return []
    return [code for code in raw if isinstance(code, str)]


def _text_at_most(field: str, limit: int, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=LessThanOrEqual(Length(field), limit), name=name)


def _between(field: str, low: Any, high: Any, name: str, *, nullable: bool = False) -> models.CheckConstraint:
    bounded = models.Q(**{f"{field}__gte": low, f"{field}__lte": high})
    if nullable:
        bounded |= models.Q(**{f"{field}__isnull": True})
    return models.CheckConstraint(condition=bounded, name=name)


def _rating(label: str, *, required: bool = False) -> models.PositiveSmallIntegerField:  # type: ignore[type-arg]
    return models.PositiveSmallIntegerField(
        label,
        null=not required,
        blank=not required,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )


class JournalSideEffect(models.TextChoices):
    NAUSEA = "nausea", "Nausea or being sick"
    DIZZINESS = "dizziness", "Dizziness"
    HEADACHE = "headache", "Headache"
    DROWSINESS = "drowsiness", "Drowsiness"
    DETACHED = "detached", "Feeling detached or unreal"
    HALLUCINATIONS = "hallucinations", "Seeing or hearing things others do not"
    URINARY = "urinary", "Pain or burning when passing urine, or needing to go often"
    ANXIETY = "anxiety", "Anxiety"
    OTHER = "other", "Something else (write it in your notes)"


# Which side effects the clinic treats as reportable (the journal offers the symptom report when
# one is ticked): ``journal = true`` in ``data/symptoms.toml``, ``symptoms.journal_reportable()``.


class JournalEntry(ClinicalRecord):
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="journal_entries")
    entry_on = models.DateField("day")
    pain_nrs = _rating("pain today (0 no pain - 10 worst possible)", required=True)
    sleep_hours = models.DecimalField(
        "hours slept last night",
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(24)],
    )
    mood = _rating("mood today (0 very low - 10 very good)")
    activity = _rating("how much you could do today (0 nothing - 10 everything you wanted)")
    side_effects = models.JSONField(default=list, blank=True)
    notes = models.TextField("notes", blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-entry_on"]
        constraints = [
            # One entry a day: a second save (or a double submit) updates it instead.
            models.UniqueConstraint(
                fields=["patient", "entry_on"], condition=ACTIVE, name="journal_once_a_day"
            ),
            _between("entry_on", EARLIEST_DATE, LATEST_DATE, "journal_entry_on_plausible"),
            _between("pain_nrs", 0, 10, "journal_pain_0_10"),
            _between("mood", 0, 10, "journal_mood_0_10", nullable=True),
            _between("activity", 0, 10, "journal_activity_0_10", nullable=True),
            _between("sleep_hours", Decimal(0), Decimal(24), "journal_sleep_0_24h", nullable=True),
            _text_at_most("notes", NOTES_MAX, "journal_notes_length"),
        ]

    def __str__(self) -> str:
        return f"Journal {self.entry_on} of {self.patient_id}"

    def side_effect_codes(self) -> list[str]:
        return _codes(self.side_effects)

    def side_effect_labels(self) -> list[str]:
        labels = dict(JournalSideEffect.choices)
        return [str(labels.get(code, code)) for code in self.side_effect_codes()]


class SymptomReport(ClinicalRecord):
    """Symptoms the patient reports after a session (the codes are ``ketapath.portal.symptoms``)."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="symptom_reports")
    symptoms = models.JSONField(help_text="Symptom codes from the catalogue.")
    started_on = models.DateField("when it started", null=True, blank=True)
    ongoing = models.BooleanField("still there now", null=True, blank=True)
    details = models.TextField("in your own words", blank=True)
    reported_at = models.DateTimeField(default=timezone.now, editable=False)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    client_key = models.UUIDField(
        unique=True, help_text="Sent with the form: a second submit of the same form finds this report."
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-reported_at"]
        indexes = [models.Index(fields=["patient", "reported_at"], name="symptom_report_patient")]
        constraints = [
            _between("started_on", EARLIEST_DATE, LATEST_DATE, "symptom_started_on_plausible", nullable=True),
            _text_at_most("details", NOTES_MAX, "symptom_details_length"),
        ]

    def __str__(self) -> str:
        return f"Symptom report {self.pk} of {self.patient_id}"

    def symptom_codes(self) -> list[str]:
        return _codes(self.symptoms)


class Tip(models.Model):
    """A clinic's version of one tip for patients (content, not a clinical record)."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="tips")
    key = models.SlugField(max_length=60, help_text="Which default tip it began as, or a new one.")
    title = models.CharField(max_length=120)
    body = models.TextField(help_text="Paragraphs separated by a blank line.")
    position = models.PositiveSmallIntegerField(default=0)
    published = models.BooleanField(default=True, help_text="Shown to patients.")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["clinic", "key"], name="tip_key_unique_in_clinic")]

    def __str__(self) -> str:
        return self.title

    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.body.split("\n\n") if p.strip()]


class AppointmentReminder(models.Model):
    """An appointment's reminder was sent for this start time (the row is claimed first, in the
    sending transaction, so two runs at once cannot both send it)."""

    appointment = models.ForeignKey("appointments.Appointment", on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField(help_text="The start time the reminder gave.")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_to = models.EmailField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["appointment", "starts_at"], name="appointment_reminded_once")
        ]

    def __str__(self) -> str:
        return f"Reminder for appointment {self.appointment_id}"
