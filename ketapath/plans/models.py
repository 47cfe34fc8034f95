"""Treatment plans: a clinic's own protocols, plan versions and the sessions an approved plan schedules.

- :class:`LocalProtocol` is a protocol a clinic writes itself (marked local, with the prescriber who
  wrote it), stored as the same mapping the published TOML files use and validated by the same
  code. It is never edited: a change is a new protocol, and the old one is retired.
- :class:`TreatmentPlan` is one *version* of a patient's plan. A draft can be changed (every save
  is in its history); approval signs and locks it. A change to an approved plan is a new version
  (``previous`` points at the one it revises, ``change_reason`` says why); approving it supersedes
  the old one. The dosing core's answer is kept as a snapshot (``course``, ``limit_check``): what the
  prescriber saw is what they signed, whatever changes later.
- :class:`PlannedSession` is one session an approved plan scheduled: its date, number in the
  course, dose and rates. The infusion flowsheet (issue 8) builds on these rows.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone
from simple_history.models import HistoricalRecords

from ketapath.audit.records import ClinicalRecord, RecordStatus, SignedVersionedRecord

ACTIVE = models.Q(record_status=RecordStatus.ACTIVE)

# Database bounds (issue 13), the same as the forms' and the core's; where each comes from is
# written beside the constant it repeats (``plans.forms``, ``plans.limits``,
# ``clinical.protocols.model``, ``clinical/data/plausibility.toml``). Literal here so that a
# migration never changes when a constant is moved.
REASON_LENGTH = 2000  # a change, override, retirement or cancellation reason
MAX_WEIGHT_KG = Decimal(650)  # plausibility.toml: the heaviest human recorded was about 635 kg
MAX_CONC_MG_PER_ML = Decimal(100)  # the most concentrated marketed solution (Ketalar label)
MAX_PUMP_STEP_ML_PER_H = Decimal(10)  # as the clinic setting: typing-error guard
MAX_COURSE_SESSIONS = 366  # clinical.protocols.model.MAX_COURSE_SESSIONS
MAX_INFUSION_MIN = Decimal(10080)  # Mangnus 2021: 7 days, the longest cited infusion
EARLIEST_WEIGHING = datetime.date(1900, 1, 1)  # no living patient was weighed before


def _short(field: str, name: str) -> models.CheckConstraint:
    """A text field's length limit (TextField has none of its own)."""
    return models.CheckConstraint(name=name, condition=LessThanOrEqual(Length(field), REASON_LENGTH))


def _between(
    field: str,
    low: Decimal | int,
    high: Decimal | int,
    name: str,
    *,
    null: bool = False,
    strict_low: bool = True,
) -> models.CheckConstraint:
    lower = {f"{field}__gt": low} if strict_low else {f"{field}__gte": low}
    condition = models.Q(**lower, **{f"{field}__lte": high})
    if null:
        condition |= models.Q(**{f"{field}__isnull": True})
    return models.CheckConstraint(name=name, condition=condition)


class LocalProtocol(models.Model):
    """A clinic's own protocol. Never changed after it is saved; retired instead."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="local_protocols")
    protocol_id = models.CharField("protocol id", max_length=80)
    name = models.CharField(max_length=200)
    definition = models.JSONField(
        help_text="The protocol as the published TOML files write it (local = true)."
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    retired_at = models.DateTimeField(null=True, blank=True)
    retired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    retired_reason = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "protocol_id"], name="local_protocol_id_unique_in_clinic"
            ),
            _short("retired_reason", "local_protocol_retired_reason_length"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.protocol_id}, local)"

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved and signed"
    SUPERSEDED = "superseded", "Superseded by a later version"


#: Statuses of a plan that a prescriber signed.
SIGNED_STATUSES = (PlanStatus.APPROVED, PlanStatus.SUPERSEDED)


class TreatmentPlan(SignedVersionedRecord):
    """One version of a patient's treatment plan.

    The inputs (protocol, weight, choices, schedule choices, pump) are stored as given; the
    dosing core's answer is stored as a snapshot: ``course`` (every session's date, dose, rates
    and pump steps) and ``limit_check`` (limits exceeded, advisories, clinic settings not set, notes).
    Decimals inside the JSON are strings.
    """

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="treatment_plans")
    previous = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="revised_by",
        help_text="The approved version this one revises.",
    )
    status = models.CharField(max_length=12, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    change_reason = models.TextField("reason for the change", blank=True)

    # The protocol (a snapshot of what it says about the drug, so the plan reads the same later).
    protocol_id = models.CharField("protocol", max_length=80)
    protocol_name = models.CharField(max_length=200)
    protocol_source = models.CharField("protocol source", max_length=200)
    local_protocol = models.ForeignKey(
        LocalProtocol, on_delete=models.PROTECT, null=True, blank=True, related_name="plans"
    )
    drug = models.CharField(max_length=20)
    route = models.CharField(max_length=12)
    salt_basis = models.CharField("salt basis of the protocol's mg", max_length=15)

    # The prescriber's inputs.
    weight_kg = models.DecimalField("weight used (kg)", max_digits=5, decimal_places=1)
    weight_measured_on = models.DateField("weighed on")
    planned_on = models.DateField("calculated on", help_text="The weight's age is counted to this day.")
    start_on = models.DateField("first session on")
    first_session_number = models.PositiveSmallIntegerField(
        default=1, help_text="Sessions of earlier versions already held count before this plan's first."
    )
    choices = models.JSONField("dose choices", default=dict, blank=True)
    phases = models.JSONField("schedule choices", default=list, blank=True)
    weekdays = models.JSONField("weekdays", null=True, blank=True)
    conc_mg_per_ml = models.DecimalField(
        "bag or syringe concentration (mg/mL)", max_digits=8, decimal_places=3, null=True, blank=True
    )
    conc_salt_basis = models.CharField("concentration is mg of", max_length=15, blank=True)
    increment_ml_per_h = models.DecimalField(
        "pump step (mL/h)", max_digits=6, decimal_places=3, null=True, blank=True
    )
    rounding = models.CharField("pump rounding", max_length=10, blank=True)

    # The dosing core's answer.
    clinic_limits = models.JSONField("clinic settings used", default=dict)
    course = models.JSONField(default=list)
    limit_check = models.JSONField("limit check", default=dict)
    result_key = models.CharField(max_length=64)
    exceeds_limits = models.BooleanField("exceeds a hard limit", default=False)
    session_count = models.PositiveSmallIntegerField(default=0)

    # Who signed, and when (the base keeps who wrote it, and when).
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    override_reason = models.TextField("reason for exceeding a limit", blank=True)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    override_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    DRAFT = PlanStatus.DRAFT.value
    SIGNED = frozenset(s.value for s in SIGNED_STATUSES)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "version"], name="plan_version_unique"),
            # One draft and one approved version at a time: a double submit or two tabs cannot fork.
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(status="draft", record_status=RecordStatus.ACTIVE),
                name="one_draft_plan_per_patient",
            ),
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(status="approved", record_status=RecordStatus.ACTIVE),
                name="one_approved_plan_per_patient",
            ),
            models.CheckConstraint(
                name="signed_plan_has_signature",
                condition=models.Q(status="draft")
                | (models.Q(approved_by__isnull=False) & models.Q(approved_at__isnull=False)),
            ),
            # The database itself refuses an approved plan above a hard limit without an override.
            models.CheckConstraint(
                name="signed_plan_over_limit_has_override",
                condition=models.Q(status="draft")
                | models.Q(exceeds_limits=False)
                | (~models.Q(override_reason="") & models.Q(override_by__isnull=False)),
            ),
            models.CheckConstraint(
                name="plan_revision_has_reason",
                condition=models.Q(previous__isnull=True) | ~models.Q(change_reason=""),
            ),
            _short("change_reason", "plan_change_reason_length"),
            _short("override_reason", "plan_override_reason_length"),
            _between("weight_kg", 0, MAX_WEIGHT_KG, "plan_weight_kg_range"),
            _between("conc_mg_per_ml", 0, MAX_CONC_MG_PER_ML, "plan_conc_range", null=True),
            _between("increment_ml_per_h", 0, MAX_PUMP_STEP_ML_PER_H, "plan_pump_step_range", null=True),
            _between("session_count", 0, MAX_COURSE_SESSIONS, "plan_session_count_range", strict_low=False),
            models.CheckConstraint(name="plan_version_from_one", condition=models.Q(version__gte=1)),
            models.CheckConstraint(
                name="plan_first_session_from_one", condition=models.Q(first_session_number__gte=1)
            ),
            models.CheckConstraint(
                name="plan_weighed_before_planned",
                condition=models.Q(weight_measured_on__lte=models.F("planned_on"))
                & models.Q(weight_measured_on__gte=EARLIEST_WEIGHING),
            ),
        ]
        indexes = [
            # The prescriber's dashboard lists a clinic's drafts; the chart the patient's versions.
            models.Index(fields=["status", "record_status"], name="plan_status"),
        ]

    def __str__(self) -> str:
        return f"Plan v{self.version} of {self.patient_id} ({self.status})"

    @property
    def is_infusion(self) -> bool:
        return self.route == "iv"

    @property
    def first_session_on(self) -> datetime.date:
        """The course's first session date: the start date, unless the clinic was closed then and
        the session moved to an open day. The start date when the stored course has no readable
        first date (a saved value never makes a page fail)."""
        try:
            return datetime.date.fromisoformat(self.course[0]["on"])
        except (IndexError, KeyError, TypeError, ValueError):
            return self.start_on


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CANCELLED = "cancelled", "Cancelled"


class PlannedSession(ClinicalRecord):
    """One session an approved plan version scheduled, with what the plan prescribes for it.

    Doses and rates are in the plan's salt basis (``plan.salt_basis``); ``steps`` lists the
    constant-rate stretches of an infusion (one, or several when titrating), each with
    ``start_min``, ``duration_min``, ``rate_mg_per_h`` (what the pump delivers), ``rate_ml_per_h``
    and ``prescribed_rate_mg_per_h`` (before rounding to the pump), as decimal strings.
    """

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="sessions")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="planned_sessions")
    number = models.PositiveSmallIntegerField("session number", help_text="Counted across the whole course.")
    planned_on = models.DateField("planned on")
    phase_label = models.CharField("phase", max_length=120, blank=True)
    dose_mg = models.DecimalField("dose (mg)", max_digits=9, decimal_places=3)
    dose_mg_per_kg = models.DecimalField("dose (mg/kg)", max_digits=8, decimal_places=4)
    rate_mg_per_h = models.DecimalField("rate (mg/h)", max_digits=9, decimal_places=3, null=True, blank=True)
    rate_ml_per_h = models.DecimalField(
        "pump rate (mL/h)", max_digits=9, decimal_places=3, null=True, blank=True
    )
    duration_min = models.DecimalField(
        "duration (min)", max_digits=7, decimal_places=1, null=True, blank=True
    )
    conc_mg_per_ml = models.DecimalField(
        "concentration (mg/mL)", max_digits=8, decimal_places=3, null=True, blank=True
    )
    volume_ml = models.DecimalField("volume (mL)", max_digits=9, decimal_places=2, null=True, blank=True)
    devices = models.PositiveSmallIntegerField("nasal devices", null=True, blank=True)
    steps = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=12, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED)
    scheduled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    scheduled_at = models.DateTimeField(default=timezone.now, editable=False)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_reason = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["planned_on", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="planned_session_once_per_plan"),
            models.CheckConstraint(name="planned_session_number_from_one", condition=models.Q(number__gte=1)),
            models.CheckConstraint(
                name="planned_session_dose_positive",
                condition=models.Q(dose_mg__gt=0) & models.Q(dose_mg_per_kg__gt=0),
            ),
            models.CheckConstraint(
                name="planned_session_rates_not_negative",
                condition=(models.Q(rate_mg_per_h__isnull=True) | models.Q(rate_mg_per_h__gte=0))
                & (models.Q(rate_ml_per_h__isnull=True) | models.Q(rate_ml_per_h__gte=0))
                & (models.Q(volume_ml__isnull=True) | models.Q(volume_ml__gte=0))
                & (models.Q(devices__isnull=True) | models.Q(devices__gte=1)),
            ),
            _between("duration_min", 0, MAX_INFUSION_MIN, "planned_session_duration_range", null=True),
            _between("conc_mg_per_ml", 0, MAX_CONC_MG_PER_ML, "planned_session_conc_range", null=True),
            _short("cancelled_reason", "planned_session_cancelled_reason_length"),
        ]
        indexes = [
            # The chart and the day's list read a patient's sessions by date.
            models.Index(fields=["patient", "planned_on"], name="planned_session_patient_day"),
        ]

    def __str__(self) -> str:
        return f"Session {self.number} of {self.patient_id} on {self.planned_on}"

    @property
    def is_cancelled(self) -> bool:
        return self.status == SessionStatus.CANCELLED

    @property
    def is_in_force(self) -> bool:
        """Scheduled, and from a signed plan version. A superseded version's sessions dated before
        the new version's first session stay in force (they were not replaced)."""
        return (
            self.status == SessionStatus.SCHEDULED
            and not self.is_entered_in_error
            and self.plan.is_signed
            and not self.plan.is_entered_in_error
        )
