"""An urgent alert raised outside the clinic e-mails the on-call prescriber at once, after the
commit, with no clinical detail; one raised in the clinic e-mails nobody; every attempt, and
every send that could not be made, is recorded on the alert and shown on its page."""

from __future__ import annotations

import re
import smtplib

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from ketapath.alerts.actions import raise_alert
from ketapath.alerts.models import Alert, AlertNotification
from ketapath.clinic_settings.values import set_values
from ketapath.clinical.instruments import get_instrument
from ketapath.questionnaires.actions import assign, save_answers
from tests.alerts.conftest import FAMILY, GIVEN, MRN

# PHQ-9 answers totalling 26 with item 9 above "Not at all" (Simon 2013: item 9 predicts attempts).
ITEM9_POSITIVE = [3, 3, 3, 3, 3, 3, 3, 3, 2]


def phq9_post(values: list[int]) -> dict[str, str]:
    return {f"item_q{i}": str(v) for i, v in enumerate(values, start=1)} | {"action": "complete"}


def fill_at_home(client, login, patient, nurse, values=ITEM9_POSITIVE):
    assignment = assign(
        patient=patient, instrument_id="phq-9", due_on=timezone.localdate(), respondent="patient", user=nurse
    )
    login(patient.user)
    url = reverse("portal:questionnaire_fill", kwargs={"assignment_id": assignment.pk})
    return client.post(url, phq9_post(values))


def assert_no_clinical_detail(message, alert):
    text = f"{message.subject}\n{message.body}"
    for word in (GIVEN, FAMILY, MRN, "PHQ", "item 9", "suicid", "self-harm", "depress", "ketamine"):
        assert word.lower() not in text.lower(), word
    link = re.search(r"https?://\S+", message.body).group(0)
    assert link.endswith(reverse("alerts:detail", kwargs={"alert_id": alert.pk}))
    # Outside the link, not one digit: no score, no MRN, no date of birth.
    assert not re.search(r"\d", text.replace(link, "")), text


def test_item_9_answered_at_home_emails_the_oncall_at_once_without_detail(
    personas, patient, client, login, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = fill_at_home(client, login, patient, personas.nurse)
    assert response.status_code == 302
    assert len(callbacks) == 1
    alert = Alert.objects.get(patient=patient, rule_id="phq-9:self-harm-thoughts")
    assert alert.severity == "critical" and alert.notify_oncall
    (message,) = mail.outbox
    assert message.to == ["oncall@clinic.test"]
    assert_no_clinical_detail(message, alert)
    assert message.body.startswith("An urgent alert is waiting in KetaPath for Clinic A.")
    (row,) = AlertNotification.objects.filter(alert=alert)
    assert (row.kind, row.outcome, row.to_address) == ("notify", "sent", "oncall@clinic.test")


def test_no_email_before_the_commit(personas, patient, client, login):
    """Without running the commit hooks (the test's transaction never commits) nothing is sent."""
    fill_at_home(client, login, patient, personas.nurse)
    assert Alert.objects.get(patient=patient).notify_oncall
    assert mail.outbox == [] and not AlertNotification.objects.exists()


def test_a_home_answer_with_no_risk_emails_nobody(
    personas, patient, client, login, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        fill_at_home(client, login, patient, personas.nurse, values=[1, 1, 1, 1, 1, 1, 1, 1, 0])
    assert not Alert.objects.exists() and mail.outbox == []


def test_the_same_answer_in_the_clinic_emails_nobody(personas, patient, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        save_answers(
            patient=patient,
            definition=get_instrument("phq-9"),
            answers={f"q{i}": v for i, v in enumerate(ITEM9_POSITIVE, start=1)},
            user=personas.nurse,
            respondent="staff",
            complete=True,
        )
    alert = Alert.objects.get(patient=patient)
    assert alert.severity == "critical" and not alert.notify_oncall
    assert mail.outbox == [] and not AlertNotification.objects.exists()


def report(client, login, patient, symptoms):
    login(patient.user)
    form = client.get("/portal/symptoms/").context["form"]
    key = str(form.initial["client_key"])
    data = {"symptoms": symptoms, "details": "Since my session.", "client_key": key}
    return client.post("/portal/symptoms/", data)


def test_an_urgent_symptom_report_emails_the_oncall(
    personas, patient, client, login, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert report(client, login, patient, ["mood", "urinary"]).status_code == 302
    mood = Alert.objects.get(rule_id="symptom-report:mood")
    urinary = Alert.objects.get(rule_id="symptom-report:urinary")
    assert mood.notify_oncall and not urinary.notify_oncall  # only the symptom the clinic treats as urgent
    (message,) = mail.outbox
    assert message.to == ["oncall@clinic.test"]
    assert_no_clinical_detail(message, mood)
    assert "Since my session" not in message.body


def test_a_symptom_that_is_not_urgent_emails_nobody(
    personas, patient, client, login, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report(client, login, patient, ["urinary"])
    assert Alert.objects.get().severity == "high" and mail.outbox == []


def test_an_unset_oncall_setting_is_recorded_as_not_sent_and_shown(
    personas, patient, client, login, django_capture_on_commit_callbacks
):
    set_values(personas.clinic_a, personas.prescriber, {"alerts.oncall_email": None})
    with django_capture_on_commit_callbacks(execute=True):
        assert fill_at_home(client, login, patient, personas.nurse).status_code == 302
    assert mail.outbox == []
    alert = Alert.objects.get(patient=patient)
    (row,) = alert.notifications.all()
    assert (row.kind, row.outcome, row.to_address) == ("notify", "not-sent", "")
    assert row.detail.startswith("Not sent: clinic setting not set (On-call prescriber's e-mail")
    page = login(personas.prescriber).get(reverse("alerts:detail", kwargs={"alert_id": alert.pk}))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Nobody can be e-mailed about this alert until the clinic sets" in text
    assert "Not sent: clinic setting not set" in text
    assert f"{reverse('clinic_settings:page')}#id_" in text  # straight to the missing setting


def test_a_send_failure_is_recorded_and_the_patient_still_succeeds(
    personas, patient, client, login, django_capture_on_commit_callbacks, monkeypatch
):
    def refuse(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("connection closed")

    monkeypatch.setattr("ketapath.alerts.notifications.send_mail", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        response = fill_at_home(client, login, patient, personas.nurse)
    assert response.status_code == 302  # the patient's answers are saved and they move on
    (row,) = AlertNotification.objects.all()
    assert row.outcome == "failed" and "SMTPServerDisconnected" in row.detail
    page = login(personas.prescriber).get(reverse("alerts:detail", kwargs={"alert_id": row.alert_id}))
    assert "Sending failed" in page.content.decode()


def test_a_repeat_of_the_same_alert_does_not_email_again(
    personas, patient, django_capture_on_commit_callbacks
):
    response = save_answers(
        patient=patient,
        definition=get_instrument("phq-9"),
        answers={f"q{i}": v for i, v in enumerate(ITEM9_POSITIVE, start=1)},
        user=patient.user,
        respondent="patient",
        complete=True,
    ).response
    kwargs = dict(
        patient=patient,
        origin=response,
        origin_label="x",
        rule_id="phq-9:self-harm-thoughts",
        severity="critical",
        audience="clinician",
        routing="r",
        message="m",
        notify_oncall=True,
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        raise_alert(**kwargs)
        raise_alert(**kwargs)
    assert callbacks == [] and mail.outbox == []  # the alert already existed: nothing new to tell


@pytest.mark.parametrize("severity, told", [("critical", True), ("high", True), ("moderate", False)])
def test_which_severities_raised_outside_the_clinic_are_told(personas, patient, severity, told):
    from ketapath.portal.actions import SymptomInput, report_symptoms

    report, _ = report_symptoms(patient, patient.user, SymptomInput(("other",)))
    alert = raise_alert(
        patient=patient,
        origin=report,
        origin_label="x",
        rule_id=f"test:{severity}",
        severity=severity,
        audience="care-team",
        routing="r",
        message="m",
        notify_oncall=True,
    )
    assert alert.notify_oncall is told
