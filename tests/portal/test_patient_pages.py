"""The patient's own pages: appointments with their preparation, tips, the journal, their
progress charts and symptom reports that reach the care team."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from ketapath.alerts.models import Alert
from ketapath.clinic_settings.values import set_values
from ketapath.portal.models import JournalEntry, SymptomReport, Tip
from ketapath.portal.tips import DEFAULT_TIPS
from tests.outcomes.conftest import START, answer, at, phq9


@pytest.fixture
def patient_client(personas, login):
    return login(personas.patient_one.user)


def test_every_page_says_where_to_get_urgent_help_where_the_patient_writes(personas, patient_client):
    personas.clinic_a.emergency_number, personas.clinic_a.crisis_line = "555-0100", "555-0111"
    personas.clinic_a.save()
    for url in ("/portal/journal/", "/portal/symptoms/"):
        page = patient_client.get(url).content.decode()
        assert "may not read this straight away" in page
        assert "555-0100" in page and "555-0111" in page


def test_journal_saves_one_entry_a_day_and_updates_it(personas, patient_client):
    today = timezone.localdate()
    data = {
        "entry_on": today.isoformat(),
        "pain_nrs": "6",
        "sleep_hours": "6.5",
        "mood": "4",
        "activity": "5",
        "side_effects": ["nausea"],
        "notes": "Tired.",
    }
    assert patient_client.post("/portal/journal/", data).status_code == 302
    assert patient_client.post("/portal/journal/", data | {"pain_nrs": "5"}).status_code == 302
    entry = JournalEntry.objects.get()
    assert (entry.pain_nrs, str(entry.sleep_hours), entry.side_effects) == (5, "6.5", ["nausea"])
    assert [h.history_change_reason for h in entry.history.all()] == [
        "Updated by the patient: pain_nrs",
        "Written by the patient",
    ]
    page = patient_client.get("/portal/journal/").content.decode()
    assert 'data-outcomes-chart="journal-chart"' in page and "Tired." in page


def test_journal_refuses_the_future_and_old_days(personas, patient_client):
    today = timezone.localdate()
    for day in (today + timedelta(days=1), today - timedelta(days=30)):
        response = patient_client.post("/portal/journal/", {"entry_on": day.isoformat(), "pain_nrs": "3"})
        assert response.status_code == 200
    assert not JournalEntry.objects.exists()


def test_a_reportable_side_effect_in_the_journal_points_to_the_symptom_report(personas, patient_client):
    data = {"entry_on": timezone.localdate().isoformat(), "pain_nrs": "3", "side_effects": ["urinary"]}
    page = patient_client.post("/portal/journal/", data, follow=True).content.decode()
    assert "does not alert the care team" in page
    assert not Alert.objects.exists()


def test_symptom_report_raises_an_alert_per_symptom_once(personas, patient_client):
    form = patient_client.get("/portal/symptoms/").context["form"]
    data = {
        "symptoms": ["urinary", "hallucinations"],
        "started_on": (timezone.localdate() - timedelta(days=2)).isoformat(),
        "ongoing": "yes",
        "details": "Burning since Tuesday.",
        "client_key": str(form.initial["client_key"]),
    }
    assert patient_client.post("/portal/symptoms/", data).status_code == 302
    assert patient_client.post("/portal/symptoms/", data).status_code == 302  # the same form twice
    report = SymptomReport.objects.get()
    assert report.ongoing is True and report.reported_by == personas.patient_one.user
    alerts = Alert.objects.filter(patient=personas.patient_one).order_by("rule_id")
    assert [a.rule_id for a in alerts] == ["symptom-report:hallucinations", "symptom-report:urinary"]
    urinary = alerts[1]
    assert urinary.severity == "high" and urinary.audience == "care-team"
    assert "Burning since Tuesday." in urinary.message and "Shahani 2007" in urinary.source_label
    assert alerts[0].routing == "same-day clinician review"


def test_an_urgent_symptom_tells_the_patient_not_to_wait(personas, patient_client):
    personas.clinic_a.emergency_number = "555-0100"
    personas.clinic_a.save()
    form = patient_client.get("/portal/symptoms/").context["form"]
    data = {"symptoms": ["mood"], "client_key": str(form.initial["client_key"])}
    page = patient_client.post("/portal/symptoms/", data, follow=True).content.decode()
    assert "do not wait for the clinic to call" in page and "555-0100" in page
    assert Alert.objects.get().severity == "critical"


def test_tips_are_the_project_defaults_until_the_clinic_customises_them(personas, patient_client, login):
    page = patient_client.get("/portal/tips/").content.decode()
    assert all(tip.title in page for tip in DEFAULT_TIPS)
    nurse = login(personas.nurse)
    assert nurse.post("/clinic/tips/customise/").status_code == 302
    tip = Tip.objects.get(clinic=personas.clinic_a, key="support-group")
    response = nurse.post(
        f"/clinic/tips/{tip.pk}/", {"title": "Our support group", "body": "Thursdays.", "published": "on"}
    )
    assert response.status_code == 302
    hidden = Tip.objects.get(clinic=personas.clinic_a, key="be-patient")
    nurse.post(f"/clinic/tips/{hidden.pk}/", {"title": hidden.title, "body": hidden.body})
    page = login(personas.patient_one.user).get("/portal/tips/").content.decode()
    assert "Our support group" in page and "Be patient with the treatment" not in page
    assert tip.history.count() == 2
    other = login(personas.nurse_b).get(f"/clinic/tips/{tip.pk}/")
    assert other.status_code == 404


def test_default_tips_carry_no_numbers():
    for tip in DEFAULT_TIPS:
        assert not any(ch.isdigit() for ch in tip.title + tip.body), tip.key


def test_appointments_with_preparation_from_the_clinic_rule(personas, make_course, login):
    course = make_course(personas.patient_one)
    set_values(
        personas.clinic_a,
        personas.prescriber,
        {"fasting.ruleset": "asa-2017", "discharge.requires_escort": "yes"},
    )
    with time_machine.travel(at(START - timedelta(days=1)), tick=False):
        client = login(personas.patient_one.user)
        page = client.get("/portal/appointments/").content.decode()
        home = client.get("/portal/").content.decode()
    assert page.count('class="card appointment"') == 5
    assert "A light meal, such as toast" in page and "6 hours" in page
    assert "Clear drinks such as water" in page and "2 hours" in page
    assert "Baby formula" not in page and "Breast milk" not in page  # an adult's instructions
    # Plain words (issue 15): the rule set by its plain name, its citation left to the clinicians.
    assert "Your clinic uses the usual fasting times" in page and "Anesthesiology" not in page
    assert "Clear liquids" not in page and "Nonhuman" not in page
    assert "arrange an adult escort" in page and "your clinic&#x27;s rule" in page
    assert "What to wear" in page and "What to bring" in page
    assert course.sessions[0].planned_on.strftime("%-d %B %Y") in home


def test_appointments_say_so_when_the_fasting_rule_is_not_set(personas, make_course, login):
    make_course(personas.patient_one)
    with time_machine.travel(at(START - timedelta(days=1)), tick=False):
        page = login(personas.patient_one.user).get("/portal/appointments/").content.decode()
    assert "Ask your clinic when to stop eating and drinking" in page
    assert "has not set its fasting rule" in page


def test_progress_shows_the_patients_own_charts(personas, login):
    answer(personas.patient_one, personas.nurse, "phq-9", phq9(12), START)
    answer(personas.patient_two, personas.nurse, "gad-7", 2, START)
    page = login(personas.patient_one.user).get("/portal/progress/").content.decode()
    assert 'id="chart-phq-9"' in page and 'id="chart-gad-7"' not in page
    # Plain words (issue 15): the questionnaire as the patient knows it, no code and no citation.
    assert "Questions about your mood" in page and "The coloured bands show" in page
    assert "<li>10 to 14: moderate</li>" in page  # the bands in words, from the instrument's data
    assert "Kroenke 2001" not in page and "PHQ-9" not in page
