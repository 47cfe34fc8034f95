"""Plan actions take the clock as ``now``; a plan is a signed, versioned record."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ketapath.audit.records import SignedVersionedRecord
from ketapath.audit.refusals import ActionRefused
from ketapath.plans.actions import PlanError, approve_plan, discard_draft, save_draft, schedule_sessions
from ketapath.plans.models import PlannedSession, TreatmentPlan
from tests.plans.conftest import singh

pytestmark = pytest.mark.django_db


def test_a_plan_approved_and_scheduled_at_a_given_time_carries_that_time(personas, ready_patient):
    then = timezone.now() - timedelta(hours=1)
    # Weighed on the plan's own date (an hour ago may be yesterday, just after midnight).
    draft = save_draft(ready_patient, personas.prescriber, singh(weighed=timezone.localdate(then)), now=then)
    assert draft.created_at == then and draft.is_draft and not draft.is_locked
    approved = approve_plan(draft, personas.prescriber, result_key=draft.result_key, now=then)
    assert approved.approved_at == then and approved.is_signed and approved.is_locked
    assert approved.history.first().history_date == then
    sessions = schedule_sessions(approved, personas.nurse, now=then)
    assert sessions and all(s.scheduled_at == then for s in sessions)
    assert PlannedSession.objects.filter(plan=approved).count() == len(sessions)
    assert isinstance(approved, SignedVersionedRecord)
    assert TreatmentPlan.next_version(ready_patient) == approved.version + 1


def test_a_refused_plan_change_is_an_action_refused_with_its_field(personas, ready_patient):
    draft = save_draft(ready_patient, personas.prescriber, singh())
    with pytest.raises(PlanError) as refused:
        discard_draft(draft, personas.prescriber, "  ")
    assert isinstance(refused.value, ActionRefused)
    assert refused.value.field == "reason" and refused.value.errors == {"reason": refused.value.message}
