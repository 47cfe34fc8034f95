"""The journal and the symptom report in one step (issue 15): ticking a side effect the clinic
treats as reportable (``journal = true`` in ``ketapath/portal/data/symptoms.toml``: urinary
symptoms, hallucinations that go on) offers the symptom report on the same form, and saving the
day with it sends the report and raises the care team's alert, as the symptom form does."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.utils import timezone

from ketapath.alerts.models import Alert
from ketapath.portal.actions import JournalInput, save_journal_and_report
from ketapath.portal.models import JournalEntry, JournalSideEffect, SymptomReport
from ketapath.portal.symptoms import journal_reportable, symptoms


@pytest.fixture
def patient_client(personas, login):
    return login(personas.patient_one.user)


def _day(**more):
    return {"entry_on": timezone.localdate().isoformat(), "pain_nrs": "4", **more}


def test_the_reportable_side_effects_are_the_clinics_data_and_journal_choices():
    reportable = journal_reportable()
    assert reportable == {"urinary", "hallucinations"}
    assert reportable <= set(JournalSideEffect.values)  # each is a box the journal shows
    assert all(symptoms()[code].severity in ("high", "critical") for code in reportable)


def test_the_journal_offers_the_report_beside_the_reportable_boxes(personas, patient_client):
    page = patient_client.get("/portal/journal/").content.decode()
    assert 'class="choice journal-report"' in page and "Tell your care team now?" in page
    assert 'data-reportable="hallucinations urinary"' in page
    marked = re.findall(r'<label[^>]*class="reportable"[^>]*>\s*<input[^>]*value="([a-z]+)"', page)
    assert sorted(marked) == ["hallucinations", "urinary"]  # only those boxes show the offer
    assert "Yes, send it to my care team now" in page and "No, only keep it in my journal" in page


def test_ticking_a_reportable_side_effect_sends_the_report_and_raises_the_alert(personas, patient_client):
    data = _day(side_effects=["urinary", "headache"], notes="Burning since yesterday.", tell_care_team="yes")
    page = patient_client.post("/portal/journal/", data, follow=True).content.decode()
    assert "Saved your journal" in page and "Sent to your care team" in page
    entry = JournalEntry.objects.get()
    assert entry.side_effects == ["urinary", "headache"]
    report = SymptomReport.objects.get()
    assert report.symptoms == ["urinary"]  # the headache is not reportable: the journal keeps it
    assert report.reported_by == personas.patient_one.user and "Burning since yesterday." in report.details
    alert = Alert.objects.get(patient=personas.patient_one)
    assert (alert.rule_id, alert.severity, alert.audience) == ("symptom-report:urinary", "high", "care-team")
    assert alert.routing == symptoms()["urinary"].routing

    # The same day saved again (a double tap, or the mood changed later): not sent twice.
    again = patient_client.post("/portal/journal/", data | {"mood": "6"}, follow=True).content.decode()
    assert "already sent to your care team" in again and JournalEntry.objects.get().mood == 6
    assert SymptomReport.objects.count() == 1 and Alert.objects.count() == 1

    # A reportable symptom newly ticked that day is a new report, with its own alert.
    more = data | {"side_effects": ["urinary", "hallucinations"]}
    assert (
        "Sent to your care team"
        in patient_client.post("/portal/journal/", more, follow=True).content.decode()
    )
    assert SymptomReport.objects.count() == 2
    assert Alert.objects.filter(rule_id="symptom-report:hallucinations").count() == 1


def test_choosing_not_to_tell_the_team_only_keeps_the_journal(personas, patient_client):
    data = _day(side_effects=["hallucinations"], tell_care_team="no")
    page = patient_client.post("/portal/journal/", data, follow=True).content.decode()
    assert "does not alert the care team" in page and "Report a symptom" in page
    assert JournalEntry.objects.count() == 1
    assert not SymptomReport.objects.exists() and not Alert.objects.exists()


def test_a_side_effect_that_is_not_reportable_sends_nothing(personas, patient_client):
    data = _day(side_effects=["headache", "nausea"], tell_care_team="yes")
    page = patient_client.post("/portal/journal/", data, follow=True).content.decode()
    assert "Sent to your care team" not in page
    assert not SymptomReport.objects.exists() and not Alert.objects.exists()


def test_the_action_takes_the_time_it_is_given(personas):
    now = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    patient = personas.patient_one
    data = JournalInput(entry_on=now.date(), pain_nrs=3, side_effects=("hallucinations", "urinary"))
    saved = save_journal_and_report(patient, patient.user, data, report=True, now=now)
    assert saved.created and saved.report_created and saved.reportable == ("hallucinations", "urinary")
    assert saved.entry.created_at == now and saved.report is not None and saved.report.reported_at == now
    assert sorted(Alert.objects.values_list("rule_id", flat=True)) == [
        "symptom-report:hallucinations",
        "symptom-report:urinary",
    ]
    assert set(Alert.objects.values_list("raised_at", flat=True)) == {now}
    assert "Ticked in the journal for 02 Mar 2026." in saved.report.details


def test_without_the_choice_the_action_sends_nothing(personas):
    patient = personas.patient_one
    data = JournalInput(entry_on=timezone.localdate(), pain_nrs=3, side_effects=("urinary",))
    saved = save_journal_and_report(patient, patient.user, data, report=False)
    assert saved.report is None and saved.reportable == ("urinary",)
    assert not Alert.objects.exists()
