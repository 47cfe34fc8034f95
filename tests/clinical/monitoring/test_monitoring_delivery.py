"""Delivered dose from pump events, against hand-computed sequences with pauses and boluses."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest

from ketapath.clinical.delivery import (
    DeliveryError,
    EventKind,
    InfusionEvent,
    compare_with_plan,
    summarise,
)
from ketapath.clinical.dosing import WeightRecord, plan_session
from ketapath.clinical.protocols import published_protocols

T0 = datetime(2025, 3, 3, 9, 0)
K = EventKind


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def ev(minutes: float, kind: EventKind, rate: str | None = None, dose: str | None = None) -> InfusionEvent:
    return InfusionEvent(
        at(minutes), kind, None if rate is None else D(rate), None if dose is None else D(dose)
    )


def test_rate_change() -> None:
    # 30 mg/h for 20 min (10 mg) then 60 mg/h for 20 min (20 mg): 30 mg, 0.5 mg/kg at 60 kg
    s = summarise([ev(0, K.START, "30"), ev(20, K.RATE_CHANGE, "60"), ev(40, K.STOP)], weight_kg=D(60))
    assert [(x.start_min, x.duration_min, x.rate_mg_per_h) for x in s.segments] == [
        (D(0), D(20), D(30)),
        (D(20), D(20), D(60)),
    ]
    assert (s.total_mg, s.total_mg_per_kg, s.infusing_min, s.paused_min, s.elapsed_min) == (
        D(30),
        D("0.5"),
        D(40),
        D(0),
        D(40),
    )
    assert s.stopped


def test_pause_and_resume_at_a_new_rate() -> None:
    # 52.5 mg/h 0-10 min = 8.75 mg; paused 10-15; 60 mg/h 15-45 = 30 mg -> 38.75 mg
    s = summarise(
        [ev(0, K.START, "52.5"), ev(10, K.PAUSE), ev(15, K.RESUME, "60"), ev(45, K.STOP)], weight_kg=D(70)
    )
    assert s.total_mg == D("38.75")
    assert (s.infusing_min, s.paused_min, s.elapsed_min) == (D(40), D(5), D(45))
    assert [x.rate_mg_per_h for x in s.segments] == [D("52.5"), D(60)]


def test_resume_keeps_the_previous_rate() -> None:
    s = summarise([ev(0, K.START, "30"), ev(10, K.PAUSE), ev(20, K.RESUME), ev(40, K.STOP)], weight_kg=D(60))
    assert [x.rate_mg_per_h for x in s.segments] == [D(30), D(30)]
    assert s.total_mg == D(15)  # 30 mg/h for 30 min


def test_boluses() -> None:
    # 10 mg at 0, 20 mg/h 0-60 min (20 mg), 5 mg at 30 -> 35 mg; at 70 kg 0.5 mg/kg
    s = summarise(
        [ev(0, K.BOLUS, dose="10"), ev(0, K.START, "20"), ev(30, K.BOLUS, dose="5"), ev(60, K.STOP)],
        weight_kg=D(70),
    )
    assert [(b.at_min, b.dose_mg) for b in s.boluses] == [(D(0), D(10)), (D(30), D(5))]
    assert (s.infused_mg, s.bolus_mg, s.total_mg, s.total_mg_per_kg) == (D(20), D(15), D(35), D("0.5"))


def test_bolus_while_paused_and_stop_while_paused() -> None:
    s = summarise(
        [ev(0, K.START, "60"), ev(10, K.PAUSE), ev(12, K.BOLUS, dose="5"), ev(20, K.STOP)], weight_kg=D(50)
    )
    assert s.total_mg == D(15)  # 10 mg infused + 5 mg bolus
    assert (s.infusing_min, s.paused_min) == (D(10), D(10))


def test_seconds_are_kept() -> None:
    start = InfusionEvent(T0, K.START, D(60))
    stop = InfusionEvent(T0 + timedelta(minutes=40, seconds=30), K.STOP)
    s = summarise([start, stop], weight_kg=D(80))
    assert s.infusing_min == D("40.5") and s.total_mg == D("40.5")


def test_running_infusion_needs_as_of() -> None:
    events = [ev(0, K.START, "30")]
    with pytest.raises(DeliveryError, match="has not been stopped"):
        summarise(events, weight_kg=D(60))
    s = summarise(events, weight_kg=D(60), as_of=at(30))
    assert (s.total_mg, s.stopped) == (D(15), False)
    paused = summarise([ev(0, K.START, "30"), ev(10, K.PAUSE)], weight_kg=D(60), as_of=at(25))
    assert (paused.total_mg, paused.paused_min) == (D(5), D(15))


@pytest.mark.parametrize(
    ("events", "message"),
    [
        (
            [ev(0, K.START, "30"), ev(5, K.PAUSE), ev(6, K.RATE_CHANGE, "40"), ev(9, K.STOP)],
            "event 3 \\(rate-change\\) while paused: record a resume",
        ),
        ([ev(0, K.START, "30"), ev(5, K.RESUME), ev(9, K.STOP)], "event 2 \\(resume\\) without a"),
        ([ev(0, K.START, "30"), ev(5, K.PAUSE), ev(6, K.PAUSE)], "already paused"),
        ([ev(0, K.STOP)], "event 1 \\(stop\\) before the infusion started"),
        ([ev(0, K.RATE_CHANGE, "30")], "while the infusion is stopped"),
        (
            [ev(0, K.START, "30"), ev(9, K.STOP), ev(10, K.BOLUS, dose="5")],
            "event 3 \\(bolus\\) comes after the stop",
        ),
        ([ev(0, K.START, "30"), ev(9, K.STOP), ev(10, K.START, "30")], "comes after the stop"),
        ([ev(0, K.START, "30"), ev(2, K.START, "30")], "already started"),
        ([ev(5, K.START, "30"), ev(2, K.STOP)], "event 2 \\(stop\\) is earlier than event 1"),
        ([ev(0, K.START, "0")], "more than 0 mg/h \\(record a pause"),
        ([ev(0, K.START)], "needs a rate"),
        ([ev(0, K.START, "30"), ev(3, K.BOLUS)], "needs a dose"),
        ([ev(0, K.START, "30"), ev(3, K.PAUSE, "10")], "cannot carry a rate"),
        ([ev(0, K.START, "30", dose="5")], "cannot carry a bolus dose"),
        ([], "no events"),
    ],
)
def test_impossible_sequences_are_refused(events: list[InfusionEvent], message: str) -> None:
    with pytest.raises(DeliveryError, match=message):
        summarise(events, weight_kg=D(70))


def test_mixed_time_zones_are_refused() -> None:
    aware = InfusionEvent(datetime(2025, 3, 3, 9, 30, tzinfo=UTC), K.STOP)
    with pytest.raises(DeliveryError, match="time zone"):
        summarise([ev(0, K.START, "30"), aware], weight_kg=D(70))


def test_segments_as_a_pk_regimen() -> None:
    s = summarise(
        [ev(0, K.BOLUS, dose="10"), ev(0, K.START, "30"), ev(20, K.RATE_CHANGE, "60"), ev(40, K.STOP)],
        weight_kg=D(60),
    )
    steps = [(x.start_min, x.duration_min, x.dose_mg) for x in s.pk_steps()]
    assert steps == [(0.0, 0.0, 10.0), (0.0, 20.0, 10.0), (20.0, 20.0, 20.0)]
    # a bag labelled as hydrochloride: every dose times the base fraction
    halved = [x.dose_mg for x in s.pk_steps(D("0.5"))]
    assert halved == [5.0, 5.0, 10.0]


def test_compare_with_plan() -> None:
    # Singh at 70 kg: 35 mg planned over 40 min; delivered 38.75 mg (see the pause test)
    plan = plan_session(
        published_protocols()["singh-2016-trd"], WeightRecord(D(70), date(2025, 3, 1)), on=date(2025, 3, 3)
    )
    s = summarise(
        [ev(0, K.START, "52.5"), ev(10, K.PAUSE), ev(15, K.RESUME, "60"), ev(45, K.STOP)], weight_kg=D(70)
    )
    cmp = compare_with_plan(s, plan)
    assert (cmp.planned_mg, cmp.delivered_mg, cmp.difference_mg) == (D(35), D("38.75"), D("3.75"))
    assert abs(cmp.delivered_percent - D("110.7142857")) < D("1e-6")
    assert (cmp.planned_min, cmp.infusing_min) == (D(40), D(40))
