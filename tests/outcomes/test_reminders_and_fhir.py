"""Session reminders (sent once, with the preparation instructions), the ``ketapath remind`` run,
and the FHIR export of the journal, symptom reports and review notes."""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from datetime import timedelta

import time_machine
from django.core import mail

from ketapath.clinic_settings.values import set_values
from ketapath.outcomes.actions import save_review
from ketapath.outcomes.assessment import gather, snapshot, snapshot_key
from ketapath.outcomes.models import SessionReminder
from ketapath.portal.actions import JournalInput, SymptomInput, report_symptoms, save_journal_entry
from ketapath.portal.reminders import remind_upcoming_sessions, run_outcomes
from ketapath.web.fhir_export import patient_bundle
from tests.outcomes.conftest import START, answer, at, phq9


def test_session_reminders_go_once_with_the_instructions(personas, make_course):
    make_course(personas.patient_one)
    personas.patient_one.email = "pat.one@example.org"
    personas.patient_one.save()
    day = START - timedelta(days=1)
    with time_machine.travel(at(day, 7), tick=False):
        assert remind_upcoming_sessions(day).sent == 0  # the clinic has not chosen when
        set_values(
            personas.clinic_a,
            personas.prescriber,
            {"reminders.session_days_before": "1", "fasting.ruleset": "asa-2017"},
        )
        first = remind_upcoming_sessions(day)
        again = remind_upcoming_sessions(day)
    assert (first.sent, again.sent) == (1, 0)  # tomorrow's session only; day 2 is not yet in reach
    message = mail.outbox[0]
    assert message.to == ["pat.one@example.org"]
    assert "A light meal, such as toast: nothing in the 6 hours before your session" in message.body
    assert "Clear drinks such as water: nothing in the 2 hours" in message.body
    # The rule set in plain words (issue 15): the citation is the clinicians' to read.
    assert "Your clinic uses the usual fasting times" in message.body and "Anesthesiology" not in message.body
    assert "What to wear" in message.body
    # It names the clinic and links to the page it is about (issue 16).
    assert personas.clinic_a.name in message.subject
    assert "/portal/appointments/" in message.body and message.body.count("http") == 1
    assert SessionReminder.objects.get().session_on == START


def test_the_remind_run_makes_follow_ups_and_sends_their_reminders(personas, make_course, follow_up_settings):
    course = make_course(personas.patient_one)
    course.patient.email = "pat.one@example.org"
    course.patient.save()
    course.hold(1)
    day = START + timedelta(days=1)
    with time_machine.travel(at(day, 6), tick=False):
        out = io.StringIO()
        with redirect_stdout(out):
            lines = run_outcomes(day)
        again = run_outcomes(day)
    assert (
        lines[0].startswith("remind: 1 follow-up questionnaire(s) assigned, 0 closed")
        and "1 questionnaire(s)" in lines[1]  # in the patient's one message of the run
    )
    assert again[0].startswith("remind: 0 follow-up questionnaire(s) assigned")
    assert any("session reminders not sent" in line for line in lines)
    assert len([m for m in mail.outbox if "questionnaire" in m.subject]) == 1


def test_fhir_export_has_journal_symptoms_follow_ups_and_the_review(
    personas, make_course, follow_up_settings
):
    from fhir.resources.R4B.bundle import Bundle

    course = make_course(personas.patient_one)
    course.hold(1, 2, 3, 4, 5)
    patient = course.patient
    answer(patient, personas.nurse, "nrs-pain", 8, START - timedelta(days=1))
    answer(patient, personas.nurse, "nrs-pain", 3, START + timedelta(days=6))
    answer(patient, personas.nurse, "phq-9", phq9(10), START - timedelta(days=1))
    with time_machine.travel(at(START + timedelta(days=7)), tick=False):
        save_journal_entry(
            patient, JournalInput(START + timedelta(days=7), 3, None, 7, 6, ("nausea",), "Better.")
        )
        report_symptoms(patient, patient.user, SymptomInput(("urinary",), details="Burning."))
        data = snapshot(gather(patient, START + timedelta(days=7)))
        save_review(
            patient,
            personas.prescriber,
            decision="continue",
            decision_details="",
            assessment="Good.",
            snapshot=data,
            snapshot_key=snapshot_key(data),
            current_key=snapshot_key(data),
            sign=True,
            safety_seen=True,  # the symptom report's alert is listed since no review yet
        )
        bundle = patient_bundle(patient)
    Bundle.model_validate(bundle)
    resources = [e["resource"] for e in bundle["entry"]]
    kinds = [r["resourceType"] for r in resources]
    assert kinds.count("QuestionnaireResponse") == 3
    impression = next(
        r for r in resources if r["resourceType"] == "ClinicalImpression" and "outcome" in r["code"]["text"]
    )
    assert impression["prognosisCodeableConcept"][0]["coding"][0]["code"] == "continue"
    assert impression["finding"][0]["itemCodeableConcept"]["coding"][0]["code"] == "pain-nrs:substantial"
    ids = {f"urn:uuid:{r['id']}" for r in resources}
    assert all(ref["reference"] in ids for ref in impression["supportingInfo"])
    journal = [
        r for r in resources if r["resourceType"] == "Observation" and "journal" in r["code"].get("text", "")
    ]
    assert {r["code"]["text"] for r in journal} >= {
        "Pain today (journal)",
        "Side effects and notes (journal)",
    }
    pain = next(r for r in journal if r["code"]["text"] == "Pain today (journal)")
    assert pain["valueInteger"] == 3 and pain["code"]["coding"][0]["code"] == "72514-3"
    assert any(
        r.get("valueString") == "Urinary symptoms" for r in resources if r["resourceType"] == "Observation"
    )
