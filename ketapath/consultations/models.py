"""Consultation and evaluation: the intake, the signed evaluation note and informed consent.

- :class:`Intake` holds what the patient tells at home and what the nurse records at the visit
  (one active intake per patient); its :class:`IntakeCondition`, :class:`PreviousTreatment`,
  :class:`IntakeMedicine` and :class:`TestOnFile` rows hang off it. Questionnaire answers stay
  in the questionnaires app.
- :class:`Evaluation` is the prescriber's note: a snapshot of what they saw (intake, scores, the
  proposed decision with its reasons), their final decision and signature. Signed means locked;
  an amendment is a new version pointing at the one it replaces.
- :class:`ConsentVersion` is the consent text a clinic uses (a new version for every change) and
  :class:`Consent` records that a patient signed one version on a date (on paper or
  electronically in the clinic, or themselves in the portal with their typed name).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone
from simple_history.models import HistoricalRecords

from ketapath.audit.records import ClinicalRecord, RecordStatus, SignedNote
from ketapath.clinical.interactions import MAX_NAME_LENGTH

ACTIVE = models.Q(record_status=RecordStatus.ACTIVE)

# ----------------------------------------------------------------------------------------------
# Bounds (issue 13): each enforced by the forms and by a database constraint.
# ----------------------------------------------------------------------------------------------
#: Vital signs at the visit: the highest blood pressure recorded in a human (370/360 mmHg,
#: Narloch & Brandstater 1995, Neurol Res 17:239); heart rate 0-300/min and respiratory rate
#: 0-150/min are the display ranges of bedside monitors (typing-error guards); SpO2 a percentage.
#: The same values as the flowsheet's (``infusions.models.VITAL_MAX``), which this app cannot import.
VITAL_MAX = {
    "systolic_mmhg": 370,
    "diastolic_mmhg": 360,
    "heart_rate_bpm": 300,
    "spo2_percent": 100,
    "resp_rate_per_min": 150,
}
#: Every date of the consultation lies in [1900-01-01, 2100-01-01) in the database (nobody alive
#: was born before 1900: the longest verified life is 122 years, clinical/data/plausibility.toml);
#: the forms give the exact window: not before the date of birth, not in the future.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2100, 1, 1)
#: Free-text limits in characters (typing-error guards, no source: a page of text is ~3,000).
SHORT_TEXT = 2000
NOTE_TEXT = 4000
LONG_TEXT = 20000
CONSENT_TEXT = 50000


def _in_window(name: str, *, nullable: bool = True) -> models.Q:
    window = models.Q(**{f"{name}__gte": EARLIEST_DATE, f"{name}__lt": LATEST_DATE})
    return (models.Q(**{f"{name}__isnull": True}) | window) if nullable else window


def _date_window(model: str, name: str, *, nullable: bool = True) -> models.CheckConstraint:
    return models.CheckConstraint(
        name=f"{model}_{name}_plausible", condition=_in_window(name, nullable=nullable)
    )


def _text_cap(model: str, name: str, limit: int) -> models.CheckConstraint:
    return models.CheckConstraint(
        name=f"{model}_{name}_length", condition=LessThanOrEqual(Length(name), limit)
    )


def _at_most(model: str, name: str, limit: int, *, least: int = 0) -> models.CheckConstraint:
    return models.CheckConstraint(
        name=f"{model}_{name}_range",
        condition=models.Q(**{f"{name}__isnull": True})
        | models.Q(**{f"{name}__gte": least, f"{name}__lte": limit}),
    )


class YesNo(models.TextChoices):
    """A fact that may be unknown: blank means *not recorded* (the engine's None)."""

    YES = "yes", "Yes"
    NO = "no", "No"


class Control(models.TextChoices):
    NONE = "none", "None"
    CONTROLLED = "controlled", "Present, well controlled"
    POORLY_CONTROLLED = "poorly-controlled", "Present, poorly controlled"


class PlannedDrug(models.TextChoices):
    """The drug the treatment would use; blank means not decided yet."""

    KETAMINE = "ketamine", "Ketamine"
    ESKETAMINE = "esketamine", "Esketamine"


class HepaticSeverity(models.TextChoices):
    NONE = "none", "None"
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"


def _yes_no(label: str, help_text: str = "") -> models.CharField:  # type: ignore[type-arg]
    return models.CharField(label, max_length=3, choices=YesNo.choices, blank=True, help_text=help_text)


def _nrs(label: str) -> models.PositiveSmallIntegerField:  # type: ignore[type-arg]
    return models.PositiveSmallIntegerField(
        label, null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(10)]
    )


class Intake(ClinicalRecord):
    """Everything gathered before the evaluation. Blank fields are *not recorded*, never "no"."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="intakes")

    # Referral and pain (the patient may fill these at home).
    referral_reason = models.TextField("reason for referral", blank=True, max_length=NOTE_TEXT)
    referred_by = models.CharField("referred by", max_length=200, blank=True)
    pain_locations = models.TextField("where the pain is", blank=True, max_length=SHORT_TEXT)
    pain_now_nrs = _nrs("pain now (0-10)")
    pain_worst_nrs = _nrs("worst pain, past week (0-10)")
    pain_average_nrs = _nrs("average pain, past week (0-10)")
    current_medications = models.TextField("current medicines", blank=True, max_length=NOTE_TEXT)
    allergies = models.TextField("allergies", blank=True, max_length=SHORT_TEXT)

    # What the patient reports about their health, in their own words (yes / no / not sure).
    reports_heart_disease = _yes_no("patient reports heart or circulation disease")
    reports_high_blood_pressure = _yes_no("patient reports high blood pressure")
    reports_liver_disease = _yes_no("patient reports liver disease")
    reports_eye_pressure = _yes_no("patient reports glaucoma or raised eye pressure")
    reports_head_pressure = _yes_no("patient reports raised pressure in the head")
    pregnant = _yes_no("pregnant")
    breastfeeding = _yes_no("breastfeeding")
    psychosis_history = _yes_no("past psychotic illness")
    mania_history = _yes_no("history of mania or hypomania")
    urinary_symptoms = _yes_no("urinary symptoms now (baseline)")
    urinary_symptoms_details = models.TextField(
        "urinary symptoms: details", blank=True, max_length=SHORT_TEXT
    )
    patient_notes = models.TextField(
        "anything else the patient wants the team to know", blank=True, max_length=NOTE_TEXT
    )

    # The clinician's assessment: these feed the eligibility engine.
    cardiovascular_disease = models.CharField(
        "cardiovascular disease", max_length=20, choices=Control.choices, blank=True
    )
    hypertension = models.CharField("hypertension", max_length=20, choices=Control.choices, blank=True)
    cardiovascular_risk = _yes_no("suspected or high cardiovascular risk")
    hepatic_disease = models.CharField(
        "liver disease", max_length=10, choices=HepaticSeverity.choices, blank=True
    )
    liver_toxicity_risk = _yes_no("risk of liver toxicity (e.g. alcohol misuse, chronic hepatitis)")
    raised_intracranial_pressure = _yes_no("raised intracranial pressure")
    raised_intraocular_pressure = _yes_no("raised intraocular pressure")
    psychosis_active = _yes_no("active psychosis")
    active_substance_misuse = _yes_no("active substance misuse (clinician's assessment)")
    serial_infusions_planned = _yes_no("serial infusions planned")
    frequent_high_doses_planned = _yes_no("high doses at frequent intervals planned")
    planned_drug = models.CharField(
        "drug considered",
        max_length=10,
        choices=PlannedDrug.choices,
        blank=True,
        help_text="Blank: not decided yet (interactions are then checked for both drugs).",
    )

    # Asked, never assumed: treatment resistance and the esketamine label's contraindications.
    treatment_resistant = _yes_no(
        "treatment-resistant depression (clinician's assessment)",
        help_text="Blank means not assessed, never no.",
    )
    aneurysmal_vascular_disease = _yes_no(
        "aneurysmal vascular disease (aorta, intracranial or peripheral arteries)"
    )
    arteriovenous_malformation = _yes_no("arteriovenous malformation")
    intracerebral_haemorrhage_history = _yes_no("history of intracerebral haemorrhage")
    hypersensitivity_ketamine = _yes_no("hypersensitivity to esketamine, ketamine or an excipient")

    # Baseline vitals, weight and height (the visit).
    vitals_on = models.DateField("vitals measured on", null=True, blank=True)
    systolic_mmhg = models.PositiveSmallIntegerField(
        "systolic BP (mmHg)",
        null=True,
        blank=True,
        validators=[MaxValueValidator(VITAL_MAX["systolic_mmhg"])],
    )
    diastolic_mmhg = models.PositiveSmallIntegerField(
        "diastolic BP (mmHg)",
        null=True,
        blank=True,
        validators=[MaxValueValidator(VITAL_MAX["diastolic_mmhg"])],
    )
    heart_rate_bpm = models.PositiveSmallIntegerField(
        "heart rate (/min)",
        null=True,
        blank=True,
        validators=[MaxValueValidator(VITAL_MAX["heart_rate_bpm"])],
    )
    spo2_percent = models.PositiveSmallIntegerField(
        "SpO₂ (%)", null=True, blank=True, validators=[MaxValueValidator(VITAL_MAX["spo2_percent"])]
    )
    resp_rate_per_min = models.PositiveSmallIntegerField(
        "respiratory rate (/min)",
        null=True,
        blank=True,
        validators=[MaxValueValidator(VITAL_MAX["resp_rate_per_min"])],
    )
    weight_kg = models.DecimalField("weight (kg)", max_digits=5, decimal_places=1, null=True, blank=True)
    height_cm = models.DecimalField("height (cm)", max_digits=4, decimal_places=1, null=True, blank=True)
    visit_notes = models.TextField("visit notes", blank=True, max_length=LONG_TEXT)

    # Who did what, when.
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    patient_submitted_at = models.DateTimeField("sent by the patient", null=True, blank=True)
    visit_completed_at = models.DateTimeField("visit completed", null=True, blank=True)
    visit_completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        constraints = [
            # One intake per patient: a double submit of the first save cannot fork it.
            models.UniqueConstraint(
                fields=["patient"], condition=ACTIVE, name="one_active_intake_per_patient"
            ),
            models.CheckConstraint(
                name="intake_diastolic_below_systolic",
                condition=models.Q(systolic_mmhg__isnull=True)
                | models.Q(diastolic_mmhg__isnull=True)
                | models.Q(diastolic_mmhg__lt=models.F("systolic_mmhg")),
            ),
            *(_at_most("intake", name, limit) for name, limit in VITAL_MAX.items()),
            *(
                _at_most("intake", name, 10)
                for name in ("pain_now_nrs", "pain_worst_nrs", "pain_average_nrs")
            ),
            # clinical/data/plausibility.toml: weight (0, 650] kg, height [20, 275] cm.
            models.CheckConstraint(
                name="intake_weight_plausible",
                condition=models.Q(weight_kg__isnull=True) | models.Q(weight_kg__gt=0, weight_kg__lte=650),
            ),
            _at_most("intake", "height_cm", 275, least=20),
            _date_window("intake", "vitals_on"),
            _text_cap("intake", "referral_reason", NOTE_TEXT),
            _text_cap("intake", "pain_locations", SHORT_TEXT),
            _text_cap("intake", "current_medications", NOTE_TEXT),
            _text_cap("intake", "allergies", SHORT_TEXT),
            _text_cap("intake", "urinary_symptoms_details", SHORT_TEXT),
            _text_cap("intake", "patient_notes", NOTE_TEXT),
            _text_cap("intake", "visit_notes", LONG_TEXT),
        ]

    def __str__(self) -> str:
        return f"Intake of {self.patient_id}"

    @property
    def status_label(self) -> str:
        if self.visit_completed_at:
            return "Visit completed"
        if self.patient_submitted_at:
            return "Sent by the patient; visit to do"
        return "In progress"


class IntakeCondition(ClinicalRecord):
    """A condition the patient has: a KetaPath condition and/or an ICD-10-CM code, and its onset."""

    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="conditions")
    condition_id = models.CharField("condition", max_length=60, blank=True)
    icd10_code = models.CharField("ICD-10-CM code", max_length=10, blank=True)
    description = models.CharField("in the patient's words", max_length=300, blank=True)
    onset_on = models.DateField("began on", null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["onset_on", "id"]
        constraints = [_date_window("intakecondition", "onset_on")]

    def __str__(self) -> str:
        return self.condition_id or self.icd10_code or self.description


class TreatmentKind(models.TextChoices):
    OPIOIDS = "opioids", "Opioids"
    NSAIDS = "nsaids", "Anti-inflammatory painkillers (NSAIDs)"
    GABAPENTINOIDS = "gabapentinoids", "Gabapentin or pregabalin (gabapentinoids)"
    ANTIDEPRESSANTS = "antidepressants", "Antidepressants"
    PHYSICAL_THERAPY = "physical-therapy", "Physical therapy"
    NERVE_BLOCKS = "nerve-blocks", "Nerve blocks"
    SURGERY = "surgery", "Surgery"
    KETAMINE = "ketamine", "Ketamine before"
    OTHER = "other", "Other treatments"


class TreatmentOutcome(models.TextChoices):
    NOT_TRIED = "not-tried", "Not tried"
    HELPED_A_LOT = "helped-a-lot", "Helped a lot"
    HELPED_SOME = "helped-some", "Helped a little"
    NO_EFFECT = "no-effect", "Did not help"
    WORSE = "worse", "Made things worse"
    SIDE_EFFECTS = "side-effects", "Stopped because of side effects"
    UNSURE = "unsure", "Not sure"


class PreviousTreatment(ClinicalRecord):
    """How one kind of treatment worked for the patient (one row per kind)."""

    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="treatments")
    kind = models.CharField(max_length=20, choices=TreatmentKind.choices)
    outcome = models.CharField("how it worked", max_length=20, choices=TreatmentOutcome.choices, blank=True)
    details = models.CharField("which, when, for how long", max_length=500, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["intake", "kind"], condition=ACTIVE, name="one_treatment_row_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.get_outcome_display()}"


class TestOnFile(ClinicalRecord):
    """A test result on file (ECG, liver function) and the date it was done."""

    __test__ = False  # not a pytest test class

    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="tests")
    kind = models.CharField(max_length=10)
    done_on = models.DateField("done on")
    result = models.CharField("result", max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "-done_on", "id"]
        constraints = [_date_window("testonfile", "done_on", nullable=False)]

    def __str__(self) -> str:
        return f"{self.kind} {self.done_on}"


#: The earliest plausible "taking it since" date (a typing error guard, not a clinical rule).
EARLIEST_SINCE = EARLIEST_DATE
MEDICINE_NAME_LENGTH = MAX_NAME_LENGTH  # what the interaction check accepts
MEDICINE_DOSE_LENGTH = MAX_NAME_LENGTH


class IntakeMedicine(ClinicalRecord):
    """A medicine the patient takes now: its name, dose (free text) and since when.

    Entered by staff or by the patient at home; a row is never deleted (removing it marks it
    entered in error, and every edit is in its history).
    """

    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="medicines")
    name = models.CharField("medicine", max_length=MEDICINE_NAME_LENGTH)
    dose = models.CharField("dose and how often", max_length=MEDICINE_DOSE_LENGTH, blank=True)
    since = models.DateField("taking it since", null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(name="intake_medicine_has_name", condition=~models.Q(name="")),
            models.CheckConstraint(
                name="intake_medicine_since_plausible",
                condition=models.Q(since__isnull=True)
                | models.Q(since__gte=EARLIEST_SINCE, since__lt=LATEST_DATE),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.dose}".strip()


class FinalDecision(models.TextChoices):
    """The same four decisions the engine proposes (values match ``Decision``)."""

    ELIGIBLE = "eligible", "Eligible"
    ELIGIBLE_WITH_CAUTIONS = "eligible-with-cautions", "Eligible with cautions"
    WORK_UP_NEEDED = "work-up-needed", "Work-up needed first"
    NOT_ELIGIBLE_NOW = "not-eligible-now", "Not eligible now"

    @classmethod
    def plan_allowing(cls) -> frozenset[str]:
        """The decisions under which a treatment plan may be approved."""
        return frozenset({cls.ELIGIBLE.value, cls.ELIGIBLE_WITH_CAUTIONS.value})


class EvaluationStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed"


class Evaluation(SignedNote):
    """The prescriber's evaluation note, one version per row.

    Snapshots (``facts``, ``reasons``, ``scores``, ``conditions``, ``intake_summary``) keep what
    the prescriber saw when they saved it, so a signed note reads the same whatever changes later.
    """

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="evaluations")
    status = models.CharField(max_length=10, choices=EvaluationStatus.choices, default=EvaluationStatus.DRAFT)
    assessed_on = models.DateField()
    proposed_decision = models.CharField(max_length=30, choices=FinalDecision.choices)
    reasons = models.JSONField(default=list)
    facts = models.JSONField(default=dict)
    scores = models.JSONField(default=list)
    conditions = models.JSONField(default=list)
    intake_summary = models.JSONField(default=list)
    final_decision = models.CharField(max_length=30, choices=FinalDecision.choices, blank=True)
    decision_reason = models.TextField(
        "why the decision differs from the proposal",
        blank=True,
        max_length=NOTE_TEXT,
    )
    assessment = models.TextField("assessment and comments", blank=True, max_length=LONG_TEXT)
    amendment_reason = models.TextField("reason for the amendment", blank=True, max_length=NOTE_TEXT)
    history = HistoricalRecords()

    DRAFT = EvaluationStatus.DRAFT.value
    SIGNED = frozenset({EvaluationStatus.SIGNED.value})

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "version"], name="evaluation_version_unique"),
            # One draft at a time: two tabs or a double submit cannot open two.
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(status="draft", record_status=RecordStatus.ACTIVE),
                name="one_draft_evaluation_per_patient",
            ),
            models.CheckConstraint(
                name="signed_evaluation_has_signature",
                condition=~models.Q(status="signed")
                | (
                    models.Q(signed_at__isnull=False)
                    & models.Q(signed_by__isnull=False)
                    & ~models.Q(final_decision="")
                ),
            ),
            _date_window("evaluation", "assessed_on", nullable=False),
            _text_cap("evaluation", "decision_reason", NOTE_TEXT),
            _text_cap("evaluation", "assessment", LONG_TEXT),
            _text_cap("evaluation", "amendment_reason", NOTE_TEXT),
        ]
        indexes = [
            # The prescriber's dashboard lists a clinic's drafts; the chart the latest signed one.
            models.Index(fields=["patient", "status", "-version"], name="evaluation_patient_latest"),
        ]

    def __str__(self) -> str:
        return f"Evaluation v{self.version} of {self.patient_id} ({self.status})"

    @property
    def differs_from_proposal(self) -> bool:
        return bool(self.final_decision) and self.final_decision != self.proposed_decision


class ConsentVersion(models.Model):
    """One version of the consent text a clinic uses. Never edited: a change is a new version."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="consent_versions")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(
        max_length=CONSENT_TEXT,
        help_text="Paragraphs separated by a blank line; lines starting '- ' are bullets.",
    )
    sources = models.JSONField(
        default=list, blank=True, help_text="Ids of the cited sources the text rests on (ketapath sources)."
    )
    change_note = models.CharField("what changed", max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "version"], name="consent_version_unique_in_clinic"),
            _text_cap("consentversion", "body", CONSENT_TEXT),
        ]

    def __str__(self) -> str:
        return f"{self.title} (version {self.version})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError("a consent version is never changed: publish a new version")
        super().save(*args, **kwargs)

    @classmethod
    def current_for(cls, clinic_id: int) -> ConsentVersion | None:
        """The clinic's current text: its newest version."""
        return cls.objects.filter(clinic_id=clinic_id).order_by("-version").first()


class ConsentMethod(models.TextChoices):
    PAPER = "paper", "Signed on paper in the clinic (kept on file)"
    ELECTRONIC = "electronic", "Signed electronically in the clinic"
    PORTAL = "portal", "Signed by the patient in the portal"


class Consent(ClinicalRecord):
    """A patient's signed informed consent to one version of the clinic's text."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="consents")
    version = models.ForeignKey(ConsentVersion, on_delete=models.PROTECT, related_name="signatures")
    signed_on = models.DateField("signed on")
    method = models.CharField("how it was signed", max_length=12, choices=ConsentMethod.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    withdrawn_on = models.DateField("withdrawn on", null=True, blank=True)
    withdrawn_reason = models.TextField(blank=True, max_length=SHORT_TEXT)
    withdrawn_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A signature in the portal (issue 16): the name the patient typed, when, and from which login.
    typed_name = models.CharField("name typed to sign", max_length=200, blank=True)
    signed_at = models.DateTimeField("signed at", null=True, blank=True)
    signed_by_account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-signed_on", "-id"]
        constraints = [
            # Recording the same signature twice (a double submit) is refused by the database.
            models.UniqueConstraint(
                fields=["patient", "version"],
                condition=models.Q(record_status=RecordStatus.ACTIVE, withdrawn_on__isnull=True),
                name="one_standing_consent_per_version",
            ),
            _date_window("consent", "signed_on", nullable=False),
            models.CheckConstraint(
                name="consent_withdrawn_after_signed",
                condition=models.Q(withdrawn_on__isnull=True)
                | models.Q(withdrawn_on__gte=models.F("signed_on"), withdrawn_on__lt=LATEST_DATE),
            ),
            _text_cap("consent", "withdrawn_reason", SHORT_TEXT),
            # A portal signature always says who typed which name, when and from which login.
            models.CheckConstraint(
                name="portal_consent_has_signature",
                condition=~models.Q(method=ConsentMethod.PORTAL)
                | (
                    ~models.Q(typed_name="")
                    & models.Q(signed_at__isnull=False)
                    & models.Q(signed_by_account__isnull=False)
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"Consent v{self.version_id} of {self.patient_id} on {self.signed_on}"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_on is not None
