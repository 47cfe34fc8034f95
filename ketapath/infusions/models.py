"""Infusion sessions: the nurse's live flowsheet.

- :class:`InfusionSession` is the chart of one planned session (one per
  :class:`~ketapath.plans.models.PlannedSession`): its status for the day's list, the nurse's
  signature and the prescriber's co-signature. Signed means locked.
- Every flowsheet entry (:class:`FlowsheetEntry` and its kinds) is append-only: it records who
  entered it, when it was observed and when it was recorded, and carries the client's
  idempotency key (a double submit finds the row already there). A correction is a new row that
  ``supersedes`` the original; a withdrawal (``voids``) is a new row that takes the original out
  of the current record. The original stays, and the page shows it struck through.
- :class:`Addendum` is the one thing that may still be added to a signed session.

Entries are written only by ``ketapath.infusions.actions``, each under a lock on its session row,
which also orders them: ``recorded_at`` grows in commit order within a session, so the live page
can ask for "rows recorded after T" without missing one.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from ketapath.audit.records import ClinicalQuerySet, ClinicalRecord, RecordStatus
from ketapath.clinical.delivery import EventKind as CoreEventKind
from ketapath.clinical.monitoring import MonitoringPhase, Vital

# ----------------------------------------------------------------------------------------------
# Bounds (issue 13): each enforced by the forms, the actions and a database constraint.
# ----------------------------------------------------------------------------------------------
#: Vital signs: the highest blood pressure recorded in a human (370/360 mmHg, Narloch & Brandstater
#: 1995, Neurol Res 17:239) and the display ranges of bedside monitors (heart rate 0-300/min,
#: respiratory rate 0-150/min; typing-error guards). SpO2 is a percentage.
#: Keyed by the monitoring core's vital signs (their values are the model's field names).
VITAL_MAX: dict[str, int] = {
    Vital.SYSTOLIC: 370,
    Vital.DIASTOLIC: 360,
    Vital.HEART_RATE: 300,
    Vital.SPO2: 100,
    Vital.RESP_RATE: 150,
}
#: Pump rate: the highest rate of a volumetric infusion pump (1200 mL/h, e.g. BD Alaris GP).
MAX_RATE_ML_PER_H = Decimal("1200")
#: Ketamine is sold at 10, 50 and 100 mg/mL at most (Ketalar prescribing information).
MAX_KETAMINE_CONC_MG_PER_ML = Decimal("100")
#: The highest mg/h a pump can give: the two bounds above multiplied.
MAX_RATE_MG_PER_H = MAX_RATE_ML_PER_H * MAX_KETAMINE_CONC_MG_PER_ML
#: A ketamine bolus: typing-error guard above the label's largest IV induction dose (4.5 mg/kg,
#: Ketalar prescribing information) for any plausible weight.
MAX_BOLUS_MG = Decimal("2000")
#: A rescue or premedication dose, per unit: typing-error guards, no source (the largest rescue
#: dose in use is 1 g of paracetamol; 5 g, 100 mg as mcg, 1 L of fluid are far above any).
MAX_MEDICATION_DOSE = {
    "mg": Decimal("5000"),
    "g": Decimal("5"),
    "mcg": Decimal("100000"),
    "mL": Decimal("1000"),
}
#: A concentration recorded with a medicine other than ketamine: 1 g/mL (physical: a solution).
MAX_CONC_MG_PER_ML = Decimal("1000")
#: Weight today: the heaviest human recorded was about 635 kg (ketapath.clinical.plausibility).
MIN_WEIGHT_KG, MAX_WEIGHT_KG = Decimal("0.5"), Decimal("650")
#: Score totals: every flowsheet scale lies within -5 (RASS) and 100.
MIN_SCORE_TOTAL, MAX_SCORE_TOTAL = Decimal("-10"), Decimal("100")
#: Free-text limits (characters): notes and reasons 2000, discharge instructions 5000.
NOTE_MAX = 2000
INSTRUCTIONS_MAX = 5000
EVENT_NOTE_MAX = 500


def _between(name: str, low: Decimal | int, high: Decimal | int) -> models.Q:
    return models.Q(**{f"{name}__isnull": True}) | models.Q(**{f"{name}__gte": low, f"{name}__lte": high})


def _positive_at_most(name: str, high: Decimal) -> models.Q:
    return models.Q(**{f"{name}__isnull": True}) | models.Q(**{f"{name}__gt": 0, f"{name}__lte": high})


class SessionStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    PRECHECKS = "pre-checks", "Pre-checks"
    INFUSING = "infusing", "Infusing"
    OBSERVATION = "observation", "Observation"
    READY = "ready", "Ready for discharge"
    DISCHARGED = "discharged", "Discharged"
    NOT_GIVEN = "not-given", "Not given"


class InfusionSession(ClinicalRecord):
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="infusion_sessions"
    )
    planned_session = models.OneToOneField(
        "plans.PlannedSession", on_delete=models.PROTECT, related_name="infusion"
    )
    status = models.CharField(max_length=12, choices=SessionStatus.choices, default=SessionStatus.WAITING)
    paused = models.BooleanField(default=False, help_text="The pump is paused (while infusing).")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Set by the action from its clock (``now``), so a record of a past session keeps its time.
    opened_at = models.DateTimeField(default=timezone.now)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    not_given_reason = models.TextField("why the session was not given", blank=True)
    open_reason = models.TextField("why charting opened on another day than planned", blank=True, default="")
    nurse_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    nurse_signed_at = models.DateTimeField(null=True, blank=True)
    cosigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cosigned_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.CheckConstraint(
                name="infusion_cosign_after_sign",
                condition=models.Q(cosigned_by__isnull=True) | models.Q(nurse_signed_by__isnull=False),
            ),
        ]
        indexes = [
            # The day's list reads a clinic's open sessions by status.
            models.Index(fields=["status"], name="infusion_session_status"),
        ]

    def __str__(self) -> str:
        return f"Infusion session {self.pk} of {self.patient_id} ({self.status})"

    @property
    def is_signed(self) -> bool:
        return self.nurse_signed_at is not None

    @property
    def is_cosigned(self) -> bool:
        return self.cosigned_at is not None


class EntryQuerySet(ClinicalQuerySet[Any]):
    def current(self) -> EntryQuerySet:
        """Entries that count: not superseded, not withdrawn, not themselves a withdrawal."""
        return self.filter(record_status=RecordStatus.ACTIVE, voids=False, superseded_by__isnull=True)


class FlowsheetEntry(ClinicalRecord):
    """What every flowsheet row carries."""

    session = models.ForeignKey(InfusionSession, on_delete=models.PROTECT, related_name="+")
    observed_at = models.DateTimeField("observed at", help_text="When it happened or was measured.")
    recorded_at = models.DateTimeField("recorded at", db_index=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    client_key = models.UUIDField(
        unique=True, help_text="Sent with the form: a second submit of the same form finds this row."
    )
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    voids = models.BooleanField(
        default=False, help_text="This row withdraws the one it supersedes (recorded in error)."
    )
    correction_reason = models.TextField(blank=True)
    # Declared for the type checker: a foreign key to "self" on an abstract model is resolved
    # only in each concrete kind.
    supersedes_id: int | None

    objects: ClassVar[Any] = EntryQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["observed_at", "id"]

    @property
    def is_correction(self) -> bool:
        return self.supersedes_id is not None

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk} of session {self.session_id}"


class EventKind(models.TextChoices):
    # The delivery core's event kinds (ketapath.clinical.delivery.EventKind), one to one: the
    # values are the core's (tests/infusions/test_kinds.py checks none is missing), the labels
    # the page's.
    START = CoreEventKind.START.value, "Start"
    RATE_CHANGE = CoreEventKind.RATE_CHANGE.value, "Rate change"
    PAUSE = CoreEventKind.PAUSE.value, "Pause"
    RESUME = CoreEventKind.RESUME.value, "Resume"
    BOLUS = CoreEventKind.BOLUS.value, "Bolus"
    STOP = CoreEventKind.STOP.value, "Stop"


ADMINISTERING = frozenset({EventKind.START, EventKind.RATE_CHANGE, EventKind.RESUME, EventKind.BOLUS})


class SaltBasis(models.TextChoices):
    BASE = "base", "mg of ketamine base"
    HYDROCHLORIDE = "hydrochloride", "mg of ketamine hydrochloride"


class DrugRecord(models.Model):
    """The product given: on every administration row."""

    product = models.CharField("product", max_length=120, blank=True)
    conc_mg_per_ml = models.DecimalField(
        "concentration (mg/mL)", max_digits=8, decimal_places=3, null=True, blank=True
    )
    conc_salt_basis = models.CharField(
        "concentration is", max_length=15, choices=SaltBasis.choices, blank=True
    )
    lot_number = models.CharField("lot number", max_length=60, blank=True)
    expiry_on = models.DateField("expiry", null=True, blank=True)

    class Meta:
        abstract = True


class InfusionEventEntry(FlowsheetEntry, DrugRecord):
    """A pump event. Rates are in the product's milligrams (``conc_salt_basis``)."""

    kind = models.CharField(max_length=12, choices=EventKind.choices, blank=True)
    rate_ml_per_h = models.DecimalField(
        "pump rate (mL/h)", max_digits=9, decimal_places=3, null=True, blank=True
    )
    rate_mg_per_h = models.DecimalField("rate (mg/h)", max_digits=9, decimal_places=3, null=True, blank=True)
    dose_mg = models.DecimalField("bolus (mg)", max_digits=8, decimal_places=3, null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta(FlowsheetEntry.Meta):
        verbose_name_plural = "infusion event entries"
        constraints = [
            models.CheckConstraint(
                name="infusion_event_rate_ml_bounded",
                condition=_positive_at_most("rate_ml_per_h", MAX_RATE_ML_PER_H),
            ),
            models.CheckConstraint(
                name="infusion_event_rate_mg_bounded",
                condition=_positive_at_most("rate_mg_per_h", MAX_RATE_MG_PER_H),
            ),
            models.CheckConstraint(
                name="infusion_event_dose_bounded", condition=_positive_at_most("dose_mg", MAX_BOLUS_MG)
            ),
            models.CheckConstraint(
                name="infusion_event_conc_bounded",
                condition=_positive_at_most("conc_mg_per_ml", MAX_KETAMINE_CONC_MG_PER_ML),
            ),
        ]


class VitalsPhase(models.TextChoices):
    # Two of the monitoring core's phases (ketapath.clinical.monitoring.MonitoringPhase): a row
    # taken in the observation after the stop is kept as during treatment.
    PRE_DOSE = MonitoringPhase.PRE_DOSE.value, "Before dosing"
    DURING = MonitoringPhase.DURING.value, "During treatment"


class VitalsEntry(FlowsheetEntry):
    phase = models.CharField(max_length=10, choices=VitalsPhase.choices, blank=True)
    systolic_mmhg = models.PositiveSmallIntegerField("systolic (mmHg)", null=True, blank=True)
    diastolic_mmhg = models.PositiveSmallIntegerField("diastolic (mmHg)", null=True, blank=True)
    heart_rate_bpm = models.PositiveSmallIntegerField("heart rate (/min)", null=True, blank=True)
    spo2_percent = models.PositiveSmallIntegerField(
        "SpO2 (%)", null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    resp_rate_per_min = models.PositiveSmallIntegerField("respiratory rate (/min)", null=True, blank=True)
    verdict = models.JSONField(
        default=dict, blank=True, help_text="The thresholds' verdict when it was recorded (alerts, not set)."
    )

    class Meta(FlowsheetEntry.Meta):
        verbose_name_plural = "vitals entries"
        constraints = [
            models.CheckConstraint(name=f"vitals_{name}_bounded", condition=_between(name, 0, high))
            for name, high in VITAL_MAX.items()
        ]

    @property
    def has_bp(self) -> bool:
        return self.systolic_mmhg is not None and self.diastolic_mmhg is not None


class ScorePurpose(models.TextChoices):
    SEDATION = "sedation", "Sedation"
    DISSOCIATION = "dissociation", "Dissociation"
    DISCHARGE = "discharge", "Discharge readiness"


class ScoreEntry(FlowsheetEntry):
    """A clinician-rated scale scored by the instruments core (MOAA/S, RASS, CADSS-6, modified
    Aldrete, PADSS). The flowsheet's scores are stored here only."""

    instrument_id = models.CharField(max_length=40, blank=True)
    instrument_version = models.CharField(max_length=200, blank=True)
    purpose = models.CharField(max_length=14, choices=ScorePurpose.choices, blank=True)
    answers = models.JSONField(default=dict, blank=True)
    total = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    band = models.CharField(max_length=80, blank=True)

    class Meta(FlowsheetEntry.Meta):
        verbose_name_plural = "score entries"
        constraints = [
            models.CheckConstraint(
                name="score_total_bounded", condition=_between("total", MIN_SCORE_TOTAL, MAX_SCORE_TOTAL)
            ),
        ]


class SideEffectKind(models.TextChoices):
    DISSOCIATION = "dissociation", "Dissociation"
    NAUSEA_VOMITING = "nausea-vomiting", "Nausea or vomiting"
    RAISED_BP = "raised-bp", "Raised blood pressure"
    RAISED_HR = "raised-hr", "Raised heart rate"
    DIZZINESS = "dizziness", "Dizziness"
    HALLUCINATIONS = "hallucinations", "Hallucinations"
    SEDATION = "sedation", "Sedation"
    HEADACHE = "headache", "Headache"
    ANXIETY = "anxiety", "Anxiety"
    OTHER = "other", "Other"


class Severity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"


class SideEffectAction(models.TextChoices):
    NONE = "none", "None needed (observed)"
    RATE_LOWERED = "rate-lowered", "Rate lowered"
    PAUSED = "paused", "Infusion paused"
    STOPPED = "stopped", "Infusion stopped"
    MEDICATION = "medication", "Medication given"
    REASSURANCE = "reassurance", "Reassurance, quiet room"
    OTHER = "other", "Other (see note)"


class Outcome(models.TextChoices):
    RESOLVED = "resolved", "Resolved"
    IMPROVING = "improving", "Improving"
    ONGOING = "ongoing", "Ongoing"
    WORSENED = "worsened", "Worsened"


class SideEffectEntry(FlowsheetEntry):
    """A side effect: what, how bad, what was done and how it ended. ``observed_at`` is its onset.
    A later outcome is a correction (a new row superseding this one)."""

    effect = models.CharField(max_length=20, choices=SideEffectKind.choices, blank=True)
    effect_other = models.CharField("other effect", max_length=120, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, blank=True)
    actions = models.JSONField("actions taken", default=list, blank=True)
    action_note = models.TextField("what was done", blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    outcome_at = models.DateTimeField("outcome at", null=True, blank=True)

    class Meta(FlowsheetEntry.Meta):
        verbose_name_plural = "side-effect entries"

    @property
    def effect_label(self) -> str:
        if self.effect == SideEffectKind.OTHER and self.effect_other:
            return self.effect_other
        return self.get_effect_display()

    def action_labels(self) -> list[str]:
        labels = dict(SideEffectAction.choices)
        return [str(labels.get(a, a)) for a in self.actions]


class MedicationEntry(FlowsheetEntry, DrugRecord):
    """A medicine given during the session other than the infusion (a rescue or premedication),
    with dose, route and time (``observed_at``), usually for a side effect."""

    side_effect = models.ForeignKey(
        SideEffectEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="medications"
    )
    dose = models.DecimalField(max_digits=9, decimal_places=3, null=True, blank=True)
    dose_unit = models.CharField(max_length=10, blank=True)
    route = models.CharField(max_length=30, blank=True)

    class Meta(FlowsheetEntry.Meta):
        verbose_name_plural = "medication entries"
        constraints = [
            models.CheckConstraint(
                name="medication_dose_bounded",
                condition=models.Q(dose__isnull=True)
                | (
                    models.Q(dose__gt=0)
                    & (
                        models.Q(dose_unit="mg", dose__lte=MAX_MEDICATION_DOSE["mg"])
                        | models.Q(dose_unit="g", dose__lte=MAX_MEDICATION_DOSE["g"])
                        | models.Q(dose_unit="mcg", dose__lte=MAX_MEDICATION_DOSE["mcg"])
                        | models.Q(dose_unit="mL", dose__lte=MAX_MEDICATION_DOSE["mL"])
                    )
                ),
            ),
            models.CheckConstraint(
                name="medication_conc_bounded",
                condition=_positive_at_most("conc_mg_per_ml", MAX_CONC_MG_PER_ML),
            ),
        ]


class PreCheck(FlowsheetEntry):
    """The pre-infusion checklist as the nurse saved it; the latest current one counts.

    ``checks`` keeps what the page showed when it was saved (consent, plan, fasting verdict,
    weight change), so the record says what the nurse saw.
    """

    identity_confirmed = models.BooleanField("identity confirmed with two identifiers", default=False)
    last_clear_liquids_at = models.DateTimeField("last clear liquids", null=True, blank=True)
    last_food_at = models.DateTimeField("last food", null=True, blank=True)
    last_food_fatty = models.BooleanField("that food was fried or fatty, or meat", default=False)
    last_milk_at = models.DateTimeField("last milk (non-human)", null=True, blank=True)
    escort_name = models.CharField("escort's name", max_length=150, blank=True)
    escort_phone = models.CharField("escort's phone", max_length=40, blank=True)
    no_driving_acknowledged = models.BooleanField(
        "patient acknowledges no driving until the next day", default=False
    )
    weight_kg = models.DecimalField(
        "weight today (kg)", max_digits=5, decimal_places=1, null=True, blank=True
    )
    pain_nrs = models.PositiveSmallIntegerField(
        "pain now (0-10)", null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    mood_0_10 = models.PositiveSmallIntegerField(
        "mood now (0-10)", null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    no_new_medications = models.BooleanField("no new medicines since the last visit", default=False)
    new_medications = models.TextField("new medicines", blank=True)
    checks = models.JSONField(default=dict, blank=True)

    class Meta(FlowsheetEntry.Meta):
        constraints = [
            models.CheckConstraint(
                name="precheck_weight_bounded", condition=_between("weight_kg", MIN_WEIGHT_KG, MAX_WEIGHT_KG)
            ),
            models.CheckConstraint(name="precheck_pain_bounded", condition=_between("pain_nrs", 0, 10)),
            models.CheckConstraint(name="precheck_mood_bounded", condition=_between("mood_0_10", 0, 10)),
        ]


class Decision(models.TextChoices):
    PROCEED = "proceed", "Proceed as planned"
    PROCEED_CHANGED = "proceed-changed", "Proceed with the changes written below"
    DO_NOT_PROCEED = "do-not-proceed", "Do not give today"


class PrescriberDecision(FlowsheetEntry):
    """A prescriber's decision on what the pre-checks flagged (baseline outside the start
    thresholds, a weight that changes the dose). ``issues`` lists the flags it answers."""

    decision = models.CharField(max_length=16, choices=Decision.choices, blank=True)
    issues = models.JSONField(default=list, blank=True, help_text="[{code, text}] the decision answers.")
    reason = models.TextField(blank=True)


class Destination(models.TextChoices):
    HOME = "home", "Home with escort"
    TRANSFERRED = "transferred", "Transferred for further care"


class DischargeEntry(FlowsheetEntry):
    """The patient leaves: escort, instructions given (the patient sees them in their pages)."""

    destination = models.CharField(max_length=12, choices=Destination.choices, blank=True)
    escort_present = models.BooleanField("escort present", null=True, blank=True)
    escort_name = models.CharField("escort's name", max_length=150, blank=True)
    instructions = models.TextField("discharge instructions", blank=True)
    instructions_given = models.BooleanField("instructions given to the patient and escort", default=False)
    note = models.TextField(blank=True)


class IvSiteAppearance(models.TextChoices):
    # Plain descriptions of what is seen at a peripheral cannula site, no graded scale.
    NORMAL = "normal", "No redness or swelling"
    REDNESS = "redness", "Redness"
    SWELLING = "swelling", "Swelling"
    PAIN = "pain", "Pain or tenderness"
    INFILTRATION = "infiltration", "Infiltration or extravasation"
    PHLEBITIS = "phlebitis", "Phlebitis"


class IvSiteAction(models.TextChoices):
    NONE = "none", "None needed"
    RESITED = "resited", "Cannula re-sited"
    PAUSED = "paused", "Infusion paused"
    PRESCRIBER_INFORMED = "prescriber-informed", "Prescriber informed"


class IvSiteCheck(FlowsheetEntry):
    """The cannula site looked at: where it is, how it looks, and what was done."""

    site = models.CharField("site", max_length=80, blank=True, help_text="For example: left forearm.")
    appearance = models.JSONField("appearance", default=list, blank=True)
    action = models.CharField("action taken", max_length=20, choices=IvSiteAction.choices, blank=True)
    note = models.TextField(blank=True)

    class Meta(FlowsheetEntry.Meta):
        verbose_name = "IV-site check"

    def appearance_labels(self) -> list[str]:
        labels = dict(IvSiteAppearance.choices)
        return [str(labels.get(a, a)) for a in self.appearance]


class Addendum(ClinicalRecord):
    """A note added to a session after signature; the signed record itself never changes."""

    session = models.ForeignKey(InfusionSession, on_delete=models.PROTECT, related_name="addenda")
    text = models.TextField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    client_key = models.UUIDField(unique=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["recorded_at", "id"]
