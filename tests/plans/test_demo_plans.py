"""The demo plans: made through the actions, idempotent, DEMO-0001 with past and upcoming sessions."""

from __future__ import annotations

import pytest
from django.utils import timezone

from ketapath.clinic_settings.values import values_for
from ketapath.demo.load import load_demo
from ketapath.plans.models import LocalProtocol, PlannedSession, PlanStatus, TreatmentPlan


@pytest.mark.django_db
def test_demo_plans_and_sessions():
    load_demo()
    today = timezone.localdate()
    alex = TreatmentPlan.objects.get(patient__mrn="DEMO-0001")
    assert alex.status == PlanStatus.APPROVED and alex.protocol_id == "schwartzman-2009-crps"
    assert alex.approved_by.username == "dr.demo" and not alex.exceeds_limits
    sessions = PlannedSession.objects.filter(patient__mrn="DEMO-0001")
    assert sessions.count() == 10
    assert sessions.filter(planned_on__lt=today).exists() and sessions.filter(planned_on__gt=today).exists()
    # 0.35 mg/kg/h x 68.4 kg = 23.94 mg/h: under Schwartzman's 25 mg/h; 23.9 mL/h of a 1 mg/mL bag.
    assert {str(s.rate_ml_per_h) for s in sessions} == {"23.900"}
    morgan = TreatmentPlan.objects.get(patient__mrn="DEMO-0006")
    assert morgan.status == PlanStatus.APPROVED and morgan.sessions.count() == 8
    taylor = TreatmentPlan.objects.get(patient__mrn="DEMO-0007")
    assert taylor.status == PlanStatus.DRAFT  # no consent yet
    local = LocalProtocol.objects.get(clinic__slug="demo")
    assert local.author.username == "dr.demo" and local.definition["local"] is True
    settings = values_for(alex.patient.clinic_id)
    assert settings["pump.conc_mg_per_ml"] == 1 and "dosing.iv.max_rate_mg_per_h" not in settings


@pytest.mark.django_db
def test_demo_plans_load_is_idempotent():
    load_demo()
    counts = (TreatmentPlan.objects.count(), PlannedSession.objects.count(), LocalProtocol.objects.count())
    load_demo()
    assert (
        TreatmentPlan.objects.count(),
        PlannedSession.objects.count(),
        LocalProtocol.objects.count(),
    ) == counts
