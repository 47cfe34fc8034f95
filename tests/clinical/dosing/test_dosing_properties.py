"""Property: no approved plan exceeds a limit without a recorded override.

For random weights, protocols, prescriber choices, pumps and clinic maxima, the limits are
re-checked here independently from the plan's numbers; any plan above one of them must have been
refused without an override, and approved only with one.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

from hypothesis import event, given, settings
from hypothesis import strategies as st

from ketapath.clinical.dosing import (
    ClinicLimits,
    DoseChoices,
    DoseInputError,
    Override,
    PlanBlocked,
    PumpSetup,
    Rounding,
    WeightRecord,
    approve,
    plan_session,
)
from ketapath.clinical.protocols import Param, Protocol, SaltBasis, published_protocols

LIB = published_protocols()
ON = date(2025, 6, 1)


def dec(low: str, high: str, places: int = 2) -> st.SearchStrategy[D]:
    return st.decimals(D(low), D(high), places=places, allow_nan=False, allow_infinity=False)


def maybe(strategy: st.SearchStrategy[D]) -> st.SearchStrategy[D | None]:
    return st.one_of(st.none(), strategy)


choices = st.builds(
    DoseChoices,
    dose_mg_per_kg=maybe(dec("0.05", "3")),
    dose_mg=maybe(st.sampled_from([D(28), D(56), D(84), D(112), D(40), D(80), D(100)])),
    rate_mg_per_kg_per_h=maybe(dec("0.05", "3")),
    rate_mg_per_h=maybe(dec("1", "300")),
    duration_min=maybe(dec("10", "600", 0)),
    titration_start=maybe(dec("0.05", "5")),
    titration_step=maybe(dec("0.05", "5")),
    titration_interval_min=maybe(dec("5", "120", 0)),
    titration_ceiling=maybe(dec("0.1", "20")),
    bolus_mg_per_kg=maybe(dec("0.05", "1")),
)
clinics = st.builds(
    ClinicLimits,
    max_rate_mg_per_kg_per_h=maybe(dec("0.1", "3")),
    max_rate_mg_per_h=maybe(dec("5", "300")),
    max_dose_mg_per_session=maybe(dec("10", "3000")),
    max_weight_age_days=st.one_of(st.none(), st.integers(0, 60)),
    min_fixed_dose_duration_min=st.one_of(st.none(), st.integers(1, 240)),
)
pumps = st.one_of(
    st.none(),
    st.builds(
        PumpSetup,
        conc_mg_per_ml=st.sampled_from([D("0.5"), D(1), D(2), D(10)]),
        conc_salt_basis=st.just(SaltBasis.UNSTATED),
        increment_ml_per_h=st.sampled_from([None, D("0.1"), D(1)]),
        rounding=st.sampled_from(list(Rounding)),
    ),
)


def above(param: Param, chosen: D | None) -> bool:
    return chosen is not None and param.upper is not None and chosen > param.upper


def independent_violations(
    p: Protocol, c: DoseChoices, clinic: ClinicLimits, dose_mg: D, rate: D | None, weight_kg: D, age: int
) -> list[str]:
    found = []
    limits = p.limits
    per_kg = None if rate is None else rate / weight_kg
    for name, limit, value in [
        ("protocol dose", limits.max_dose_mg_per_session, dose_mg),
        ("clinic dose", clinic.max_dose_mg_per_session, dose_mg),
        ("protocol rate", limits.max_rate_mg_per_h, rate),
        ("clinic rate", clinic.max_rate_mg_per_h, rate),
        ("protocol rate/kg", limits.max_rate_mg_per_kg_per_h, per_kg),
        ("clinic rate/kg", clinic.max_rate_mg_per_kg_per_h, per_kg),
    ]:
        if limit is not None and value is not None and value > limit:
            found.append(name)
    if clinic.max_weight_age_days is not None and age > clinic.max_weight_age_days:
        found.append("weight age")
    rule = p.dose
    pairs = [
        (rule.dose_mg_per_kg, c.dose_mg_per_kg),
        (rule.rate_mg_per_kg_per_h, c.rate_mg_per_kg_per_h),
        (rule.rate_mg_per_h, c.rate_mg_per_h),
        (rule.duration_min, c.duration_min),
    ]
    if not (rule.first_dose_mg is not None):  # first esketamine session ignores the choice
        pairs.append((rule.dose_mg, c.dose_mg))
    if rule.titration is not None:
        t = rule.titration
        pairs += [
            (t.start, c.titration_start),
            (t.step, c.titration_step),
            (t.interval_min, c.titration_interval_min),
            (t.ceiling, c.titration_ceiling),
        ]
    if rule.bolus is not None and above(rule.bolus.mg_per_kg, c.bolus_mg_per_kg):
        found.append("protocol bolus")  # Cohen 2018: "Bolus: up to 0.35 mg/kg"
    for param, chosen in pairs:
        if above(param, chosen):
            found.append("protocol parameter")
    return found


def never_a_bolus(p: Protocol, c: DoseChoices, clinic: ClinicLimits, duration: D | None) -> None:
    """Issue 12, re-derived: a fixed dose runs at least the source's duration or, where the clinic
    allows less or the source gives none, the clinic's minimum; a bolus only where allowed."""
    if c.bolus_mg_per_kg is not None:
        assert p.dose.bolus is not None and p.is_infusion
    if p.dose.kind.value not in ("fixed-total", "per-kg-over-duration"):
        return
    assert duration is not None
    floors = [f for f in (p.dose.duration_min.lower, clinic.min_fixed_dose_duration_min) if f is not None]
    if floors:
        assert duration >= min(floors)


@settings(max_examples=400, deadline=None)
@given(
    pid=st.sampled_from(sorted(LIB)),
    weight=dec("1", "300", 1),
    age=st.integers(0, 90),
    c=choices,
    clinic=clinics,
    pump=pumps,
    with_override=st.booleans(),
)
def test_no_approved_plan_exceeds_a_limit_without_override(
    pid: str,
    weight: D,
    age: int,
    c: DoseChoices,
    clinic: ClinicLimits,
    pump: PumpSetup | None,
    with_override: bool,
) -> None:
    p = LIB[pid]
    if p.dose.kind.value == "fixed-dose":  # keep only device-sized choices for nasal doses
        c = DoseChoices(dose_mg=c.dose_mg if c.dose_mg in (D(28), D(56), D(84), D(112)) else None)
    try:
        s = plan_session(
            p, WeightRecord(weight, ON - timedelta(days=age)), on=ON, choices=c, pump=pump, clinic=clinic
        )
    except DoseInputError:
        event("cannot be planned")
        return  # a plan that cannot be made is never approved
    never_a_bolus(p, c, clinic, s.duration_min)
    violations = independent_violations(p, c, clinic, s.dose_mg, s.rate_mg_per_h, weight, age)
    assert bool(violations) == s.check.needs_override, (violations, s.check.exceeded)
    override = Override("random reason", "Dr Random") if with_override else None
    try:
        approval = approve(s, override)
    except PlanBlocked:
        assert violations and override is None
        event("blocked")
        return
    event("approved with override" if violations else "approved within limits")
    if violations:
        assert approval.override is not None and approval.override.reason.strip()
        assert approval.overridden == s.check.exceeded
    else:
        assert approval.overridden == ()
