"""Approving a plan is checked before it is confirmed: the plan page's button runs every check of
approval and saves nothing; a refused plan is shown with its reasons at once, and a plan that can
be approved gets a confirmation naming what signing locks. After each step the plan page offers
the one next step: write, approve, schedule, then the sessions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ketapath.plans.actions import NotReady, approve_plan, review_approval, schedule_sessions
from ketapath.plans.models import PlannedSession, PlanStatus, TreatmentPlan
from tests.plans.conftest import singh_post, url


def approve(client, patient, plan, step, **fields):
    return client.post(
        url("approve", patient, plan_id=plan.pk), {"result_key": plan.result_key, "step": step, **fields}
    )


def history_count(plan) -> int:
    return plan.history.count()


def test_review_asks_to_confirm_only_after_every_check_and_saves_nothing(personas, ready_patient, login):
    client = login(personas.prescriber)
    client.post(url("edit", ready_patient), singh_post())
    plan = TreatmentPlan.objects.get(patient=ready_patient)
    before = history_count(plan)

    response = approve(client, ready_patient, plan, "review")
    html = response.content.decode()
    assert response.status_code == 200
    assert f"Approve and sign version {plan.version} of the treatment plan?" in html
    # It names what will be locked: protocol, weight, the course's dates, dose, the limits.
    assert plan.protocol_name in html and f"{plan.weight_kg} kg" in html
    assert f"{plan.session_count} sessions" in html and "within every limit" in html
    assert 'name="step" value="sign"' in html and f'value="{plan.result_key}"' in html
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT and plan.approved_at is None
    assert history_count(plan) == before  # nothing written

    # Back to the plan: the draft as it was, nothing saved.
    response = approve(client, ready_patient, plan, "edit")
    assert response.status_code == 200 and "Review and approve" in response.content.decode()
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT

    # The confirmation's button signs.
    response = approve(client, ready_patient, plan, "sign")
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED and plan.approved_by == personas.prescriber


def test_a_plan_over_a_limit_is_refused_before_any_confirmation(personas, ready_patient, login):
    client = login(personas.prescriber)
    client.post(url("edit", ready_patient), singh_post(dose_mg_per_kg="0.75"))
    plan = TreatmentPlan.objects.get(patient=ready_patient)
    html = approve(client, ready_patient, plan, "review").content.decode()
    assert "cannot be approved without a prescriber override" in html
    assert "of the treatment plan?" not in html and 'value="sign"' not in html  # no confirmation
    # With a reason, the confirmation names the override it will lock with the plan.
    reason = "Partial response at 0.5 mg/kg over 4 sessions."
    html = approve(client, ready_patient, plan, "review", override_reason=reason).content.decode()
    assert "Override of" in html and reason in html
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT and plan.override_reason == ""


def test_review_action_refuses_as_approval_does(personas, make_ready, login):
    """review_approval raises the refusals approve_plan raises (here: the consultation missing)."""
    patient = personas.patient_two
    client = login(personas.prescriber)
    client.post(url("edit", patient), singh_post())
    plan = TreatmentPlan.objects.get(patient=patient)
    with pytest.raises(NotReady):
        review_approval(plan, personas.prescriber, result_key=plan.result_key)
    with pytest.raises(NotReady):
        approve_plan(plan, personas.prescriber, result_key=plan.result_key)
    make_ready(patient)
    assert review_approval(plan, personas.prescriber, result_key=plan.result_key) == []
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT


def next_step(html: str) -> str:
    start = html.find('class="next-step"')
    return html[start : html.find("</section>", start)] if start >= 0 else ""


def test_the_plan_page_offers_the_next_step_after_each_step(personas, ready_patient, login):
    client = login(personas.prescriber)
    plan_url = url("plan", ready_patient)
    assert reverse("plans:edit", kwargs={"mrn": ready_patient.mrn}) in next_step(
        client.get(plan_url).content.decode()
    )

    client.post(url("edit", ready_patient), singh_post())
    step = next_step(client.get(plan_url).content.decode())
    assert "approve and sign version 1" in step and 'href="#approve"' in step

    plan = TreatmentPlan.objects.get(patient=ready_patient)
    approve_plan(plan, personas.prescriber, result_key=plan.result_key)
    step = next_step(client.get(plan_url).content.decode())
    assert "schedule the sessions" in step and 'href="#schedule"' in step

    schedule_sessions(plan, personas.prescriber)
    first = PlannedSession.objects.filter(plan=plan).order_by("planned_on").first()
    step = next_step(client.get(plan_url).content.decode())
    assert f"the next is session {first.number}" in step
    assert reverse("infusions:patient", kwargs={"mrn": ready_patient.mrn}) in step


def test_the_nurse_gets_no_step_she_cannot_take(personas, ready_patient, login):
    prescriber = login(personas.prescriber)
    prescriber.post(url("edit", ready_patient), singh_post())
    nurse = login(personas.nurse)
    html = nurse.get(url("plan", ready_patient)).content.decode()
    assert next_step(html) == ""  # approval is the prescriber's
    assert "Write the plan" not in html
