"""Session doses against hand-computed cases for each protocol, at 40 kg and 150 kg.

Every expected number below was worked out by hand from the protocol's rule, e.g. Singh 2016 at
40 kg: 0.5 mg/kg x 40 kg = 20 mg over 40 min = 20 / (40/60) = 30 mg/h.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from ketapath.clinical.dosing import (
    ClinicLimits,
    DoseChoices,
    DoseInputError,
    PumpSetup,
    Rounding,
    WeightRecord,
    plan_session,
)
from ketapath.clinical.protocols import SaltBasis, published_protocols

ON = date(2025, 3, 3)
LIB = published_protocols()
BAG_1MG = PumpSetup(D(1), SaltBasis.UNSTATED, D("0.1"), Rounding.DOWN)
# Schwartzman 2009 gives 0.35 mg/kg/h as its maximum ("The maximum ketamine infusion rate was
# 0.35 mg/kg/h", abstract): since issue 12 the rate is chosen; these cases choose the maximum.
SCHWARTZMAN_AT_MAX = DoseChoices(rate_mg_per_kg_per_h=D("0.35"))


def w(kg: str | int) -> WeightRecord:
    return WeightRecord(D(kg), date(2025, 3, 1))


def close(a: D | None, b: str | int) -> bool:
    assert a is not None
    return abs(a - D(b)) < D("1e-9")


@pytest.mark.parametrize(
    ("protocol", "kg", "dose_mg", "rate_mg_per_h", "duration_min"),
    [
        # Singh 2016 and Tankha 2025: 0.5 mg/kg over 40 min
        ("singh-2016-trd", 40, "20", "30", 40),
        ("singh-2016-trd", 150, "75", "112.5", 40),
        ("tankha-2025-chronic-pain", 40, "20", "30", 40),
        ("tankha-2025-chronic-pain", 150, "75", "112.5", 40),
        # Noppers 2011: 0.5 mg/kg over 30 min -> rate = dose x 2
        ("noppers-2011-fibromyalgia", 40, "20", "40", 30),
        ("noppers-2011-fibromyalgia", 150, "75", "150", 30),
        # Schwartzman 2009: 0.35 mg/kg/h for 240 min, at most 25 mg/h:
        # 40 kg -> 14 mg/h, 56 mg; 150 kg -> 52.5 mg/h by weight, capped to 25 mg/h, 100 mg
        ("schwartzman-2009-crps", 40, "56", "14", 240),
        ("schwartzman-2009-crps", 150, "100", "25", 240),
    ],
)
def test_weight_based_protocols(
    protocol: str, kg: int, dose_mg: str, rate_mg_per_h: str, duration_min: int
) -> None:
    # Schwartzman's 0.35 mg/kg/h is its maximum, chosen here (issue 12: no default rate).
    choices = SCHWARTZMAN_AT_MAX if protocol == "schwartzman-2009-crps" else DoseChoices()
    s = plan_session(LIB[protocol], w(kg), on=ON, choices=choices)
    assert close(s.dose_mg, dose_mg)
    assert close(s.rate_mg_per_h, rate_mg_per_h)
    assert s.duration_min == duration_min
    assert close(s.dose_mg_per_kg, str(D(dose_mg) / kg))
    assert not s.check.exceeded


def test_schwartzman_cap_is_reported_not_silent() -> None:
    s = plan_session(LIB["schwartzman-2009-crps"], w(150), on=ON, choices=SCHWARTZMAN_AT_MAX)
    assert any("capped at 25 mg/h" in n and "52.5 mg/h by weight" in n for n in s.notes)
    # 25 mg/h over 150 kg = 0.1666... mg/kg/h
    assert close(s.rate_mg_per_kg_per_h, str(D(25) / 150))


def test_schwartzman_edge_just_above_cap_weight() -> None:
    # 71.43 kg x 0.35 = 25.0005 mg/h -> capped at 25 mg/h -> 100 mg
    s = plan_session(LIB["schwartzman-2009-crps"], w("71.43"), on=ON, choices=SCHWARTZMAN_AT_MAX)
    assert close(s.rate_mg_per_h, 25) and close(s.dose_mg, 100)


@pytest.mark.parametrize(
    ("kg", "rate", "minutes", "dose", "below_80"),
    [
        (40, "0.5", 150, "50", True),  # 20 mg/h x 2.5 h = 50 mg < 80 mg
        (40, "1", 150, "100", False),  # 40 mg/h x 2.5 h
        (150, "0.5", 121, "151.25", False),  # 75 mg/h x 121/60 h
        (150, "2", 180, "900", False),  # 300 mg/h x 3 h
    ],
)
def test_cohen_first_trial(kg: int, rate: str, minutes: int, dose: str, below_80: bool) -> None:
    choices = DoseChoices(rate_mg_per_kg_per_h=D(rate), duration_min=D(minutes))
    s = plan_session(LIB["cohen-2018-first-trial"], w(kg), on=ON, choices=choices)
    assert close(s.dose_mg, dose)
    keys = {a.key for a in s.check.advisories}
    assert ("protocol.min_dose_mg_per_session" in keys) is below_80
    assert not s.check.exceeded


def test_cohen_two_hours_exactly_is_below_more_than_two_hours() -> None:
    choices = DoseChoices(rate_mg_per_kg_per_h=D(1), duration_min=D(120))
    s = plan_session(LIB["cohen-2018-first-trial"], w(70), on=ON, choices=choices)
    assert "protocol.duration_min" in {a.key for a in s.check.advisories}


def test_cohen_above_range_is_a_hard_limit() -> None:
    choices = DoseChoices(rate_mg_per_kg_per_h=D("2.5"), duration_min=D(150))
    s = plan_session(LIB["cohen-2018-first-trial"], w(40), on=ON, choices=choices)
    (e,) = s.check.exceeded
    assert e.key == "protocol.rate_mg_per_kg_per_h" and e.excess == D("0.5")


def test_cohen_needs_the_prescribers_choice() -> None:
    with pytest.raises(DoseInputError, match="duration is for the prescriber to choose \\(> 120 min\\)"):
        plan_session(LIB["cohen-2018-first-trial"], w(70), on=ON)


@pytest.mark.parametrize(("kg", "per_kg", "rate_per_kg"), [(40, "1.5", "0.375"), (150, "0.4", "0.1")])
def test_goldberg_fixed_total(kg: int, per_kg: str, rate_per_kg: str) -> None:
    # 60 mg over 240 min = 15 mg/h; per kg: 60/40 = 1.5, 15/40 = 0.375; 60/150 = 0.4, 15/150 = 0.1
    s = plan_session(
        LIB["goldberg-2005-crps"], w(kg), on=ON, choices=DoseChoices(dose_mg=D(60), duration_min=D(240))
    )
    assert close(s.dose_mg, 60) and close(s.rate_mg_per_h, 15)
    assert close(s.dose_mg_per_kg, per_kg) and close(s.rate_mg_per_kg_per_h, rate_per_kg)


def test_goldberg_above_its_range_needs_override() -> None:
    s = plan_session(
        LIB["goldberg-2005-crps"], w(70), on=ON, choices=DoseChoices(dose_mg=D(90), duration_min=D(240))
    )
    (e,) = s.check.exceeded
    assert (e.key, e.limit, e.actual, e.excess) == ("protocol.dose_mg", D(80), D(90), D(10))


def test_goldberg_duration_is_the_prescribers() -> None:
    with pytest.raises(DoseInputError, match="duration"):
        plan_session(LIB["goldberg-2005-crps"], w(70), on=ON, choices=DoseChoices(dose_mg=D(60)))


MANGNUS = DoseChoices(
    titration_start=D(2), titration_step=D(2), titration_interval_min=D(60), titration_ceiling=D(14)
)


@pytest.mark.parametrize("kg", [40, 150])
def test_mangnus_titration_mg_per_h(kg: int) -> None:
    # 2, 4, 6, 8, 10, 12 mg/h for an hour each (42 mg), then 14 mg/h for 10080 - 360 = 9720 min
    # (14 x 162 h = 2268 mg): 2310 mg in total, whatever the weight.
    s = plan_session(LIB["mangnus-2021-crps"], w(kg), on=ON, choices=MANGNUS)
    assert [st.rate_mg_per_h for st in s.titration] == [D(r) for r in (2, 4, 6, 8, 10, 12, 14)]
    assert [st.start_min for st in s.steps] == [D(m) for m in (0, 60, 120, 180, 240, 300, 360)]
    assert s.steps[-1].duration_min == D(9720)
    assert close(s.dose_mg, 2310)
    assert close(s.rate_mg_per_h, 14)
    assert close(s.rate_mg_per_kg_per_h, str(D(14) / kg))


def test_mangnus_ceiling_above_14_needs_override() -> None:
    choices = DoseChoices(
        titration_start=D(2), titration_step=D(2), titration_interval_min=D(60), titration_ceiling=D(16)
    )
    s = plan_session(LIB["mangnus-2021-crps"], w(70), on=ON, choices=choices)
    keys = {e.key: e.excess for e in s.check.exceeded}
    assert keys == {"protocol.titration.ceiling": D(2), "protocol.max_rate_mg_per_h": D(2)}


@pytest.mark.parametrize(
    ("kg", "rates", "dose"),
    [
        # 0.072 .. 0.432 mg/kg/h in 0.072 steps every 30 min, then held to 6048 min.
        # 70 kg: (5.04+10.08+15.12+20.16+25.2) x 0.5 h = 37.8; 30.24 x 5898/60 = 2972.592
        (70, ("5.04", "10.08", "15.12", "20.16", "25.2", "30.24"), "3010.392"),
        # 150 kg: (10.8+21.6+32.4+43.2+54) x 0.5 = 81; 64.8 x 98.3 = 6369.84
        (150, ("10.8", "21.6", "32.4", "43.2", "54", "64.8"), "6450.84"),
        # 40 kg: (2.88+5.76+8.64+11.52+14.4) x 0.5 = 21.6; 17.28 x 98.3 = 1698.624
        (40, ("2.88", "5.76", "8.64", "11.52", "14.4", "17.28"), "1720.224"),
    ],
)
def test_sigtermans_titration_mg_per_kg_per_h(kg: int, rates: tuple[str, ...], dose: str) -> None:
    choices = DoseChoices(
        titration_start=D("0.072"),
        titration_step=D("0.072"),
        titration_interval_min=D(30),
        titration_ceiling=D("0.432"),
    )
    s = plan_session(LIB["sigtermans-2009-crps"], w(kg), on=ON, choices=choices)
    assert [st.rate_mg_per_h for st in s.steps] == [D(r) for r in rates]
    assert close(s.dose_mg, dose)


def test_patil_every_parameter_is_chosen() -> None:
    s = plan_session(
        LIB["patil-2012-refractory-pain"],
        w(80),
        on=ON,
        choices=DoseChoices(rate_mg_per_h=D(20), duration_min=D(90)),
    )
    assert close(s.dose_mg, 30)  # 20 mg/h x 1.5 h
    assert {p.drug for p in LIB["patil-2012-refractory-pain"].premedication} == {"midazolam", "ondansetron"}


@pytest.mark.parametrize(
    ("number", "chosen", "mg", "devices"),
    [(1, None, 56, 2), (1, "84", 56, 2), (2, "84", 84, 3), (5, "56", 56, 2)],
)
def test_esketamine_nasal_devices(number: int, chosen: str | None, mg: int, devices: int) -> None:
    choices = DoseChoices(dose_mg=None if chosen is None else D(chosen))
    s = plan_session(LIB["spravato-trd"], w(150), on=ON, choices=choices, session_number=number)
    assert (s.dose_mg, s.devices, s.device_interval_min) == (D(mg), devices, D(5))
    assert s.rate_mg_per_h is None and s.rate_ml_per_h is None and not s.steps
    # no verified bioavailability for intranasal esketamine: said, not invented
    assert s.bioavailability == ()
    assert any("No verified bioavailability" in n for n in s.notes)


def test_esketamine_dose_must_fill_whole_devices() -> None:
    with pytest.raises(DoseInputError, match="whole number of 28-mg devices"):
        plan_session(LIB["spravato-trd"], w(70), on=ON, choices=DoseChoices(dose_mg=D(70)), session_number=2)


def test_esketamine_above_84_needs_override() -> None:
    s = plan_session(LIB["spravato-trd"], w(70), on=ON, choices=DoseChoices(dose_mg=D(112)), session_number=2)
    (e,) = s.check.exceeded
    assert (e.key, e.excess) == ("protocol.dose_mg", D(28))


@pytest.mark.parametrize(
    ("kg", "mode", "ml", "mg_per_h", "dose"),
    [
        # 73.3 kg: 36.65 mg over 40 min = 54.975 mg/h = 54.975 mL/h at 1 mg/mL
        ("73.3", Rounding.DOWN, "54.9", "54.9", "36.6"),  # 54.9 x 40/60
        ("73.3", Rounding.NEAREST, "55.0", "55.0", "36.66666666666666666666666667"),
        # 40 kg: 30 mg/h exactly: no rounding needed
        ("40", Rounding.DOWN, "30", "30", "20"),
    ],
)
def test_pump_rounding_is_explicit(kg: str, mode: Rounding, ml: str, mg_per_h: str, dose: str) -> None:
    pump = PumpSetup(D(1), SaltBasis.UNSTATED, D("0.1"), mode)
    s = plan_session(LIB["singh-2016-trd"], w(kg), on=ON, pump=pump)
    assert s.rate_ml_per_h == D(ml)
    assert close(s.rate_mg_per_h, mg_per_h)
    assert close(s.dose_mg, dose)
    assert close(s.prescribed_dose_mg, str(D(kg) / 2))


def test_concentration_half_mg_per_ml_doubles_ml() -> None:
    # 70 kg: 52.5 mg/h at 0.5 mg/mL = 105 mL/h; 40 min -> 70 mL
    pump = PumpSetup(D("0.5"), SaltBasis.UNSTATED, D(1), Rounding.DOWN)
    s = plan_session(LIB["singh-2016-trd"], w(70), on=ON, pump=pump)
    assert s.rate_ml_per_h == D(105) and close(s.volume_ml, 70)


def test_rate_below_pump_step_is_refused() -> None:
    pump = PumpSetup(D(100), SaltBasis.UNSTATED, D(1), Rounding.DOWN)
    with pytest.raises(DoseInputError, match="below the pump's step"):
        # 40 kg Schwartzman = 14 mg/h = 0.14 mL/h at 100 mg/mL
        plan_session(LIB["schwartzman-2009-crps"], w(40), on=ON, pump=pump, choices=SCHWARTZMAN_AT_MAX)


def test_without_pump_no_ml() -> None:
    s = plan_session(LIB["singh-2016-trd"], w(70), on=ON)
    assert s.rate_ml_per_h is None and s.volume_ml is None
    assert any("mL/h not computed" in n for n in s.notes)


def test_weight_in_the_future_or_non_positive_is_refused() -> None:
    with pytest.raises(DoseInputError, match="after the planning date"):
        plan_session(LIB["singh-2016-trd"], WeightRecord(D(70), date(2025, 3, 4)), on=ON)
    with pytest.raises(DoseInputError, match="weight"):
        plan_session(LIB["singh-2016-trd"], WeightRecord(D(0), date(2025, 3, 1)), on=ON)


def test_clinic_limits_for_another_route_are_refused() -> None:
    from ketapath.clinical.protocols import Route

    with pytest.raises(DoseInputError, match="intranasal"):
        plan_session(LIB["singh-2016-trd"], w(70), on=ON, clinic=ClinicLimits(route=Route.INTRANASAL))


def test_pk_steps_of_a_plan() -> None:
    s = plan_session(LIB["singh-2016-trd"], w(70), on=ON)
    (step,) = s.pk_steps(D(1))
    assert (step.start_min, step.duration_min, step.dose_mg) == (0.0, 40.0, 35.0)
