"""The glue between stored plans and the dosing core, and the clinic settings the plans declare."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from ketapath.clinic_settings.registry import all_specs
from ketapath.clinical.dosing import DoseChoices, LimitOrigin, WeightRecord
from ketapath.clinical.dosing import plan_course as core_plan_course
from ketapath.clinical.protocols import Route, published_protocols
from ketapath.clinical.schedule import PhaseChoice
from ketapath.plans.compute import (
    PlanInputs,
    choices_from_json,
    normalised,
    phases_from_json,
    plan_course,
    snapshot,
)
from ketapath.plans.limits import clinic_dosing, setting_specs
from tests.plans.conftest import PUMP

MONDAY = date(2025, 3, 3)


@pytest.mark.parametrize(
    ("protocol_id", "choices", "phases"),
    [
        ("singh-2016-trd", DoseChoices(), (PhaseChoice(per_week=2),)),
        ("tankha-2025-chronic-pain", DoseChoices(), ()),
        ("schwartzman-2009-crps", DoseChoices(), ()),
        (
            "spravato-trd",
            DoseChoices(dose_mg=Decimal(84)),
            (PhaseChoice(), PhaseChoice(), PhaseChoice(every_days=7, sessions=3)),
        ),
        (
            "cohen-2018-first-trial",
            DoseChoices(rate_mg_per_kg_per_h=Decimal(1), duration_min=Decimal(150)),
            (),
        ),
    ],
)
def test_course_matches_the_cores_plan_course(protocol_id, choices, phases):
    """A course starting at session 1 is exactly the dosing core's own ``plan_course``."""
    protocol = published_protocols()[protocol_id]
    inputs = PlanInputs(
        protocol_id,
        Decimal(80),
        MONDAY,
        MONDAY,
        choices,
        phases,
        None,
        PUMP if protocol.is_infusion else None,
    )
    dosing = clinic_dosing({"dosing.iv.max_rate_mg_per_h": Decimal(60)})
    limits = dosing.limits_for(protocol.route)
    ours = plan_course(protocol, inputs, limits, on=MONDAY, min_gap_days=None)
    core = core_plan_course(
        protocol,
        WeightRecord(Decimal(80), MONDAY),
        start=MONDAY,
        choices=choices,
        phases=phases,
        pump=inputs.pump,
        clinic=limits,
    )
    assert [(s.number, s.on, s.dose.dose_mg, s.dose.steps) for s in ours.sessions] == [
        (s.number, s.on, s.dose.dose_mg, s.dose.steps) for s in core.sessions
    ]
    assert ours.check == core.check and ours.notes == core.notes


def test_a_revision_continues_the_numbering_so_the_first_dose_is_not_repeated():
    protocol = published_protocols()["spravato-trd"]
    inputs = PlanInputs(
        "spravato-trd",
        Decimal(70),
        MONDAY,
        MONDAY,
        DoseChoices(dose_mg=Decimal(84)),
        (PhaseChoice(weeks=1), PhaseChoice(weeks=1), PhaseChoice(every_days=7, sessions=1)),
    )
    limits = clinic_dosing({}).limits_for(Route.INTRANASAL)
    fresh = plan_course(protocol, inputs, limits, on=MONDAY, min_gap_days=None)
    assert [s.dose.dose_mg for s in fresh.sessions][:2] == [Decimal(56), Decimal(84)]
    revised = plan_course(protocol, inputs, limits, on=MONDAY, min_gap_days=None, first_number=5)
    assert [s.number for s in revised.sessions] == [5, 6, 7, 8]
    assert {s.dose.dose_mg for s in revised.sessions} == {Decimal(84)}


def test_snapshot_groups_an_exceedance_over_its_sessions_and_keys_the_numbers():
    protocol = published_protocols()["singh-2016-trd"]
    inputs = PlanInputs(
        "singh-2016-trd",
        Decimal(70),
        MONDAY,
        MONDAY,
        DoseChoices(dose_mg_per_kg=Decimal("0.75")),
        (PhaseChoice(per_week=3, weeks=1),),
        None,
        PUMP,
    )
    limits = clinic_dosing({}).limits_for(Route.IV)
    course = plan_course(protocol, inputs, limits, on=MONDAY, min_gap_days=None)
    snap = snapshot(course, protocol, PUMP)
    assert snap.exceeds_limits
    [hit] = snap.check["exceeded"]
    assert hit["sessions"] == [1, 2, 3] and hit["origin"] == LimitOrigin.PROTOCOL.value
    assert hit["source"] == "Singh 2016, Abstract (Method)"
    again = snapshot(plan_course(protocol, inputs, limits, on=MONDAY, min_gap_days=None), protocol, PUMP)
    assert again.key == snap.key
    later = snapshot(
        plan_course(protocol, inputs, limits, on=MONDAY + timedelta(days=1), min_gap_days=None),
        protocol,
        PUMP,
    )
    assert later.key != snap.key  # the weight is a day older


def test_stored_forms_round_trip():
    choices = DoseChoices(dose_mg_per_kg=Decimal("0.75"), duration_min=Decimal(40))
    inputs = PlanInputs("x", Decimal("70.04"), MONDAY, MONDAY, choices, (PhaseChoice(per_week=2, weeks=3),))
    assert choices_from_json(inputs.choices_json()) == choices
    assert phases_from_json(inputs.phases_json()) == inputs.phases
    assert normalised(inputs).weight_kg == Decimal("70.0")


def test_the_dosing_settings_are_registered_without_defaults():
    specs = all_specs()
    for spec in setting_specs():
        assert spec.name in specs and specs[spec.name].group == "Treatment plans: dosing limits and pumps"
    assert specs["dosing.iv.max_rate_mg_per_h"].unit == "mg/h"
    assert specs["dosing.iv.max_rate_mg_per_kg_per_h"].unit == "mg/kg/h"
    assert specs["dosing.oral.max_dose_mg_per_session"].unit == "mg"
    with pytest.raises(ValueError, match="at least"):
        specs["dosing.iv.max_rate_mg_per_h"].parse("0")
    empty = clinic_dosing({}).limits_for(Route.IV)
    assert (empty.max_rate_mg_per_h, empty.max_rate_mg_per_kg_per_h, empty.max_dose_mg_per_session) == (
        None,
        None,
        None,
    )
    assert empty.max_weight_age_days is None


def test_rate_maxima_are_for_infusions_only():
    dosing = clinic_dosing(
        {"dosing.iv.max_rate_mg_per_h": Decimal(40), "dosing.intranasal.max_dose_mg_per_session": Decimal(84)}
    )
    nasal = dosing.limits_for(Route.INTRANASAL)
    assert nasal.max_rate_mg_per_h is None and nasal.max_dose_mg_per_session == Decimal(84)
