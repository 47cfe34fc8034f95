"""A property over protocols, weights and clinic settings (issue 12): whatever the clinic has set
and whatever the prescriber chooses, no plan is approved while a setting that gates plan approval
is unset, and no approved plan exceeds a set limit without a recorded override (who and why) or
carries a limit the core could not check. Plans go through the real actions; the verdict is
recomputed by the dosing core from the settings the approval saw."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ketapath.clinic_settings.readiness import PLAN, missing_settings
from ketapath.clinic_settings.registry import all_specs
from ketapath.clinic_settings.values import set_values, values_for
from ketapath.clinical.dosing import DoseChoices, PumpSetup, Rounding
from ketapath.clinical.protocols import DoseKind, Protocol, SaltBasis, published_protocols
from ketapath.clinical.schedule import PhaseChoice
from ketapath.consultations.readiness import Readiness
from ketapath.plans import actions
from ketapath.plans.actions import (
    OverrideNeeded,
    PlanError,
    SettingsMissing,
    approve_plan,
    save_draft,
    stored_inputs,
)
from ketapath.plans.compute import PlanInputs, plan_course
from ketapath.plans.limits import clinic_dosing
from ketapath.plans.models import PlanStatus, TreatmentPlan
from tests.factories import PatientFactory
from tests.safety import gated_test_value

# The parameters each kind of dose asks for (as the plan form does).
KIND_FIELDS: dict[DoseKind, tuple[str, ...]] = {
    DoseKind.PER_KG_OVER_DURATION: ("dose_mg_per_kg", "duration_min"),
    DoseKind.PER_KG_RATE: ("rate_mg_per_kg_per_h", "duration_min"),
    DoseKind.FIXED_RATE: ("rate_mg_per_h", "duration_min"),
    DoseKind.FIXED_TOTAL: ("dose_mg", "duration_min"),
    DoseKind.TITRATION: ("duration_min",),
    DoseKind.FIXED_DOSE: ("dose_mg",),
    DoseKind.PER_KG_DOSE: ("dose_mg_per_kg",),
}
# Ranges for what a source leaves open: wide enough to cross every limit now and then (test
# values, not clinical ones).
OPEN = {
    "dose_mg_per_kg": (Decimal("0.1"), Decimal("2")),
    "dose_mg": (Decimal("10"), Decimal("300")),
    "rate_mg_per_kg_per_h": (Decimal("0.05"), Decimal("2.5")),
    "rate_mg_per_h": (Decimal("2"), Decimal("200")),
    "duration_min": (Decimal("5"), Decimal("300")),
}
TITRATION_OPEN = {
    "titration_start": (Decimal("0.1"), Decimal("10")),
    "titration_step": (Decimal("0.1"), Decimal("5")),
    "titration_interval_min": (Decimal("15"), Decimal("240")),
    "titration_ceiling": (Decimal("1"), Decimal("30")),
}


def covered_routes() -> set[str]:
    """The routes the clinic's settings cover (a route with its own plan limits)."""
    return {g.partition("@")[2] for s in all_specs().values() for g in s.gates if g.startswith(f"{PLAN}@")}


PROTOCOLS = sorted(p for p, proto in published_protocols().items() if proto.route.value in covered_routes())
PLAN_GATED = sorted(
    k for k, s in all_specs().items() if any(g == PLAN or g.startswith(f"{PLAN}@") for g in s.gates)
)
# The numeric plan limits, drawn (the rest keep their test values when set).
LIMIT_RANGES = {
    "dosing.iv.max_rate_mg_per_kg_per_h": (Decimal("0.2"), Decimal("3")),
    "dosing.iv.max_rate_mg_per_h": (Decimal("10"), Decimal("300")),
    "dosing.max_weight_age_days": (Decimal("0"), Decimal("120")),
}


def decimal_in(lo: Decimal, hi: Decimal, places: int = 2):
    return st.decimals(min_value=lo, max_value=hi, places=places, allow_nan=False, allow_infinity=False)


def param_value(param, lo: Decimal, hi: Decimal):
    """A choice for one dose parameter: None where the protocol fixes it; else one of its
    choices, or a value in (and sometimes above) its range."""
    if param.value is not None:
        return st.none()
    if param.choices:
        return st.sampled_from(param.choices)
    low = param.minimum if param.minimum is not None else lo
    if param.minimum_exclusive:
        low += Decimal("0.5")
    high = param.maximum * Decimal("1.5") if param.maximum is not None else hi
    return decimal_in(low, max(low, high))


@st.composite
def inputs_for(draw, protocol: Protocol) -> PlanInputs:
    dose = protocol.dose
    choices = {}
    for name in KIND_FIELDS[dose.kind]:
        choices[name] = draw(param_value(getattr(dose, name), *OPEN[name]))
    if dose.titration is not None:
        for name, (lo, hi) in TITRATION_OPEN.items():
            choices[name] = draw(
                param_value(getattr(dose.titration, name.removeprefix("titration_")), lo, hi)
            )
    phases = []
    for phase in protocol.schedule.phases:
        per_week = None
        if phase.per_week is not None and phase.per_week[0] != phase.per_week[1]:
            per_week = draw(st.integers(*phase.per_week))
        every = draw(st.sampled_from(phase.every_days)) if len(phase.every_days) > 1 else None
        open_ended = phase.sessions is None and phase.weeks is None
        sessions = draw(st.integers(1, 4)) if open_ended and phase.every_days else None
        weeks = draw(st.integers(1, 4)) if open_ended and phase.per_week is not None else None
        phases.append(PhaseChoice(per_week=per_week, weeks=weeks, every_days=every, sessions=sessions))
    today = timezone.localdate()
    pump = None
    if protocol.is_infusion:
        basis = protocol.salt_basis if protocol.salt_basis is not SaltBasis.UNSTATED else SaltBasis.BASE
        pump = PumpSetup(Decimal("1"), basis, Decimal("0.1"), Rounding.DOWN)
    return PlanInputs(
        protocol_id=protocol.id,
        weight_kg=draw(decimal_in(Decimal("35"), Decimal("160"), 1)),
        weight_measured_on=today - timedelta(days=draw(st.integers(0, 120))),
        start_on=today + timedelta(days=1),
        choices=DoseChoices(**choices),
        phases=tuple(phases),
        pump=pump,
    )


@st.composite
def scenario(draw):
    protocol = published_protocols()[draw(st.sampled_from(PROTOCOLS))]
    unset = draw(
        st.one_of(st.just(frozenset()), st.sets(st.sampled_from(PLAN_GATED), min_size=1, max_size=3))
    )
    values: dict[str, str | None] = {}
    for key in PLAN_GATED:
        if key in unset:
            values[key] = None
        elif key in LIMIT_RANGES:
            lo, hi = LIMIT_RANGES[key]
            values[key] = str(draw(decimal_in(lo, hi, 0 if key.endswith("days") else 2)))
        elif key.endswith(".max_dose_mg_per_session"):
            values[key] = str(draw(decimal_in(Decimal("20"), Decimal("1000"), 0)))
        else:
            values[key] = gated_test_value(key)
    reason = draw(st.sampled_from(["", "Clinical judgement after review (test)."]))
    return protocol, draw(inputs_for(protocol)), values, reason


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=scenario())
def test_no_plan_is_approved_unsafely(case, personas, monkeypatch):
    monkeypatch.setattr(actions, "plan_readiness", lambda patient: Readiness(True))
    protocol, inputs, values, reason = case
    clinic, prescriber = personas.clinic_a, personas.prescriber
    set_values(clinic, prescriber, values)
    missing = {m.key for m in missing_settings(clinic.pk, PLAN, route=protocol.route.value)}
    patient = PatientFactory(clinic=clinic)
    try:
        plan = save_draft(patient, prescriber, inputs)
    except PlanError:
        event("inputs refused")  # a choice the protocol or the clinic's rules refuse: nothing saved
        assert not TreatmentPlan.objects.filter(patient=patient).exists()
        return
    try:
        approved = approve_plan(plan, prescriber, result_key=plan.result_key, override_reason=reason)
    except SettingsMissing as refused:
        event("refused: settings missing")
        assert {m.key for m in refused.missing} == missing
        assert TreatmentPlan.objects.get(pk=plan.pk).status == PlanStatus.DRAFT
        return
    except OverrideNeeded:
        event("refused: override needed")
        assert not missing and plan.exceeds_limits and not reason
        assert TreatmentPlan.objects.get(pk=plan.pk).status == PlanStatus.DRAFT
        return
    event("approved" + (" with an override" if approved.override_reason else ""))
    # Approved: every plan-gated setting for its route was set ...
    assert not missing, f"approved with {sorted(missing)} unset"
    assert approved.status == PlanStatus.APPROVED
    assert not approved.limit_check["not_set"]
    # ... and the dosing core, run again on the stored inputs with the settings the approval
    # saw, finds every set limit either respected or overridden with a recorded reason.
    dosing = clinic_dosing(values_for(clinic.pk))
    course = plan_course(
        protocol,
        stored_inputs(approved),
        dosing.limits_for(protocol.route),
        on=approved.planned_on,
        min_gap_days=dosing.min_gap_days,
        first_number=approved.first_session_number,
    )
    assert not course.check.not_set
    assert approved.exceeds_limits == bool(course.check.exceeded)
    if course.check.exceeded:
        assert approved.override_reason.strip() == reason
        assert approved.override_by_id == prescriber.pk and approved.override_at is not None
    else:
        assert approved.override_reason == "" and approved.override_by_id is None
