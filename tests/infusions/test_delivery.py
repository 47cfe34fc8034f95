"""The delivered dose, computed through the actions from the recorded pump events, against doses
worked out by hand; and the sequences the delivery core refuses, refused at entry."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ketapath.infusions import actions, flowsheet
from ketapath.infusions.actions import ChartingRefused
from ketapath.infusions.models import InfusionEventEntry


def delivered(chart):
    sheet = flowsheet.load(chart.session)
    return sheet.delivery


def started(chart):
    chart.prechecks()
    chart.vitals()
    chart.clock.shift(5)
    chart.event("start", rate_ml="52.5")  # 1 mg/mL bag: 52.5 mg/h


def test_forty_minutes_at_the_planned_rate_is_the_planned_dose(chart):
    started(chart)
    chart.clock.shift(40)
    chart.event("stop")
    d = delivered(chart)
    # 52.5 mg/h x 40 min = 35 mg; 35 mg / 70 kg = 0.5 mg/kg.
    assert d.summary.total_mg == Decimal("35")
    assert d.summary.total_mg_per_kg == Decimal("0.5")
    assert d.summary.infusing_min == 40
    assert d.comparison.planned_mg == Decimal("35")
    assert d.comparison.delivered_percent == 100


def test_rate_change_pause_resume_and_bolus(chart):
    started(chart)
    chart.clock.shift(10)  # 10 min at 52.5 mg/h = 8.75 mg
    chart.event("rate-change", rate_ml="30")
    chart.clock.shift(10)  # 10 min at 30 mg/h = 5 mg
    chart.event("pause")
    chart.clock.shift(6)  # paused 6 min
    # (45, not above the plan's 52.5 mg/h: a faster rate is refused, see test_rate_limits.py)
    chart.event("resume", rate_ml="45")
    chart.clock.shift(5)  # 5 min at 45 mg/h = 3.75 mg
    chart.event("bolus", dose="2.5")
    chart.clock.shift(15)  # 15 min at 45 mg/h = 11.25 mg
    chart.event("stop")
    d = delivered(chart)
    assert d.summary.infused_mg == Decimal("28.75")
    assert d.summary.bolus_mg == Decimal("2.5")
    assert d.summary.total_mg == Decimal("31.25")
    assert d.summary.infusing_min == 40
    assert d.summary.paused_min == 6
    assert d.summary.elapsed_min == 46


def test_a_running_infusion_is_summarised_up_to_now_and_reminds_at_the_planned_end(chart):
    started(chart)
    chart.clock.shift(20)
    d = delivered(chart)
    assert d.summary.total_mg == Decimal("17.5")
    assert d.running and not d.planned_end_reached
    assert d.conc_ng_per_ml and d.conc_ng_per_ml > 0  # the PK engine's prediction now
    chart.clock.shift(20)
    assert delivered(chart).planned_end_reached


def test_hydrochloride_milligrams_reach_the_pk_engine_as_base(chart):
    from ketapath.clinical.dosing import base_per_hydrochloride

    started(chart)  # the test bag is labelled in mg of hydrochloride
    chart.clock.shift(40)
    chart.event("stop")
    d = delivered(chart)
    steps = flowsheet.pk_steps(d)
    assert steps[0].dose_mg == pytest.approx(float(Decimal(35) * base_per_hydrochloride()))


@pytest.mark.parametrize(
    ("sequence", "words"),
    [
        (["start", "start"], "already started"),
        (["start", "pause", "rate-change"], "while paused"),
        (["start", "resume"], "without a pause"),
        (["start", "stop", "resume"], "after the stop"),
    ],
)
def test_impossible_sequences_are_refused_and_nothing_is_kept(chart, sequence, words):
    chart.prechecks()
    chart.vitals()
    *good, bad = sequence
    for kind in good:
        chart.clock.shift(1)
        chart.event(kind, rate_ml="50" if kind in ("start", "rate-change") else None)
    before = InfusionEventEntry.objects.count()
    chart.clock.shift(1)
    with pytest.raises(ChartingRefused, match=words):
        chart.event(bad, rate_ml="40" if bad in ("start", "rate-change", "resume") else None)
    assert InfusionEventEntry.objects.count() == before


def test_every_administration_row_carries_the_drug_record(chart):
    from tests.infusions.conftest import key

    chart.prechecks()
    chart.vitals()
    with pytest.raises(ChartingRefused, match="lot number and expiry"):
        actions.record_event(
            chart.session,
            chart.nurse,
            client_key=key(),
            observed_at=chart.clock.now(),
            kind="start",
            rate_ml_per_h=Decimal(50),
            drug=actions.Drug("Ketamine", Decimal(1), "base", "", None),
        )
    from datetime import timedelta

    expired = actions.Drug("Ketamine", Decimal(1), "base", "L1", chart.clock.now().date() - timedelta(days=1))
    with pytest.raises(ChartingRefused, match="expired"):
        actions.record_event(
            chart.session,
            chart.nurse,
            client_key=key(),
            observed_at=chart.clock.now(),
            kind="start",
            rate_ml_per_h=Decimal(50),
            drug=expired,
        )
    chart.event("start", rate_ml="50")
    row = InfusionEventEntry.objects.get()
    assert (row.product, row.lot_number, row.conc_salt_basis) == (
        "Ketamine in saline 1 mg/mL (test)",
        "LOT-T1",
        "hydrochloride",
    )
    assert row.rate_mg_per_h == Decimal("50")
    # A second bag recorded in another salt basis would make the milligrams incomparable.
    chart.clock.shift(5)
    other = actions.Drug(
        "Ketamine base", Decimal(2), "base", "L2", chart.clock.now().date() + timedelta(days=9)
    )
    with pytest.raises(ChartingRefused, match="same way"):
        actions.record_event(
            chart.session,
            chart.nurse,
            client_key=key(),
            observed_at=chart.clock.now(),
            kind="rate-change",
            rate_ml_per_h=Decimal(20),
            drug=other,
        )


def test_the_pk_chart_runs_an_hour_past_the_stop_to_a_whole_five_minutes(chart):
    from ketapath.infusions.display import CHART_ROUNDING_MIN, pk_chart

    started(chart)
    chart.clock.shift(37)
    chart.event("stop")
    chart.clock.shift(1)
    preview, note = pk_chart(flowsheet.load(chart.session))
    assert note == "" and preview is not None
    end = preview.time_min[-1]
    assert end % CHART_ROUNDING_MIN == 0 and 38 + 60 <= end < 38 + 60 + CHART_ROUNDING_MIN
    assert preview.end_of_infusion_min == pytest.approx(37)
    # A reload a minute later, within the same five minutes, draws the same preview.
    chart.clock.shift(1)
    assert pk_chart(flowsheet.load(chart.session))[0] is preview
