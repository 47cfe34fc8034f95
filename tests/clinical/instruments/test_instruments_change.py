"""Change over time: absolute, percent, clinically important, response, remission."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ketapath.clinical.instruments import (
    ChangeRule,
    Threshold,
    change,
    get_instrument,
    score,
)
from ketapath.clinical.sources import Cited, get_source


def phq9(total_items: list[int]) -> object:
    return score(
        get_instrument("phq-9"), dict(zip(get_instrument("phq-9").item_ids, total_items, strict=False))
    )


def test_phq9_five_point_drop_is_clinically_important() -> None:
    # Löwe 2004: MCID for individual change = 5 points. 20 -> 14 is -6 (-30%): important.
    definition = get_instrument("phq-9")
    before = score(definition, dict(zip(definition.item_ids, [3, 3, 3, 3, 2, 2, 2, 2, 0], strict=False)))
    after = score(definition, dict(zip(definition.item_ids, [2, 2, 2, 2, 2, 2, 1, 1, 0], strict=False)))
    assert (before.total, after.total) == (20, 14)
    moved = change(definition, before, after)
    assert (moved.absolute, moved.percent, moved.improved, moved.clinically_important) == (
        -6,
        -30.0,
        True,
        True,
    )
    # No response or remission threshold is cited for the PHQ-9, so none is claimed.
    assert moved.response is None and moved.remission is None


def test_phq9_four_point_drop_is_not() -> None:
    definition = get_instrument("phq-9")
    before = score(definition, dict(zip(definition.item_ids, [2, 2, 2, 2, 2, 1, 1, 0, 0], strict=False)))
    after = score(definition, dict(zip(definition.item_ids, [1, 1, 1, 1, 2, 1, 1, 0, 0], strict=False)))
    moved = change(definition, before, after)
    assert (moved.absolute, moved.clinically_important) == (-4, False)


@pytest.mark.parametrize(
    ("before", "after", "absolute", "percent", "important"),
    [
        (8, 5, -3, -37.5, True),  # fact sheet example 12: >= 2 points and >= 30 %
        (4, 3, -1, -25.0, False),  # example 13: below both thresholds
        (10, 7, -3, -30.0, True),  # exactly 30 % counts
        (3, 2, -1, -33.33, True),  # 1 point but 33 %: Farrar's percent criterion alone suffices
        (2, 5, 3, 150.0, True),  # a clinically important worsening
    ],
)
def test_nrs_farrar_thresholds(
    before: int, after: int, absolute: int, percent: float, important: bool
) -> None:
    nrs = get_instrument("nrs-pain")
    moved = change(nrs, score(nrs, {"intensity": before}), score(nrs, {"intensity": after}))
    assert (moved.absolute, moved.percent, moved.clinically_important) == (absolute, percent, important)
    assert moved.improved is (after < before)


def test_zero_baseline_has_no_percent() -> None:
    nrs = get_instrument("nrs-pain")
    moved = change(nrs, score(nrs, {"intensity": 0}), score(nrs, {"intensity": 3}))
    assert moved.percent is None and moved.absolute == 3 and moved.clinically_important is True


def test_missing_score_gives_no_judgement() -> None:
    definition = get_instrument("peg")
    moved = change(
        definition,
        score(definition, {"pain": 5}),
        score(definition, {"pain": 3, "enjoyment": 3, "activity": 3}),
    )
    assert moved.absolute is None and moved.clinically_important is None


def test_instrument_without_thresholds_claims_nothing() -> None:
    definition = get_instrument("peg")
    moved = change(
        definition,
        score(definition, {"pain": 8, "enjoyment": 7, "activity": 9}),
        score(definition, {"pain": 5, "enjoyment": 4, "activity": 6}),
    )
    # Fact sheet example 11: 8.0 -> 5.0, -3.0 (-37.5 %); no PEG MCID is published.
    assert (moved.absolute, moved.percent) == (-3, -37.5)
    assert moved.clinically_important is None and moved.improved is None


def test_subscale_change() -> None:
    # BPI interference 6.14 -> 5.0: -1.14 >= 1 point (IMMPACT via ePPOC).
    bpi = get_instrument("bpi-sf")
    ids = bpi.item_ids
    before = score(bpi, dict(zip(ids, [8, 3, 6, 5, 7, 6, 5, 8, 4, 6, 7], strict=False)))
    after = score(bpi, dict(zip(ids, [8, 3, 6, 5, 5, 5, 5, 5, 5, 5, 5], strict=False)))
    moved = change(bpi, before, after, scale="interference")
    assert moved.absolute == -1.14 and moved.clinically_important is True


def test_response_and_remission_when_a_definition_cites_them() -> None:
    # A test-only rule (50 % response, remission at 4 or less) to exercise the engine.
    cited = Cited(get_source("lowe-2004"), "test rule")
    definition = get_instrument("phq-9")
    scale = replace(
        definition.primary_scale,
        change=ChangeRule(
            "lower-is-better", response_percent=Threshold(50, cited), remission_max=Threshold(4, cited)
        ),
    )
    custom = replace(definition, scales=(scale,))
    ids = definition.item_ids
    before = score(custom, dict(zip(ids, [2, 2, 2, 2, 2, 2, 2, 2, 0], strict=False)))  # 16
    half = score(custom, dict(zip(ids, [1, 1, 1, 1, 1, 1, 1, 1, 0], strict=False)))  # 8
    low = score(custom, dict(zip(ids, [1, 1, 1, 1, 0, 0, 0, 0, 0], strict=False)))  # 4
    assert (change(custom, before, half).response, change(custom, before, half).remission) == (True, False)
    assert (change(custom, before, low).response, change(custom, before, low).remission) == (True, True)
    slight = score(custom, dict(zip(ids, [2, 2, 2, 2, 2, 1, 1, 1, 0], strict=False)))  # 13
    assert change(custom, before, slight).response is False


def test_results_of_another_instrument_are_refused() -> None:
    nrs = get_instrument("nrs-pain")
    gad2 = get_instrument("gad-2")
    with pytest.raises(ValueError, match="cannot be compared"):
        change(nrs, score(gad2, {"q1": 1, "q2": 1}), score(nrs, {"intensity": 3}))
