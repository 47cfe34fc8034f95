"""Property (issue 12): over clinic settings (some infusion-gated settings unset, the clinic's
maximum rate anywhere from well below to above the plan's) and start rates, no infusion starts
with an infusion-gated setting unset, and no started infusion runs above a set limit (the clinic's
mg/h and mg/kg/h maxima, the approved plan's rate). Conversely, with everything set and the rate
within every limit, the start is accepted (so the property is not met by refusing everything)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ketapath.clinic_settings.readiness import INFUSION
from ketapath.clinic_settings.registry import all_specs
from ketapath.clinic_settings.values import set_values, values_for
from ketapath.infusions import actions
from ketapath.infusions.actions import ChartingRefused
from ketapath.infusions.models import EventKind, InfusionEventEntry
from tests.infusions.conftest import key
from tests.safety import gated_test_value

GATED = sorted(k for k, s in all_specs().items() if INFUSION in s.gates or f"{INFUSION}@iv" in s.gates)
PLAN_RATE = Decimal("52.5")  # the Singh plan of the fixture: 52.5 mg/h at 70 kg (1 mg/mL bag)
WEIGHT = Decimal(70)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    unset=st.sets(st.sampled_from(GATED), max_size=3),
    max_mg_per_h=st.decimals(min_value=10, max_value=300, places=1),
    max_mg_per_kg_per_h=st.decimals(min_value=Decimal("0.2"), max_value=3, places=2),
    rate_ml=st.decimals(min_value=1, max_value=120, places=1),
)
def test_no_start_with_a_gated_setting_unset_or_above_a_set_limit(
    chart, personas, unset, max_mg_per_h, max_mg_per_kg_per_h, rate_ml
):
    clinic, user = personas.clinic_a, personas.prescriber
    if not chart.session.__class__.objects.filter(pk=chart.session.pk, status="pre-checks").exists():
        chart.prechecks()
        chart.vitals()
    chosen = {key_: gated_test_value(key_) for key_ in GATED}
    chosen |= {
        "dosing.salt_basis": "hydrochloride",  # the test bag's milligrams: no conversion
        "dosing.iv.max_rate_mg_per_h": str(max_mg_per_h),
        "dosing.iv.max_rate_mg_per_kg_per_h": str(max_mg_per_kg_per_h),
    }
    chosen |= dict.fromkeys(unset)
    set_values(clinic, user, chosen)
    try:
        started = chart.event("start", rate_ml=str(rate_ml)).entry
    except ChartingRefused:
        started = None
    rate = rate_ml  # mg/h with the 1 mg/mL bag
    within = rate <= PLAN_RATE and rate <= max_mg_per_h and rate / WEIGHT <= max_mg_per_kg_per_h
    if started is None:
        event("refused")
        assert unset or not within  # nothing refused that every limit allows
        return
    event("started")
    values = values_for(clinic.pk)
    assert all(values.get(k) is not None for k in GATED)
    assert started.rate_mg_per_h <= PLAN_RATE
    assert started.rate_mg_per_h <= values["dosing.iv.max_rate_mg_per_h"]
    assert started.rate_mg_per_h / WEIGHT <= values["dosing.iv.max_rate_mg_per_kg_per_h"]
    # Withdraw the start so that the next example starts from the same place.
    actions.record_event(
        chart.session,
        chart.nurse,
        client_key=key(),
        observed_at=started.observed_at,
        kind=EventKind.START,
        supersedes=started,
        reason="Property test: withdrawn",
        void=True,
    )
    assert not InfusionEventEntry.objects.current().filter(session=chart.session, kind="start").exists()
