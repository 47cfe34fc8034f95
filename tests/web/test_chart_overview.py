"""The patient's chart overview: a clinician opening a chart (from an alert) sees why at once.

Open alerts (each linking to where it is answered), diagnosis, allergies, the current plan and
the next session, and the latest score of each questionnaire; clinical panels for clinicians
only; the page's query count does not grow with the record; the access log gets its row.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ketapath.alerts.actions import acknowledge_alert, raise_alert
from ketapath.audit.models import AccessAction, AccessLog
from ketapath.consultations.actions import IntakeChanges, save_intake
from ketapath.patients.overview import registered_panels
from ketapath.questionnaires.models import QuestionnaireResponse
from tests.outcomes.conftest import answer, make_course, pain_course  # noqa: F401 (make_course: a fixture)
from tests.web.test_query_counts import queries_for

ALLERGY = "Morphine: itching and a rash."


def chart_url(patient) -> str:
    return reverse("patients:detail", kwargs={"mrn": patient.mrn})


def alert_on(response, n: int, message: str | None = None):
    return raise_alert(
        patient=response.patient,
        origin=response,
        origin_label=f"PHQ-9 {n}",
        rule_id=f"overview-test-{n}",
        severity="high",
        audience="care-team",
        routing="same-day clinician review",
        message=message or f"Overview test alert {n}",
    )


@pytest.fixture
def course(personas, make_course):  # noqa: F811 (the imported fixture)
    """patient_one with a signed evaluation (CRPS type I), allergies on the intake, an approved
    plan whose first session is in three days, two PHQ-9s (the newer one lower) and a GAD-7."""
    patient = personas.patient_one
    today = timezone.localdate()
    made = make_course(patient, pain_course(start=today + timedelta(days=3)))
    save_intake(patient, personas.nurse, IntakeChanges(fields={"allergies": ALLERGY}), by_patient=False)
    answer(patient, personas.nurse, "phq-9", 3, today - timedelta(days=10))  # every item 3: severe
    mild = {f"q{i}": 1 if i < 6 else 0 for i in range(1, 10)}
    newer = answer(patient, personas.nurse, "phq-9", mild, today)
    answer(patient, personas.nurse, "gad-7", 1, today)
    return made, newer


def test_the_overview_shows_why_at_once(personas, client, login, course):
    made, phq9 = course
    patient = personas.patient_one
    alert = alert_on(phq9, 1, "Item 9 answered positive: same-day review.")
    closed = alert_on(phq9, 2, "An alert already answered.")
    acknowledge_alert(closed, personas.prescriber, "Called the patient.")
    login(personas.prescriber)
    page = client.get(chart_url(patient)).content.decode()
    # Open alerts, each with the link to where it is answered; closed ones are not listed.
    assert "Item 9 answered positive: same-day review." in page
    assert f'href="{alert.answer_url}"' in page
    assert "An alert already answered." not in page
    # Diagnosis (the signed evaluation's conditions) and allergies.
    assert "G90.511" in page and "Complex regional pain syndrome" in page
    assert ALLERGY in page
    assert "no evaluation is signed yet" not in page
    # The current plan (protocol, status, version) and the next session's date.
    plan = made.plan
    assert plan.protocol_name in page and "Approved and signed" in page and f"version {plan.version}" in page
    first = made.sessions[0]
    assert first.planned_on.strftime("%a %-d %b %Y") in page
    # The latest score of each instrument, with its band: the newer PHQ-9, not the older one.
    latest = {
        r.instrument_id: r
        for r in QuestionnaireResponse.objects.filter(patient=patient).order_by("completed_at", "id")
    }
    assert latest["phq-9"].pk == phq9.pk
    older = QuestionnaireResponse.objects.filter(patient=patient, instrument_id="phq-9").exclude(pk=phq9.pk)
    assert older.get().band not in page
    assert latest["phq-9"].band in page and latest["gad-7"].band in page
    assert reverse("questionnaires:response", kwargs={"mrn": patient.mrn, "response_id": phq9.pk}) in page


def test_an_empty_chart_says_what_is_missing(personas, client, login):
    login(personas.nurse)
    page = client.get(chart_url(personas.patient_two)).content.decode()
    for empty in (
        "No open alerts.",
        "not recorded (no intake)",
        "none approved",
        "none scheduled",
        "No completed questionnaire.",
    ):
        assert empty in page


def test_the_diagnosis_comes_from_the_intake_until_an_evaluation_is_signed(personas, client, login):
    from tests.consultations.conftest import record_intake

    patient = personas.patient_two
    record_intake(patient, personas.nurse, allergies=ALLERGY)
    login(personas.prescriber)
    page = client.get(chart_url(patient)).content.decode()
    assert "G90.511" in page and "no evaluation is signed yet" in page and ALLERGY in page


def test_the_administrator_sees_the_registry_but_no_clinical_panel(personas, client, login, course):
    _, phq9 = course
    alert_on(phq9, 1)
    login(personas.admin)
    response = client.get(chart_url(personas.patient_one))
    page = response.content.decode()
    assert response.status_code == 200 and personas.patient_one.mrn in page
    for clinical in ("Open alerts", "Overview test alert 1", ALLERGY, "Latest scores", "Current plan"):
        assert clinical not in page


def test_every_pathway_panel_is_registered():
    templates = [p.template for p in registered_panels()]
    assert templates == [
        "alerts/_overview.html",
        "consultations/_overview.html",
        "plans/_overview.html",
        "questionnaires/_overview.html",
        "web/_portal_account.html",
    ]


def test_opening_the_overview_writes_the_access_log(personas, client, login):
    login(personas.nurse)
    client.get(chart_url(personas.patient_one))
    row = AccessLog.objects.get()
    assert (row.user, row.patient) == (personas.nurse, personas.patient_one)
    assert row.action == AccessAction.VIEW_CHART


def test_the_overview_runs_a_fixed_number_of_queries(personas, client, login, course):
    _, phq9 = course
    patient = personas.patient_one
    today = timezone.localdate()
    alert_on(phq9, 1)
    login(personas.prescriber)
    url = chart_url(patient)
    small = queries_for(client, url)
    for n in range(2, 14):  # more alerts, more responses of the same and of more instruments
        response = answer(patient, personas.nurse, "phq-9", 1, today - timedelta(days=n))
        alert_on(response, n)
        answer(patient, personas.nurse, "gad-7", 2, today - timedelta(days=n))
    answer(patient, personas.nurse, "peg", 5, today)
    assert QuestionnaireResponse.objects.filter(patient=patient).count() > 25
    assert queries_for(client, url) == small
