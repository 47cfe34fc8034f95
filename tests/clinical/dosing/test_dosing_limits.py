"""Hard limits (protocol caps, clinic maxima, weight age), overrides, salt conversion and courses."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from ketapath.clinical.dosing import (
    NOT_SET,
    ClinicLimits,
    DoseChoices,
    LimitOrigin,
    Override,
    PlanBlocked,
    PumpSetup,
    Rounding,
    WeightRecord,
    approve,
    base_per_hydrochloride,
    bioavailability,
    convert_mg,
    plan_course,
    plan_session,
)
from ketapath.clinical.dosing.salt import SaltBasisUnknownError
from ketapath.clinical.protocols import Drug, Route, SaltBasis, protocol_library, published_protocols
from ketapath.clinical.schedule import PhaseChoice

# Schwartzman 2009 (doi 10.1016/j.pain.2009.08.015): "The maximum ketamine infusion rate was
# 0.35 mg/kg/h": the prescriber chooses the rate (issue 12); these tests choose the maximum.
AT_MAX = DoseChoices(rate_mg_per_kg_per_h=D("0.35"))

ON = date(2025, 3, 3)
LIB = published_protocols()
# Molar masses from the formulas with the conventional atomic weights (C 12.011, H 1.008,
# Cl 35.45, N 14.007, O 15.999): C13H16ClNO = 237.727; C13H16ClNO.HCl = 274.185.
FACTOR = D("237.727") / D("274.185")


def w(kg: int | str, measured: date = date(2025, 3, 1)) -> WeightRecord:
    return WeightRecord(D(kg), measured)


def test_clinic_rate_limit_blocks_until_override() -> None:
    # Singh at 150 kg runs at 112.5 mg/h; the clinic's maximum is 100 mg/h: 12.5 over.
    s = plan_session(LIB["singh-2016-trd"], w(150), on=ON, clinic=ClinicLimits(max_rate_mg_per_h=D(100)))
    (e,) = s.check.exceeded
    assert (e.key, e.origin, e.limit, e.actual, e.excess) == (
        "clinic.max_rate_mg_per_h",
        LimitOrigin.CLINIC,
        D(100),
        D("112.5"),
        D("12.5"),
    )
    assert s.check.needs_override
    with pytest.raises(PlanBlocked, match=r"12\.5 mg/h above the limit of 100 mg/h"):
        approve(s)
    override = Override("Protocol dose for a 150-kg patient; discussed with patient", "Dr Adams")
    approval = approve(s, override)
    assert approval.override == override and approval.overridden == (e,)


def test_within_limits_approves_without_override() -> None:
    s = plan_session(
        LIB["singh-2016-trd"],
        w(40),
        on=ON,
        clinic=ClinicLimits(
            max_rate_mg_per_h=D(100),
            max_rate_mg_per_kg_per_h=D(1),
            max_dose_mg_per_session=D(100),
            max_weight_age_days=7,
        ),
    )
    assert approve(s).overridden == ()
    assert s.check.not_set == ()


@pytest.mark.parametrize(
    ("clinic", "key", "excess"),
    [
        # Schwartzman at 40 kg: 14 mg/h = 0.35 mg/kg/h, 56 mg in 4 h
        (ClinicLimits(max_rate_mg_per_kg_per_h=D("0.3")), "clinic.max_rate_mg_per_kg_per_h", "0.05"),
        (ClinicLimits(max_dose_mg_per_session=D(50)), "clinic.max_dose_mg_per_session", "6"),
        (ClinicLimits(max_rate_mg_per_h=D(10)), "clinic.max_rate_mg_per_h", "4"),
    ],
)
def test_each_clinic_maximum(clinic: ClinicLimits, key: str, excess: str) -> None:
    # Issue 12: 0.35 mg/kg/h is Schwartzman's maximum, not a default: the rate is chosen.
    s = plan_session(LIB["schwartzman-2009-crps"], w(40), on=ON, clinic=clinic, choices=AT_MAX)
    (e,) = s.check.exceeded
    assert e.key == key and e.excess == D(excess)


def test_stale_weight_is_a_hard_limit() -> None:
    # weighed 1 Feb, planned 3 Mar: 30 days; the clinic allows 28 -> 2 days over
    s = plan_session(
        LIB["singh-2016-trd"], w(70, date(2025, 2, 1)), on=ON, clinic=ClinicLimits(max_weight_age_days=28)
    )
    (e,) = s.check.exceeded
    assert (e.key, e.actual, e.excess, e.unit) == ("clinic.max_weight_age_days", D(30), D(2), "days")


def test_unset_clinic_settings_are_reported_not_defaulted() -> None:
    s = plan_session(LIB["singh-2016-trd"], w(70), on=ON)
    assert len(s.check.not_set) == 4  # dose, rate, rate per kg, weight age
    assert all(n.endswith(NOT_SET) for n in s.check.not_set)
    assert not s.check.exceeded
    nasal = plan_session(LIB["spravato-trd"], w(70), on=ON)
    assert len(nasal.check.not_set) == 2  # no rates for a nasal dose


def test_protocol_explicit_choice_above_cap_is_not_clamped() -> None:
    # 0.5 mg/kg/h at 40 kg = 20 mg/h: under the 25 mg/h cap, but above 0.35 mg/kg/h
    s = plan_session(
        LIB["schwartzman-2009-crps"], w(40), on=ON, choices=DoseChoices(rate_mg_per_kg_per_h=D("0.5"))
    )
    assert s.rate_mg_per_h == D("20.0")
    assert {e.key: e.excess for e in s.check.exceeded} == {
        "protocol.rate_mg_per_kg_per_h": D("0.15"),
        "protocol.max_rate_mg_per_kg_per_h": D("0.15"),
    }
    assert all(e.origin is LimitOrigin.PROTOCOL for e in s.check.exceeded)


def test_nearest_rounding_above_a_cap_is_flagged() -> None:
    # 150 kg Schwartzman is capped to 25 mg/h; at 3 mg/mL that is 8.333 mL/h; nearest 0.5 mL/h
    # step gives 8.5 mL/h = 25.5 mg/h: 0.5 mg/h over the protocol's 25 mg/h cap.
    pump = PumpSetup(D(3), SaltBasis.UNSTATED, D("0.5"), Rounding.NEAREST)
    s = plan_session(LIB["schwartzman-2009-crps"], w(150), on=ON, pump=pump, choices=AT_MAX)
    keys = {e.key: e.excess for e in s.check.exceeded}
    assert keys["protocol.max_rate_mg_per_h"] == D("0.5")
    down = plan_session(
        LIB["schwartzman-2009-crps"],
        w(150),
        on=ON,
        pump=PumpSetup(D(3), SaltBasis.UNSTATED, D("0.5"), Rounding.DOWN),
        choices=AT_MAX,
    )
    assert down.rate_ml_per_h == D("8.0") and not down.check.exceeded


def test_override_needs_reason_and_prescriber() -> None:
    with pytest.raises(ValueError, match="reason"):
        Override("  ", "Dr Adams")
    with pytest.raises(ValueError, match="prescriber"):
        Override("a reason", "")


def test_salt_conversion_from_molar_masses() -> None:
    assert abs(base_per_hydrochloride() - FACTOR) < D("1e-9")
    assert abs(convert_mg(D(100), SaltBasis.HYDROCHLORIDE, SaltBasis.BASE) - D("86.7031")) < D("1e-4")
    assert abs(convert_mg(D("86.7031"), SaltBasis.BASE, SaltBasis.HYDROCHLORIDE) - D(100)) < D("1e-3")
    with pytest.raises(SaltBasisUnknownError):
        convert_mg(D(1), SaltBasis.UNSTATED, SaltBasis.BASE)


LOCAL_BASE_IV = {
    "id": "local-iv-base",
    "name": "Clinic IV 0.75 mg/kg over 40 min",
    "indication": "treatment-resistant depression",
    "condition_group": "depression",
    "drug": "racemic-ketamine",
    "salt_basis": "base",
    "route": "iv",
    "setting": "outpatient",
    "local": True,
    "author": "Dr Adams",
    "dose": {"kind": "per-kg-over-duration", "dose_mg_per_kg": 0.75, "duration_min": 40},
    "schedule": {"phase": [{"label": "single", "every_days": [1], "sessions": 1}]},
}


def test_hydrochloride_bag_for_a_base_protocol() -> None:
    # 70 kg x 0.75 = 52.5 mg base over 40 min = 78.75 mg/h base. Bag 10 mg/mL labelled as HCl
    # = 10 x FACTOR mg/mL base = 8.67031 -> 78.75 / 8.67031 = 9.0827 mL/h -> 9.0 (step 0.1, down)
    # -> 9.0 x 8.67031 = 78.0328 mg/h base.
    protocol = protocol_library([LOCAL_BASE_IV])["local-iv-base"]
    pump = PumpSetup(D(10), SaltBasis.HYDROCHLORIDE, D("0.1"), Rounding.DOWN)
    s = plan_session(protocol, w(70), on=ON, pump=pump)
    assert s.rate_ml_per_h == D("9.0")
    assert abs(s.rate_mg_per_h - 9 * 10 * FACTOR) < D("1e-6")  # type: ignore[operator]
    assert not {a.key for a in s.check.advisories} & {"salt_basis", "salt_basis.pump"}


def test_clinic_maximum_in_hydrochloride_against_base_protocol() -> None:
    # clinic max 60 mg (as HCl) = 60 x FACTOR = 52.0219 mg base; 52.5 mg base is 0.478 over
    protocol = protocol_library([LOCAL_BASE_IV])["local-iv-base"]
    clinic = ClinicLimits(max_dose_mg_per_session=D(60), salt_basis=SaltBasis.HYDROCHLORIDE)
    s = plan_session(protocol, w(70), on=ON, clinic=clinic)
    (e,) = s.check.exceeded
    assert abs(e.limit - 60 * FACTOR) < D("1e-6")
    assert abs(e.excess - (D("52.5") - 60 * FACTOR)) < D("1e-6")


def test_unknown_salt_basis_is_an_advisory() -> None:
    clinic = ClinicLimits(max_dose_mg_per_session=D(100), salt_basis=SaltBasis.HYDROCHLORIDE)
    s = plan_session(LIB["singh-2016-trd"], w(70), on=ON, clinic=clinic)
    keys = {a.key for a in s.check.advisories}
    assert {"salt_basis", "salt_basis.clinic"} <= keys


LOCAL_ORAL = {
    "id": "local-oral",
    "name": "Clinic oral ketamine 0.5 mg/kg",
    "indication": "chronic pain, after IV responders",
    "condition_group": "chronic-pain",
    "drug": "racemic-ketamine",
    "salt_basis": "hydrochloride",
    "route": "oral",
    "setting": "outpatient",
    "local": True,
    "author": "Dr Brown",
    "dose": {"kind": "per-kg-dose", "dose_mg_per_kg": 0.5},
    "schedule": {"phase": [{"label": "weekly", "every_days": [7], "sessions": 4}]},
}


@pytest.mark.parametrize(("kg", "mg", "systemic"), [(40, "20", "4"), (150, "75", "15")])
def test_oral_plan_shows_bioavailability(kg: int, mg: str, systemic: str) -> None:
    protocol = protocol_library([LOCAL_ORAL])["local-oral"]
    s = plan_session(protocol, w(kg), on=ON)
    assert s.dose_mg == D(mg) and s.rate_mg_per_h is None
    (f,) = s.bioavailability  # Yanagihara 2003: tablets about 20%
    assert f.fraction == D("0.20") and f.citation.source.id == "yanagihara-2003"
    assert f.systemic_mg(s.dose_mg) == D(systemic)


def test_intramuscular_plan_has_no_invented_bioavailability() -> None:
    im = {**LOCAL_ORAL, "id": "local-im", "route": "im"}
    s = plan_session(protocol_library([im])["local-im"], w(70), on=ON)
    assert s.bioavailability == () and s.dose_mg == D("35.0")
    assert bioavailability(Drug.RACEMIC_KETAMINE, Route.IM) == ()


def test_course_of_esketamine_first_dose_then_choice() -> None:
    course = plan_course(
        LIB["spravato-trd"],
        w(70, date(2025, 1, 2)),
        start=date(2025, 1, 6),
        choices=DoseChoices(dose_mg=D(84)),
        phases=[PhaseChoice(), PhaseChoice(), PhaseChoice(every_days=14, sessions=2)],
    )
    doses = [s.dose.dose_mg for s in course.sessions]
    assert doses == [D(56)] + [D(84)] * 13
    assert [s.dose.session_number for s in course.sessions] == list(range(1, 15))
    assert course.total_dose_mg == 56 + 84 * 13


def test_course_check_names_sessions_and_blocks() -> None:
    course = plan_course(
        LIB["tankha-2025-chronic-pain"],
        w(150),
        start=date(2025, 5, 5),
        clinic=ClinicLimits(max_dose_mg_per_session=D(70)),
    )
    assert [e.session_number for e in course.check.exceeded] == [1, 2, 3, 4, 5]
    assert all(e.excess == D(5) for e in course.check.exceeded)  # 75 mg vs 70 mg
    with pytest.raises(PlanBlocked):
        approve(course)
    approval = approve(course, Override("weight-based protocol dose", "Dr Adams"))
    assert len(approval.overridden) == 5
