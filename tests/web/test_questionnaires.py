"""A questionnaire's life: assigned, due, reminded, filled (draft or complete), scored, reviewed,
alerts routed; bad input refused; nothing duplicated."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from fhir.resources.R4B.bundle import Bundle

from ketapath.alerts.models import Alert
from ketapath.clinical.instruments import get_instrument
from ketapath.questionnaires.actions import assign, assign_scheduled, save_answers
from ketapath.questionnaires.models import (
    AssignmentStatus,
    QuestionnaireAssignment,
    QuestionnaireResponse,
    ResponseStatus,
)
from ketapath.questionnaires.reminders import remind_due_questionnaires
from ketapath.web.fhir_export import patient_bundle

TODAY = timezone.localdate()


def phq9_post(values: list[int | None], action: str = "complete") -> dict[str, str]:
    data = {f"item_q{i}": ("" if v is None else str(v)) for i, v in enumerate(values, start=1)}
    return data | {"action": action}


@pytest.fixture
def phq9_assignment(personas):
    return assign(
        patient=personas.patient_one,
        instrument_id="phq-9",
        due_on=TODAY,
        respondent="patient",
        user=personas.nurse,
    )


def test_patient_fills_phq9_and_it_is_scored(personas, phq9_assignment, client, login):
    login(personas.patient_one.user)
    url = reverse("portal:questionnaire_fill", kwargs={"assignment_id": phq9_assignment.pk})
    page = client.get(url).content.decode()
    assert "do not wait for the clinic" in page  # urgent-help notice on a risk instrument
    # 2+2+1+1+1+1+1+1+0 = 10: PHQ-9 band 10-14 "Moderate" (Kroenke 2001).
    response = client.post(url, phq9_post([2, 2, 1, 1, 1, 1, 1, 1, 0]))
    assert response.status_code == 302
    stored = QuestionnaireResponse.objects.get(assignment=phq9_assignment)
    assert stored.status == ResponseStatus.COMPLETED
    assert stored.total == 10
    assert stored.band.lower() == "moderate"
    assert stored.respondent == "patient" and stored.answered_by == personas.patient_one.user
    assert stored.instrument_version == get_instrument("phq-9").version
    phq9_assignment.refresh_from_db()
    assert phq9_assignment.status == AssignmentStatus.COMPLETED
    assert not Alert.objects.exists()  # item 9 = 0: no alert


def test_item_nine_raises_an_alert_for_the_prescriber_whatever_the_total(
    personas, phq9_assignment, client, login
):
    login(personas.patient_one.user)
    url = reverse("portal:questionnaire_fill", kwargs={"assignment_id": phq9_assignment.pk})
    client.post(url, phq9_post([0, 0, 0, 0, 0, 0, 0, 0, 1]))  # total 1, item 9 = 1
    alert = Alert.objects.get()
    assert alert.patient == personas.patient_one and alert.is_open
    assert "same-day" in alert.routing
    login(personas.prescriber)
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert escape(alert.message) in dashboard and personas.patient_one.mrn in dashboard
    # Another clinic's prescriber does not see it.
    from ketapath.accounts.models import Role
    from tests.factories import UserFactory

    login(UserFactory(username="pres.b", clinic=personas.clinic_b, role=Role.PRESCRIBER))
    assert escape(alert.message) not in client.get(reverse("dashboard")).content.decode()


def test_alert_stays_open_until_an_action_is_recorded(personas, phq9_assignment, client, login):
    login(personas.patient_one.user)
    client.post(
        reverse("portal:questionnaire_fill", kwargs={"assignment_id": phq9_assignment.pk}),
        phq9_post([0, 0, 0, 0, 0, 0, 0, 0, 2]),
    )
    alert = Alert.objects.get()
    login(personas.prescriber)
    client.post(reverse("alerts:acknowledge", kwargs={"alert_id": alert.pk}), {"action_taken": " "})
    alert.refresh_from_db()
    assert alert.is_open
    client.post(
        reverse("alerts:acknowledge", kwargs={"alert_id": alert.pk}),
        {"action_taken": "Phoned the patient; safety plan reviewed."},
    )
    alert.refresh_from_db()
    assert not alert.is_open and alert.acknowledged_by == personas.prescriber
    assert alert.history.count() == 2


def test_draft_is_saved_unscored_and_resumed(personas, phq9_assignment, client, login):
    login(personas.patient_one.user)
    url = reverse("portal:questionnaire_fill", kwargs={"assignment_id": phq9_assignment.pk})
    client.post(url, phq9_post([1, 1, None, None, None, None, None, None, None], action="draft"))
    client.post(url, phq9_post([1, 2, 3, None, None, None, None, None, None], action="draft"))
    draft = QuestionnaireResponse.objects.get()
    assert draft.status == ResponseStatus.DRAFT
    assert draft.total is None and draft.scores == {}
    assert draft.answers == {"q1": 1, "q2": 2, "q3": 3}
    page = client.get(url)
    assert page.context["form"].initial == {"item_q1": "1", "item_q2": "2", "item_q3": "3"}


def test_half_filled_questionnaire_cannot_be_submitted(personas, phq9_assignment, client, login):
    login(personas.patient_one.user)
    url = reverse("portal:questionnaire_fill", kwargs={"assignment_id": phq9_assignment.pk})
    response = client.post(url, phq9_post([1, 1, 1, None, 1, 1, 1, 1, 0]))
    assert response.status_code == 200
    assert "still need an answer" in response.content.decode()
    assert not QuestionnaireResponse.objects.exists()


def test_tampered_answer_is_refused(personas, phq9_assignment, client, login):
    login(personas.patient_one.user)
    url = reverse("portal:questionnaire_fill", kwargs={"assignment_id": phq9_assignment.pk})
    response = client.post(url, phq9_post([1, 1, 1, 1, 1, 1, 1, 1, 7]))
    assert response.status_code == 200
    assert "not one of this question" in response.content.decode()
    assert not QuestionnaireResponse.objects.exists()


def test_double_submit_does_not_duplicate(personas, phq9_assignment, client, login):
    login(personas.patient_one.user)
    url = reverse("portal:questionnaire_fill", kwargs={"assignment_id": phq9_assignment.pk})
    data = phq9_post([3, 3, 3, 3, 3, 3, 3, 3, 3])
    client.post(url, data)
    second = client.post(url, data)
    assert second.status_code == 404  # the assignment is no longer open
    assert QuestionnaireResponse.objects.count() == 1
    assert Alert.objects.count() == 1


def test_completed_response_is_locked(personas):
    definition = get_instrument("gad-7")
    saved = save_answers(
        patient=personas.patient_two,
        definition=definition,
        answers={f"q{i}": 1 for i in range(1, 8)},
        user=personas.nurse,
        respondent="staff",
        complete=True,
    )
    from ketapath.questionnaires.actions import ResponseLocked

    with pytest.raises(ResponseLocked):
        save_answers(
            patient=personas.patient_two,
            definition=definition,
            answers={f"q{i}": 0 for i in range(1, 8)},
            user=personas.nurse,
            respondent="staff",
            complete=True,
            response=saved.response,
        )
    saved.response.refresh_from_db()
    assert saved.response.total == 7


def test_patient_cannot_fill_another_patients_assignment(personas, client, login):
    other = assign(
        patient=personas.patient_two,
        instrument_id="phq-9",
        due_on=TODAY,
        respondent="patient",
        user=personas.nurse,
    )
    login(personas.patient_one.user)
    url = reverse("portal:questionnaire_fill", kwargs={"assignment_id": other.pk})
    assert client.get(url).status_code == 404
    assert client.post(url, phq9_post([0] * 9)).status_code == 404


def test_not_yet_due_is_not_offered(personas, client, login):
    later = assign(
        patient=personas.patient_one,
        instrument_id="phq-9",
        due_on=TODAY + timedelta(days=3),
        respondent="patient",
        user=personas.nurse,
    )
    login(personas.patient_one.user)
    assert (
        client.get(reverse("portal:questionnaire_fill", kwargs={"assignment_id": later.pk})).status_code
        == 404
    )


def test_nurse_sees_score_and_band_in_the_chart_and_reviews(personas, phq9_assignment, client, login):
    save_answers(
        patient=personas.patient_one,
        definition=get_instrument("phq-9"),
        answers={f"q{i}": 2 for i in range(1, 10)},
        user=personas.patient_one.user,
        respondent="patient",
        complete=True,
        assignment=phq9_assignment,
    )
    login(personas.nurse)
    page = client.get(
        reverse("questionnaires:patient", kwargs={"mrn": personas.patient_one.mrn})
    ).content.decode()
    assert ">18<" in page and "Moderately severe" in page  # 9 x 2 = 18: band 15-19
    response = QuestionnaireResponse.objects.get()
    client.post(
        reverse("questionnaires:review", kwargs={"mrn": personas.patient_one.mrn, "response_id": response.pk})
    )
    response.refresh_from_db()
    assert response.status == ResponseStatus.REVIEWED and response.reviewed_by == personas.nurse


def test_staff_assigns_with_a_schedule_and_scheduler_is_idempotent(personas, client, login):
    login(personas.nurse)
    start = TODAY - timedelta(days=14)
    client.post(
        reverse("questionnaires:assign", kwargs={"mrn": personas.patient_one.mrn}),
        {
            "instrument_id": "gad-7",
            "due_on": start.isoformat(),
            "respondent": "patient",
            "repeat_every_days": "7",
            "repeat_until": (TODAY + timedelta(days=30)).isoformat(),
        },
    )
    assert QuestionnaireAssignment.objects.count() == 1  # the first one, made by the form
    assert assign_scheduled(TODAY) == 2  # days 7 and 14 (day 0 is the form's... plus its own)
    assert assign_scheduled(TODAY) == 0
    dates = sorted(QuestionnaireAssignment.objects.values_list("due_on", flat=True))
    assert dates[-1] == TODAY


def test_reminders_are_sent_once(personas, phq9_assignment):
    personas.patient_one.email = "pat.one@example.org"
    personas.patient_one.save()
    assert remind_due_questionnaires(TODAY) == 1
    assert remind_due_questionnaires(TODAY) == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["pat.one@example.org"]
    assert "questionnaire" in mail.outbox[0].subject
    # The clinic is named and the page linked; the questionnaire itself is not (a clinical detail).
    body = mail.outbox[0].body
    assert personas.clinic_a.name in body and "/portal/questionnaires/" in body
    assert "PHQ" not in body and "Depression" not in body and "Patient Health" not in body


def test_unknown_instrument_is_404(personas, client, login):
    login(personas.nurse)
    url = reverse("questionnaires:fill", kwargs={"mrn": personas.patient_one.mrn, "instrument_id": "nope"})
    assert client.get(url).status_code == 404


def test_instrument_page_shows_licence_and_sources(personas, client, login):
    login(personas.nurse)
    page = client.get(reverse("instruments:detail", kwargs={"instrument_id": "bpi-sf"})).content.decode()
    assert "Licence" in page and get_instrument("bpi-sf").licence.status in page
    fhir = client.get(reverse("instruments:fhir", kwargs={"instrument_id": "phq-9"}))
    assert fhir["Content-Type"] == "application/fhir+json"


def test_fhir_bundle_includes_responses_and_score_observations(personas, phq9_assignment):
    save_answers(
        patient=personas.patient_one,
        definition=get_instrument("phq-9"),
        answers={f"q{i}": 1 for i in range(1, 10)},
        user=personas.patient_one.user,
        respondent="patient",
        complete=True,
        assignment=phq9_assignment,
    )
    bundle = Bundle.model_validate(patient_bundle(personas.patient_one))
    kinds = [e.resource.get_resource_type() for e in bundle.entry]
    assert "QuestionnaireResponse" in kinds
    totals = [
        e.resource
        for e in bundle.entry
        if e.resource.get_resource_type() == "Observation"
        and any(c.code == "44261-6" for c in e.resource.code.coding)
    ]
    assert len(totals) == 1 and totals[0].valueQuantity.value == 9  # LOINC 44261-6: PHQ-9 total score


def test_chart_page_query_count_is_constant(personas, client, login):
    definition = get_instrument("gad-7")

    def add(n: int) -> None:
        for _ in range(n):
            save_answers(
                patient=personas.patient_one,
                definition=definition,
                answers={f"q{i}": 1 for i in range(1, 8)},
                user=personas.nurse,
                respondent="staff",
                complete=True,
            )

    login(personas.nurse)
    url = reverse("questionnaires:patient", kwargs={"mrn": personas.patient_one.mrn})
    add(2)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    add(15)
    with CaptureQueriesContext(connection) as large:
        client.get(url)
    assert len(large) == len(small)
