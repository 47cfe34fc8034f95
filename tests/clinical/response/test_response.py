"""Response classification: per-assessment levels, episodes, relapse, sustained response, flags.

Percentages below are worked by hand: reduction = (baseline - score) / baseline x 100.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketapath.clinical.response import (
    Score,
    classify_response,
    get_measure,
    measures,
)

D0 = date(2025, 1, 1)


def day(n: int) -> date:
    return D0 + timedelta(days=n)


def series(*pairs: tuple[int, int | float | Decimal]) -> list[Score]:
    return [Score(day(n), v) for n, v in pairs]


# --- definitions and their sources ----------------------------------------------------------


def test_definitions_and_sources() -> None:
    pain, phq9 = get_measure("pain-nrs"), get_measure("phq9")
    assert [(lv.code, lv.min_reduction_percent) for lv in pain.levels] == [
        ("substantial", Fraction(50)),
        ("moderate", Fraction(30)),
    ]
    assert [c.source.id for c in pain.levels[1].cited] == ["dworkin-2008", "farrar-2001"]
    assert pain.responding.code == "moderate"
    assert pain.sustained is not None
    assert (pain.sustained.value, pain.sustained.cited.source.id) == (21, "cohen-2023")
    assert [(lv.code, lv.score_below, lv.min_reduction_percent) for lv in phq9.levels] == [
        ("remission", Fraction(5), None),
        ("response", None, Fraction(50)),
    ]
    assert {c.source.id for lv in phq9.levels for c in lv.cited} == {"phq9-success-metrics-2019"}
    assert phq9.responding.code == "response"
    assert phq9.sustained is None
    assert {m.id for m in measures()} == {"pain-nrs", "phq9"}


# --- one assessment at a time -------------------------------------------------------------------

PAIN_POINTS = [
    # baseline, score, reduction %, level, responding
    (8, 8, Fraction(0), None, False),
    (8, 6, Fraction(25), None, False),
    (8, 5.6, Fraction(30), "moderate", True),  # exactly 30%, given as a float
    (8, 5, Fraction(75, 2), "moderate", True),  # 37.5%
    (8, 4, Fraction(50), "substantial", True),  # exactly 50%
    (8, 0, Fraction(100), "substantial", True),
    (8, 10, Fraction(-25), None, False),  # worse than baseline
    (10, 7, Fraction(30), "moderate", True),
    (10, 7.1, Fraction(29), None, False),
    (10, 5, Fraction(50), "substantial", True),
    (10, 5.1, Fraction(49), "moderate", True),
    (7, 4.9, Fraction(30), "moderate", True),  # 2.1 / 7: naive floating point gives 29.999...
    (7, Decimal("4.9"), Fraction(30), "moderate", True),
    (3, 2, Fraction(100, 3), "moderate", True),  # 33.3%
    (1, 1, Fraction(0), None, False),
]


@pytest.mark.parametrize(("baseline", "score", "reduction", "level", "responding"), PAIN_POINTS)
def test_pain_point(
    baseline: int, score: float, reduction: Fraction, level: str | None, responding: bool
) -> None:
    (p,) = classify_response("pain-nrs", Score(D0, baseline), [Score(day(7), score)]).points
    assert (p.reduction_percent, p.level, p.responding) == (reduction, level, responding)


PHQ9_POINTS = [
    # baseline, score, levels met, level, responding
    (20, 10, ("response",), "response", True),  # 50%
    (20, 11, (), None, False),  # 45%
    (20, 4, ("remission", "response"), "remission", True),  # 80% and below 5
    (20, 5, ("response",), "response", True),  # 5 is not below 5
    (8, 4, ("remission", "response"), "remission", True),  # 50% and below 5
    (6, 4, ("remission",), "remission", False),  # 33%: remission without response
    (12, 13, (), None, False),
]


@pytest.mark.parametrize(("baseline", "score", "met", "level", "responding"), PHQ9_POINTS)
def test_phq9_point(
    baseline: int, score: int, met: tuple[str, ...], level: str | None, responding: bool
) -> None:
    (p,) = classify_response("phq9", Score(D0, baseline), [Score(day(14), score)]).points
    assert (p.met, p.level, p.responding) == (met, level, responding)


# --- series: best response, duration, relapse, three weeks --------------------------------------

EPISODES = [
    # id, pain scores after a baseline of 8 on day 0 (responding = 5.6 or less),
    # first response, relapse, duration, confirmed days, sustained, flags
    (
        "over three weeks, ongoing",
        [(7, 4), (14, 5), (31, 5)],
        (7, None, 24, 24, True),
        ("response-sustained",),
    ),
    (
        "under three weeks, relapsed",
        [(7, 4), (14, 5), (21, 7)],
        (7, 21, 14, 7, False),
        ("relapse", "response-not-sustained"),
    ),
    (
        "exactly three weeks to relapse: not over three weeks",
        [(7, 4), (28, 7)],
        (7, 28, 21, 0, False),
        ("relapse", "response-not-sustained"),
    ),
    (
        "confirmed for 21 days, lost by day 22: cannot tell",
        [(7, 4), (28, 5), (29, 7)],
        (7, 29, 22, 21, None),
        ("relapse", "response-duration-uncertain"),
    ),
    (
        "confirmed for 22 days, then relapse: sustained",
        [(7, 4), (29, 5), (32, 7)],
        (7, 32, 25, 22, True),
        ("relapse", "response-sustained"),
    ),
    (
        "ongoing, only a week so far",
        [(7, 4), (14, 5)],
        (7, None, 7, 7, None),
        ("response-too-recent",),
    ),
    (
        "ongoing for exactly 21 days: not yet more",
        [(7, 4), (28, 5)],
        (7, None, 21, 21, None),
        ("response-too-recent",),
    ),
    (
        "late first response",
        [(7, 7), (14, 6), (21, 5.6), (50, 5)],
        (21, None, 29, 29, True),
        ("response-sustained",),
    ),
    ("never responds", [(7, 7), (14, 6), (21, 6)], None, ()),
]


@pytest.mark.parametrize(("scores", "expected", "flags"), [pytest.param(*c[1:], id=c[0]) for c in EPISODES])
def test_pain_episode(
    scores: list[tuple[int, float]],
    expected: tuple[int, int | None, int, int, bool | None] | None,
    flags: tuple[str, ...],
) -> None:
    s = classify_response("pain-nrs", Score(D0, 8), series(*scores))
    assert s.flag_codes() == flags
    if expected is None:
        assert (s.first_response_on, s.relapse_on, s.response_duration_days, s.sustained) == (
            None,
            None,
            None,
            None,
        )
        assert not s.ongoing
        return
    start, relapse, duration, confirmed, sustained = expected
    assert s.first_response_on == day(start)
    assert s.relapse_on == (day(relapse) if relapse is not None else None)
    assert (s.response_duration_days, s.confirmed_response_days, s.sustained) == (
        duration,
        confirmed,
        sustained,
    )
    assert s.ongoing == (relapse is None)


def test_best_response_and_second_episode() -> None:
    s = classify_response("pain-nrs", Score(D0, 8), series((7, 5), (14, 7), (21, 3), (28, 4)))
    assert s.best_level == "substantial"
    assert s.best_reduction_percent == Fraction(125, 2)  # 3 after 8: 62.5%
    assert [(e.start, e.relapse_on, e.duration_days) for e in s.episodes] == [
        (day(7), day(14), 7),
        (day(21), None, 7),
    ]
    assert s.relapse_on == day(14)  # the first episode's relapse
    assert not s.ongoing


def test_relapse_flag_text_and_review() -> None:
    s = classify_response("pain-nrs", Score(D0, 8), series((7, 4), (21, 7)))
    (relapse,) = [f for f in s.flags if f.code == "relapse"]
    assert relapse.text == "Response (moderate) from 2025-01-08 was no longer met on 2025-01-22."
    assert relapse.review
    assert relapse.cited[0].source.id == "dworkin-2008"


def test_phq9_response_and_remission_series() -> None:
    s = classify_response("phq9", Score(D0, 18), series((7, 12), (14, 9), (28, 4), (42, 10)))
    # 12: 33% none; 9: 50% response; 4: 78% and below 5 (remission); 10: 44% relapse
    assert [p.level for p in s.points] == [None, "response", "remission", None]
    assert s.best_level == "remission"
    assert (s.first_response_on, s.relapse_on, s.response_duration_days) == (day(14), day(42), 28)
    assert s.sustained is None  # no sustained-response definition for the PHQ-9
    assert s.flag_codes() == ("relapse",)


# --- missing or degenerate baseline -------------------------------------------------------------


def test_missing_baseline_classifies_nothing() -> None:
    s = classify_response("pain-nrs", None, series((7, 2), (14, 3)))
    assert not s.classified
    assert [(p.reduction_percent, p.level, p.responding) for p in s.points] == [(None, None, None)] * 2
    assert (s.best_level, s.best_reduction_percent, s.episodes) == (None, None, ())
    assert s.flag_codes() == ("no-baseline",)


def test_missing_baseline_with_a_trial_still_only_says_why() -> None:
    s = classify_response("phq9", None, series((7, 2)), trial_ends_on=day(7))
    assert s.flag_codes() == ("no-baseline",)


def test_zero_baseline_pain() -> None:
    s = classify_response("pain-nrs", Score(D0, 0), series((7, 0)))
    assert s.classified
    assert (s.points[0].reduction_percent, s.points[0].level, s.points[0].responding) == (None, None, False)
    assert s.flag_codes() == ("baseline-zero",)


def test_zero_baseline_phq9_can_still_be_in_remission() -> None:
    s = classify_response("phq9", Score(D0, 0), series((7, 0)))
    assert (s.points[0].met, s.points[0].responding) == (("remission",), False)
    assert s.flag_codes() == ("baseline-zero", "baseline-below-studied-range")


@pytest.mark.parametrize(("baseline", "flagged"), [(9, True), (10, False), (27, False)])
def test_phq9_baseline_below_the_studied_range(baseline: int, flagged: bool) -> None:
    s = classify_response("phq9", Score(D0, baseline), series((7, baseline)))
    assert ("baseline-below-studied-range" in s.flag_codes()) is flagged


# --- the protocol's trial --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "trial_end", "flag"),
    [
        ([(7, 7), (28, 7)], 28, "no-response-after-trial"),
        ([(7, 7), (35, 6)], 28, "no-response-after-trial"),  # first assessment after the trial
        ([(7, 4), (28, 7)], 28, None),  # responded (then relapsed): not a non-responder
        ([(7, 7), (28, 5)], 28, None),  # responding at the end of the trial
        ([(7, 7)], 28, "trial-not-assessed"),
        ([(7, 7), (14, 7)], None, None),
    ],
)
def test_non_response_after_trial(
    scores: list[tuple[int, int]], trial_end: int | None, flag: str | None
) -> None:
    end = day(trial_end) if trial_end is not None else None
    s = classify_response("pain-nrs", Score(D0, 8), series(*scores), trial_ends_on=end)
    trial_flags = [f for f in s.flags if f.code in {"no-response-after-trial", "trial-not-assessed"}]
    assert [f.code for f in trial_flags] == ([flag] if flag else [])
    if flag == "no-response-after-trial":
        assert trial_flags[0].review


# --- refused input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("measure", "baseline", "scores", "message"),
    [
        ("pain-nrs", Score(D0, 11), [], "out of range"),
        ("pain-nrs", Score(D0, 8), [Score(day(7), -1)], "out of range"),
        ("phq9", Score(D0, 28), [], "out of range"),
        ("pain-nrs", Score(D0, 8), [Score(D0, 4)], "date order"),
        ("pain-nrs", Score(D0, 8), [Score(day(7), 4), Score(day(7), 5)], "date order"),
        ("pain-nrs", Score(D0, 8), [Score(day(7), 4), Score(day(3), 5)], "date order"),
        ("pain-nrs", Score(D0, True), [], "not a yes/no"),
    ],
)
def test_bad_series_is_refused(measure: str, baseline: Score, scores: list[Score], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        classify_response(measure, baseline, scores)


def test_unknown_measure() -> None:
    with pytest.raises(KeyError):
        classify_response("madrs", Score(D0, 30), [])


# --- properties ------------------------------------------------------------------------------------


@given(st.integers(1, 10), st.integers(0, 10))
def test_pain_level_matches_integer_arithmetic(baseline: int, score: int) -> None:
    (p,) = classify_response("pain-nrs", Score(D0, baseline), [Score(day(1), score)]).points
    drop = baseline - score
    expected = "substantial" if 2 * drop >= baseline else "moderate" if 10 * drop >= 3 * baseline else None
    assert p.level == expected


@given(st.integers(0, 27), st.integers(0, 27))
def test_phq9_levels_match_integer_arithmetic(baseline: int, score: int) -> None:
    (p,) = classify_response("phq9", Score(D0, baseline), [Score(day(1), score)]).points
    response = baseline > 0 and 2 * (baseline - score) >= baseline
    assert p.met == tuple(code for code, ok in (("remission", score < 5), ("response", response)) if ok)


@given(
    st.integers(1, 10),
    st.lists(st.integers(0, 10), max_size=12),
    st.lists(st.integers(1, 20), min_size=12, max_size=12),
)
def test_episodes_cover_exactly_the_responding_runs(
    baseline: int, values: list[int], gaps: list[int]
) -> None:
    days = [sum(gaps[: i + 1]) for i in range(len(values))]
    s = classify_response(
        "pain-nrs", Score(D0, baseline), [Score(day(d), v) for d, v in zip(days, values, strict=False)]
    )
    responding = [p.on for p in s.points if p.responding]
    covered = [p.on for p in s.points for e in s.episodes if e.start <= p.on <= e.last_responding]
    assert covered == responding
    for e in s.episodes:
        assert e.start <= e.last_responding
        assert e.confirmed_days <= e.duration_days
        if e.relapse_on is not None:
            assert e.relapse_on > e.last_responding
            assert e.duration_days == (e.relapse_on - e.start).days
    for earlier, later in zip(s.episodes, s.episodes[1:], strict=False):
        assert earlier.relapse_on is not None and earlier.relapse_on < later.start
    if s.episodes:
        assert s.sustained is not True or s.episodes[0].confirmed_days > 21
        assert s.sustained is not False or s.episodes[0].duration_days <= 21
