"""The eligibility engine on a table of synthetic patients.

Every case starts from a patient with all facts recorded and nothing wrong (``CLEAR``) and a CRPS
type I that began 2025-01-10 (chronic on the assessment date 2025-06-16), then changes a few
facts. Expectations are written by hand from the rules in the data files.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from ketapath.clinical.eligibility import (
    ClinicSettings,
    ConditionEntry,
    Decision,
    Effect,
    EligibilityInput,
    EligibilityInputError,
    TestOnFile,
    evaluate,
)

TODAY = date(2025, 6, 16)
CRPS = ConditionEntry("crps-1", onset=date(2025, 1, 10))

CLEAR = EligibilityInput(
    assessed_on=TODAY,
    conditions=(CRPS,),
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
    audit_c_positive=False,
    dast10_positive=False,
    asq_positive=False,
    asq_acute_positive=False,
    phq9_item9=0,
)

ELIGIBLE = Decision.ELIGIBLE
CAUTIONS = Decision.ELIGIBLE_WITH_CAUTIONS
WORK_UP = Decision.WORK_UP_NEEDED
NOT_NOW = Decision.NOT_ELIGIBLE_NOW

ECG_OLD = TestOnFile("ecg", date(2025, 3, 8))  # 100 days before TODAY
LFT_RECENT = TestOnFile("lft", date(2025, 6, 2))  # 14 days before TODAY


def case(**changes: Any) -> EligibilityInput:
    return replace(CLEAR, **changes)


def only(*conditions: ConditionEntry) -> dict[str, Any]:
    return {"conditions": conditions}


# (id, input, clinic settings, expected decision, expected reason codes)
CASES: list[tuple[str, EligibilityInput, dict[str, int | str], Decision, set[str]]] = [
    # --- indications and their grades ---
    ("crps chronic", CLEAR, {}, ELIGIBLE, {"indication.crps-1"}),
    (
        "sci pain (grade C)",
        case(**only(ConditionEntry("spinal-cord-injury-pain", onset=date(2020, 5, 1)))),
        {},
        ELIGIBLE,
        {"indication.spinal-cord-injury-pain"},
    ),
    (
        "fibromyalgia by code (grade D)",
        case(**only(ConditionEntry(icd10_code="M79.7", onset=date(2024, 1, 1)))),
        {},
        CAUTIONS,
        {"indication.fibromyalgia"},
    ),
    (
        "crps and fibromyalgia: best indication wins",
        case(**only(CRPS, ConditionEntry("fibromyalgia", onset=date(2024, 1, 1)))),
        {},
        ELIGIBLE,
        {"indication.crps-1", "indication.fibromyalgia"},
    ),
    (
        "ungraded chronic pain by code",
        case(**only(ConditionEntry(icd10_code="G89.29", onset=date(2024, 1, 1)))),
        {},
        CAUTIONS,
        {"indication.ungraded.other-chronic-pain"},
    ),
    (
        "depression needs no onset (treatment-resistant recorded)",
        case(treatment_resistant=True, **only(ConditionEntry(icd10_code="F33.1"))),
        {},
        ELIGIBLE,
        {"indication.major-depressive-disorder"},
    ),
    # Issue 12: treatment resistance is asked, not assumed (Sanacora 2017: evidence in
    # treatment-resistant mood disorders; esketamine label: indication TRD).
    (
        "depression, treatment resistance not recorded: ask",
        case(**only(ConditionEntry(icd10_code="F33.1"))),
        {},
        WORK_UP,
        {
            "indication.major-depressive-disorder",
            "indication.treatment-resistance-unknown.major-depressive-disorder",
        },
    ),
    (
        "depression recorded as not treatment-resistant: outside the evidence",
        case(treatment_resistant=False, **only(ConditionEntry(icd10_code="F33.1"))),
        {},
        CAUTIONS,
        {"indication.not-treatment-resistant.major-depressive-disorder"},
    ),
    # Issue 12: codes that are not major depression (ICD-10-CM FY2025 titles).
    (
        "premenstrual dysphoric disorder (F32.81) is no indication",
        case(treatment_resistant=True, **only(ConditionEntry(icd10_code="F32.81"))),
        {},
        WORK_UP,
        {"indication.excluded.F32.81"},
    ),
    (
        "depression in full remission (F33.42) is no indication",
        case(treatment_resistant=True, **only(ConditionEntry(icd10_code="F33.42"))),
        {},
        WORK_UP,
        {"indication.excluded.F33.42"},
    ),
    (
        "depression, unspecified (F32.A) is no indication",
        case(treatment_resistant=True, **only(ConditionEntry(icd10_code="F32.A"))),
        {},
        WORK_UP,
        {"indication.excluded.F32.A"},
    ),
    (
        "an excluded code beside a qualifying condition is information",
        case(**only(CRPS, ConditionEntry(icd10_code="F32.4"))),
        {},
        ELIGIBLE,
        {"indication.crps-1", "indication.excluded.F32.4"},
    ),
    (
        "anxiety is ungraded",
        case(**only(ConditionEntry("generalised-anxiety-disorder"))),
        {},
        CAUTIONS,
        {"indication.ungraded.generalised-anxiety-disorder"},
    ),
    ("no condition recorded", case(conditions=()), {}, WORK_UP, {"indication.none-recorded"}),
    (
        "unmapped code",
        case(**only(ConditionEntry(icd10_code="z00.00"))),
        {},
        WORK_UP,
        {"indication.unmapped.Z00.00"},
    ),
    (
        "acute pain code is not an indication",
        case(**only(ConditionEntry(icd10_code="G89.11", onset=date(2024, 1, 1)))),
        {},
        WORK_UP,
        {"indication.unmapped.G89.11"},
    ),
    (
        "pain onset unknown",
        case(**only(ConditionEntry("crps-1"))),
        {},
        WORK_UP,
        {"indication.crps-1", "indication.onset-unknown.crps-1"},
    ),
    # --- chronicity borderline: exactly three months is not more than three months ---
    # Issue 12: pain for three months or less is a finding for the prescriber (caution, Treede
    # 2019's definition), not a block: no guideline sets a duration requirement.
    (
        "exactly three months",
        case(**only(ConditionEntry("crps-1", onset=date(2025, 3, 16)))),
        {},
        CAUTIONS,
        {"indication.crps-1", "indication.not-chronic.crps-1"},
    ),
    (
        "three months and one day",
        case(**only(ConditionEntry("crps-1", onset=date(2025, 3, 15)))),
        {},
        ELIGIBLE,
        {"indication.crps-1"},
    ),
    (
        "month end, exactly three months (30 Nov -> 29 Feb)",
        case(assessed_on=date(2024, 2, 29), **only(ConditionEntry("crps-1", onset=date(2023, 11, 30)))),
        {},
        CAUTIONS,
        {"indication.crps-1", "indication.not-chronic.crps-1"},
    ),
    (
        "month end, the next day",
        case(assessed_on=date(2024, 3, 1), **only(ConditionEntry("crps-1", onset=date(2023, 11, 30)))),
        {},
        ELIGIBLE,
        {"indication.crps-1"},
    ),
    (
        "not chronic, another condition's onset unknown: the CRPS indication leads",
        case(
            **only(
                ConditionEntry("crps-1", onset=date(2025, 5, 1)),
                ConditionEntry("fibromyalgia"),
            )
        ),
        {},
        CAUTIONS,
        {
            "indication.crps-1",
            "indication.not-chronic.crps-1",
            "indication.fibromyalgia",
            "indication.onset-unknown.fibromyalgia",
        },
    ),
    (
        "not chronic CRPS beside treatment-resistant depression: both indications, one caution",
        case(
            treatment_resistant=True,
            **only(
                ConditionEntry("crps-1", onset=date(2025, 5, 1)),
                ConditionEntry("major-depressive-disorder"),
            ),
        ),
        {},
        CAUTIONS,
        {"indication.crps-1", "indication.not-chronic.crps-1", "indication.major-depressive-disorder"},
    ),
    (
        "same condition twice: counts once, from the earliest onset",
        case(
            **only(
                ConditionEntry(icd10_code="G90.511", onset=date(2025, 5, 1)),
                ConditionEntry(icd10_code="G90.522", onset=date(2024, 1, 1)),
            )
        ),
        {},
        ELIGIBLE,
        {"indication.crps-1"},
    ),
    (
        "same condition twice, the known onset recent, the other unknown",
        case(**only(ConditionEntry("crps-1", onset=date(2025, 5, 1)), ConditionEntry(icd10_code="G90.50"))),
        {},
        WORK_UP,
        {"indication.crps-1", "indication.onset-unknown.crps-1"},
    ),
    (
        "same condition twice, the known onset chronic, the other unknown",
        case(**only(ConditionEntry("crps-1", onset=date(2024, 5, 1)), ConditionEntry(icd10_code="G90.50"))),
        {},
        ELIGIBLE,
        {"indication.crps-1"},
    ),
    (
        "the same unmapped code twice",
        case(**only(CRPS, ConditionEntry(icd10_code="Z00.00"), ConditionEntry(icd10_code="Z0000"))),
        {},
        ELIGIBLE,
        {"indication.crps-1", "indication.unmapped.Z00.00"},
    ),
    # --- relative contraindications ---
    ("pregnancy", case(pregnant=True), {}, NOT_NOW, {"contraindication.pregnancy", "indication.crps-1"}),
    (
        "active psychosis",
        case(psychosis_active=True, psychosis_history=True),
        {},
        NOT_NOW,
        {"contraindication.active-psychosis", "indication.crps-1"},
    ),
    (
        "poorly controlled cardiovascular disease (also needs an ECG)",
        case(cardiovascular_disease="poorly-controlled"),
        {},
        NOT_NOW,
        {"contraindication.cardiovascular", "work-up.ecg", "indication.crps-1"},
    ),
    (
        "poorly controlled hypertension",
        case(hypertension="poorly-controlled", tests=(ECG_OLD,)),
        {"ecg_max_age_days": 365},
        NOT_NOW,
        {"contraindication.cardiovascular", "work-up.ecg", "indication.crps-1"},
    ),
    (
        "severe hepatic disease (also needs LFTs)",
        case(hepatic_disease="severe"),
        {},
        NOT_NOW,
        {"contraindication.severe-hepatic", "work-up.lft", "indication.crps-1"},
    ),
    (
        "moderate hepatic disease, LFTs recent",
        case(hepatic_disease="moderate", tests=(LFT_RECENT,)),
        {"lft_max_age_days": 30},
        CAUTIONS,
        {"contraindication.moderate-hepatic", "work-up.lft", "indication.crps-1"},
    ),
    (
        "moderate hepatic disease, no LFTs",
        case(hepatic_disease="moderate"),
        {},
        WORK_UP,
        {"contraindication.moderate-hepatic", "work-up.lft", "indication.crps-1"},
    ),
    (
        "raised intracranial pressure",
        case(raised_intracranial_pressure=True),
        {},
        NOT_NOW,
        {"contraindication.raised-icp", "indication.crps-1"},
    ),
    (
        "raised intraocular pressure",
        case(raised_intraocular_pressure=True),
        {},
        NOT_NOW,
        {"contraindication.raised-iop", "indication.crps-1"},
    ),
    (
        "active substance misuse, serial infusions planned",
        case(active_substance_misuse=True, serial_infusions_planned=True),
        {},
        NOT_NOW,
        {"contraindication.substance-misuse-serial", "indication.crps-1"},
    ),
    (
        "active substance misuse, single infusion",
        case(active_substance_misuse=True, serial_infusions_planned=False),
        {},
        CAUTIONS,
        {"contraindication.substance-misuse-single", "indication.crps-1"},
    ),
    (
        "active substance misuse, plan unknown",
        case(active_substance_misuse=True),
        {},
        WORK_UP,
        {"missing.serial_infusions_planned", "indication.crps-1"},
    ),
    (
        "positive AUDIT-C, misuse not assessed",
        case(active_substance_misuse=None, audit_c_positive=True),
        {},
        WORK_UP,
        {
            "work-up.substance-screen",
            "missing.active_substance_misuse+serial_infusions_planned",
            "indication.crps-1",
        },
    ),
    (
        "positive DAST-10 but misuse assessed and absent",
        case(dast10_positive=True),
        {},
        ELIGIBLE,
        {"indication.crps-1"},
    ),
    (
        "screens negative, misuse not assessed",
        case(active_substance_misuse=None),
        {},
        WORK_UP,
        {"missing.active_substance_misuse+serial_infusions_planned", "indication.crps-1"},
    ),
    (
        "no screen, misuse not assessed",
        case(active_substance_misuse=None, audit_c_positive=None, dast10_positive=None),
        {},
        WORK_UP,
        {
            "work-up.substance-screen.unknown",
            "missing.active_substance_misuse+serial_infusions_planned",
            "indication.crps-1",
        },
    ),
    # --- work-up: ECG with cardiovascular risk, LFTs with liver risk or frequent high doses ---
    (
        "cardiovascular risk, no ECG",
        case(cardiovascular_risk=True),
        {},
        WORK_UP,
        {"work-up.ecg", "indication.crps-1"},
    ),
    (
        "controlled hypertension, ECG on file, recency not set",
        case(hypertension="controlled", tests=(ECG_OLD,)),
        {},
        WORK_UP,
        {"work-up.ecg", "indication.crps-1"},
    ),
    (
        "ECG 100 days old, clinic limit 365",
        case(cardiovascular_risk=True, tests=(ECG_OLD,)),
        {"ecg_max_age_days": 365},
        ELIGIBLE,
        {"work-up.ecg", "indication.crps-1"},
    ),
    (
        "ECG 100 days old, clinic limit 100 (borderline: within)",
        case(cardiovascular_risk=True, tests=(ECG_OLD,)),
        {"ecg_max_age_days": 100},
        ELIGIBLE,
        {"work-up.ecg", "indication.crps-1"},
    ),
    (
        "ECG 100 days old, clinic limit 99",
        case(cardiovascular_risk=True, tests=(ECG_OLD,)),
        {"ecg_max_age_days": 99},
        WORK_UP,
        {"work-up.ecg", "indication.crps-1"},
    ),
    (
        "frequent high doses, LFTs recent",
        case(frequent_high_doses_planned=True, tests=(LFT_RECENT,)),
        {"lft_max_age_days": 14},
        ELIGIBLE,
        {"work-up.lft", "indication.crps-1"},
    ),
    (
        "liver toxicity risk, LFTs too old",
        case(liver_toxicity_risk=True, tests=(LFT_RECENT,)),
        {"lft_max_age_days": 13},
        WORK_UP,
        {"work-up.lft", "indication.crps-1"},
    ),
    ("healthy: no tests needed", case(tests=(ECG_OLD,)), {}, ELIGIBLE, {"indication.crps-1"}),
    # --- mental-health safety ---
    ("positive ASQ", case(asq_positive=True), {}, WORK_UP, {"safety.asq-positive", "indication.crps-1"}),
    (
        "acute positive ASQ",
        case(asq_positive=True, asq_acute_positive=True),
        {},
        WORK_UP,
        {"safety.asq-acute", "safety.asq-positive", "indication.crps-1"},
    ),
    ("PHQ-9 item 9 = 1", case(phq9_item9=1), {}, WORK_UP, {"safety.phq9-item9", "indication.crps-1"}),
    ("PHQ-9 item 9 = 3", case(phq9_item9=3), {}, WORK_UP, {"safety.phq9-item9", "indication.crps-1"}),
    (
        "no suicide-risk screen",
        case(asq_positive=None, asq_acute_positive=None, phq9_item9=None),
        {},
        WORK_UP,
        {"missing.suicide-screen", "indication.crps-1"},
    ),
    (
        "PHQ-9 only, item 9 = 0",
        case(asq_positive=None, asq_acute_positive=None),
        {},
        ELIGIBLE,
        {"indication.crps-1"},
    ),
    (
        "ASQ only, negative",
        case(phq9_item9=None),
        {},
        ELIGIBLE,
        {"indication.crps-1"},
    ),
    # --- clinic settings with no default ---
    (
        "breastfeeding, policy not set",
        case(breastfeeding=True),
        {},
        WORK_UP,
        {"clinic.breastfeeding", "indication.crps-1"},
    ),
    (
        "breastfeeding, clinic blocks",
        case(breastfeeding=True),
        {"breastfeeding_policy": "blocks"},
        NOT_NOW,
        {"clinic.breastfeeding", "indication.crps-1"},
    ),
    (
        "breastfeeding, clinic cautions",
        case(breastfeeding=True),
        {"breastfeeding_policy": "caution"},
        CAUTIONS,
        {"clinic.breastfeeding", "indication.crps-1"},
    ),
    (
        "breastfeeding, clinic notes only",
        case(breastfeeding=True),
        {"breastfeeding_policy": "info"},
        ELIGIBLE,
        {"clinic.breastfeeding", "indication.crps-1"},
    ),
    (
        "past psychosis, policy not set",
        case(psychosis_history=True),
        {},
        WORK_UP,
        {"clinic.psychosis-history", "indication.crps-1"},
    ),
    (
        "history of mania, clinic cautions",
        case(mania_history=True),
        {"mania_history_policy": "caution"},
        CAUTIONS,
        {"clinic.mania-history", "indication.crps-1"},
    ),
    # --- missing information is never silently eligible ---
    ("pregnancy not recorded", case(pregnant=None), {}, WORK_UP, {"missing.pregnant", "indication.crps-1"}),
    (
        "hepatic disease not recorded (one reason for two rules, plus the LFT question)",
        case(hepatic_disease=None),
        {},
        WORK_UP,
        {"missing.hepatic_disease", "work-up.lft.unknown", "indication.crps-1"},
    ),
    (
        "cardiovascular status not recorded",
        case(cardiovascular_disease=None, hypertension=None),
        {},
        WORK_UP,
        {"missing.cardiovascular_disease+hypertension", "work-up.ecg.unknown", "indication.crps-1"},
    ),
    (
        "cardiovascular risk alone not recorded",
        case(cardiovascular_risk=None),
        {},
        WORK_UP,
        {"work-up.ecg.unknown", "indication.crps-1"},
    ),
    # --- combinations ---
    (
        "pregnant and positive ASQ: refused and routed to review",
        case(pregnant=True, asq_positive=True),
        {},
        NOT_NOW,
        {"contraindication.pregnancy", "safety.asq-positive", "indication.crps-1"},
    ),
    (
        "not chronic and pregnant",
        case(pregnant=True, **only(ConditionEntry("crps-1", onset=date(2025, 3, 16)))),
        {},
        NOT_NOW,
        {"contraindication.pregnancy", "indication.crps-1", "indication.not-chronic.crps-1"},
    ),
    (
        "fibromyalgia, moderate hepatic, PHQ-9 item 9 = 2",
        case(
            hepatic_disease="moderate",
            phq9_item9=2,
            tests=(LFT_RECENT,),
            **only(ConditionEntry("fibromyalgia", onset=date(2022, 1, 1))),
        ),
        {"lft_max_age_days": 30},
        WORK_UP,
        {"contraindication.moderate-hepatic", "work-up.lft", "safety.phq9-item9", "indication.fibromyalgia"},
    ),
]


@pytest.mark.parametrize(
    ("inp", "settings", "decision", "codes"),
    [pytest.param(*c[1:], id=c[0]) for c in CASES],
)
def test_rule_table(
    inp: EligibilityInput, settings: dict[str, int | str], decision: Decision, codes: set[str]
) -> None:
    result = evaluate(inp, ClinicSettings(settings))
    assert set(result.codes()) == codes
    assert len(result.codes()) == len(codes)
    assert result.decision is decision


def reason(inp: EligibilityInput, code: str, settings: dict[str, int | str] | None = None) -> Any:
    (found,) = [r for r in evaluate(inp, ClinicSettings(settings or {})).reasons if r.code == code]
    return found


@pytest.mark.parametrize(
    ("inp", "code", "effect", "label", "grade", "certainty"),
    [
        (
            CLEAR,
            "indication.crps-1",
            Effect.SUPPORTS,
            "Cohen 2018, Recommendations, Indications, item 2",
            "B",
            "",
        ),
        (
            case(**only(ConditionEntry("spinal-cord-injury-pain", onset=date(2020, 5, 1)))),
            "indication.spinal-cord-injury-pain",
            Effect.SUPPORTS,
            "Cohen 2018, Recommendations, Indications, item 1",
            "C",
            "low",
        ),
        (
            case(**only(ConditionEntry("migraine", onset=date(2020, 5, 1)))),
            "indication.migraine",
            Effect.CAUTION,
            "Cohen 2018, Recommendations, Indications, item 3",
            "D",
            "low",
        ),
        (
            case(pregnant=True),
            "contraindication.pregnancy",
            Effect.BLOCKS,
            "Cohen 2018, Recommendations, Relative contraindications, item 1",
            "B",
            "low",
        ),
        (
            case(hepatic_disease="moderate"),
            "contraindication.moderate-hepatic",
            Effect.CAUTION,
            "Cohen 2018, Recommendations, Relative contraindications, item 2",
            "C",
            "low",
        ),
        (
            case(active_substance_misuse=True, serial_infusions_planned=True),
            "contraindication.substance-misuse-serial",
            Effect.BLOCKS,
            "Cohen 2018, Recommendations, Relative contraindications, item 4",
            "C",
            "low",
        ),
        (
            case(cardiovascular_risk=True),
            "work-up.ecg",
            Effect.WORK_UP,
            "Cohen 2018, Recommendations, Preinfusion tests, item 2",
            "C",
            "low",
        ),
        (
            case(liver_toxicity_risk=True),
            "work-up.lft",
            Effect.WORK_UP,
            "Cohen 2018, Recommendations, Preinfusion tests, item 3",
            "",
            "",
        ),
        (
            case(asq_acute_positive=True),
            "safety.asq-acute",
            Effect.SAFETY_REVIEW,
            "NIMH 2017, Adult ED Brief Suicide Safety Assessment Guide",
            "",
            "",
        ),
        (
            case(phq9_item9=1),
            "safety.phq9-item9",
            Effect.SAFETY_REVIEW,
            "Louzon 2016, Abstract, Results: 'several days' vs 'not at all', HR 1.75",
            "",
            "",
        ),
        (
            case(**only(ConditionEntry("crps-1", onset=date(2025, 3, 16)))),
            "indication.not-chronic.crps-1",
            Effect.CAUTION,  # issue 12: a finding to weigh, not a block
            "Treede 2019, Abstract",
            "",
            "",
        ),
    ],
)
def test_reason_carries_source_grade_and_effect(
    inp: EligibilityInput, code: str, effect: Effect, label: str, grade: str, certainty: str
) -> None:
    r = reason(inp, code)
    assert (r.effect, r.source_label, r.grade, r.certainty, r.is_clinic_setting) == (
        effect,
        label,
        grade,
        certainty,
        False,
    )


def test_not_chronic_text_gives_duration_and_date() -> None:
    r = reason(
        case(**only(ConditionEntry("crps-1", onset=date(2025, 3, 16)))), "indication.not-chronic.crps-1"
    )
    assert r.text == (
        "Complex regional pain syndrome type I has lasted 3 months and 0 days, not yet chronic pain "
        "(pain lasting more than 3 months, from 2025-06-17). No guideline sets a minimum duration "
        "for ketamine: the prescriber weighs it."
    )


def test_qualifying_indication_states_duration() -> None:
    assert reason(CLEAR, "indication.crps-1").text.startswith(
        "Complex regional pain syndrome type I (lasting 5 months and 6 days): "
    )


def test_secondary_indication_is_information() -> None:
    inp = case(**only(CRPS, ConditionEntry("fibromyalgia", onset=date(2024, 1, 1))))
    assert reason(inp, "indication.fibromyalgia").effect is Effect.INFO
    assert reason(inp, "indication.crps-1").effect is Effect.SUPPORTS


def test_clinic_policy_not_set_is_labelled_as_clinic_setting() -> None:
    r = reason(case(breastfeeding=True), "clinic.breastfeeding")
    assert (r.effect, r.cited, r.clinic_setting, r.is_clinic_setting) == (
        Effect.WORK_UP,
        None,
        "breastfeeding_policy",
        True,
    )
    assert "clinic setting not set" in r.text


def test_clinic_policy_set_is_the_clinics_choice_not_a_guideline() -> None:
    r = reason(case(breastfeeding=True), "clinic.breastfeeding", {"breastfeeding_policy": "blocks"})
    assert (r.effect, r.cited, r.clinic_setting) == (Effect.BLOCKS, None, "breastfeeding_policy")
    assert "clinic setting, not a guideline" in r.text


@pytest.mark.parametrize(
    ("settings", "effect", "phrase"),
    [
        ({}, Effect.WORK_UP, "clinic setting not set"),
        ({"ecg_max_age_days": 100}, Effect.INFO, "within the clinic's limit of 100 days"),
        ({"ecg_max_age_days": 99}, Effect.WORK_UP, "older than the clinic's limit of 99 days"),
    ],
)
def test_test_recency_is_a_clinic_setting(
    settings: dict[str, int | str], effect: Effect, phrase: str
) -> None:
    r = reason(case(cardiovascular_risk=True, tests=(ECG_OLD,)), "work-up.ecg", settings)
    assert (r.effect, r.clinic_setting) == (effect, "ecg_max_age_days")
    assert "Baseline ECG of 2025-03-08 on file (100 days old)" in r.text
    assert phrase in r.text
    assert r.source_label == "Cohen 2018, Recommendations, Preinfusion tests, item 2"


def test_latest_test_counts() -> None:
    tests = (TestOnFile("ecg", date(2024, 1, 1)), ECG_OLD)
    r = reason(case(cardiovascular_risk=True, tests=tests), "work-up.ecg", {"ecg_max_age_days": 365})
    assert r.effect is Effect.INFO


def test_missing_reasons_merge_and_name_every_rule() -> None:
    r = reason(case(hepatic_disease=None), "missing.hepatic_disease")
    assert r.text == (
        "Not recorded: hepatic disease (needed for: Severe hepatic disease; Moderate hepatic disease)."
    )
    assert r.effect is Effect.MISSING


def test_phq9_item9_value_in_text() -> None:
    assert "scored 2" in reason(case(phq9_item9=2), "safety.phq9-item9").text


@pytest.mark.parametrize(
    ("inp", "required"),
    [
        (CLEAR, False),
        (case(asq_positive=True), True),
        (case(phq9_item9=1), True),
        (case(pregnant=True, asq_acute_positive=True), True),
        (case(pregnant=True), False),
    ],
)
def test_safety_review_routing(inp: EligibilityInput, required: bool) -> None:
    assert evaluate(inp).safety_review_required is required


def test_reasons_are_ordered_most_severe_first() -> None:
    result = evaluate(case(pregnant=True, asq_positive=True, hepatic_disease="moderate", tests=(LFT_RECENT,)))
    ranks = [r.effect.rank for r in result.reasons]
    assert ranks == sorted(ranks)
    assert result.reasons[0].code == "contraindication.pregnancy"


def test_nothing_recorded() -> None:
    result = evaluate(EligibilityInput(TODAY))
    assert result.decision is WORK_UP
    assert {r.effect for r in result.reasons} == {Effect.MISSING}
    assert "indication.none-recorded" in result.codes()


@pytest.mark.parametrize(
    ("inp", "settings", "message"),
    [
        (case(**only(ConditionEntry("crps-1", onset=date(2025, 6, 17)))), {}, "after the assessment date"),
        (case(**only(ConditionEntry("no-such-condition"))), {}, "unknown condition"),
        (case(**only(ConditionEntry())), {}, "needs a condition id or an ICD-10 code"),
        (case(**only(ConditionEntry(icd10_code="not a code"))), {}, "not an ICD-10 code"),
        (case(phq9_item9=4), {}, "phq9_item9"),
        (case(hepatic_disease="terminal"), {}, "hepatic_disease"),
        (case(pregnant="yes"), {}, "pregnant"),
        (case(tests=(TestOnFile("ecg", date(2025, 6, 17)),)), {}, "after the assessment date"),
        (case(tests=(TestOnFile("mri", date(2025, 6, 1)),)), {}, "unknown test kind"),
        (CLEAR, {"ecg_max_age": 30}, "unknown clinic setting"),
        (CLEAR, {"ecg_max_age_days": -1}, "number of days"),
        (CLEAR, {"ecg_max_age_days": "30"}, "number of days"),
        (CLEAR, {"breastfeeding_policy": "work-up"}, "must be one of"),
    ],
)
def test_impossible_input_is_refused(inp: EligibilityInput, settings: dict[str, Any], message: str) -> None:
    with pytest.raises(EligibilityInputError, match=message):
        evaluate(inp, ClinicSettings(settings))
