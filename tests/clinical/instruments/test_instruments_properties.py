"""Property tests of the one engine over every shipped definition (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketapath.clinical.instruments import (
    AnswerError,
    Instrument,
    all_instruments,
    change,
    get_instrument,
    score,
)
from ketapath.clinical.instruments.engine import is_asked

IDS = sorted(all_instruments())


@st.composite
def complete_answers(draw: st.DrawFn, definition: Instrument) -> dict[str, int | None]:
    answers: dict[str, int | None] = {}
    given_so_far: dict[str, int] = {}
    for item in definition.items:
        if item.ask_if and not is_asked(item, given_so_far):
            continue
        value = draw(st.sampled_from(item.values))
        answers[item.id] = value
        given_so_far[item.id] = value
    return answers


@st.composite
def instrument_and_answers(draw: st.DrawFn) -> tuple[Instrument, dict[str, int | None]]:
    definition = get_instrument(draw(st.sampled_from(IDS)))
    return definition, draw(complete_answers(definition))


@settings(max_examples=300)
@given(instrument_and_answers())
def test_complete_answers_score_every_scale_within_its_range(
    case: tuple[Instrument, dict[str, int | None]],
) -> None:
    definition, answers = case
    result = score(definition, answers)
    assert result.complete
    for scale in definition.scales:
        value = result.scale(scale.id).value
        assert value is not None
        assert scale.minimum <= value <= scale.maximum


@settings(max_examples=300)
@given(instrument_and_answers())
def test_sums_add_up_item_points_with_reversed_items_mirrored(
    case: tuple[Instrument, dict[str, int | None]],
) -> None:
    definition, answers = case
    result = score(definition, answers)
    for scale in definition.scales:
        expected = 0
        for item_id in scale.items:
            item = definition.item(item_id)
            value = answers[item_id]
            assert value is not None
            expected += (item.min_value + item.max_value - value) if item.reversed else value
        if scale.method == "sum":
            assert result.scale(scale.id).value == expected
        else:
            mean = result.scale(scale.id).value
            assert mean is not None
            assert abs(mean - expected / len(scale.items)) <= 0.5 * 10 ** (-scale.decimals) + 1e-9


@settings(max_examples=200)
@given(instrument_and_answers())
def test_every_scored_value_falls_in_exactly_one_band(
    case: tuple[Instrument, dict[str, int | None]],
) -> None:
    definition, answers = case
    result = score(definition, answers)
    for scale in definition.scales:
        if not scale.bands:
            continue
        value = result.scale(scale.id).value
        holding = [b for b in scale.bands if b.min <= value <= b.max]  # type: ignore[operator]
        assert len(holding) == 1
        assert result.scale(scale.id).band == holding[0].label


@pytest.mark.parametrize("instrument_id", IDS)
def test_bands_cover_the_range_without_gaps_or_overlaps(instrument_id: str) -> None:
    for scale in get_instrument(instrument_id).scales:
        if not scale.bands:
            continue
        for point in range(int(scale.minimum), int(scale.maximum) + 1):
            assert sum(b.min <= point <= b.max for b in scale.bands) == 1, (scale.id, point)


@settings(max_examples=200)
@given(instrument_and_answers(), st.data())
def test_dropping_an_item_of_a_sum_leaves_it_unscored(
    case: tuple[Instrument, dict[str, int | None]], data: st.DataObject
) -> None:
    definition, answers = case
    sums = [s for s in definition.scales if s.method == "sum"]
    if not sums:
        return
    scale = data.draw(st.sampled_from(sums))
    dropped = data.draw(st.sampled_from(scale.items))
    remaining = {k: v for k, v in answers.items() if k != dropped and v is not None}
    # A conditional item whose condition no longer holds is not asked, so it is dropped too.
    kept = {k: v for k, v in remaining.items() if is_asked(definition.item(k), remaining)}
    result = score(definition, kept)
    assert result.scale(scale.id).value is None
    assert dropped in result.missing and not result.complete


@settings(max_examples=200)
@given(st.sampled_from(IDS), st.data())
def test_a_value_outside_the_options_is_rejected(instrument_id: str, data: st.DataObject) -> None:
    definition = get_instrument(instrument_id)
    item = data.draw(st.sampled_from([i for i in definition.items if not i.ask_if]))
    bad = data.draw(st.integers(-20, 20).filter(lambda v: v not in item.values))
    with pytest.raises(AnswerError):
        score(definition, {item.id: bad})


@settings(max_examples=200)
@given(complete_answers(get_instrument("phq-9")), st.integers(1, 3))
def test_phq9_item9_alert_whatever_the_other_answers(answers: dict[str, int | None], item9: int) -> None:
    result = score(get_instrument("phq-9"), answers | {"q9": item9})
    assert "self-harm-thoughts" in {a.id for a in result.alerts}
    quiet = score(get_instrument("phq-9"), answers | {"q9": 0})
    assert "self-harm-thoughts" not in {a.id for a in quiet.alerts}


@settings(max_examples=200)
@given(complete_answers(get_instrument("icsi-icpi")))
def test_icsi_and_icpi_add_up_to_all_items(answers: dict[str, int | None]) -> None:
    result = score(get_instrument("icsi-icpi"), answers)
    icsi, icpi = result.scale("icsi").value, result.scale("icpi").value
    assert icsi is not None and icpi is not None
    assert icsi + icpi == sum(v for v in answers.values() if v is not None)


@settings(max_examples=200)
@given(st.sampled_from(IDS), st.data())
def test_change_is_current_minus_baseline(instrument_id: str, data: st.DataObject) -> None:
    definition = get_instrument(instrument_id)
    before = score(definition, data.draw(complete_answers(definition)))
    after = score(definition, data.draw(complete_answers(definition)))
    moved = change(definition, before, after)
    assert before.total is not None and after.total is not None and moved.absolute is not None
    assert abs(moved.absolute - (after.total - before.total)) < 1e-6
    if before.total != 0:
        assert moved.percent is not None
        assert abs(moved.percent - 100 * (after.total - before.total) / before.total) <= 0.005 + 1e-9
    else:
        assert moved.percent is None
