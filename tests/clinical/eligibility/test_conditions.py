"""Conditions: ICD-10-CM matching, evidence groups and the chronicity borderline."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketapath.clinical import conditions
from ketapath.clinical.conditions import (
    add_months,
    all_conditions,
    chronicity,
    get_condition,
    match_icd10,
    normalise_icd10,
    whole_months_between,
)

# --- ICD-10-CM codes -> condition, by exact codes and ranges (issue 12: never by prefix) -------
# Each title is the ICD-10-CM tabular list's (source: icd-10-cm-2025, CMS/NCHS code set FY2025,
# checked on pages reproducing the tabular list). None = no condition.

ICD_CASES = [
    ("G90.5", "crps-1"),  # G90.5 Complex regional pain syndrome I (CRPS I): every subdivision is CRPS I
    ("G90.50", "crps-1"),  # G90.50 Complex regional pain syndrome I, unspecified
    ("G90.511", "crps-1"),  # G90.511 CRPS I of right upper limb
    ("G90.529", "crps-1"),  # G90.529 CRPS I of unspecified lower limb
    ("G90.59", "crps-1"),  # G90.59 CRPS I of other specified site
    ("G90.4", None),  # G90.4 Autonomic dysreflexia: not in the G90.50-G90.59 range
    ("G90.8", None),  # G90.8 Other disorders of autonomic nervous system
    ("G56.41", "crps-2"),  # G56.41 Causalgia of right upper limb (G90.5 Excludes1 -> G56.4-)
    ("G57.72", "crps-2"),  # G57.72 Causalgia of left lower limb (G90.5 Excludes1 -> G57.7-)
    ("G56.40", "crps-2"),  # G56.40 Causalgia of unspecified upper limb
    ("G56.3", None),  # G56.3 Lesion of radial nerve
    ("S14.109S", "spinal-cord-injury-pain"),  # cervical cord injury, unspecified level, sequela
    ("S24.101S", "spinal-cord-injury-pain"),  # thoracic cord injury at T1, sequela
    ("S34.109S", "spinal-cord-injury-pain"),  # lumbar cord injury, unspecified level, sequela
    ("S14.0XXS", None),  # concussion and oedema of the cervical cord: outside S14.101A-S14.159S
    ("G54.6", "phantom-limb-pain"),  # G54.6 Phantom limb syndrome with pain
    ("G54.7", None),  # G54.7 Phantom limb syndrome without pain
    ("B02.22", "postherpetic-neuralgia"),  # B02.22 Postherpetic trigeminal neuralgia
    ("B02.23", "postherpetic-neuralgia"),  # B02.23 Postherpetic polyneuropathy
    ("B02.29", "postherpetic-neuralgia"),  # B02.29 Other postherpetic nervous system involvement
    ("B02.21", None),  # B02.21 Postherpetic geniculate ganglionitis
    ("B02.24", None),  # B02.24 Postherpetic myelitis
    ("M79.7", "fibromyalgia"),  # M79.7 Fibromyalgia
    ("M79.2", "neuropathic-pain"),  # M79.2 Neuralgia and neuritis, unspecified
    ("G62.9", "neuropathic-pain"),  # G62.9 Polyneuropathy, unspecified
    ("G50.0", "neuropathic-pain"),  # G50.0 Trigeminal neuralgia
    ("G89.0", "neuropathic-pain"),  # G89.0 Central pain syndrome
    ("G89.3", "cancer-pain"),  # G89.3 Neoplasm related pain (acute) (chronic)
    ("G43.709", "migraine"),  # G43.709 Chronic migraine without aura, not intractable, w/o status
    ("G43.909", "migraine"),  # G43.909 Migraine, unspecified, not intractable, w/o status
    ("G43.A0", None),  # G43.A0 Cyclical vomiting, in migraine: a prefix "G43" wrongly took it
    ("G44.229", "headache"),  # G44.229 Chronic tension-type headache, not intractable
    ("R51.9", "headache"),  # R51.9 Headache, unspecified
    ("M54.5", "low-back-pain"),  # M54.5 Low back pain (category since FY2022)
    ("M54.50", "low-back-pain"),  # M54.50 Low back pain, unspecified
    ("M54.51", "low-back-pain"),  # M54.51 Vertebrogenic low back pain
    ("M54.59", "low-back-pain"),  # M54.59 Other low back pain
    ("M54.2", None),  # M54.2 Cervicalgia
    ("G89.29", "other-chronic-pain"),  # G89.29 Other chronic pain
    ("G89.21", "other-chronic-pain"),  # G89.21 Chronic pain due to trauma
    ("G89.4", "other-chronic-pain"),  # G89.4 Chronic pain syndrome
    ("G89.11", None),  # G89.11 Acute pain due to trauma
    ("F32.0", "major-depressive-disorder"),  # F32.0 MDD, single episode, mild
    ("F32.2", "major-depressive-disorder"),  # F32.2 MDD, single episode, severe without psychotic features
    ("F32.3", "major-depressive-disorder"),  # F32.3 MDD, single episode, severe with psychotic features
    ("F32.9", "major-depressive-disorder"),  # F32.9 MDD, single episode, unspecified
    ("F33.1", "major-depressive-disorder"),  # F33.1 MDD, recurrent, moderate
    ("F33.3", "major-depressive-disorder"),  # F33.3 MDD, recurrent, severe with psychotic symptoms
    ("F33.9", "major-depressive-disorder"),  # F33.9 MDD, recurrent, unspecified
    ("F32.81", None),  # F32.81 Premenstrual dysphoric disorder (under F32.8 Other depressive episodes)
    ("F32.89", None),  # F32.89 Other specified depressive episodes
    ("F32.A", None),  # F32.A Depression, unspecified
    ("F32.4", None),  # F32.4 MDD, single episode, in partial remission
    ("F32.5", None),  # F32.5 MDD, single episode, in full remission
    ("F33.40", None),  # F33.40 MDD, recurrent, in remission, unspecified
    ("F33.41", None),  # F33.41 MDD, recurrent, in partial remission
    ("F33.42", None),  # F33.42 MDD, recurrent, in full remission
    ("F33.8", None),  # F33.8 Other recurrent depressive disorders
    ("F32", None),  # the category alone: it also holds F32.81, F32.4, F32.5, F32.A
    ("F33", None),  # the category alone: it also holds F33.4x
    ("F41.1", "generalised-anxiety-disorder"),  # F41.1 Generalized anxiety disorder
    ("F41.9", None),  # F41.9 Anxiety disorder, unspecified
    ("Z00.00", None),
]


@pytest.mark.parametrize(("code", "expected"), ICD_CASES)
def test_icd10_code_maps_to_condition(code: str, expected: str | None) -> None:
    assert [c.id for c in match_icd10(code)] == ([expected] if expected else [])


# Codes that look like major depression but do not count as it (issue 12), each with its reason.
EXCLUDED_CASES = [
    ("F32.81", "premenstrual-dysphoric-disorder"),  # F32.81 Premenstrual dysphoric disorder
    ("F32.4", "depression-in-remission"),  # F32.4 ... single episode, in partial remission
    ("F32.5", "depression-in-remission"),  # F32.5 ... single episode, in full remission
    ("F33.4", "depression-in-remission"),  # F33.4 ... recurrent, in remission (category)
    ("F33.40", "depression-in-remission"),
    ("F33.41", "depression-in-remission"),
    ("F33.42", "depression-in-remission"),
    ("F32.A", "depression-unspecified"),  # F32.A Depression, unspecified
    ("F32.89", "other-depressive-episodes"),
    ("F33.8", "other-depressive-episodes"),
    ("F33.1", None),
    ("G90.50", None),
]


@pytest.mark.parametrize(("code", "expected"), EXCLUDED_CASES)
def test_excluded_codes(code: str, expected: str | None) -> None:
    found = conditions.excluded_icd10(code)
    assert (found.id if found else None) == expected
    if found:
        assert found.cited.source.id == "icd-10-cm-2025"
        assert found.reason


def test_no_condition_is_matched_by_a_bare_category() -> None:
    """Issue 12: exact codes and ranges only; a range runs between two codes of one category."""
    for condition in all_conditions():
        for r in condition.icd10.ranges:
            assert r.first < r.last
            assert r.first[:3] == r.last[:3]


def test_code_range_holds_subdivisions_of_its_ends_only() -> None:
    r = conditions.CodeRange("F33.0", "F33.3")
    assert [r.holds(c) for c in ("F33.0", "F33.01", "F33.3", "F33.31", "F33.4", "F33.40", "F33")] == [
        True, True, True, True, False, False, False,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [("g90.511", "G90.511"), (" M54.50 ", "M54.50"), ("G9051", "G90.51"), ("F33", "F33"), ("r51 9", "R51.9")],
)
def test_normalise_icd10(raw: str, normalised: str) -> None:
    assert normalise_icd10(raw) == normalised


@pytest.mark.parametrize("bad", ["", "ABC", "1234", "G9", "G90.12345", "G90-5"])
def test_normalise_icd10_rejects_non_codes(bad: str) -> None:
    with pytest.raises(ValueError):
        normalise_icd10(bad)


# --- evidence groups (Cohen 2018 as summarised: CRPS B, SCI C, others D) ----------------------

GROUP_CASES = [
    ("crps-1", "B", "supports"),
    ("crps-2", "B", "supports"),
    ("spinal-cord-injury-pain", "C", "supports"),
    ("phantom-limb-pain", "D", "caution"),
    ("postherpetic-neuralgia", "D", "caution"),
    ("neuropathic-pain", "D", "caution"),
    ("fibromyalgia", "D", "caution"),
    ("cancer-pain", "D", "caution"),
    ("ischaemic-pain", "D", "caution"),
    ("migraine", "D", "caution"),
    ("headache", "D", "caution"),
    ("low-back-pain", "D", "caution"),
    ("major-depressive-disorder", "", "supports"),
]


@pytest.mark.parametrize(("condition_id", "grade", "effect"), GROUP_CASES)
def test_condition_evidence_group(condition_id: str, grade: str, effect: str) -> None:
    group = get_condition(condition_id).group
    assert group is not None
    assert (group.grade, group.effect) == (grade, effect)


@pytest.mark.parametrize("condition_id", ["other-chronic-pain", "generalised-anxiety-disorder"])
def test_ungraded_conditions_have_no_group(condition_id: str) -> None:
    assert get_condition(condition_id).group is None


def test_pain_groups_cite_cohen_2018_and_mood_cites_sanacora_2017() -> None:
    for condition in all_conditions():
        if condition.group is None:
            continue
        expected = "cohen-2018" if condition.kind == "pain" else "sanacora-2017"
        assert condition.group.cited.source.id == expected


def test_every_condition_has_a_known_kind_and_unique_id() -> None:
    ids = [c.id for c in all_conditions()]
    assert len(ids) == len(set(ids)) == 15
    assert {c.kind for c in all_conditions()} == {"pain", "mood", "anxiety"}


def test_coding_and_chronicity_are_cited() -> None:
    assert conditions.coding_source().source.id == "icd-10-cm-2025"
    assert conditions.chronicity_source().source.id == "treede-2019"
    assert conditions.chronic_after_months() == 3


def test_unknown_condition_id() -> None:
    with pytest.raises(KeyError):
        get_condition("no-such-condition")


# --- calendar months --------------------------------------------------------------------------

ADD_MONTHS = [
    (date(2025, 3, 15), 3, date(2025, 6, 15)),
    (date(2025, 1, 31), 1, date(2025, 2, 28)),
    (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year
    (date(2023, 11, 30), 3, date(2024, 2, 29)),
    (date(2025, 11, 30), 3, date(2026, 2, 28)),
    (date(2025, 10, 31), 2, date(2025, 12, 31)),
    (date(2025, 12, 15), 1, date(2026, 1, 15)),
]


@pytest.mark.parametrize(("start", "months", "expected"), ADD_MONTHS)
def test_add_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


# --- chronicity: more than three calendar months; exactly three is not chronic ----------------

CHRONICITY = [
    # onset, assessed, whole months, extra days, chronic, chronic from
    (date(2025, 3, 15), date(2025, 6, 14), 2, 30, False, date(2025, 6, 16)),
    (date(2025, 3, 15), date(2025, 6, 15), 3, 0, False, date(2025, 6, 16)),  # exactly 3 months
    (date(2025, 3, 15), date(2025, 6, 16), 3, 1, True, date(2025, 6, 16)),  # 3 months + 1 day
    (date(2023, 11, 30), date(2024, 2, 29), 3, 0, False, date(2024, 3, 1)),  # clamped month end
    (date(2023, 11, 30), date(2024, 3, 1), 3, 1, True, date(2024, 3, 1)),
    (date(2024, 11, 30), date(2025, 2, 28), 3, 0, False, date(2025, 3, 1)),
    (date(2025, 1, 31), date(2025, 4, 30), 3, 0, False, date(2025, 5, 1)),
    (date(2025, 6, 16), date(2025, 6, 16), 0, 0, False, date(2025, 9, 17)),  # onset today
    (date(2020, 2, 29), date(2025, 6, 16), 63, 18, True, date(2020, 5, 30)),
]


@pytest.mark.parametrize(("onset", "assessed", "months", "days", "chronic", "chronic_from"), CHRONICITY)
def test_chronicity_borderline(
    onset: date, assessed: date, months: int, days: int, chronic: bool, chronic_from: date
) -> None:
    c = chronicity(onset, assessed)
    assert (c.whole_months, c.extra_days, c.chronic, c.chronic_from) == (
        months,
        days,
        chronic,
        chronic_from,
    )
    assert c.total_days == (assessed - onset).days
    assert c.cited.source.id == "treede-2019"


def test_chronicity_describe() -> None:
    assert chronicity(date(2025, 3, 15), date(2025, 6, 16)).describe() == "3 months and 1 day"
    assert chronicity(date(2025, 5, 15), date(2025, 6, 15)).describe() == "1 month and 0 days"


def test_onset_after_assessment_is_an_error() -> None:
    with pytest.raises(ValueError, match="after the assessment date"):
        chronicity(date(2025, 6, 17), date(2025, 6, 16))


dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 12, 31))


@given(dates, st.integers(min_value=0, max_value=4000))
def test_chronic_exactly_after_three_calendar_months(onset: date, offset: int) -> None:
    assessed = onset + timedelta(days=offset)
    c = chronicity(onset, assessed)
    assert c.chronic == (assessed > add_months(onset, 3))
    assert c.chronic == (assessed >= c.chronic_from)
    assert not chronicity(onset, c.chronic_from - timedelta(days=1)).chronic
    assert chronicity(onset, c.chronic_from).chronic


@given(dates, st.integers(min_value=0, max_value=4000))
def test_whole_months_bracket_the_date(onset: date, offset: int) -> None:
    assessed = onset + timedelta(days=offset)
    months = whole_months_between(onset, assessed)
    assert add_months(onset, months) <= assessed < add_months(onset, months + 1)
    c = chronicity(onset, assessed)
    assert add_months(onset, c.whole_months) + timedelta(days=c.extra_days) == assessed


@given(dates, st.integers(min_value=0, max_value=2000), st.integers(min_value=1, max_value=400))
def test_chronicity_never_reverts(onset: date, offset: int, later: int) -> None:
    assessed = onset + timedelta(days=offset)
    if chronicity(onset, assessed).chronic:
        assert chronicity(onset, assessed + timedelta(days=later)).chronic
