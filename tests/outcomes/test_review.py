"""The prescriber's review note: the data it shows, signed and locked, refused on changed data,
a double submit kept single, and the decision acting through the owning apps."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import time_machine

from ketapath.outcomes.actions import ReviewChanged, ReviewError, save_review, start_amendment
from ketapath.outcomes.assessment import gather, snapshot, snapshot_key
from ketapath.outcomes.models import OutcomeReview
from ketapath.patients.models import PathwayStage
from ketapath.plans.models import PlanStatus, TreatmentPlan
from tests.outcomes.conftest import START, answer, at, phq9

DAY = START + timedelta(days=20)


@pytest.fixture
def treated(personas, make_course, follow_up_settings):
    course = make_course(personas.patient_one)
    course.hold(1, 2, 3, 4, 5)
    for day, value in ((-1, 8), (2, 5), (6, 3), (13, 3)):
        answer(course.patient, personas.nurse, "nrs-pain", value, START + timedelta(days=day))
    answer(course.patient, personas.nurse, "phq-9", phq9(14), START - timedelta(days=1))
    answer(course.patient, personas.nurse, "phq-9", phq9(6), START + timedelta(days=13))
    answer(course.patient, personas.nurse, "pgic", 2, START + timedelta(days=13))
    with time_machine.travel(at(DAY), tick=False):
        yield course


def sign(patient, user, decision, **kw):
    data = snapshot(gather(patient, DAY))
    key = snapshot_key(data)
    return save_review(
        patient,
        user,
        decision=decision,
        decision_details=kw.pop("details", ""),
        assessment=kw.pop("assessment", "Good response."),
        snapshot=data,
        snapshot_key=kw.pop("shown_key", key),
        current_key=key,
        sign=True,
        **kw,
    )


def test_the_outcomes_page_shows_charts_status_and_sources(treated, personas, login):
    page = login(personas.nurse).get(f"/patients/{treated.patient.mrn}/outcomes/").content.decode()
    assert 'data-outcomes-chart="chart-nrs-pain"' in page and 'id="chart-phq-9"' in page
    assert "Substantial improvement" in page and "Dworkin 2008" in page
    assert "Response: PHQ-9 reduced by at least 50%" in page
    assert "Much improved" in page  # PGIC
    assert "Follow-up schedule" in page and "Review and decide" not in page  # a nurse does not sign
    assert login(personas.nurse).get(f"/patients/{treated.patient.mrn}/outcomes/review/").status_code == 403


def test_sign_and_lock_with_the_data_seen(treated, personas):
    review = sign(treated.patient, personas.prescriber, "continue")
    assert review.is_signed and review.signed_by == personas.prescriber
    assert [(m["id"], m["best_level"]) for m in review.snapshot["measures"]] == [
        ("pain-nrs", "substantial"),
        ("phq9", "response"),
    ]
    assert review.snapshot["pgic"]["label"] == "Much improved"
    assert review.history.first().history_change_reason == "Signed: Continue the plan as it is"
    # A later save is a new review (version 2), never an edit of the signed one.
    again = sign(treated.patient, personas.prescriber, "stop", details="Completed course.")
    assert again.version == 2 and again.pk != review.pk
    review.refresh_from_db()
    assert review.decision == "continue"


def test_changed_data_refuses_the_signature_and_keeps_the_text(treated, personas):
    with pytest.raises(ReviewChanged):
        sign(treated.patient, personas.prescriber, "continue", shown_key="stale", assessment="My words.")
    draft = OutcomeReview.objects.get()
    assert draft.status == "draft" and draft.assessment == "My words."


def test_a_double_submit_signs_once(treated, personas):
    key = uuid.uuid4()
    first = sign(treated.patient, personas.prescriber, "continue", client_key=key)
    second = sign(treated.patient, personas.prescriber, "continue", client_key=key)
    assert first.pk == second.pk and OutcomeReview.objects.count() == 1


def test_adjust_starts_a_new_plan_version_through_the_plans_app(treated, personas):
    review = sign(treated.patient, personas.prescriber, "adjust", details="Raise to 0.75 mg/kg.")
    plan = review.plan_version
    assert plan.status == PlanStatus.DRAFT and plan.version == 2 and plan.previous == treated.plan
    assert "Outcome review version 1: Adjust the dose" in plan.change_reason
    assert "Raise to 0.75 mg/kg." in plan.change_reason
    assert plan.history.first().history_change_reason.startswith("Version 2 drafted, revising version 1")
    # An open draft is linked, never overwritten.
    again = sign(treated.patient, personas.prescriber, "booster", details="Monthly boosters.")
    assert again.plan_version == plan and TreatmentPlan.objects.filter(patient=treated.patient).count() == 2


def test_adjust_needs_details(treated, personas):
    with pytest.raises(ReviewError):
        sign(treated.patient, personas.prescriber, "adjust")


def test_stop_moves_the_patient_to_follow_up(treated, personas):
    sign(treated.patient, personas.prescriber, "stop", details="Completed course.")
    treated.patient.refresh_from_db()
    assert treated.patient.pathway_stage == PathwayStage.FOLLOW_UP


def test_amendment_is_a_new_version_pointing_at_the_signed_one(treated, personas, login):
    review = sign(treated.patient, personas.prescriber, "continue")
    amendment = start_amendment(review, personas.prescriber, "Wrong decision recorded.")
    assert (amendment.version, amendment.previous, amendment.status) == (2, review, "draft")
    with pytest.raises(ReviewError):
        start_amendment(amendment, personas.prescriber, "not signed")
    final = sign(treated.patient, personas.prescriber, "stop", details="Stop.")
    assert final.pk == amendment.pk and final.previous == review
    page = (
        login(personas.nurse)
        .get(f"/patients/{treated.patient.mrn}/outcomes/reviews/{review.pk}/")
        .content.decode()
    )
    assert "Amended by" in page and "Locked" in page


def test_the_review_page_signs_through_the_form(treated, personas, login):
    client = login(personas.prescriber)
    url = f"/patients/{treated.patient.mrn}/outcomes/review/"
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    data = {
        "decision": "continue",
        "decision_details": "",
        "assessment": "Responding.",
        "snapshot_key": form.initial["snapshot_key"],
        "client_key": str(form.initial["client_key"]),
        "action": "sign",
    }
    response = client.post(url, data)
    review = OutcomeReview.objects.get()
    assert response.status_code == 302 and review.is_signed
    assert client.post(url, data).status_code == 302  # the same form again
    assert OutcomeReview.objects.count() == 1
    stale = client.post(url, data | {"snapshot_key": "x", "client_key": str(uuid.uuid4())})
    assert stale.status_code == 200 and "changed since this page was shown" in stale.content.decode()


def test_another_clinic_cannot_reach_the_outcomes(treated, personas, login):
    review = sign(treated.patient, personas.prescriber, "continue")
    other = login(personas.nurse_b)
    mrn = treated.patient.mrn
    assert other.get(f"/patients/{mrn}/outcomes/").status_code == 404
    assert other.get(f"/patients/{mrn}/outcomes/reviews/{review.pk}/").status_code == 404
    patient = login(personas.patient_one.user)
    assert patient.get(f"/patients/{mrn}/outcomes/").status_code == 403
