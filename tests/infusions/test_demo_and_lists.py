"""The demo's sessions, and the clinic settings the flowsheet declares."""

from __future__ import annotations

from django.utils import timezone

from ketapath.alerts.models import Alert
from ketapath.demo.load import load_demo
from ketapath.infusions.models import (
    InfusionSession,
    MedicationEntry,
    ScoreEntry,
    SessionStatus,
    SideEffectEntry,
)
from ketapath.plans.actions import approve_plan, save_draft, schedule_sessions
from tests.plans.conftest import sign_consent, sign_evaluation, singh


def plan_today(personas, patient):
    sign_evaluation(patient, personas.prescriber, personas.nurse)
    sign_consent(patient, personas.prescriber, personas.nurse)
    plan = save_draft(patient, personas.prescriber, singh(start=timezone.localdate()))
    plan = approve_plan(plan, personas.prescriber, result_key=plan.result_key)
    return schedule_sessions(plan, personas.prescriber)[0]


def test_the_demo_charts_a_week_for_demo_0001_and_today_at_every_status(demo):
    alex = InfusionSession.objects.filter(patient__mrn="DEMO-0001").exclude(status=SessionStatus.WAITING)
    assert alex.count() >= 4
    assert all(s.is_signed and s.is_cosigned and s.status == SessionStatus.DISCHARGED for s in alex)
    bp = Alert.objects.filter(patient__mrn="DEMO-0001", rule_id__startswith="during-systolic-high")
    assert bp.count() == 1 and bp.get().action_taken.startswith("Rate lowered")
    effects = SideEffectEntry.objects.filter(session__patient__mrn="DEMO-0001", voids=False)
    assert MedicationEntry.objects.filter(side_effect__in=effects, product__startswith="Ondansetron").exists()
    scores = set(ScoreEntry.objects.filter(session__in=alex).values_list("instrument_id", flat=True))
    assert {"aldrete-modified", "padss", "moaa-s", "cadss-6"} <= scores
    today = {
        s.patient.mrn: s.status
        for s in InfusionSession.objects.filter(planned_session__planned_on=timezone.localdate())
    }
    assert set(today.values()) >= {"pre-checks", "infusing", "observation", "ready", "discharged"}
    # Loading again changes nothing.
    count = InfusionSession.objects.count()
    load_demo()
    assert InfusionSession.objects.count() == count


def test_the_flowsheets_settings_are_registered_with_no_defaults():
    from ketapath.clinic_settings.registry import all_specs

    specs = all_specs()
    assert specs["vitals.during-systolic-high"].unit == "mmHg"
    assert specs["vitals.during-systolic-high.severity"].kind == "choice"
    assert specs["precheck.weight_change_percent"].maximum == 100
    assert specs["fasting.ruleset"].choices[0][0] == "asa-2017"
    assert {
        "monitoring.vitals_interval_min",
        "monitoring.scores_interval_min",
        "discharge.min_observation_min",
        "discharge.requires_escort",
        "monitoring.pk_model",
    } <= set(specs)
