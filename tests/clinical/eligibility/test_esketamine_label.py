"""The esketamine (SPRAVATO) US label as eligibility rules (issue 12).

Source for every rule here: spravato-pi-2026, the US prescribing information, FDA SPL set id
d81a6a79-a74a-44b7-822c-0dfa3036eaed, version 18, effective 2026-03-13 — section 4
(Contraindications) and section 8.2 (Lactation). The rules apply to a planned esketamine
treatment only.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketapath.clinical.eligibility import (
    ClinicSettings,
    ConditionEntry,
    Decision,
    Effect,
    EligibilityInput,
    EligibilityInputError,
    evaluate,
)

TODAY = date(2025, 6, 16)
LABEL = ("aneurysmal_vascular_disease", "arteriovenous_malformation", "intracerebral_haemorrhage_history",
         "hypersensitivity_ketamine")  # fmt: skip

#: Treatment-resistant depression, everything else recorded and clear, esketamine planned.
BASE = EligibilityInput(
    assessed_on=TODAY,
    conditions=(ConditionEntry(icd10_code="F33.2"),),
    planned_drug="esketamine",
    planned_route="intranasal",
    treatment_resistant=True,
    pregnant=False,
    breastfeeding=False,
    psychosis_active=False,
    psychosis_history=False,
    mania_history=False,
    cardiovascular_disease="none",
    hypertension="none",
    cardiovascular_risk=False,
    hepatic_disease="none",
    liver_toxicity_risk=False,
    frequent_high_doses_planned=False,
    raised_intracranial_pressure=False,
    raised_intraocular_pressure=False,
    active_substance_misuse=False,
    serial_infusions_planned=True,
    asq_positive=False,
    phq9_item9=0,
    aneurysmal_vascular_disease=False,
    arteriovenous_malformation=False,
    intracerebral_haemorrhage_history=False,
    hypersensitivity_ketamine=False,
)


def case(**changes: Any) -> EligibilityInput:
    return replace(BASE, **changes)


def the_reason(inp: EligibilityInput, code: str, settings: dict[str, int | str] | None = None) -> Any:
    (found,) = [r for r in evaluate(inp, ClinicSettings(settings or {})).reasons if r.code == code]
    return found


def test_clear_esketamine_patient_is_eligible() -> None:
    result = evaluate(BASE)
    assert result.decision is Decision.ELIGIBLE
    assert result.codes() == ("indication.major-depressive-disorder",)


# Label section 4: "Aneurysmal vascular disease (including thoracic and abdominal aorta, intracranial
# and peripheral arterial vessels) or arteriovenous malformation."
def test_aneurysmal_vascular_disease_is_a_contraindication() -> None:
    r = the_reason(case(aneurysmal_vascular_disease=True), "esketamine-label.aneurysmal-vascular-disease")
    assert (r.effect, r.source_label) == (Effect.BLOCKS, "Janssen 2026, 4 Contraindications")
    assert r.cited.source.id == "spravato-pi-2026"
    assert "thoracic and abdominal aorta" in r.text
    assert evaluate(case(aneurysmal_vascular_disease=True)).decision is Decision.NOT_ELIGIBLE_NOW


# Label section 4: "... or arteriovenous malformation."
def test_arteriovenous_malformation_is_a_contraindication() -> None:
    r = the_reason(case(arteriovenous_malformation=True), "esketamine-label.arteriovenous-malformation")
    assert (r.effect, r.source_label) == (Effect.BLOCKS, "Janssen 2026, 4 Contraindications")
    assert evaluate(case(arteriovenous_malformation=True)).decision is Decision.NOT_ELIGIBLE_NOW


# Label section 4: "History of intracerebral hemorrhage."
def test_history_of_intracerebral_haemorrhage_is_a_contraindication() -> None:
    inp = case(intracerebral_haemorrhage_history=True)
    r = the_reason(inp, "esketamine-label.intracerebral-haemorrhage")
    assert (r.effect, r.source_label) == (Effect.BLOCKS, "Janssen 2026, 4 Contraindications")
    assert evaluate(inp).decision is Decision.NOT_ELIGIBLE_NOW


# Label section 4: "Hypersensitivity to esketamine, ketamine, or any of the excipients."
def test_hypersensitivity_is_a_contraindication() -> None:
    r = the_reason(case(hypersensitivity_ketamine=True), "esketamine-label.hypersensitivity")
    assert (r.effect, r.source_label) == (Effect.BLOCKS, "Janssen 2026, 4 Contraindications")
    assert "excipients" in r.text
    assert evaluate(case(hypersensitivity_ketamine=True)).decision is Decision.NOT_ELIGIBLE_NOW


# Label section 8.2: "SPRAVATO is present in human milk ... Because of the potential for
# neurotoxicity, advise patients that breastfeeding is not recommended during treatment."
def test_breastfeeding_advice_from_the_label() -> None:
    inp = case(breastfeeding=True)
    r = the_reason(inp, "esketamine-label.breastfeeding", {"breastfeeding_policy": "info"})
    assert (r.effect, r.source_label) == (Effect.CAUTION, "Janssen 2026, 8.2 Lactation")
    assert "not recommended during treatment" in r.text
    # The clinic's own breastfeeding policy still applies beside the label.
    result = evaluate(inp, ClinicSettings({"breastfeeding_policy": "info"}))
    assert result.decision is Decision.ELIGIBLE_WITH_CAUTIONS
    assert "clinic.breastfeeding" in result.codes()


@pytest.mark.parametrize("finding", LABEL)
def test_label_rules_apply_to_esketamine_only(finding: str) -> None:
    result = evaluate(case(planned_drug="ketamine", **{finding: True}))
    assert not [c for c in result.codes() if c.startswith("esketamine-label.")]


@pytest.mark.parametrize("finding", LABEL)
def test_unrecorded_label_finding_is_asked_when_esketamine_is_planned(finding: str) -> None:
    result = evaluate(case(**{finding: None}))
    assert result.decision is Decision.WORK_UP_NEEDED
    assert f"missing.{finding}" in result.codes()


def test_unrecorded_label_findings_are_not_asked_for_ketamine() -> None:
    result = evaluate(case(planned_drug="ketamine", **dict.fromkeys(LABEL)))
    assert result.decision is Decision.ELIGIBLE


@pytest.mark.parametrize(("field", "value"), [("planned_drug", "arketamine"), ("planned_route", "nasal")])
def test_unknown_drug_or_route_is_refused(field: str, value: str) -> None:
    with pytest.raises(EligibilityInputError, match=field):
        evaluate(case(**{field: value}))


@given(st.tuples(*[st.booleans() for _ in LABEL]))
def test_any_label_contraindication_means_not_eligible_now(flags: tuple[bool, ...]) -> None:
    result = evaluate(case(**dict(zip(LABEL, flags, strict=True))))
    assert (result.decision is Decision.NOT_ELIGIBLE_NOW) == any(flags)


# Label section 2, blood pressure before dosing (paraphrased from a label-based summary): if the
# baseline blood pressure is elevated, e.g. above 140 mmHg systolic or 90 mmHg diastolic, weigh the
# short-term rise against the benefit.
@pytest.mark.parametrize(
    ("systolic", "diastolic", "flagged"),
    [(140, 90, False), (141, 80, True), (120, 91, True), (141, None, True), (None, None, False)],
)
def test_elevated_blood_pressure_before_esketamine(
    systolic: int | None, diastolic: int | None, flagged: bool
) -> None:
    result = evaluate(case(systolic_bp_mmhg=systolic, diastolic_bp_mmhg=diastolic))
    code = "esketamine-label.baseline-blood-pressure"
    assert (code in result.codes()) is flagged
    if flagged:
        r = the_reason(case(systolic_bp_mmhg=systolic, diastolic_bp_mmhg=diastolic), code)
        assert (r.effect, r.cited.source.id) == (Effect.CAUTION, "spravato-pi-2026")
        assert result.decision is Decision.ELIGIBLE_WITH_CAUTIONS
    assert code not in evaluate(case(planned_drug="ketamine", systolic_bp_mmhg=200)).codes()


# Fail closed (label section 4): a contraindication to esketamine recorded before any drug is
# planned is work-up, not silence.
@pytest.mark.parametrize("finding", LABEL)
def test_contraindication_with_no_planned_drug_is_work_up(finding: str) -> None:
    result = evaluate(case(planned_drug=None, **{finding: True}))
    assert result.decision is Decision.WORK_UP_NEEDED
    r = the_reason(
        case(planned_drug=None, **{finding: True}), "esketamine-label.contraindication-drug-not-planned"
    )
    assert (r.effect, r.source_label) == (Effect.WORK_UP, "Janssen 2026, 4 Contraindications")


# UK Ketalar SmPC 4.3 (ketalar-smpc-uk-2019): hypersensitivity to the active substance or an excipient.
def test_ketamine_hypersensitivity_blocks_planned_ketamine() -> None:
    inp = case(planned_drug="ketamine", planned_route="iv", hypersensitivity_ketamine=True)
    r = the_reason(inp, "ketamine-label.hypersensitivity")
    assert (r.effect, r.cited.source.id, r.locator) == (
        Effect.BLOCKS,
        "ketalar-smpc-uk-2019",
        "4.3 Contraindications",
    )
    assert evaluate(inp).decision is Decision.NOT_ELIGIBLE_NOW
