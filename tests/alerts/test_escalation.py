"""Escalation: an urgent alert raised outside the clinic that nobody acknowledges within the
clinic's ``alerts.escalate_after_min`` is e-mailed to the second contact, once; the run is
``ketapath remind``."""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from ketapath.alerts.actions import acknowledge_alert, escalate_due_alerts, raise_alert
from ketapath.alerts.models import AlertNotification
from ketapath.clinic_settings.values import set_values
from ketapath.portal.actions import SymptomInput, report_symptoms
from tests.alerts.conftest import FAMILY, GIVEN, MRN
from tests.alerts.test_notify import assert_no_clinical_detail

WAIT = 30  # tests/safety.py: alerts.escalate_after_min


@pytest.fixture
def urgent(personas, patient, django_capture_on_commit_callbacks):
    """A patient's urgent symptom report from home; the on-call prescriber has been told."""
    with django_capture_on_commit_callbacks(execute=True):
        report_symptoms(patient, patient.user, SymptomInput(("heart",), details="Pounding heart."))
    alert = patient.alerts.get()
    assert alert.notify_oncall and len(mail.outbox) == 1
    mail.outbox.clear()
    return alert


def kinds(alert):
    return [(n.kind, n.outcome) for n in AlertNotification.objects.filter(alert=alert).order_by("id")]


def test_escalates_after_the_time_not_before_and_once(urgent):
    early = escalate_due_alerts(urgent.raised_at + timedelta(minutes=WAIT - 1))
    assert (early.escalated, early.notified) == (0, 0) and mail.outbox == []
    due = escalate_due_alerts(urgent.raised_at + timedelta(minutes=WAIT))
    assert due.escalated == 1
    (message,) = mail.outbox
    assert message.to == ["second@clinic.test"]
    assert "has not been acknowledged" in message.subject
    assert_no_clinical_detail_but_minutes(message, urgent)
    again = escalate_due_alerts(urgent.raised_at + timedelta(hours=5))
    assert again.escalated == 0 and len(mail.outbox) == 1
    assert kinds(urgent) == [("notify", "sent"), ("escalate", "sent")]


def assert_no_clinical_detail_but_minutes(message, alert):
    # The escalation names the clinic's own wait ("within 30 minutes"): not clinical detail.
    message.body = message.body.replace(f"within {WAIT} minutes", "within the clinic's time")
    assert_no_clinical_detail(message, alert)
    for word in (GIVEN, FAMILY, MRN, "heart", "Pounding"):
        assert word.lower() not in message.body.lower()


def test_an_acknowledged_alert_is_not_escalated(urgent, personas):
    acknowledge_alert(urgent, personas.prescriber, "Called the patient; advised to call 911.")
    result = escalate_due_alerts(urgent.raised_at + timedelta(minutes=WAIT + 5))
    assert result.escalated == 0 and mail.outbox == []
    assert kinds(urgent) == [("notify", "sent")]


def test_an_alert_raised_in_the_clinic_is_never_escalated(personas, patient):
    report_symptoms(patient, patient.user, SymptomInput(("urinary",)))
    alert = patient.alerts.get()
    assert not alert.notify_oncall
    assert escalate_due_alerts(alert.raised_at + timedelta(days=1)).escalated == 0
    assert mail.outbox == [] and kinds(alert) == []


def test_an_unset_second_contact_is_recorded_once_then_sent_when_set(urgent, personas):
    set_values(personas.clinic_a, personas.prescriber, {"alerts.second_contact_email": None})
    later = urgent.raised_at + timedelta(minutes=WAIT + 1)
    first = escalate_due_alerts(later)
    second = escalate_due_alerts(later + timedelta(minutes=5))
    assert (first.not_sent, second.not_sent, first.escalated) == (1, 0, 0) and mail.outbox == []
    row = AlertNotification.objects.get(alert=urgent, kind="escalate")
    assert row.outcome == "not-sent"
    assert row.detail.startswith("Not sent: clinic setting not set (Second contact")
    set_values(personas.clinic_a, personas.prescriber, {"alerts.second_contact_email": "deputy@clinic.test"})
    assert escalate_due_alerts(later + timedelta(minutes=10)).escalated == 1
    assert [m.to for m in mail.outbox] == [["deputy@clinic.test"]]
    assert kinds(urgent) == [("notify", "sent"), ("escalate", "not-sent"), ("escalate", "sent")]


def test_an_unset_escalation_time_is_recorded_as_not_sent(urgent, personas):
    set_values(personas.clinic_a, personas.prescriber, {"alerts.escalate_after_min": None})
    result = escalate_due_alerts(urgent.raised_at + timedelta(days=2))
    assert (result.escalated, result.not_sent) == (0, 1) and mail.outbox == []
    row = AlertNotification.objects.get(alert=urgent, kind="escalate")
    assert "Escalate to the second contact when not acknowledged within (min)" in row.detail


def test_the_oncall_is_told_late_once_the_clinic_sets_the_address(
    personas, patient, django_capture_on_commit_callbacks
):
    set_values(personas.clinic_a, personas.prescriber, {"alerts.oncall_email": None})
    with django_capture_on_commit_callbacks(execute=True):
        report_symptoms(patient, patient.user, SymptomInput(("mood",)))
    alert = patient.alerts.get()
    assert mail.outbox == [] and kinds(alert) == [("notify", "not-sent")]
    set_values(personas.clinic_a, personas.prescriber, {"alerts.oncall_email": "oncall@clinic.test"})
    result = escalate_due_alerts(alert.raised_at + timedelta(minutes=1))
    assert (result.notified, result.escalated) == (1, 0)
    assert escalate_due_alerts(alert.raised_at + timedelta(minutes=2)).notified == 0
    assert [m.to for m in mail.outbox] == [["oncall@clinic.test"]]


def test_a_claimed_send_is_never_repeated(urgent):
    """Two runs at once: the second finds the row the first claimed and sends nothing."""
    AlertNotification.objects.create(
        alert=urgent, kind="escalate", to_address="second@clinic.test", at=timezone.now(), outcome="sending"
    )
    assert escalate_due_alerts(urgent.raised_at + timedelta(hours=1)).escalated == 0
    assert mail.outbox == []


def test_remind_prints_the_escalation_line(urgent):
    from ketapath.cli import main

    waited = timezone.now() - timedelta(minutes=WAIT + 1)
    urgent.__class__.objects.filter(pk=urgent.pk).update(raised_at=waited)
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["remind"]) == 0
    lines = out.getvalue().splitlines()
    assert (
        "escalate: 1 urgent alert(s) escalated to the second contact, 0 on-call notification(s) sent, "
        "0 not sent (clinic setting not set), 0 failed" in lines
    )
    with redirect_stdout(io.StringIO()) as again:
        main(["remind"])
    assert "escalate: 0 urgent alert(s) escalated" in again.getvalue()
    assert [m.to for m in mail.outbox] == [["second@clinic.test"]]


def test_the_alert_page_lists_who_was_told(urgent, personas, login):
    escalate_due_alerts(urgent.raised_at + timedelta(minutes=WAIT))
    page = login(personas.prescriber).get(f"/alerts/{urgent.pk}/").content.decode()
    assert "E-mail to the on-call prescriber" in page
    assert "Escalation e-mail to the second contact" in page
    assert "oncall@clinic.test" in page and "second@clinic.test" in page
    assert "Nobody can be e-mailed" not in page


def test_raise_alert_signature_keeps_in_clinic_default(personas, patient):
    report, _ = report_symptoms(patient, patient.user, SymptomInput(("other",)))
    alert = raise_alert(
        patient=patient,
        origin=report,
        origin_label="x",
        rule_id="t",
        severity="critical",
        audience="care-team",
        routing="r",
        message="m",
    )
    assert not alert.notify_oncall  # the default: raised in the clinic
