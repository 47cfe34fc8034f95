"""Every alert leads to the exact place where it is answered: each family of alert the actions
raise today resolves to its own page (not the chart), which opens for a prescriber at the
element the link names."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from ketapath.alerts.actions import raise_alert
from ketapath.alerts.links import chart_url, registered_labels
from ketapath.alerts.models import Alert
from ketapath.clinical.instruments import get_instrument
from ketapath.portal.actions import SymptomInput, report_symptoms
from ketapath.questionnaires.actions import save_answers
from tests.web.test_access_by_role import samples  # noqa: F401  (one record of every kind)


def opens_at(client, url: str) -> str:
    path, _, anchor = url.partition("#")
    response = client.get(path)
    assert response.status_code == 200, url
    page = response.content.decode()
    if anchor:
        assert f'id="{anchor}"' in page, f"{url}: no element #{anchor}"
    return page


def answer(patient, user, instrument_id, answers, respondent):
    return save_answers(
        patient=patient,
        definition=get_instrument(instrument_id),
        answers=answers,
        user=user,
        respondent=respondent,
        complete=True,
    ).response


def test_every_family_raised_by_the_actions_leads_to_its_own_page(personas, patient, chart, login):
    # Questionnaires: PHQ-9 item 9 at home, the ASQ in the clinic (positive screen and acuity).
    phq = answer(patient, patient.user, "phq-9", {f"q{i}": 1 for i in range(1, 10)}, "patient")
    asq = answer(patient, personas.nurse, "asq", {f"q{i}": 1 for i in range(1, 6)}, "staff")
    # The patient's pages: a symptom report.
    report_symptoms(patient, patient.user, SymptomInput(("heart", "urinary")))
    # The infusion flowsheet: a pre-dose blood pressure above the clinic's threshold.
    chart.prechecks()
    chart.vitals(sbp=190, dbp=95)
    mrn = patient.mrn
    response_url = "/patients/{}/questionnaires/responses/{}/"
    expected = {
        "phq-9:self-harm-thoughts": response_url.format(mrn, phq.pk),
        "asq:positive-screen": response_url.format(mrn, asq.pk),
        "asq:acute-risk": response_url.format(mrn, asq.pk),
        "symptom-report:heart": f"/patients/{mrn}/outcomes/#reports-h",
        "symptom-report:urinary": f"/patients/{mrn}/outcomes/#reports-h",
    }
    flowsheet = reverse("infusions:flowsheet", kwargs={"mrn": mrn, "session_id": chart.session.pk})
    alerts = list(Alert.objects.filter(patient=patient))
    infusion = [a for a in alerts if a.rule_id not in expected]
    assert infusion, "the vitals above the threshold raised no alert"
    assert {a.rule_id for a in alerts} >= set(expected)
    client = login(personas.prescriber)
    for alert in alerts:
        want = expected.get(alert.rule_id, f"{flowsheet}#alerts-panel")
        assert alert.answer_url == want, alert.rule_id
        assert alert.answer_url != chart_url(patient)
        page = opens_at(client, alert.answer_url)
        if alert.origin_type.model == "questionnaireresponse":
            assert escape(alert.message) in page  # the response page shows the alert it answers


def test_every_app_that_holds_origins_registers_its_links(samples, personas, login):  # noqa: F811
    """Each app's records, made by its actions (the access walk's samples), lead to their page."""
    from ketapath.consultations.models import Evaluation
    from ketapath.infusions.models import InfusionSession, VitalsEntry
    from ketapath.outcomes.models import OutcomeReview

    assert {
        "questionnaires.questionnaireresponse",
        "consultations.evaluation",
        "infusions.infusionsession",
        "infusions.vitalsentry",
        "outcomes.outcomereview",
        "portal.symptomreport",
    } <= set(registered_labels())
    patient = personas.patient_one
    mrn = patient.mrn
    origins = {
        Evaluation.objects.get(pk=samples["evaluation_id"]): f"/patients/{mrn}/consultation/evaluation/"
        f"{samples['evaluation_id']}/",
        OutcomeReview.objects.get(pk=samples["review_id"]): f"/patients/{mrn}/outcomes/reviews/"
        f"{samples['review_id']}/",
        InfusionSession.objects.get(pk=samples["session_id"]): f"/patients/{mrn}/sessions/"
        f"{samples['session_id']}/#alerts-panel",
        VitalsEntry.objects.get(pk=samples["entry_id"]): f"/patients/{mrn}/sessions/"
        f"{samples['session_id']}/#sec-vitals",
    }
    client = login(personas.prescriber)
    for origin, want in origins.items():
        alert = raise_alert(
            patient=patient,
            origin=origin,
            origin_label="walk",
            rule_id="links-walk",
            severity="high",
            audience="care-team",
            routing="review",
            message="walk",
        )
        assert alert.answer_url == want
        opens_at(client, want)


def test_an_origin_with_no_registered_link_leads_to_the_chart(personas, patient, login):
    alert = raise_alert(
        patient=patient,
        origin=patient,
        origin_label="",
        rule_id="no-link",
        severity="low",
        audience="care-team",
        routing="r",
        message="m",
    )
    assert alert.answer_url == chart_url(patient) == f"/patients/{patient.mrn}/"
    opens_at(login(personas.prescriber), alert.answer_url)


def test_alert_lists_link_to_where_each_is_answered(personas, patient, login):
    phq = answer(patient, patient.user, "phq-9", {f"q{i}": 1 for i in range(1, 10)}, "patient")
    client = login(personas.prescriber)
    link = f'href="/patients/{patient.mrn}/questionnaires/responses/{phq.pk}/"'
    for url in ("/", "/alerts/"):
        page = client.get(url).content.decode()
        assert link in page and "Open where it is answered" in page, url
    alert = Alert.objects.get()
    assert f'href="/alerts/{alert.pk}/"' in client.get("/alerts/").content.decode()
    assert link in client.get(f"/alerts/{alert.pk}/").content.decode()


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_links_cost_no_query_per_alert(personas, patient, login):
    client = login(personas.prescriber)

    def more(n):
        for _ in range(n):
            report_symptoms(patient, patient.user, SymptomInput(("urinary",)))
            answer(patient, personas.nurse, "phq-9", {f"q{i}": 1 for i in range(1, 10)}, "staff")

    more(1)
    small = {url: queries_for(client, url) for url in ("/", "/alerts/")}
    more(4)
    assert Alert.objects.count() == 10
    assert {url: queries_for(client, url) for url in ("/", "/alerts/")} == small


def test_another_clinics_alert_page_is_not_found(personas, patient, login):
    alert = raise_alert(
        patient=patient,
        origin=patient,
        origin_label="",
        rule_id="x",
        severity="low",
        audience="care-team",
        routing="r",
        message="m",
    )
    assert login(personas.nurse_b).get(f"/alerts/{alert.pk}/").status_code == 404


def test_the_alert_page_records_what_was_done(personas, patient, login):
    alert = raise_alert(
        patient=patient,
        origin=patient,
        origin_label="",
        rule_id="x",
        severity="high",
        audience="care-team",
        routing="r",
        message="m",
    )
    client = login(personas.nurse)
    url = f"/alerts/{alert.pk}/"
    page = client.get(url).content.decode()
    assert "Raised in the clinic" in page and "Record action and close" in page
    done = client.post(f"{url}acknowledge/", {"action_taken": "Called the patient.", "next": url})
    assert done.status_code == 302 and done["Location"] == url
    page = client.get(url).content.decode()
    assert "Called the patient." in page and "Record action and close" not in page
