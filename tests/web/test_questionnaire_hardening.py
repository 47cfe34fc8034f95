"""Issue 13, questionnaires: due dates in a plausible window (field message and database check), and
at most one open assignment per patient and instrument, also when assigned at the same moment."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ketapath.questionnaires import actions
from ketapath.questionnaires.actions import assign
from ketapath.questionnaires.models import QuestionnaireAssignment, QuestionnaireSchedule

TODAY = timezone.localdate()


def url(patient):
    return reverse("questionnaires:assign", kwargs={"mrn": patient.mrn})


@pytest.mark.parametrize(
    ("due", "until", "every"),
    [
        ("0001-01-01", "", ""),
        ("9999-12-31", "", ""),
        ((TODAY - timedelta(days=400)).isoformat(), "", ""),
        ((TODAY + timedelta(days=3000)).isoformat(), "", ""),
        (TODAY.isoformat(), "9999-12-31", "7"),
        (TODAY.isoformat(), "", "100000"),
        (TODAY.isoformat(), "", "-1"),
    ],
)
def test_implausible_dates_get_a_field_message_and_nothing_is_saved(
    personas, client, login, due, until, every
):
    login(personas.nurse)
    response = client.post(
        url(personas.patient_one),
        {
            "instrument_id": "phq-9",
            "due_on": due,
            "respondent": "patient",
            "repeat_every_days": every,
            "repeat_until": until,
        },
    )
    assert response.status_code == 200
    assert "field-error" in response.content.decode()
    assert not QuestionnaireAssignment.objects.filter(patient=personas.patient_one).exists()
    assert not QuestionnaireSchedule.objects.filter(patient=personas.patient_one).exists()


@pytest.mark.parametrize("due", [date(1, 1, 1), date(9999, 12, 31)])
def test_the_database_refuses_a_far_due_date(personas, due):
    with pytest.raises(IntegrityError), transaction.atomic():
        QuestionnaireAssignment.objects.create(
            patient=personas.patient_one, instrument_id="phq-9", due_on=due
        )


def test_three_assignments_make_one_open_assignment(personas, client, login):
    login(personas.nurse)
    data = {"instrument_id": "phq-9", "due_on": TODAY.isoformat(), "respondent": "patient"}
    for _ in range(3):
        assert client.post(url(personas.patient_one), data).status_code == 302
    assert (
        QuestionnaireAssignment.objects.filter(patient=personas.patient_one, status="assigned").count() == 1
    )
    page = client.get(reverse("questionnaires:patient", kwargs={"mrn": personas.patient_one.mrn}))
    assert "already" in page.content.decode()


def test_the_database_allows_one_open_staff_assignment(personas):
    assign(
        patient=personas.patient_one,
        instrument_id="phq-9",
        due_on=TODAY,
        respondent="patient",
        user=personas.nurse,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        QuestionnaireAssignment.objects.create(
            patient=personas.patient_one, instrument_id="phq-9", due_on=TODAY, assigned_by=personas.nurse
        )


def test_a_race_returns_the_assignment_already_made(personas, monkeypatch):
    """Two requests at once: both saw none open; the second's insert fails and it returns the first's."""
    first = assign(
        patient=personas.patient_one,
        instrument_id="phq-9",
        due_on=TODAY,
        respondent="patient",
        user=personas.nurse,
    )
    real = actions._open_assignment
    calls = []

    def not_yet_seen(patient, instrument_id):  # the first look finds none, as in the other request
        calls.append(1)
        return None if len(calls) == 1 else real(patient, instrument_id)

    monkeypatch.setattr(actions, "_open_assignment", not_yet_seen)
    second, created = actions.assign_once(
        patient=personas.patient_one,
        instrument_id="phq-9",
        due_on=TODAY,
        respondent="patient",
        user=personas.prescriber,
    )
    assert second.pk == first.pk and created is False
    assert QuestionnaireAssignment.objects.filter(patient=personas.patient_one).count() == 1


def test_another_instrument_or_patient_is_its_own(personas):
    a = assign(
        patient=personas.patient_one,
        instrument_id="phq-9",
        due_on=TODAY,
        respondent="patient",
        user=personas.nurse,
    )
    b = assign(
        patient=personas.patient_one,
        instrument_id="gad-7",
        due_on=TODAY,
        respondent="patient",
        user=personas.nurse,
    )
    c = assign(
        patient=personas.patient_two,
        instrument_id="phq-9",
        due_on=TODAY,
        respondent="patient",
        user=personas.nurse,
    )
    assert len({a.pk, b.pk, c.pk}) == 3
