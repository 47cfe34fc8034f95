"""The clinic's calendar: its chairs (or rooms), its opening hours, and appointments.

Times are stored in UTC and shown in the clinic's time zone (``accounts.Clinic.zone``). An
appointment is made from wall-clock times of that zone on its own date, so a daylight-saving
change between booking and the day does not move it (see ``ketapath.clinical.chair_time``).
"""

from __future__ import annotations

import datetime
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone
from simple_history.models import HistoricalRecords

from ketapath.audit.records import ClinicalRecord

NAME_MAX = 80
REASON_MAX = 500
#: The shortest and longest appointment: a 5-minute check to a 12-hour day case (typing guards).
MIN_DURATION = 5
MAX_DURATION = 720
#: Appointments lie in this window (a typing guard: no clinic books in 1900 or 2200).
EARLIEST = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
LATEST = datetime.datetime(2100, 1, 1, tzinfo=datetime.UTC)


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class Chair(models.Model):
    """A treatment chair or room: each holds one appointment at a time."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="chairs")
    name = models.CharField(max_length=NAME_MAX)
    active = models.BooleanField(default=True, help_text="An inactive chair takes no new appointment.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="chair_name_unique_in_clinic"),
            models.CheckConstraint(name="chair_name_given", condition=models.Q(name__regex=r"\S")),
            models.CheckConstraint(
                name="chair_name_bounded", condition=LessThanOrEqual(Length("name"), NAME_MAX)
            ),
        ]

    def __str__(self) -> str:
        return self.name


class OpeningHours(models.Model):
    """When the clinic is open on one day of the week (a day without a row is a closed day)."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["weekday"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "weekday"], name="opening_hours_one_per_day"),
            models.CheckConstraint(name="opening_hours_weekday", condition=models.Q(weekday__lte=6)),
            models.CheckConstraint(
                name="opening_hours_open_before_close", condition=models.Q(opens__lt=models.F("closes"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class AppointmentKind(models.TextChoices):
    SESSION = "session", "Treatment session"
    CONSULTATION = "consultation", "Consultation"
    FOLLOW_UP = "follow_up", "Follow-up visit"


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "Did not attend"


class Appointment(ClinicalRecord):
    """A time in a chair for a patient: a treatment session (its planned session), a consultation or
    a follow-up visit. Changed only by ``appointments.actions`` (each change in its history)."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="appointments")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="appointments")
    kind = models.CharField(max_length=16, choices=AppointmentKind.choices)
    planned_session = models.ForeignKey(
        "plans.PlannedSession", on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    starts_at = models.DateTimeField("starts at")
    duration_min = models.PositiveSmallIntegerField("length (min)")
    chair = models.ForeignKey(
        Chair, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    nurse = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=12, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    status_reason = models.TextField("reason", blank=True, max_length=REASON_MAX)
    # The start before the last move, so the patient (and the desk) can see it was moved; every
    # earlier one is in the history.
    moved_from = models.DateTimeField("moved from", null=True, blank=True)
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    booked_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["clinic", "starts_at"]), models.Index(fields=["chair", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                name="appointment_duration_bounded",
                condition=models.Q(duration_min__gte=MIN_DURATION, duration_min__lte=MAX_DURATION),
            ),
            models.CheckConstraint(
                name="appointment_start_in_window",
                condition=models.Q(starts_at__gte=EARLIEST, starts_at__lt=LATEST),
            ),
            models.CheckConstraint(
                name="appointment_moved_from_in_window",
                condition=models.Q(moved_from__isnull=True)
                | models.Q(moved_from__gte=EARLIEST, moved_from__lt=LATEST),
            ),
            models.CheckConstraint(
                name="appointment_session_has_chair_and_plan",
                condition=~models.Q(kind="session")
                | models.Q(chair__isnull=False, planned_session__isnull=False),
            ),
            models.CheckConstraint(
                name="appointment_cancel_has_reason",
                condition=~models.Q(status="cancelled") | models.Q(status_reason__regex=r"\S"),
            ),
            models.CheckConstraint(
                name="appointment_reason_bounded",
                condition=LessThanOrEqual(Length("status_reason"), REASON_MAX),
            ),
            # One standing appointment per planned session (a double submit books it once).
            models.UniqueConstraint(
                fields=["planned_session"],
                condition=models.Q(status="booked", record_status="active"),
                name="one_booked_appointment_per_session",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.patient_id} at {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def ends_at(self) -> datetime.datetime:
        return self.starts_at + timedelta(minutes=self.duration_min)

    @property
    def is_booked(self) -> bool:
        return self.status == AppointmentStatus.BOOKED and not self.is_entered_in_error
