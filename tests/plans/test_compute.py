"""The glue between stored plans and the dosing core, and the clinic settings the plans declare."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from ketapath.clinic_settings.registry import all_specs
from ketapath.clinical.dosing import DoseChoices, DoseInputError, LimitOrigin, WeightRecord
from ketapath.clinical.dosing import plan_course as core_plan_course
from ketapath.clinical.protocols import Route, published_protocols
from ketapath.clinical.schedule import PhaseChoice
from ketapath.plans.compute import (
    PlanInputs,
    choices_from_json,
    limits_json,
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
        # Issue 12: Schwartzman's 0.35 mg/kg/h is a maximum, so the rate is chosen (here below it).
        ("schwartzman-2009-crps", DoseChoices(rate_mg_per_kg_per_h=Decimal("0.25")), ()),
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


# ----------------------------------------------------------------------------------------------
# Issue 12: protocol and dosing corrections, at the plans' level
# ----------------------------------------------------------------------------------------------

MIN_KEY = "dosing.iv.min_fixed_dose_duration_min"


def _course(protocol_id, choices, values, phases=()):
    protocol = published_protocols()[protocol_id]
    inputs = PlanInputs(
        protocol_id,
        Decimal(70),
        MONDAY,
        MONDAY,
        choices,
        phases,
        None,
        PUMP if protocol.is_infusion else None,
    )
    limits = clinic_dosing(values).limits_for(protocol.route)
    return protocol, plan_course(protocol, inputs, limits, on=MONDAY, min_gap_days=None)


def test_the_minimum_fixed_dose_duration_is_a_gated_setting_without_default():
    spec = all_specs()[MIN_KEY]
    assert (spec.kind, spec.unit, spec.gates) == ("integer", "min", ("plan@iv",))
    assert (spec.minimum, spec.maximum) == (Decimal(1), Decimal(1440))
    with pytest.raises(ValueError, match="at least"):
        spec.parse("0")
    assert spec.parse("45") == 45
    assert clinic_dosing({}).limits_for(Route.IV).min_fixed_dose_duration_min is None
    assert clinic_dosing({MIN_KEY: 45}).limits_for(Route.IV).min_fixed_dose_duration_min == 45
    # it is about infusions: a nasal plan does not carry it
    assert clinic_dosing({MIN_KEY: 45}).limits_for(Route.INTRANASAL).min_fixed_dose_duration_min is None


def test_goldberg_plan_shorter_than_the_clinic_minimum_is_refused():
    # Goldberg 2005 (PMID 16850072): 40-80 mg per daily infusion, no duration in the abstract.
    with pytest.raises(DoseInputError, match=r"shorter than the clinic.s minimum .* 60 min"):
        _course(
            "goldberg-2005-crps",
            DoseChoices(dose_mg=Decimal(80), duration_min=Decimal(10)),
            {MIN_KEY: 60},
            (PhaseChoice(sessions=2),),
        )
    _, ok = _course(
        "goldberg-2005-crps",
        DoseChoices(dose_mg=Decimal(80), duration_min=Decimal(60)),
        {MIN_KEY: 60},
        (PhaseChoice(sessions=2),),
    )
    assert [s.dose.duration_min for s in ok.sessions] == [Decimal(60), Decimal(60)]
    assert not any("minimum infusion duration" in n for n in ok.check.not_set)


def test_goldberg_plan_with_the_minimum_unset_says_so_in_its_snapshot():
    protocol, course = _course(
        "goldberg-2005-crps",
        DoseChoices(dose_mg=Decimal(80), duration_min=Decimal(240)),
        {},
        (PhaseChoice(sessions=1),),
    )
    snap = snapshot(course, protocol, PUMP)
    assert (
        "minimum infusion duration for a fixed-dose protocol: clinic setting not set" in snap.check["not_set"]
    )


def test_schwartzman_plan_needs_a_chosen_rate():
    # Schwartzman 2009 (doi 10.1016/j.pain.2009.08.015): "The maximum ketamine infusion rate was
    # 0.35 mg/kg/h": a plan does not start at the maximum by default.
    with pytest.raises(DoseInputError, match="rate is for the prescriber to choose"):
        _course("schwartzman-2009-crps", DoseChoices(), {})
    _, course = _course("schwartzman-2009-crps", DoseChoices(rate_mg_per_kg_per_h=Decimal("0.2")), {})
    assert {s.dose.rate_mg_per_h for s in course.sessions} == {Decimal("14.0")}  # 0.2 x 70 kg


def test_cohen_bolus_is_kept_in_the_snapshot_and_its_ceiling_blocks():
    # Cohen 2018 (doi 10.1097/AAP.0000000000000808), as summarised: "Bolus: up to 0.35 mg/kg".
    choices = DoseChoices(
        rate_mg_per_kg_per_h=Decimal(1), duration_min=Decimal(150), bolus_mg_per_kg=Decimal("0.35")
    )
    protocol, course = _course("cohen-2018-first-trial", choices, {})
    snap = snapshot(course, protocol, PUMP)
    [session] = snap.course
    assert session["bolus_mg"] == "24.50"  # 0.35 x 70 kg
    assert not snap.exceeds_limits
    above = DoseChoices(
        rate_mg_per_kg_per_h=Decimal(1), duration_min=Decimal(150), bolus_mg_per_kg=Decimal("0.4")
    )
    protocol, course = _course("cohen-2018-first-trial", above, {})
    snap = snapshot(course, protocol, PUMP)
    assert snap.exceeds_limits
    [hit] = snap.check["exceeded"]
    assert (hit["key"], hit["limit"], hit["actual"]) == ("protocol.bolus_mg_per_kg", "0.35", "0.4")


def test_a_plan_without_bolus_keeps_its_snapshot_shape():
    protocol, course = _course("singh-2016-trd", DoseChoices(), {}, (PhaseChoice(per_week=2, weeks=1),))
    assert all("bolus_mg" not in s for s in snapshot(course, protocol, PUMP).course)


def test_bolus_choice_round_trips_in_the_stored_choices():
    choices = DoseChoices(rate_mg_per_kg_per_h=Decimal(1), bolus_mg_per_kg=Decimal("0.2"))
    inputs = PlanInputs("cohen-2018-first-trial", Decimal(70), MONDAY, MONDAY, choices)
    assert inputs.choices_json()["bolus_mg_per_kg"] == "0.2"
    assert choices_from_json(inputs.choices_json()) == choices


def test_spravato_plan_shows_no_salt_advisory_and_records_base():
    # SPRAVATO label: 32.3 mg esketamine hydrochloride = 28 mg of esketamine per device.
    protocol, course = _course(
        "spravato-trd",
        DoseChoices(dose_mg=Decimal(84)),
        {},
        (PhaseChoice(weeks=1), PhaseChoice(weeks=1), PhaseChoice(every_days=7, sessions=1)),
    )
    snap = snapshot(course, protocol, None)
    assert not any(a["key"].startswith("salt_basis") for a in snap.check["advisories"])


def test_limits_json_keeps_the_minimum_duration():
    limits = clinic_dosing({MIN_KEY: 30}).limits_for(Route.IV)
    assert limits_json(limits, None)["min_fixed_dose_duration_min"] == 30
