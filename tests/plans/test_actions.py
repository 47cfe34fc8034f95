"""The plan actions: drafts, limits and overrides, approval, versions, scheduling, double submits."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from ketapath.clinic_settings.values import set_values
from ketapath.consultations.readiness import Readiness
from ketapath.patients.models import PathwayStage
from ketapath.plans import actions
from ketapath.plans.actions import (
    NotReady,
    OverrideNeeded,
    PlanChanged,
    PlanError,
    approve_plan,
    discard_draft,
    recalculate,
    save_draft,
    schedule_sessions,
)
from ketapath.plans.models import PlannedSession, PlanStatus, SessionStatus, TreatmentPlan
from tests.plans.conftest import singh

TODAY = timezone.localdate


def test_draft_is_created_once_and_edited_in_place_with_history(personas, ready_patient):
    first = save_draft(ready_patient, personas.prescriber, singh())
    again = save_draft(ready_patient, personas.prescriber, singh())  # a double submit
    assert again.pk == first.pk
    assert TreatmentPlan.objects.filter(patient=ready_patient).count() == 1
    assert first.history.count() == 1  # nothing changed: no second history row
    changed = save_draft(ready_patient, personas.prescriber, singh(per_week=3))
    assert changed.pk == first.pk and changed.session_count == 12
    reasons = list(changed.history.order_by("history_id").values_list("history_change_reason", flat=True))
    assert reasons[0] == "Version 1 drafted"
    assert reasons[1].startswith("Draft saved: ") and "phases" in reasons[1]
    assert changed.history.first().history_user == personas.prescriber


def test_draft_stores_the_cores_numbers(personas, ready_patient):
    plan = save_draft(ready_patient, personas.prescriber, singh(weight="68.4"))
    first = plan.course[0]
    # Singh 2016: 0.5 mg/kg over 40 min; 68.4 kg -> 34.2 mg at 51.3 mg/h; 1 mg/mL, 0.1 mL/h steps.
    assert Decimal(first["dose_mg"]) == Decimal("34.2")
    assert Decimal(first["rate_mg_per_h"]) == Decimal("51.3")
    assert Decimal(first["rate_ml_per_h"]) == Decimal("51.3")
    assert first["duration_min"] == "40"
    assert plan.session_count == 8 and plan.exceeds_limits is False
    assert plan.route == "iv" and plan.drug == "racemic-ketamine" and plan.salt_basis == "unstated"


def test_rounding_to_the_pump_is_explicit(personas, ready_patient):
    plan = save_draft(ready_patient, personas.prescriber, singh(weight="68.3"))
    step = plan.course[0]["steps"][0]
    # 0.5 x 68.3 x 60 / 40 = 51.225 mg/h -> 51.2 mL/h at 1 mg/mL rounded down to 0.1 mL/h.
    assert Decimal(step["prescribed_rate_mg_per_h"]) == Decimal("51.225")
    assert Decimal(step["exact_ml_per_h"]) == Decimal("51.225")
    assert Decimal(step["rate_ml_per_h"]) == Decimal("51.2")
    assert Decimal(step["rate_mg_per_h"]) == Decimal("51.2")


def test_over_limit_plan_is_saved_but_cannot_be_approved_without_override(personas, ready_patient):
    plan = save_draft(ready_patient, personas.prescriber, singh(per_kg="0.75"))
    assert plan.exceeds_limits
    [hit] = plan.limit_check["exceeded"]
    assert hit["key"] == "protocol.dose_mg_per_kg" and hit["limit"] == "0.5" and hit["actual"] == "0.75"
    assert hit["sessions"] == list(range(1, 9))
    with pytest.raises(OverrideNeeded) as refused:
        approve_plan(plan, personas.prescriber, result_key=plan.result_key)
    assert "override_reason" in refused.value.errors
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT and plan.approved_at is None
    with pytest.raises(OverrideNeeded):
        approve_plan(plan, personas.prescriber, result_key=plan.result_key, override_reason="   ")


def test_override_is_recorded_with_who_and_why(personas, ready_patient):
    plan = save_draft(ready_patient, personas.prescriber, singh(per_kg="0.75"))
    approved = approve_plan(
        plan,
        personas.prescriber,
        result_key=plan.result_key,
        override_reason="Partial response at 0.5 mg/kg.",
    )
    assert approved.status == PlanStatus.APPROVED
    assert approved.override_reason == "Partial response at 0.5 mg/kg."
    assert approved.override_by == personas.prescriber and approved.override_at is not None
    assert approved.approved_by == personas.prescriber
    latest = approved.history.first()
    assert latest.history_user == personas.prescriber
    assert latest.history_change_reason == (
        "Approved and signed with an override of protocol dose: Partial response at 0.5 mg/kg."
    )


def test_override_reason_is_not_recorded_when_nothing_is_exceeded(personas, ready_patient):
    plan = save_draft(ready_patient, personas.prescriber, singh())
    approved = approve_plan(
        plan, personas.prescriber, result_key=plan.result_key, override_reason="just in case"
    )
    assert approved.override_reason == "" and approved.override_by is None


def test_clinic_maxima_block_and_unset_ones_say_not_set(personas, ready_patient, clinic_settings):
    set_values(personas.clinic_a, personas.prescriber, {"dosing.iv.max_rate_mg_per_h": None})
    plan = save_draft(ready_patient, personas.prescriber, singh())
    assert "clinic maximum rate: clinic setting not set" in plan.limit_check["not_set"]
    clinic_settings(**{"dosing.iv.max_rate_mg_per_h": "50", "dosing.salt_basis": "hydrochloride"})
    plan = recalculate(plan, personas.prescriber)
    [hit] = plan.limit_check["exceeded"]
    assert (
        hit["key"] == "clinic.max_rate_mg_per_h"
        and hit["origin"] == "clinic"
        and hit["source"] == "clinic setting"
    )
    assert plan.clinic_limits["max_rate_mg_per_h"] == "50"
    with pytest.raises(OverrideNeeded):
        approve_plan(plan, personas.prescriber, result_key=plan.result_key)


def test_stale_weight_is_a_hard_limit(personas, ready_patient, clinic_settings):
    clinic_settings(**{"dosing.max_weight_age_days": "30"})
    old = TODAY() - timedelta(days=45)
    plan = save_draft(ready_patient, personas.prescriber, singh(weighed=old))
    assert [e["key"] for e in plan.limit_check["exceeded"]] == ["clinic.max_weight_age_days"]
    assert plan.limit_check["exceeded"][0]["actual"] == "45"


def test_approval_refuses_numbers_that_changed_since_shown(personas, ready_patient, clinic_settings):
    plan = save_draft(ready_patient, personas.prescriber, singh())
    shown = plan.result_key
    clinic_settings(**{"dosing.iv.max_rate_mg_per_h": "40"})
    with pytest.raises(PlanChanged):
        approve_plan(plan, personas.prescriber, result_key=shown)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT
    plan = recalculate(plan, personas.prescriber)
    assert plan.result_key != shown and plan.exceeds_limits
    approve_plan(plan, personas.prescriber, result_key=plan.result_key, override_reason="Reviewed.")


def test_approval_needs_the_consultation(personas):
    patient = personas.patient_two
    plan = save_draft(patient, personas.prescriber, singh())
    with pytest.raises(NotReady) as refused:
        approve_plan(plan, personas.prescriber, result_key=plan.result_key)
    assert "No signed evaluation is on file." in str(refused.value)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT


def test_approval_refuses_an_evaluation_that_is_not_eligible(personas, make_ready):
    from tests.plans.conftest import sign_consent, sign_evaluation

    patient = personas.patient_two
    sign_evaluation(patient, personas.prescriber, personas.nurse, final="work-up-needed")
    sign_consent(patient, personas.prescriber, personas.nurse)
    plan = save_draft(patient, personas.prescriber, singh())
    with pytest.raises(NotReady, match="a plan needs “eligible”"):
        approve_plan(plan, personas.prescriber, result_key=plan.result_key)


def test_double_approval_is_harmless(personas, ready_patient):
    plan = save_draft(ready_patient, personas.prescriber, singh())
    first = approve_plan(plan, personas.prescriber, result_key=plan.result_key)
    second = approve_plan(plan, personas.prescriber, result_key=plan.result_key)
    assert first.pk == second.pk and second.approved_at == first.approved_at
    assert first.history.filter(history_change_reason__startswith="Approved").count() == 1


def test_schedule_only_when_approved_and_ready(personas, ready_patient, monkeypatch):
    plan = save_draft(ready_patient, personas.prescriber, singh())
    with pytest.raises(PlanError, match="Only the approved"):
        schedule_sessions(plan, personas.nurse)
    plan = approve_plan(plan, personas.prescriber, result_key=plan.result_key)
    # Consent withdrawn (or evaluation amended) between approval and scheduling: refused.
    monkeypatch.setattr(
        actions, "plan_readiness", lambda p: Readiness(False, ["No signed informed consent is on file."])
    )
    with pytest.raises(NotReady):
        schedule_sessions(plan, personas.nurse)
    assert not PlannedSession.objects.exists()
    monkeypatch.undo()
    created = schedule_sessions(plan, personas.nurse)
    assert [s.number for s in created] == list(range(1, 9))
    assert created[0].planned_on == plan.start_on and created[0].dose_mg == Decimal("35.000")
    assert created[0].rate_ml_per_h == Decimal("52.500") and created[0].duration_min == Decimal("40.0")
    assert created[0].steps[0]["rate_ml_per_h"] == "52.500"
    assert schedule_sessions(plan, personas.nurse) == []  # a double submit
    assert PlannedSession.objects.count() == 8
    ready_patient.refresh_from_db()
    assert ready_patient.pathway_stage == PathwayStage.TREATMENT


def test_a_change_is_a_new_version_with_a_reason(personas, ready_patient):
    v1 = save_draft(ready_patient, personas.prescriber, singh())
    v1 = approve_plan(v1, personas.prescriber, result_key=v1.result_key)
    schedule_sessions(v1, personas.nurse)
    start = v1.start_on + timedelta(days=7)
    with pytest.raises(PlanError) as refused:
        save_draft(ready_patient, personas.prescriber, singh(start=start, per_week=3))
    assert refused.value.errors == {"change_reason": "Say what this new version changes and why."}
    v2 = save_draft(
        ready_patient, personas.prescriber, singh(start=start, per_week=3, weeks=3, reason="Thrice weekly.")
    )
    assert v2.version == 2 and v2.previous == v1 and v2.change_reason == "Thrice weekly."
    assert v2.first_session_number == 3  # two sessions of version 1 come before the new start
    v1.refresh_from_db()
    assert v1.status == PlanStatus.APPROVED  # stays in force until the new version is approved
    v2 = approve_plan(v2, personas.prescriber, result_key=v2.result_key)
    v1.refresh_from_db()
    assert v1.status == PlanStatus.SUPERSEDED and v1.superseded_at is not None
    assert v1.history.first().history_change_reason == "Superseded by version 2"
    created = schedule_sessions(v2, personas.nurse)
    assert [s.number for s in created] == list(range(3, 12))
    kept = PlannedSession.objects.filter(plan=v1, status=SessionStatus.SCHEDULED)
    assert [s.number for s in kept] == [1, 2]
    cancelled = PlannedSession.objects.filter(plan=v1, status=SessionStatus.CANCELLED)
    assert cancelled.count() == 6
    assert {s.cancelled_reason for s in cancelled} == {"Replaced by version 2 of the plan"}
    with pytest.raises(PlanError):
        schedule_sessions(v1, personas.nurse)


def test_a_signed_plan_cannot_be_changed_in_place(personas, ready_patient):
    plan = save_draft(ready_patient, personas.prescriber, singh())
    plan = approve_plan(plan, personas.prescriber, result_key=plan.result_key)
    with pytest.raises(PlanError):
        recalculate(plan, personas.prescriber)
    with pytest.raises(PlanError):
        discard_draft(plan, personas.prescriber, "no")


def test_discarded_draft_is_kept_and_a_new_one_can_start(personas, ready_patient):
    plan = save_draft(ready_patient, personas.prescriber, singh())
    with pytest.raises(PlanError):
        discard_draft(plan, personas.prescriber, "  ")
    discard_draft(plan, personas.prescriber, "Wrong protocol")
    plan.refresh_from_db()
    assert plan.is_entered_in_error and plan.entered_in_error_reason == "Draft discarded: Wrong protocol"
    fresh = save_draft(ready_patient, personas.prescriber, singh())
    assert fresh.pk != plan.pk and fresh.version == 2 and fresh.previous is None


def test_first_session_in_the_past_is_refused_at_approval(personas, ready_patient):
    plan = save_draft(ready_patient, personas.prescriber, singh())
    later = plan.start_on + timedelta(days=3)
    with pytest.raises(PlanError) as refused:
        approve_plan(plan, personas.prescriber, result_key=plan.result_key, today=later)
    assert "start_on" in refused.value.errors


def test_schedule_errors_name_the_field(personas, ready_patient, clinic_settings):
    clinic_settings(**{"dosing.min_gap_days": "3"})
    with pytest.raises(PlanError) as refused:
        save_draft(ready_patient, personas.prescriber, singh(per_week=3))
    # 3 a week spreads sessions 2 or 3 days apart: below the clinic's minimum of 3.
    assert set(refused.value.errors) == {"phase_0"}
    assert "the clinic's minimum is 3" in refused.value.errors["phase_0"]
    assert not TreatmentPlan.objects.exists()  # nothing half-saved


def test_database_refuses_an_approved_over_limit_plan_without_override(personas, ready_patient):
    plan = save_draft(ready_patient, personas.prescriber, singh(per_kg="0.75"))
    plan.status = PlanStatus.APPROVED
    plan.approved_by = personas.prescriber
    plan.approved_at = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        plan.save()


def test_database_refuses_two_drafts(personas, ready_patient):
    plan = save_draft(ready_patient, personas.prescriber, singh())
    twin = TreatmentPlan.objects.get(pk=plan.pk)
    twin.pk = None
    twin.id = None
    twin.version = 2
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


def test_long_reasons_are_kept_whole_and_the_history_line_fits(personas, ready_patient):
    """PostgreSQL enforces the history reason's 100 characters: the full text stays on the plan."""
    why = "Partial response at 0.5 mg/kg after four sessions; discussed the risks of a higher dose. " * 3
    v1 = save_draft(ready_patient, personas.prescriber, singh(per_kg="0.75"))
    v1 = approve_plan(v1, personas.prescriber, result_key=v1.result_key, override_reason=why)
    assert v1.override_reason == why.strip()
    line = v1.history.first().history_change_reason
    assert len(line) == 100 and line.endswith("…")
    v2 = save_draft(
        ready_patient, personas.prescriber, singh(start=v1.start_on + timedelta(days=7), reason=why)
    )
    assert v2.change_reason == why.strip()
    discard_draft(v2, personas.prescriber, why)
    v2.refresh_from_db()
    assert v2.entered_in_error_reason == f"Draft discarded: {why.strip()}"
