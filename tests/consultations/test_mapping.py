"""From intake records and questionnaire results to the eligibility engine's input.

Unsaved model instances stand in for the records: the mapping reads attributes only.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest

from ketapath.clinical.eligibility import ClinicSettings, ConditionEntry, Decision, TestOnFile, evaluate
from ketapath.clinical.interactions import Medicine
from ketapath.consultations.mapping import (
    BOOL_FIELDS,
    CHOICE_FIELDS,
    eligibility_input,
    facts_snapshot,
    yes_no,
)
from ketapath.consultations.models import Intake, IntakeCondition, IntakeMedicine
from ketapath.consultations.models import TestOnFile as TestRow
from ketapath.consultations.queries import LatestScore
from tests.consultations.conftest import CLEAR

DAY = date(2026, 6, 16)


def score(instrument_id, *, positive=None, answers=None, total=0.0):
    return LatestScore(
        instrument_id=instrument_id,
        name=instrument_id,
        response_id=1,
        completed_at=datetime(2026, 6, 1, 10, 0),
        total=total,
        band="",
        positive=positive,
        answers=answers or {},
    )


def crps(onset=date(2025, 1, 10), **kwargs):
    return IntakeCondition(condition_id="crps-1", onset_on=onset, **kwargs)


def build(intake_fields=None, conditions=(), tests=(), scores=None):
    intake = Intake(**(intake_fields or {}))
    return eligibility_input(intake, conditions, tests, scores or {}, DAY)


def test_blank_fields_are_not_recorded_never_no():
    inp = build()
    for name in (*BOOL_FIELDS, *CHOICE_FIELDS):
        assert getattr(inp, name) is None, name
    assert inp.asq_positive is None and inp.phq9_item9 is None
    assert inp.audit_c_positive is None and inp.dast10_positive is None


@pytest.mark.parametrize("name", BOOL_FIELDS)
@pytest.mark.parametrize(("stored", "expected"), [("yes", True), ("no", False), ("", None)])
def test_yes_no_fields(name, stored, expected):
    assert getattr(build({name: stored}), name) is expected


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("cardiovascular_disease", "poorly-controlled"),
        ("hypertension", "controlled"),
        ("hepatic_disease", "moderate"),
        ("planned_drug", "esketamine"),
    ],
)
def test_choice_fields_pass_the_engine_values(name, value):
    assert getattr(build({name: value}), name) == value


def test_yes_no_helper_rejects_nothing_but_maps_only_yes_and_no():
    assert (yes_no("yes"), yes_no("no"), yes_no(""), yes_no("maybe")) == (True, False, None, None)


@pytest.mark.parametrize(
    ("asq", "expected"),
    [
        (None, (None, None)),
        (score("asq", positive=False, answers={"q1": 0, "q2": 0, "q3": 0, "q4": 0}), (False, False)),
        (score("asq", positive=True, answers={"q1": 1, "q5": 1}), (True, True)),
        (score("asq", positive=True, answers={"q1": 1, "q5": 0}), (True, False)),
        (score("asq", positive=True, answers={"q1": 1}), (True, None)),  # acuity not asked yet
    ],
)
def test_asq_screen_and_acuity(asq, expected):
    inp = build(scores={"asq": asq} if asq else {})
    assert (inp.asq_positive, inp.asq_acute_positive) == expected


@pytest.mark.parametrize(("answers", "expected"), [({"q9": 2}, 2), ({"q9": 0}, 0), ({"q1": 3}, None)])
def test_phq9_item9(answers, expected):
    assert build(scores={"phq-9": score("phq-9", answers=answers)}).phq9_item9 == expected


def test_substance_screens_use_the_instruments_own_result():
    inp = build(
        scores={"audit-c": score("audit-c", positive=True), "dast-10": score("dast-10", positive=None)}
    )
    # DAST-10 has bands but no cited positive cut-off: the engine is told nothing, not "negative".
    assert (inp.audit_c_positive, inp.dast10_positive) == (True, None)


def test_conditions_and_tests():
    conditions = [
        crps(),
        IntakeCondition(icd10_code="M79.7", onset_on=None),
        IntakeCondition(description="pain in my knee"),  # not coded yet: not an indication
    ]
    tests = [
        TestRow(kind="ecg", done_on=DAY - timedelta(days=3)),
        TestRow(kind="lft", done_on=DAY + timedelta(days=1)),
    ]
    inp = build(conditions=conditions, tests=tests)
    assert inp.conditions == (
        ConditionEntry("crps-1", None, date(2025, 1, 10)),
        ConditionEntry(None, "M79.7", None),
    )
    assert inp.tests == (TestOnFile("ecg", DAY - timedelta(days=3)),)  # a later-dated test is not on file yet


def test_snapshot_is_json():
    inp = build(CLEAR, conditions=[crps()], tests=[TestRow(kind="ecg", done_on=DAY)])
    text = json.dumps(facts_snapshot(inp))
    assert '"assessed_on": "2026-06-16"' in text and '"onset": "2025-01-10"' in text


NEGATIVE = {"asq": score("asq", positive=False, answers={}), "phq-9": score("phq-9", answers={"q9": 0})}


@pytest.mark.parametrize(
    ("case", "fields", "conditions", "scores", "settings", "decision", "code"),
    [
        ("clear CRPS", {}, [crps()], NEGATIVE, {}, Decision.ELIGIBLE, "indication.crps-1"),
        (
            "fibromyalgia: weak evidence",
            {},
            [IntakeCondition(condition_id="fibromyalgia", onset_on=date(2024, 1, 1))],
            NEGATIVE,
            {},
            Decision.ELIGIBLE_WITH_CAUTIONS,
            "indication.fibromyalgia",
        ),
        (
            "treated hypertension, no ECG",
            {"hypertension": "controlled"},
            [crps()],
            NEGATIVE,
            {},
            Decision.WORK_UP_NEEDED,
            "work-up.ecg",
        ),
        (
            "pregnant",
            {"pregnant": "yes"},
            [crps()],
            NEGATIVE,
            {},
            Decision.NOT_ELIGIBLE_NOW,
            "contraindication.pregnancy",
        ),
        (
            # Issue 12: short duration is a finding the prescriber weighs, not a block
            # (Treede 2019 defines chronic pain; no guideline sets a minimum duration).
            "pain of two months",
            {},
            [crps(onset=DAY - timedelta(days=60))],
            NEGATIVE,
            {},
            Decision.ELIGIBLE_WITH_CAUTIONS,
            "indication.not-chronic.crps-1",
        ),
        (
            "positive ASQ",
            {},
            [crps()],
            {"asq": score("asq", positive=True, answers={"q1": 1, "q5": 0})},
            {},
            Decision.WORK_UP_NEEDED,
            "safety.asq-positive",
        ),
        ("no suicide screen", {}, [crps()], {}, {}, Decision.WORK_UP_NEEDED, "missing.suicide-screen"),
        (
            "past psychosis, clinic setting not set",
            {"psychosis_history": "yes"},
            [crps()],
            NEGATIVE,
            {},
            Decision.WORK_UP_NEEDED,
            "clinic.psychosis-history",
        ),
        (
            "past psychosis, clinic's policy is caution",
            {"psychosis_history": "yes"},
            [crps()],
            NEGATIVE,
            {"psychosis_history_policy": "caution"},
            Decision.ELIGIBLE_WITH_CAUTIONS,
            "clinic.psychosis-history",
        ),
        (
            "positive AUDIT-C, misuse not assessed",
            {"active_substance_misuse": ""},
            [crps()],
            {**NEGATIVE, "audit-c": score("audit-c", positive=True)},
            {},
            Decision.WORK_UP_NEEDED,
            "work-up.substance-screen",
        ),
        ("nothing recorded", None, [], {}, {}, Decision.WORK_UP_NEEDED, "indication.none-recorded"),
    ],
)
def test_decisions_from_intake_records(case, fields, conditions, scores, settings, decision, code):
    intake_fields = None if fields is None else {**CLEAR, **fields}
    inp = eligibility_input(Intake(**intake_fields) if intake_fields else None, conditions, [], scores, DAY)
    result = evaluate(inp, ClinicSettings(values=settings))
    assert result.decision is decision, case
    assert code in result.codes(), (case, result.codes())


# ----------------------------------------------------------------------------------------------
# Issue 12: treatment resistance, the esketamine label's contraindications, the medication list
# ----------------------------------------------------------------------------------------------

LABEL_QUESTIONS = (
    "treatment_resistant",
    "aneurysmal_vascular_disease",
    "arteriovenous_malformation",
    "intracerebral_haemorrhage_history",
    "hypersensitivity_ketamine",
)


@pytest.mark.parametrize("name", LABEL_QUESTIONS)
def test_the_new_questions_map_one_to_one_and_blank_is_not_recorded(name):
    assert name in BOOL_FIELDS
    assert (getattr(build({name: "yes"}), name), getattr(build({name: "no"}), name)) == (
        True,
        False,
    )
    assert getattr(build({name: ""}), name) is None  # blank = not recorded, never "no"


def test_no_planned_drug_is_not_recorded():
    assert build({"planned_drug": ""}).planned_drug is None


def test_the_medication_list_reaches_the_engine():
    rows = [
        IntakeMedicine(name="Lorazepam", dose="1 mg at night", since=date(2025, 3, 1)),
        IntakeMedicine(name="Sertraline", dose="", since=None),
    ]
    inp = eligibility_input(Intake(), [], [], {}, DAY, medicines=rows)
    assert inp.medicines == (
        Medicine("Lorazepam", "1 mg at night", date(2025, 3, 1)),
        Medicine("Sertraline", "", None),
    )
    snapshot = facts_snapshot(inp)
    assert snapshot["medicines"][0] == {"name": "Lorazepam", "dose": "1 mg at night", "since": "2025-03-01"}
    json.dumps(snapshot)


def mdd(**kwargs):
    return IntakeCondition(condition_id="major-depressive-disorder", onset_on=date(2024, 1, 1), **kwargs)


@pytest.mark.parametrize(
    ("case", "fields", "conditions", "medicines", "decision", "code"),
    [
        # Spravato PI, 1 Indications and usage: treatment resistance is asked, not assumed.
        (
            "depression, resistance not assessed",
            {"treatment_resistant": ""},
            [mdd()],
            [],
            Decision.WORK_UP_NEEDED,
            "indication.treatment-resistance-unknown.major-depressive-disorder",
        ),
        # Spravato PI, 4 Contraindications: applies when esketamine is the planned drug.
        (
            "esketamine planned, aneurysmal vascular disease",
            {"planned_drug": "esketamine", "aneurysmal_vascular_disease": "yes"},
            [mdd()],
            [],
            Decision.NOT_ELIGIBLE_NOW,
            "esketamine-label.aneurysmal-vascular-disease",
        ),
        (
            "esketamine planned, hypersensitivity",
            {"planned_drug": "esketamine", "hypersensitivity_ketamine": "yes"},
            [mdd()],
            [],
            Decision.NOT_ELIGIBLE_NOW,
            "esketamine-label.hypersensitivity",
        ),
        # Andrashko 2020 (benzodiazepines and ketamine's antidepressant effect); Ketalar PI 7.3.
        (
            "ketamine planned, lorazepam listed",
            {"planned_drug": "ketamine"},
            [crps()],
            [IntakeMedicine(name="Lorazepam", dose="1 mg")],
            Decision.ELIGIBLE_WITH_CAUTIONS,
            "interaction.benzodiazepines-dampen-antidepressant-effect.lorazepam",
        ),
    ],
)
def test_decisions_from_the_new_questions(case, fields, conditions, medicines, decision, code):
    inp = eligibility_input(
        Intake(**{**CLEAR, "treatment_resistant": "yes", **fields}),
        conditions,
        [],
        NEGATIVE,
        DAY,
        medicines=medicines,
    )
    result = evaluate(inp, ClinicSettings())
    assert result.decision is decision, (case, result.codes())
    assert code in result.codes(), (case, result.codes())


def test_the_esketamine_label_rules_ask_nothing_when_ketamine_is_planned():
    fields = {**CLEAR, "planned_drug": "ketamine", "aneurysmal_vascular_disease": "yes"}
    result = evaluate(eligibility_input(Intake(**fields), [crps()], [], NEGATIVE, DAY), ClinicSettings())
    assert not [c for c in result.codes() if c.startswith("esketamine-label.")]
