"""The patient who answers a risk item (an item whose alert rule fires in the instrument's data:
PHQ-9 item 9) sees the urgent-help notice on the page after submitting, in plain words."""

from __future__ import annotations

from django.utils import timezone

from ketapath.questionnaires.actions import assign
from ketapath.questionnaires.forms import item_field_name


def _fill(client, patient, nurse, q9: int):
    assignment = assign(
        patient=patient, instrument_id="phq-9", due_on=timezone.localdate(), respondent="patient", user=nurse
    )
    answers = {f"q{i}": 1 for i in range(1, 9)} | {"q9": q9, "difficulty": 0}
    data = {item_field_name(k): str(v) for k, v in answers.items()} | {"action": "complete"}
    return assignment, client.post(f"/portal/questionnaires/{assignment.pk}/", data, follow=True)


def test_item9_answer_shows_the_urgent_notice_after_submitting(personas, login):
    clinic = personas.clinic_a
    clinic.emergency_number, clinic.crisis_line = "999", "0800 123 456"
    clinic.save()
    patient = personas.patient_one
    client = login(patient.user)
    assignment, page = _fill(client, patient, personas.nurse, q9=1)
    assert page.redirect_chain[-1][0].endswith(f"/portal/questionnaires/?submitted={assignment.pk}")
    text = page.content.decode()
    assert "Questions about your mood: submitted." in text and "PHQ-9" not in text
    assert "may be going through a very hard time" in text and "call <strong>999</strong>" in text
    assert "0800 123 456" in text
    notice = text[text.index("urgent-after-submit") :][:900]
    for code in ("item 9", "q9", "PHQ", "Simon 2013", "critical"):
        assert code not in notice  # plain words, no codes or citations


def test_no_notice_without_a_risk_answer(personas, login):
    patient = personas.patient_one
    _, page = _fill(login(patient.user), patient, personas.nurse, q9=0)
    assert "Questions about your mood: submitted." in page.content.decode()
    assert "urgent-after-submit" not in page.content.decode()


def test_another_patients_submission_shows_nothing(personas, login):
    assignment, _ = _fill(login(personas.patient_one.user), personas.patient_one, personas.nurse, q9=2)
    other = login(personas.patient_two.user).get(f"/portal/questionnaires/?submitted={assignment.pk}")
    assert other.status_code == 200 and "urgent-after-submit" not in other.content.decode()
    odd = login(personas.patient_one.user).get("/portal/questionnaires/?submitted=abc")
    assert odd.status_code == 200 and "urgent-after-submit" not in odd.content.decode()
