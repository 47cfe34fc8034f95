"""The eligibility engine's plain-value input and output.

Every patient fact is optional: ``None`` means *not recorded*, and a rule that needs an unrecorded
fact reports missing information instead of assuming the answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Final, Literal

from ketapath.clinical.interactions import Medicine
from ketapath.clinical.sources import Cited

Control = Literal["none", "controlled", "poorly-controlled"]
HepaticSeverity = Literal["none", "mild", "moderate", "severe"]
PlannedDrug = Literal["ketamine", "esketamine"]
PlannedRoute = Literal["iv", "intranasal", "im", "oral", "sublingual", "rectal"]


class Effect(StrEnum):
    """What a reason does to the proposed decision, most severe first."""

    BLOCKS = "blocks"
    SAFETY_REVIEW = "safety-review"
    WORK_UP = "work-up"
    MISSING = "missing-information"
    CAUTION = "caution"
    SUPPORTS = "supports"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for the most severe effect."""
        return list(Effect).index(self)


class Decision(StrEnum):
    """The proposed decision; a clinician makes the real one."""

    NOT_ELIGIBLE_NOW = "not-eligible-now"
    WORK_UP_NEEDED = "work-up-needed"
    ELIGIBLE_WITH_CAUTIONS = "eligible-with-cautions"
    ELIGIBLE = "eligible"


#: Which decision each effect leads to; the most severe one wins.
DECISION_FOR: Final[Mapping[Effect, Decision]] = {
    Effect.BLOCKS: Decision.NOT_ELIGIBLE_NOW,
    Effect.SAFETY_REVIEW: Decision.WORK_UP_NEEDED,
    Effect.WORK_UP: Decision.WORK_UP_NEEDED,
    Effect.MISSING: Decision.WORK_UP_NEEDED,
    Effect.CAUTION: Decision.ELIGIBLE_WITH_CAUTIONS,
    Effect.SUPPORTS: Decision.ELIGIBLE,
    Effect.INFO: Decision.ELIGIBLE,
}

#: The effects a clinic may choose for a policy setting.
POLICY_EFFECTS: Final[frozenset[str]] = frozenset(
    {Effect.BLOCKS.value, Effect.CAUTION.value, Effect.INFO.value}
)


@dataclass(frozen=True, slots=True)
class ConditionEntry:
    """A recorded condition: a KetaPath condition id or an ICD-10-CM code, and its onset."""

    condition_id: str | None = None
    icd10_code: str | None = None
    onset: date | None = None


@dataclass(frozen=True, slots=True)
class TestOnFile:
    """A test result on file: its kind (``ecg``, ``lft``) and the date it was done."""

    __test__ = False  # not a pytest test class

    kind: str
    done_on: date


@dataclass(frozen=True, slots=True)
class EligibilityInput:
    """Everything the rules may read. ``None`` = not recorded.

    ``medicines`` is the patient's medication list; each medicine a cited interaction rule covers
    for the planned drug (both drugs while ``planned_drug`` is not recorded) becomes a caution.
    ``planned_drug``/``planned_route`` describe the treatment being considered: the esketamine
    label's rules apply only when ``planned_drug`` is ``"esketamine"``.
    """

    assessed_on: date
    conditions: tuple[ConditionEntry, ...] = ()
    tests: tuple[TestOnFile, ...] = ()
    medicines: tuple[Medicine, ...] = ()
    planned_drug: PlannedDrug | None = None
    planned_route: PlannedRoute | None = None
    treatment_resistant: bool | None = None
    pregnant: bool | None = None
    breastfeeding: bool | None = None
    psychosis_active: bool | None = None
    psychosis_history: bool | None = None
    mania_history: bool | None = None
    cardiovascular_disease: Control | None = None
    hypertension: Control | None = None
    cardiovascular_risk: bool | None = None
    hepatic_disease: HepaticSeverity | None = None
    liver_toxicity_risk: bool | None = None
    frequent_high_doses_planned: bool | None = None
    raised_intracranial_pressure: bool | None = None
    raised_intraocular_pressure: bool | None = None
    active_substance_misuse: bool | None = None
    serial_infusions_planned: bool | None = None
    audit_c_positive: bool | None = None
    dast10_positive: bool | None = None
    asq_positive: bool | None = None
    asq_acute_positive: bool | None = None
    phq9_item9: int | None = None
    aneurysmal_vascular_disease: bool | None = None
    arteriovenous_malformation: bool | None = None
    intracerebral_haemorrhage_history: bool | None = None
    hypersensitivity_ketamine: bool | None = None
    systolic_bp_mmhg: int | None = None
    diastolic_bp_mmhg: int | None = None


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A patient fact rules may test: its label and the values it may take."""

    name: str
    label: str
    kind: Literal["bool", "choice", "int"]
    choices: tuple[str, ...] = ()
    minimum: int = 0
    maximum: int = 0


_CONTROL: Final = ("none", "controlled", "poorly-controlled")

#: The facts of :class:`EligibilityInput` that rules may name (all but date, conditions, tests,
#: medicines).
FIELDS: Final[Mapping[str, FieldSpec]] = {
    spec.name: spec
    for spec in (
        FieldSpec("pregnant", "pregnancy", "bool"),
        FieldSpec("breastfeeding", "breastfeeding", "bool"),
        FieldSpec("psychosis_active", "active psychosis", "bool"),
        FieldSpec("psychosis_history", "past psychotic illness", "bool"),
        FieldSpec("mania_history", "history of mania or hypomania", "bool"),
        FieldSpec("cardiovascular_disease", "cardiovascular disease", "choice", _CONTROL),
        FieldSpec("hypertension", "hypertension", "choice", _CONTROL),
        FieldSpec("cardiovascular_risk", "suspected or high cardiovascular risk", "bool"),
        FieldSpec("hepatic_disease", "hepatic disease", "choice", ("none", "mild", "moderate", "severe")),
        FieldSpec("liver_toxicity_risk", "risk of liver toxicity", "bool"),
        FieldSpec("frequent_high_doses_planned", "high doses at frequent intervals", "bool"),
        FieldSpec("raised_intracranial_pressure", "raised intracranial pressure", "bool"),
        FieldSpec("raised_intraocular_pressure", "raised intraocular pressure", "bool"),
        FieldSpec("active_substance_misuse", "active substance misuse", "bool"),
        FieldSpec("serial_infusions_planned", "whether serial infusions are planned", "bool"),
        FieldSpec("audit_c_positive", "AUDIT-C screen", "bool"),
        FieldSpec("dast10_positive", "DAST-10 screen", "bool"),
        FieldSpec("asq_positive", "ASQ screen", "bool"),
        FieldSpec("asq_acute_positive", "ASQ acuity question", "bool"),
        FieldSpec("phq9_item9", "PHQ-9 item 9", "int", minimum=0, maximum=3),
        FieldSpec("planned_drug", "planned drug", "choice", ("ketamine", "esketamine")),
        FieldSpec(
            "planned_route",
            "planned route",
            "choice",
            ("iv", "intranasal", "im", "oral", "sublingual", "rectal"),
        ),
        FieldSpec(
            "treatment_resistant",
            "treatment resistance (inadequate response to at least two antidepressants of adequate "
            "dose and duration in the current episode)",
            "bool",
        ),
        FieldSpec(
            "aneurysmal_vascular_disease",
            "aneurysmal vascular disease (thoracic or abdominal aorta, intracranial or peripheral arteries)",
            "bool",
        ),
        FieldSpec("arteriovenous_malformation", "arteriovenous malformation", "bool"),
        FieldSpec("intracerebral_haemorrhage_history", "history of intracerebral haemorrhage", "bool"),
        FieldSpec(
            "hypersensitivity_ketamine",
            "hypersensitivity to esketamine, ketamine or an excipient",
            "bool",
        ),
        # Bounds: physically possible values, as the vital-sign forms use.
        FieldSpec("systolic_bp_mmhg", "systolic blood pressure (mmHg)", "int", minimum=40, maximum=300),
        FieldSpec("diastolic_bp_mmhg", "diastolic blood pressure (mmHg)", "int", minimum=20, maximum=200),
    )
}


@dataclass(frozen=True, slots=True)
class ClinicSettings:
    """The clinic's own choices where no source gives a value; nothing has a default.

    ``values`` maps a setting name (see :func:`~ketapath.clinical.eligibility.setting_specs`) to
    a number of days or a policy effect (``blocks``, ``caution``, ``info``).
    """

    values: Mapping[str, int | str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason behind a decision.

    ``cited`` is the source and locator (None for a clinic setting or a missing fact);
    ``clinic_setting`` names the clinic setting the reason rests on ("" when none), in which case
    the reason is the clinic's choice, not a guideline's.
    """

    code: str
    effect: Effect
    text: str
    cited: Cited | None = None
    grade: str = ""
    certainty: str = ""
    clinic_setting: str = ""

    @property
    def source_label(self) -> str:
        """E.g. ``Cohen 2018, Recommendations, ...``; "" when the reason has no source."""
        return self.cited.label() if self.cited else ""

    @property
    def locator(self) -> str:
        return self.cited.locator if self.cited else ""

    @property
    def is_clinic_setting(self) -> bool:
        return bool(self.clinic_setting)


@dataclass(frozen=True, slots=True)
class EligibilityDecision:
    """The proposed decision with every reason, most severe first."""

    decision: Decision
    reasons: tuple[Reason, ...]

    @property
    def safety_review_required(self) -> bool:
        """True when a reason routes the patient to a same-day clinician review."""
        return any(r.effect is Effect.SAFETY_REVIEW for r in self.reasons)

    def codes(self) -> tuple[str, ...]:
        """The reasons' codes, in order."""
        return tuple(r.code for r in self.reasons)

    def with_effect(self, effect: Effect) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if r.effect is effect)


class EligibilityInputError(ValueError):
    """The input cannot be evaluated (an impossible value, a date in the future, ...)."""
