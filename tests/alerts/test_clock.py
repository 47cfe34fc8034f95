"""The clock is passed in: the base apps' actions write the ``now`` they are given (the record's
own time and its history row's), and every refusal is an ``ActionRefused`` with its field."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ketapath.alerts.actions import AcknowledgeRefused, acknowledge_alert
from ketapath.audit.actions import MarkRefused, mark_entered_in_error
from ketapath.audit.refusals import ActionRefused
from ketapath.clinic_settings.models import ClinicSetting
from ketapath.clinic_settings.values import SettingRefused, set_values
from ketapath.clinical.instruments import get_instrument, with_purpose
from ketapath.portal.actions import JournalInput, KeyClash, SymptomInput, report_symptoms, save_journal_entry
from ketapath.questionnaires.actions import NotScorable, assign, review_response, save_answers
from ketapath.questionnaires.models import Respondent

PAST = timezone.now().replace(microsecond=0) - timedelta(days=40)
LATER = PAST + timedelta(hours=2)


def history_dates(record):
    return [h.history_date for h in record.history.order_by("history_id")]


def test_a_symptom_report_and_its_alert_carry_the_time_passed_in(personas, patient):
    report, _ = report_symptoms(patient, patient.user, SymptomInput(("nausea",)), now=PAST)
    alert = patient.alerts.get()
    assert report.reported_at == PAST and history_dates(report) == [PAST]
    assert alert.raised_at == PAST and history_dates(alert) == [PAST]
    closed = acknowledge_alert(alert, personas.nurse, "Called the patient.", now=LATER)
    assert closed.acknowledged_at == LATER and history_dates(closed) == [PAST, LATER]


def test_a_questionnaire_is_assigned_answered_and_reviewed_at_the_times_passed_in(personas, patient):
    definition = get_instrument(with_purpose("patient-progress")[0].id)
    assignment = assign(
        patient=patient,
        instrument_id=definition.id,
        due_on=PAST.date(),
        respondent=Respondent.STAFF,
        user=personas.nurse,
        now=PAST,
    )
    answers = {item.id: item.options[0].value for item in definition.items}
    saved = save_answers(
        patient=patient,
        definition=definition,
        answers=answers,
        user=personas.nurse,
        respondent=Respondent.STAFF,
        complete=True,
        assignment=assignment,
        now=PAST,
    )
    review_response(saved.response, personas.prescriber, now=LATER)
    saved.response.refresh_from_db()
    assert assignment.assigned_at == PAST
    assert saved.response.started_at == saved.response.completed_at == PAST
    assert saved.response.reviewed_at == LATER
    assert history_dates(saved.response) == [PAST, LATER]


def test_journal_settings_and_entered_in_error_take_the_time_passed_in(personas, patient):
    entry, created = save_journal_entry(patient, JournalInput(entry_on=PAST.date(), pain_nrs=4), now=PAST)
    assert created and entry.created_at == PAST and history_dates(entry) == [PAST]
    set_values(personas.clinic_a, personas.prescriber, {"alerts.escalate_after_min": "45"}, now=PAST)
    setting = ClinicSetting.objects.get(clinic=personas.clinic_a, key="alerts.escalate_after_min")
    assert setting.set_at == PAST and history_dates(setting)[-1] == PAST
    mark_entered_in_error(entry, personas.nurse, "Wrong day", now=LATER)
    entry.refresh_from_db()
    assert entry.entered_in_error_at == LATER and history_dates(entry) == [PAST, LATER]


def test_every_refusal_is_an_action_refused_with_its_field(personas, patient):
    definition = with_purpose("patient-progress")[0]
    with pytest.raises(NotScorable) as not_scorable:
        save_answers(
            patient=patient,
            definition=definition,
            answers={},
            user=personas.nurse,
            respondent=Respondent.STAFF,
            complete=True,
        )
    assert isinstance(not_scorable.value, ActionRefused) and not_scorable.value.problems
    with pytest.raises(SettingRefused) as refused:
        set_values(personas.clinic_a, personas.prescriber, {"alerts.escalate_after_min": "0"})
    assert isinstance(refused.value, ActionRefused) and refused.value.field == "alerts.escalate_after_min"
    report, _ = report_symptoms(patient, patient.user, SymptomInput(("nausea",)))
    with pytest.raises(AcknowledgeRefused) as blank:
        acknowledge_alert(patient.alerts.get(), personas.nurse, "  ")
    assert blank.value.field == "action_taken"
    with pytest.raises(MarkRefused):
        mark_entered_in_error(report, personas.nurse, "")
    other = personas.patient_two
    with pytest.raises(KeyClash):
        report_symptoms(other, other.user, SymptomInput(("nausea",), client_key=report.client_key))
    assert issubclass(KeyClash, ActionRefused)
