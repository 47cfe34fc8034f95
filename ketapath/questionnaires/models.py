"""Assignments, schedules and responses of questionnaires."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from ketapath.audit.records import ClinicalRecord

# The calendar window any questionnaire date must fall in, held by the database (issue 13: due
# dates in year 1 or 9999 were accepted). A typing-error guard, no source; the forms use a narrower
# window around today (``ketapath.questionnaires.forms``).
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)
MAX_EVERY_DAYS = 365  # a repeat interval of more than a year is a typing error (no source)


def _date_window(field: str, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=models.Q(**{f"{field}__gte": EARLIEST_DATE, f"{field}__lte": LATEST_DATE}), name=name
    )


class Respondent(models.TextChoices):
    PATIENT = "patient", "The patient, in their own pages"
    STAFF = "staff", "Staff, in the chart"


class AssignmentStatus(models.TextChoices):
    ASSIGNED = "assigned", "Assigned"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class QuestionnaireSchedule(ClinicalRecord):
    """Assign an instrument again every ``every_days`` days between two dates."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="questionnaire_schedules"
    )
    instrument_id = models.CharField(max_length=40)
    every_days = models.PositiveSmallIntegerField()
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    respondent = models.CharField(max_length=10, choices=Respondent.choices, default=Respondent.PATIENT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            _date_window("starts_on", "schedule_starts_on_plausible"),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on"), ends_on__lte=LATEST_DATE),
                name="schedule_ends_on_plausible",
            ),
            models.CheckConstraint(
                condition=models.Q(every_days__gte=1, every_days__lte=MAX_EVERY_DAYS),
                name="schedule_every_days_bounded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} every {self.every_days} days for {self.patient_id}"

    def due_dates_until(self, today: date) -> list[date]:
        """Every due date from the start up to today (inclusive), within the end date."""
        last = min(today, self.ends_on) if self.ends_on else today
        days = (last - self.starts_on).days
        if days < 0:
            return []
        return [self.starts_on + timedelta(days=n) for n in range(0, days + 1, self.every_days)]


class QuestionnaireAssignment(ClinicalRecord):
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="questionnaire_assignments"
    )
    instrument_id = models.CharField(max_length=40)
    due_on = models.DateField()
    respondent = models.CharField(max_length=10, choices=Respondent.choices, default=Respondent.PATIENT)
    status = models.CharField(
        max_length=10, choices=AssignmentStatus.choices, default=AssignmentStatus.ASSIGNED
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when a schedule assigned it.",
    )
    schedule = models.ForeignKey(
        QuestionnaireSchedule, on_delete=models.PROTECT, null=True, blank=True, related_name="assignments"
    )
    assigned_at = models.DateTimeField(default=timezone.now, editable=False)
    reminded_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            # A schedule assigns each due date once, however often the job runs.
            models.UniqueConstraint(
                fields=["schedule", "due_on"],
                condition=models.Q(schedule__isnull=False),
                name="assignment_once_per_schedule_date",
            ),
            # At most one open staff assignment per patient and instrument: three requests at once
            # make one (``actions.assign_once`` returns the one open). Schedules and follow-ups
            # (no ``assigned_by``) keep their own once-per-date rules.
            models.UniqueConstraint(
                fields=["patient", "instrument_id"],
                condition=models.Q(status="assigned", record_status="active", assigned_by__isnull=False),
                name="one_open_staff_assignment",
            ),
            _date_window("due_on", "assignment_due_on_plausible"),
        ]
        indexes = [models.Index(fields=["patient", "status", "due_on"], name="assignment_patient_open")]

    def __str__(self) -> str:
        return f"{self.instrument_id} due {self.due_on} for {self.patient_id}"

    def is_due(self, today: date) -> bool:
        return self.status == AssignmentStatus.ASSIGNED and self.due_on <= today


class ResponseStatus(models.TextChoices):
    DRAFT = "draft", "Draft (not scored)"
    COMPLETED = "completed", "Completed"
    REVIEWED = "reviewed", "Reviewed"


class QuestionnaireResponse(ClinicalRecord):
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="questionnaire_responses"
    )
    assignment = models.ForeignKey(
        QuestionnaireAssignment, on_delete=models.PROTECT, null=True, blank=True, related_name="responses"
    )
    instrument_id = models.CharField(max_length=40)
    instrument_version = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=ResponseStatus.choices, default=ResponseStatus.DRAFT)
    answers = models.JSONField(default=dict, help_text="item id -> numeric value")
    covariates = models.JSONField(default=dict, blank=True)
    scores = models.JSONField(default=dict, blank=True, help_text="The engine's full result when completed.")
    total = models.FloatField(null=True, blank=True)
    band = models.CharField(max_length=80, blank=True)
    positive = models.BooleanField(null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    respondent = models.CharField(max_length=10, choices=Respondent.choices)
    started_at = models.DateTimeField(default=timezone.now, editable=False)
    completed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-completed_at", "-id"]
        constraints = [
            # One draft at a time per assignment: a second tab or a double submit cannot fork it.
            models.UniqueConstraint(
                fields=["assignment"],
                condition=models.Q(status="draft", assignment__isnull=False),
                name="one_draft_per_assignment",
            ),
        ]
        indexes = [
            # A patient's score history per instrument.
            models.Index(
                fields=["patient", "instrument_id", "completed_at"], name="response_patient_history"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.get_status_display()} for {self.patient_id}"

    @property
    def is_draft(self) -> bool:
        return self.status == ResponseStatus.DRAFT
