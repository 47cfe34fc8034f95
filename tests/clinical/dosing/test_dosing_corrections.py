"""Issue 12: the protocol and dosing corrections, each against the source it rests on.

- A fixed dose infused over a duration is never given as a bolus: it runs at least the protocol's
  own duration, or (when the source gives none: Goldberg 2005, PMID 16850072, "40-80 mg of
  ketamine" per daily infusion, no duration in the abstract) the clinic's minimum infusion
  duration for a fixed-dose protocol. Shorter is refused: the plan must change (no override).
- A maximum is not a starting point: Schwartzman 2009 (doi 10.1016/j.pain.2009.08.015), "The
  maximum ketamine infusion rate was 0.35 mg/kg/h, not to exceed 25 mg/h": the rate is chosen.
- Cohen 2018 (doi 10.1097/AAP.0000000000000808, Guideline Central summary, "Dosing range and dose
  response"): "Bolus: up to 0.35 mg/kg"; "Infusion: 0.5 to 2 mg/kg per hour"; "Total dosages be at
  least 80 mg infused over a period of >2 h" (a minimum: no maximum total is stated).
- SPRAVATO label (section 11): "a total of 32.3 mg of esketamine hydrochloride (equivalent to 28
  mg of esketamine)" per device: the 56/84 mg doses are of esketamine base.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from typing import Any

import pytest

from ketapath.clinical.dosing import (
    NOT_SET,
    ClinicLimits,
    DoseChoices,
    DoseInputError,
    Override,
    PlanBlocked,
    PumpSetup,
    Rounding,
    WeightRecord,
    approve,
    convert_mg,
    min_infusion_duration,
    plan_session,
)
from ketapath.clinical.dosing.session import MIN_DURATION_LABEL
from ketapath.clinical.protocols import (
    DoseKind,
    Given,
    ProtocolError,
    Route,
    SaltBasis,
    protocol_from_mapping,
    published_protocols,
)
from ketapath.clinical.protocols.loader import protocol_library

LIB = published_protocols()
ON = date(2025, 3, 3)
KG70 = WeightRecord(D(70), date(2025, 3, 1))
CLINIC_60 = ClinicLimits(route=Route.IV, min_fixed_dose_duration_min=60)
CLINIC_20 = ClinicLimits(route=Route.IV, min_fixed_dose_duration_min=20)


# ----------------------------------------------------------------------------------------------
# 1. Fixed doses with no stated duration: a minimum from the source or the clinic
# ----------------------------------------------------------------------------------------------


def test_every_protocol_says_how_its_dose_is_given() -> None:
    # Only the nasal spray is given at once (SPRAVATO label: 28 mg per device, devices 5 min
    # apart); everything intravenous is an infusion. No protocol is an IV bolus.
    at_once = {pid for pid, p in LIB.items() if p.dose.given is Given.AT_ONCE}
    assert at_once == {"spravato-trd"}
    assert all(p.dose.given is not None for p in LIB.values())  # written, not derived
    assert all(p.dose.given is Given.INFUSION for p in LIB.values() if p.route is Route.IV)


def test_the_fixed_dose_protocols_without_a_duration_are_found() -> None:
    # Read across every file: which protocols give a fixed dose and no duration? Goldberg 2005
    # (abstract: 40-80 mg per daily infusion; how long each infusion ran is not given).
    open_duration = {
        pid for pid, p in LIB.items() if p.dose.is_fixed_dose_infusion and p.dose.duration_min.lower is None
    }
    assert open_duration == {"goldberg-2005-crps"}
    # and no infusion anywhere has neither a rate nor a duration that bounds its speed, except
    # those whose rate the prescriber chooses (bounded by the clinic's maximum rates: Patil 2012)
    no_rate_no_duration = {
        pid
        for pid, p in LIB.items()
        if p.is_infusion
        and p.dose.duration_min.lower is None
        and p.dose.kind not in (DoseKind.FIXED_RATE, DoseKind.PER_KG_RATE, DoseKind.TITRATION)
    }
    assert no_rate_no_duration == {"goldberg-2005-crps"}


@pytest.mark.parametrize(("minutes", "refused"), [("1", True), ("59", True), ("60", False), ("240", False)])
def test_goldberg_is_never_a_bolus(minutes: str, refused: bool) -> None:
    # Goldberg 2005: 80 mg. The clinic's minimum is 60 min: 80 mg over 1 min is a bolus.
    choices = DoseChoices(dose_mg=D(80), duration_min=D(minutes))
    if refused:
        with pytest.raises(DoseInputError, match=r"duration of .* shorter than the clinic's minimum"):
            plan_session(LIB["goldberg-2005-crps"], KG70, on=ON, choices=choices, clinic=CLINIC_60)
    else:
        s = plan_session(LIB["goldberg-2005-crps"], KG70, on=ON, choices=choices, clinic=CLINIC_60)
        assert s.duration_min == D(minutes)
        assert not any(MIN_DURATION_LABEL in n for n in s.check.not_set)


def test_an_override_cannot_lift_the_minimum_duration() -> None:
    # The refusal comes before any plan exists: there is nothing to approve, with or without a
    # reason. (A ceiling is exceeded knowingly with an override; a bolus is a different treatment.)
    with pytest.raises(DoseInputError):
        plan_session(
            LIB["goldberg-2005-crps"],
            KG70,
            on=ON,
            choices=DoseChoices(dose_mg=D(40), duration_min=D(5)),
            clinic=CLINIC_60,
        )


def test_unset_clinic_minimum_is_named_not_read_as_none() -> None:
    # Fails closed: the plan is computed for the prescriber to see, but the check names the
    # missing setting (the plan actions refuse approval while anything is "not set").
    s = plan_session(
        LIB["goldberg-2005-crps"], KG70, on=ON, choices=DoseChoices(dose_mg=D(60), duration_min=D(240))
    )
    assert f"{MIN_DURATION_LABEL}: {NOT_SET}" in s.check.not_set
    assert min_infusion_duration(LIB["goldberg-2005-crps"], ClinicLimits()) is None


@pytest.mark.parametrize(
    ("clinic", "minutes", "outcome"),
    [
        # Singh 2016: 0.5 mg/kg over 40 min (abstract). The source's 40 min is always allowed.
        (CLINIC_60, "40", "ok"),
        # The clinic's 20 min lets a prescriber shorten down to it (with the "below" advisory)...
        (CLINIC_20, "30", "advisory"),
        # ...but never below it
        (CLINIC_20, "10", "refused"),
        # With no clinic minimum, the source's own duration is the floor
        (ClinicLimits(route=Route.IV), "30", "refused"),
    ],
)
def test_a_stated_duration_is_the_floor_unless_the_clinic_allows_less(
    clinic: ClinicLimits, minutes: str, outcome: str
) -> None:
    choices = DoseChoices(duration_min=D(minutes))
    if outcome == "refused":
        with pytest.raises(DoseInputError, match="shorter than"):
            plan_session(LIB["singh-2016-trd"], KG70, on=ON, choices=choices, clinic=clinic)
        return
    s = plan_session(LIB["singh-2016-trd"], KG70, on=ON, choices=choices, clinic=clinic)
    advised = "protocol.duration_min" in {a.key for a in s.check.advisories}
    assert advised is (outcome == "advisory")
    assert not any(MIN_DURATION_LABEL in n for n in s.check.not_set)


def test_rate_based_infusions_have_no_minimum_duration() -> None:
    # Cohen's rate is per kg per hour: a short infusion gives less, never a bolus.
    assert min_infusion_duration(LIB["cohen-2018-first-trial"], CLINIC_60) is None
    assert min_infusion_duration(LIB["patil-2012-refractory-pain"], CLINIC_60) is None


def test_published_files_must_say_how_the_dose_is_given() -> None:
    raw = _singh_like()
    del raw["dose"]["given"]
    with pytest.raises(ProtocolError, match='given is missing: write given = "infusion"'):
        protocol_from_mapping(raw, "a file")
    raw["dose"]["given"] = "at-once"
    with pytest.raises(ProtocolError, match="does not fit kind"):
        protocol_from_mapping(raw, "a file")


def test_a_local_protocol_without_given_still_loads() -> None:
    # Rows written before issue 12 have no "given": derived from the kind, not refused.
    row = {
        "id": "local-x",
        "name": "x",
        "indication": "x",
        "condition_group": "depression",
        "drug": "racemic-ketamine",
        "salt_basis": "hydrochloride",
        "route": "iv",
        "setting": "outpatient",
        "local": True,
        "author": "Dr Adams",
        "dose": {"kind": "fixed-total", "dose_mg": "50", "duration_min": "prescriber"},
        "schedule": {"phase": [{"label": "once", "every_days": [1], "sessions": 1}]},
    }
    protocol = protocol_library([row])["local-x"]
    assert protocol.dose.how_given is Given.INFUSION and protocol.dose.is_fixed_dose_infusion


# ----------------------------------------------------------------------------------------------
# 2. A maximum is not a starting point (Schwartzman 2009)
# ----------------------------------------------------------------------------------------------


def test_schwartzman_rate_is_chosen_never_defaulted_to_its_maximum() -> None:
    # "The maximum ketamine infusion rate was 0.35 mg/kg/h" (abstract): no default rate.
    with pytest.raises(DoseInputError, match=r"rate is for the prescriber to choose \(≤ 0.35 mg/kg/h\)"):
        plan_session(LIB["schwartzman-2009-crps"], KG70, on=ON)


def test_schwartzman_chosen_rate_within_the_maximum() -> None:
    # 0.2 mg/kg/h x 70 kg = 14 mg/h for 4 h = 56 mg; within 0.35 mg/kg/h and 25 mg/h
    s = plan_session(
        LIB["schwartzman-2009-crps"], KG70, on=ON, choices=DoseChoices(rate_mg_per_kg_per_h=D("0.2"))
    )
    assert s.rate_mg_per_h == D("14.0") and s.dose_mg == D("56.0")
    assert not s.check.exceeded


def test_schwartzman_above_its_maximum_needs_an_override() -> None:
    s = plan_session(
        LIB["schwartzman-2009-crps"], KG70, on=ON, choices=DoseChoices(rate_mg_per_kg_per_h=D("0.4"))
    )
    keys = {e.key for e in s.check.exceeded}
    # 0.4 x 70 = 28 mg/h: above 0.35 mg/kg/h and above "not to exceed 25 mg/h"
    assert keys == {
        "protocol.rate_mg_per_kg_per_h",
        "protocol.max_rate_mg_per_kg_per_h",
        "protocol.max_rate_mg_per_h",
        "protocol.max_dose_mg_per_session",
    }
    with pytest.raises(PlanBlocked):
        approve(s)


def test_no_protocol_defaults_to_a_stated_maximum() -> None:
    # Every parameter whose source gives only a maximum (or a range) is the prescriber's choice:
    # a default value exists only where the source fixes the value itself.
    for p in LIB.values():
        for name in ("dose_mg_per_kg", "dose_mg", "rate_mg_per_kg_per_h", "rate_mg_per_h"):
            param = getattr(p.dose, name)
            if param.maximum is not None:
                assert param.value is None, (p.id, name)
        if p.dose.titration is not None:
            assert p.dose.titration.start.value is None, p.id  # Mangnus, Sigtermans: chosen


# ----------------------------------------------------------------------------------------------
# 3. Cohen 2018 first trial: range, duration, bolus, total
# ----------------------------------------------------------------------------------------------

COHEN = DoseChoices(rate_mg_per_kg_per_h=D(1), duration_min=D(150))


def test_cohen_data_carries_the_guideline_statements() -> None:
    p = LIB["cohen-2018-first-trial"]
    assert p.dose.rate_mg_per_kg_per_h.value is None  # a range from the literature: chosen
    assert p.dose.duration_min.describe("min") == "> 120 min"  # "over a period of >2 h"
    assert p.limits.min_dose_mg_per_session == D(80)  # "at least 80 mg": a floor
    assert p.limits.max_dose_mg_per_session is None  # no maximum total is stated
    assert p.dose.bolus is not None and p.dose.bolus.mg_per_kg.upper == D("0.35")
    assert p.dose.bolus.citation is not None and p.dose.bolus.citation.source.id == "cohen-2018"


def test_cohen_bolus_up_to_035_mg_per_kg_is_added_to_the_dose() -> None:
    # 0.35 mg/kg x 70 kg = 24.5 mg, then 70 mg/h for 2.5 h = 175 mg: 199.5 mg in the session
    choices = DoseChoices(rate_mg_per_kg_per_h=D(1), duration_min=D(150), bolus_mg_per_kg=D("0.35"))
    s = plan_session(LIB["cohen-2018-first-trial"], KG70, on=ON, choices=choices)
    assert s.bolus_mg == D("24.50") and s.dose_mg == D("199.50")
    assert not s.check.exceeded
    assert s.rate_mg_per_h == D(70)  # the bolus is not a pump rate
    steps = s.pk_steps(D(1))
    assert steps[0].duration_min == 0 and steps[0].dose_mg == pytest.approx(24.5)
    assert any("Bolus 24.5 mg" in n and "by syringe" in n for n in s.notes)


def test_cohen_bolus_above_035_mg_per_kg_is_blocked_without_override() -> None:
    choices = DoseChoices(rate_mg_per_kg_per_h=D(1), duration_min=D(150), bolus_mg_per_kg=D("0.5"))
    s = plan_session(LIB["cohen-2018-first-trial"], KG70, on=ON, choices=choices)
    (e,) = s.check.exceeded
    assert (e.key, e.limit, e.actual) == ("protocol.bolus_mg_per_kg", D("0.35"), D("0.5"))
    assert "Cohen 2018" in e.source
    with pytest.raises(PlanBlocked):
        approve(s)
    assert approve(s, Override("documented reason", "Dr Adams")).overridden == (e,)


def test_cohen_total_above_the_clinic_ceiling_is_blocked_without_override() -> None:
    # The guideline states no maximum total: the clinic's maximum dose per session is the ceiling.
    # 2 mg/kg/h x 70 kg x 3 h = 420 mg, plus a 0.35 mg/kg bolus (24.5 mg) = 444.5 mg > 300 mg
    choices = DoseChoices(rate_mg_per_kg_per_h=D(2), duration_min=D(180), bolus_mg_per_kg=D("0.35"))
    clinic = ClinicLimits(route=Route.IV, max_dose_mg_per_session=D(300))
    s = plan_session(LIB["cohen-2018-first-trial"], KG70, on=ON, choices=choices, clinic=clinic)
    (e,) = s.check.exceeded
    assert (e.key, e.actual) == ("clinic.max_dose_mg_per_session", D("444.50"))
    with pytest.raises(PlanBlocked):
        approve(s)


def test_cohen_rate_above_the_range_is_blocked_without_override() -> None:
    s = plan_session(
        LIB["cohen-2018-first-trial"],
        KG70,
        on=ON,
        choices=DoseChoices(rate_mg_per_kg_per_h=D("2.5"), duration_min=D(150)),
    )
    assert {e.key for e in s.check.exceeded} == {"protocol.rate_mg_per_kg_per_h"}
    with pytest.raises(PlanBlocked):
        approve(s)


@pytest.mark.parametrize("protocol", ["singh-2016-trd", "goldberg-2005-crps", "spravato-trd"])
def test_no_bolus_where_the_protocol_gives_none(protocol: str) -> None:
    choices = DoseChoices(dose_mg=D(56), duration_min=D(240), bolus_mg_per_kg=D("0.1"))
    with pytest.raises(DoseInputError, match="gives no bolus"):
        plan_session(
            LIB[protocol], KG70, on=ON, choices=choices, clinic=ClinicLimits(route=LIB[protocol].route)
        )


def test_a_bolus_needs_its_ceiling_and_source_and_an_infusion() -> None:
    raw = _singh_like()
    raw["dose"]["bolus"] = {"mg_per_kg": "prescriber", "source": "singh-2016"}
    with pytest.raises(ProtocolError, match="needs the ceiling its source states"):
        protocol_from_mapping(raw, "a file")
    raw["dose"]["bolus"] = {"mg_per_kg": {"max": 0.35}}
    with pytest.raises(ProtocolError, match=r"\[dose.bolus\].source is missing"):
        protocol_from_mapping(raw, "a file")


# ----------------------------------------------------------------------------------------------
# 4. Esketamine: the label's doses are of esketamine base
# ----------------------------------------------------------------------------------------------


def test_spravato_doses_are_of_esketamine_base_per_the_label() -> None:
    p = LIB["spravato-trd"]
    assert p.salt_basis is SaltBasis.BASE
    assert p.salt_citation is not None and p.salt_citation.source.id == "spravato-pi-2019"
    assert "32.3 mg of esketamine hydrochloride" in p.salt_citation.locator


def test_spravato_plan_has_no_salt_advisory() -> None:
    s = plan_session(LIB["spravato-trd"], KG70, on=ON, session_number=2, choices=DoseChoices(dose_mg=D(84)))
    assert s.salt_basis is SaltBasis.BASE
    assert not any(a.key.startswith("salt_basis") for a in s.check.advisories)


def test_label_conversion_28_mg_base_is_32_3_mg_hydrochloride() -> None:
    # Label: 32.3 mg esketamine HCl = 28 mg esketamine (molar masses 237.7 and 274.2 g/mol)
    assert convert_mg(D(28), SaltBasis.BASE, SaltBasis.HYDROCHLORIDE) == pytest.approx(
        D("32.3"), abs=D("0.05")
    )


def test_clinic_maxima_in_hydrochloride_are_converted_for_spravato() -> None:
    # 84 mg esketamine base = 96.9 mg as hydrochloride; a clinic maximum of 90 mg written as
    # hydrochloride is 78.0 mg of base: 84 mg is 6 mg above it (no "compared as written" advisory).
    clinic = ClinicLimits(
        route=Route.INTRANASAL, max_dose_mg_per_session=D(90), salt_basis=SaltBasis.HYDROCHLORIDE
    )
    s = plan_session(
        LIB["spravato-trd"], KG70, on=ON, session_number=2, choices=DoseChoices(dose_mg=D(84)), clinic=clinic
    )
    (e,) = s.check.exceeded
    assert e.key == "clinic.max_dose_mg_per_session"
    assert e.limit == pytest.approx(D("78.03"), abs=D("0.01"))
    assert not any(a.key == "salt_basis.clinic" for a in s.check.advisories)


def test_a_stated_salt_basis_needs_its_source() -> None:
    raw = _singh_like()
    raw["salt_basis"] = "base"
    with pytest.raises(ProtocolError, match="needs salt_basis_source"):
        protocol_from_mapping(raw, "a file")


def test_pump_in_hydrochloride_converts_for_a_base_protocol() -> None:
    # Sanity of the conversion path the label enables: 1 mg/mL HCl bag = about 0.867 mg/mL of base.
    pump = PumpSetup(D(1), SaltBasis.HYDROCHLORIDE, None, Rounding.DOWN)
    assert convert_mg(pump.conc_mg_per_ml, SaltBasis.HYDROCHLORIDE, SaltBasis.BASE) == pytest.approx(
        D("0.867"), abs=D("0.001")
    )


def _singh_like() -> dict[str, Any]:
    return {
        "id": "x",
        "name": "x",
        "indication": "x",
        "condition_group": "depression",
        "drug": "racemic-ketamine",
        "salt_basis": "unstated",
        "route": "iv",
        "setting": "outpatient",
        "source": "singh-2016",
        "verified": "x",
        "evidence": {"design": "x"},
        "dose": {
            "kind": "per-kg-over-duration",
            "given": "infusion",
            "dose_mg_per_kg": 0.5,
            "duration_min": 40,
        },
        "schedule": {"phase": [{"label": "once", "every_days": [1], "sessions": 1}]},
    }
