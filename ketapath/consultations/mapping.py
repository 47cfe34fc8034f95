"""From the intake records and questionnaire results to the eligibility engine's input.

The rule: a blank intake field is *not recorded* and becomes ``None`` (never "no"), so the engine
reports missing information instead of assuming an answer. Questionnaire facts come from the
latest completed response of each instrument:

- ASQ (the suicide-risk screen): ``asq_positive`` is the screen's own result (yes to any of
  questions 1-4, from the instrument's cut-off); ``asq_acute_positive`` is the acuity question
  (q5), asked only after a yes: a negative screen means it was not asked and is recorded as not
  positive.
- PHQ-9 (the depression severity scale): ``phq9_item9`` is the answer to item 9 (0-3), when
  answered.
- AUDIT-C and DAST-10 (the alcohol and drug use screens): the screen's own positive result
  (AUDIT-C's cut-off depends on sex; with no usable sex the engine gets None).

Each instrument is found by the purpose its data file lists, never by its id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict
from datetime import date
from typing import Any

from ketapath.clinical.eligibility import ConditionEntry, EligibilityInput, TestOnFile
from ketapath.clinical.interactions import Medicine
from ketapath.consultations.purposes import ALCOHOL_USE, DEPRESSION, DRUG_USE, SUICIDE_RISK, instrument_for

YES_NO = {"yes": True, "no": False}

#: Intake fields copied one to one: yes/no fields.
BOOL_FIELDS = (
    "pregnant",
    "breastfeeding",
    "psychosis_active",
    "psychosis_history",
    "mania_history",
    "cardiovascular_risk",
    "liver_toxicity_risk",
    "frequent_high_doses_planned",
    "raised_intracranial_pressure",
    "raised_intraocular_pressure",
    "active_substance_misuse",
    "serial_infusions_planned",
    "treatment_resistant",
    "aneurysmal_vascular_disease",
    "arteriovenous_malformation",
    "intracerebral_haemorrhage_history",
    "hypersensitivity_ketamine",
)
#: Intake fields copied one to one: choice fields whose values are the engine's.
CHOICE_FIELDS = ("cardiovascular_disease", "hypertension", "hepatic_disease", "planned_drug")

ASQ_ACUITY_ITEM = "q5"
PHQ9_ITEM9 = "q9"


def yes_no(value: str) -> bool | None:
    """``"yes"`` -> True, ``"no"`` -> False, blank -> None (not recorded)."""
    return YES_NO.get(value)


def _asq(score: Any) -> tuple[bool | None, bool | None]:
    if score is None or score.positive is None:
        return None, None
    if not score.positive:
        return False, False  # the acuity question is only asked after a yes
    acute = score.answers.get(ASQ_ACUITY_ITEM)
    return True, None if acute is None else acute >= 1


def _positive(score: Any) -> bool | None:
    return None if score is None else score.positive


def eligibility_input(
    intake: Any,
    conditions: Iterable[Any],
    tests: Iterable[Any],
    scores: Mapping[str, Any],
    assessed_on: date,
    *,
    medicines: Iterable[Any] = (),
) -> EligibilityInput:
    """The engine's input for one patient on ``assessed_on``.

    ``intake`` may be None (nothing recorded yet); ``conditions`` and ``tests`` are the intake's
    active rows; ``scores`` maps an instrument id to its latest result (``positive`` and
    ``answers``), see :class:`ketapath.consultations.queries.LatestScore`. ``medicines`` are the
    intake's active medicine rows (name, dose, since): the engine checks them for interactions.
    """
    facts: dict[str, Any] = {}
    if intake is not None:
        for name in BOOL_FIELDS:
            facts[name] = yes_no(getattr(intake, name))
        for name in CHOICE_FIELDS:
            facts[name] = getattr(intake, name) or None
    asq_positive, asq_acute = _asq(scores.get(instrument_for(SUICIDE_RISK)))
    phq9 = scores.get(instrument_for(DEPRESSION))
    item9 = phq9.answers.get(PHQ9_ITEM9) if phq9 is not None else None
    return EligibilityInput(
        assessed_on=assessed_on,
        conditions=tuple(
            ConditionEntry(
                condition_id=c.condition_id or None,
                icd10_code=c.icd10_code or None,
                onset=c.onset_on,
            )
            for c in conditions
            if c.condition_id or c.icd10_code
        ),
        tests=tuple(TestOnFile(t.kind, t.done_on) for t in tests if t.done_on <= assessed_on),
        medicines=tuple(Medicine(name=m.name, dose=m.dose, since=m.since) for m in medicines),
        asq_positive=asq_positive,
        asq_acute_positive=asq_acute,
        phq9_item9=item9,
        audit_c_positive=_positive(scores.get(instrument_for(ALCOHOL_USE))),
        dast10_positive=_positive(scores.get(instrument_for(DRUG_USE))),
        **facts,
    )


def facts_snapshot(inp: EligibilityInput) -> dict[str, Any]:
    """The input as JSON-ready values (dates as ISO text), for the evaluation's record."""
    raw = asdict(inp)
    raw["assessed_on"] = inp.assessed_on.isoformat()
    raw["conditions"] = [
        {
            "condition_id": c.condition_id,
            "icd10_code": c.icd10_code,
            "onset": c.onset.isoformat() if c.onset else None,
        }
        for c in inp.conditions
    ]
    raw["tests"] = [{"kind": t.kind, "done_on": t.done_on.isoformat()} for t in inp.tests]
    raw["medicines"] = [
        {"name": m.name, "dose": m.dose, "since": m.since.isoformat() if m.since else None}
        for m in inp.medicines
    ]
    return raw
