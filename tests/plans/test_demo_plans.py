"""The demo plans: made through the actions, idempotent, DEMO-0001 with past and upcoming sessions."""

from __future__ import annotations

from django.utils import timezone

from ketapath.clinic_settings.readiness import first_infusion_missing, route_missing
from ketapath.clinic_settings.values import values_for
from ketapath.demo.load import load_demo
from ketapath.plans.models import LocalProtocol, PlannedSession, PlanStatus, TreatmentPlan


def test_demo_plans_and_sessions(demo):
    today = timezone.localdate()
    alex = TreatmentPlan.objects.get(patient__mrn="DEMO-0001")
    assert alex.status == PlanStatus.APPROVED and alex.protocol_id == "schwartzman-2009-crps"
    assert alex.approved_by.username == "dr.demo" and not alex.exceeds_limits
    sessions = PlannedSession.objects.filter(patient__mrn="DEMO-0001")
    assert sessions.count() == 10
    assert sessions.filter(planned_on__lt=today).exists() and sessions.filter(planned_on__gt=today).exists()
    # The demo prescriber's 0.25 mg/kg/h (Schwartzman gives 0.35 mg/kg/h only as the maximum)
    # x 68.4 kg = 17.1 mg/h: 17.1 mL/h of a 1 mg/mL bag.
    assert {str(s.rate_ml_per_h) for s in sessions} == {"17.100"}
    morgan = TreatmentPlan.objects.get(patient__mrn="DEMO-0006")
    assert morgan.status == PlanStatus.APPROVED and morgan.sessions.count() == 8
    taylor = TreatmentPlan.objects.get(patient__mrn="DEMO-0007")
    assert taylor.status == PlanStatus.DRAFT  # no consent yet
    local = LocalProtocol.objects.get(clinic__slug="demo")
    assert local.author.username == "dr.demo" and local.definition["local"] is True
    settings = values_for(alex.patient.clinic_id)
    assert settings["pump.conc_mg_per_ml"] == 1
    # Safety fails closed: the demo clinic set every safety setting (its own choices) first.
    assert settings["dosing.iv.max_rate_mg_per_h"] == 120
    assert first_infusion_missing(alex.patient.clinic_id) == []
    assert all(not items for items in route_missing(alex.patient.clinic_id).values())


def test_demo_plans_load_is_idempotent(demo):
    counts = (TreatmentPlan.objects.count(), PlannedSession.objects.count(), LocalProtocol.objects.count())
    load_demo()
    assert (
        TreatmentPlan.objects.count(),
        PlannedSession.objects.count(),
        LocalProtocol.objects.count(),
    ) == counts
