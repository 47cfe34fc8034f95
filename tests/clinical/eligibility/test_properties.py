"""Properties of the engine over random patients."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any, cast

from hypothesis import given, settings
from hypothesis import strategies as st

from ketapath.clinical.conditions import all_conditions
from ketapath.clinical.eligibility import (
    FIELDS,
    ClinicSettings,
    ConditionEntry,
    Decision,
    Effect,
    EligibilityInput,
    TestOnFile,
    evaluate,
)

TODAY = date(2025, 6, 16)

#: Facts whose absence must never let a patient through (every one feeds a contraindication).
REQUIRED = (
    "pregnant",
    "psychosis_active",
    "cardiovascular_disease",
    "hypertension",
    "hepatic_disease",
    "raised_intracranial_pressure",
    "raised_intraocular_pressure",
    "active_substance_misuse",
)


def value_of(name: str) -> st.SearchStrategy[object]:
    spec = FIELDS[name]
    if spec.kind == "bool":
        known: st.SearchStrategy[object] = st.booleans()
    elif spec.kind == "choice":
        known = st.sampled_from(spec.choices)
    else:
        known = st.integers(spec.minimum, spec.maximum)
    return st.none() | known


condition_entries = st.builds(
    ConditionEntry,
    condition_id=st.sampled_from([c.id for c in all_conditions()]),
    onset=st.none() | st.dates(date(2000, 1, 1), TODAY),
)
tests_on_file = st.lists(
    st.builds(TestOnFile, kind=st.sampled_from(["ecg", "lft"]), done_on=st.dates(date(2020, 1, 1), TODAY)),
    max_size=3,
).map(tuple)
clinic = st.fixed_dictionaries(
    {},
    optional={
        "ecg_max_age_days": st.integers(0, 800),
        "lft_max_age_days": st.integers(0, 800),
        "breastfeeding_policy": st.sampled_from(["blocks", "caution", "info"]),
        "psychosis_history_policy": st.sampled_from(["blocks", "caution", "info"]),
        "mania_history_policy": st.sampled_from(["blocks", "caution", "info"]),
    },
).map(lambda values: ClinicSettings(cast(dict[str, int | str], values)))
patients = st.builds(
    EligibilityInput,
    assessed_on=st.just(TODAY),
    conditions=st.lists(condition_entries, max_size=3).map(tuple),
    tests=tests_on_file,
    **{name: value_of(name) for name in FIELDS},
)

SEVERITY = {
    Decision.NOT_ELIGIBLE_NOW: 0,
    Decision.WORK_UP_NEEDED: 1,
    Decision.ELIGIBLE_WITH_CAUTIONS: 2,
    Decision.ELIGIBLE: 3,
}


@settings(max_examples=300)
@given(patients, clinic)
def test_decision_follows_the_most_severe_reason(inp: EligibilityInput, s: ClinicSettings) -> None:
    result = evaluate(inp, s)
    effects = {r.effect for r in result.reasons}
    if Effect.BLOCKS in effects:
        assert result.decision is Decision.NOT_ELIGIBLE_NOW
    elif effects & {Effect.SAFETY_REVIEW, Effect.WORK_UP, Effect.MISSING}:
        assert result.decision is Decision.WORK_UP_NEEDED
    elif Effect.CAUTION in effects:
        assert result.decision is Decision.ELIGIBLE_WITH_CAUTIONS
    else:
        assert result.decision is Decision.ELIGIBLE


@settings(max_examples=300)
@given(patients, clinic, st.sampled_from(REQUIRED))
def test_an_unrecorded_required_fact_is_never_silently_eligible(
    inp: EligibilityInput, s: ClinicSettings, name: str
) -> None:
    unrecorded: dict[str, Any] = {name: None}
    result = evaluate(replace(inp, **unrecorded), s)
    assert result.decision in (Decision.WORK_UP_NEEDED, Decision.NOT_ELIGIBLE_NOW)


@settings(max_examples=200)
@given(patients, clinic)
def test_pregnancy_always_proposes_not_eligible_now(inp: EligibilityInput, s: ClinicSettings) -> None:
    assert evaluate(replace(inp, pregnant=True), s).decision is Decision.NOT_ELIGIBLE_NOW


@settings(max_examples=200)
@given(patients, clinic, st.sampled_from(["pregnant", "psychosis_active", "asq_positive", "breastfeeding"]))
def test_a_new_finding_never_improves_the_decision(
    inp: EligibilityInput, s: ClinicSettings, name: str
) -> None:
    absent: dict[str, Any] = {name: False}
    present: dict[str, Any] = {name: True}
    before = evaluate(replace(inp, **absent), s).decision
    after = evaluate(replace(inp, **present), s).decision
    assert SEVERITY[after] <= SEVERITY[before]


@settings(max_examples=200)
@given(patients, clinic)
def test_safety_review_iff_a_positive_screen(inp: EligibilityInput, s: ClinicSettings) -> None:
    positive = inp.asq_positive is True or inp.asq_acute_positive is True or (inp.phq9_item9 or 0) >= 1
    assert evaluate(inp, s).safety_review_required is positive


@settings(max_examples=300)
@given(patients, clinic)
def test_every_reason_is_cited_or_labelled(inp: EligibilityInput, s: ClinicSettings) -> None:
    for r in evaluate(inp, s).reasons:
        if r.cited is None and r.effect is not Effect.MISSING and not r.is_clinic_setting:
            # only the engine's own indication notes: an ungraded condition (the clinician's
            # judgement) or an onset/code question made moot by another qualifying condition
            assert r.code.startswith("indication."), r
            assert r.effect is Effect.INFO or r.code.startswith("indication.ungraded."), r
        if r.is_clinic_setting and r.cited is None:
            assert r.grade == ""
        if r.grade:
            assert r.cited is not None


@settings(max_examples=200)
@given(st.sampled_from([c.id for c in all_conditions() if c.kind == "pain"]), st.integers(0, 400))
def test_pain_of_three_months_or_less_is_a_finding_not_a_block(condition_id: str, days: int) -> None:
    # Issue 12: chronicity (Treede 2019: more than 3 months) is for the prescriber to weigh; no
    # guideline sets a duration requirement, so it is never a block.
    onset = TODAY - timedelta(days=days)
    result = evaluate(EligibilityInput(TODAY, (ConditionEntry(condition_id, onset=onset),)))
    not_chronic = [r for r in result.reasons if r.code == f"indication.not-chronic.{condition_id}"]
    # 2025-03-16 is exactly three calendar months before 2025-06-16
    assert bool(not_chronic) == (onset >= date(2025, 3, 16))
    assert all(r.effect is Effect.CAUTION and r.cited is not None for r in not_chronic)
    assert all(r.effect is not Effect.BLOCKS for r in result.reasons)
