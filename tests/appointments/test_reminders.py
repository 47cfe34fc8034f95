"""``ketapath remind`` with appointments: one message per patient per run, listing the booked
appointments within the clinic's days ahead with their clock times in the clinic's zone, place and
preparation, and the questionnaires due, with links; none for a cancelled appointment; each item
reminded once (a moved appointment again, at its new time); no clinical detail in the message."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.core import mail

from ketapath.appointments.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Chair,
    OpeningHours,
)
from ketapath.clinic_settings.values import set_values
from ketapath.outcomes.models import SessionReminder
from ketapath.plans.actions import approve_plan, save_draft, schedule_sessions
from ketapath.plans.models import PlannedSession
from ketapath.portal.models import AppointmentReminder
from ketapath.portal.reminders import remind_upcoming_sessions, run_outcomes
from ketapath.questionnaires.actions import assign
from tests.plans.conftest import sign_consent, sign_evaluation, singh

pytestmark = pytest.mark.django_db

# Friday 20 March 2026, noon UTC. New York is on daylight time (UTC-4) from 8 March.
NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)
TODAY = date(2026, 3, 20)
MONDAY = date(2026, 3, 23)
# No drug, dose or questionnaire name ("with the doses" in the general advice on what to bring is
# not a dose: a dose is a number of milligrams).
CLINICAL_WORDS = ("ketamine", "esketamine", "mg/", "PHQ", "Patient Health", "Singh", "depress")


@pytest.fixture
def clinic(personas):
    clinic = personas.clinic_a
    clinic.time_zone = "America/New_York"
    clinic.save(update_fields=["time_zone"])
    for weekday in range(5):
        OpeningHours.objects.create(clinic=clinic, weekday=weekday, opens=time(8), closes=time(18))
    set_values(
        clinic,
        personas.prescriber,
        {
            "reminders.session_days_before": "3",
            "fasting.ruleset": "asa-2017",
            "discharge.requires_escort": "yes",
        },
    )
    return clinic


@pytest.fixture
def chair(clinic):
    return Chair.objects.create(clinic=clinic, name="Chair 2")


@pytest.fixture
def sessions(personas, clinic):
    """Singh 2016 twice a week from Monday 23 March (Monday and Thursday) for patient one."""
    patient = personas.patient_one
    with time_machine.travel(NOW - timedelta(days=3), tick=False):
        sign_evaluation(patient, personas.prescriber, personas.nurse)
        sign_consent(patient, personas.prescriber, personas.nurse)
        patient.refresh_from_db()
        plan = save_draft(patient, personas.prescriber, singh(start=MONDAY, per_week=2, weeks=2))
        plan = approve_plan(plan, personas.prescriber, result_key=plan.result_key)
        schedule_sessions(plan, personas.nurse)
    return list(PlannedSession.objects.filter(plan=plan).order_by("number"))


def _with_email(patient, address):
    patient.email = address
    patient.save(update_fields=["email"])
    return patient


def _appointment(
    personas, patient, starts_at, *, kind=AppointmentKind.SESSION, planned=None, chair=None, **extra
):
    return Appointment.objects.create(
        clinic=patient.clinic,
        patient=patient,
        kind=kind,
        planned_session=planned,
        starts_at=starts_at,
        duration_min=100,
        chair=chair,
        nurse=personas.nurse,
        booked_by=personas.nurse,
        booked_at=NOW - timedelta(days=2),
        **extra,
    )


def _to(address):
    return [m for m in mail.outbox if m.to == [address]]


def test_one_message_per_patient_lists_times_in_the_clinic_zone_and_questionnaires(
    personas, clinic, chair, sessions
):
    one = _with_email(personas.patient_one, "one@example.org")
    # Monday 14:00 UTC is 10:00 in New York; Thursday's session lies beyond the 3 days ahead.
    _appointment(personas, one, datetime(2026, 3, 23, 14, tzinfo=UTC), planned=sessions[0], chair=chair)
    _appointment(personas, one, datetime(2026, 3, 26, 14, tzinfo=UTC), planned=sessions[1], chair=chair)
    # A follow-up visit on Saturday is in reach too (09:30 in New York).
    _appointment(personas, one, datetime(2026, 3, 21, 13, 30, tzinfo=UTC), kind=AppointmentKind.FOLLOW_UP)
    assign(patient=one, instrument_id="phq-9", due_on=TODAY, respondent="patient", user=personas.nurse)

    result = remind_upcoming_sessions(TODAY, now=NOW)

    messages = _to("one@example.org")
    assert len(messages) == 1 and result.sent == 1
    assert (result.appointments, result.sessions, result.questionnaires) == (2, 0, 1)
    body = messages[0].body
    assert "Monday 23 March 2026 at 10:00 (until about 11:40)" in body  # the clinic's clock, not UTC
    assert "14:00" not in body and "Thursday 26 March" not in body
    assert "Saturday 21 March 2026 at 09:30" in body
    assert "Place: " + clinic.name + ", Chair 2." in body
    # The preparation counted back from 10:00 on the clinic's clock (clear drinks: 2 hours).
    assert "Clear drinks such as water: nothing after 08:00 (2 hours before)." in body
    assert body.index("Saturday 21 March") < body.index("Monday 23 March")
    # Links to the pages it is about, at the site's address; the clinic named.
    assert "/portal/appointments/" in body and "/portal/questionnaires/" in body
    assert len(re.findall(r"https?://", body)) == 2
    assert clinic.name in messages[0].subject and "questionnaire" in messages[0].subject
    assert AppointmentReminder.objects.filter(patient=one).count() == 2


def test_none_for_a_cancelled_appointment_nor_its_session(personas, clinic, chair, sessions):
    one = _with_email(personas.patient_one, "one@example.org")
    two = _with_email(personas.patient_two, "two@example.org")
    _appointment(
        personas,
        one,
        datetime(2026, 3, 23, 14, tzinfo=UTC),
        planned=sessions[0],
        chair=chair,
        status=AppointmentStatus.CANCELLED,
        status_reason="The clinic closed for the day",
    )
    _appointment(
        personas,
        two,
        datetime(2026, 3, 23, 18, tzinfo=UTC),
        kind=AppointmentKind.CONSULTATION,
        status=AppointmentStatus.CANCELLED,
        status_reason="Patient asked",
    )
    result = remind_upcoming_sessions(TODAY, now=NOW)
    # The cancelled session is not reminded by its date either.
    assert result.sent == 0 and mail.outbox == []
    assert not SessionReminder.objects.exists() and not AppointmentReminder.objects.exists()


def test_each_appointment_is_reminded_once_and_again_when_moved(personas, clinic, chair, sessions):
    one = _with_email(personas.patient_one, "one@example.org")
    booked = _appointment(
        personas, one, datetime(2026, 3, 23, 14, tzinfo=UTC), planned=sessions[0], chair=chair
    )
    first = remind_upcoming_sessions(TODAY, now=NOW)
    later = remind_upcoming_sessions(TODAY + timedelta(days=1), now=NOW + timedelta(days=1))
    assert (first.sent, later.sent) == (1, 0) and len(mail.outbox) == 1
    # Moved to 13:00 in New York: the patient is told the new time, once.
    Appointment.objects.filter(pk=booked.pk).update(
        starts_at=datetime(2026, 3, 23, 17, tzinfo=UTC), moved_from=booked.starts_at
    )
    moved = remind_upcoming_sessions(TODAY + timedelta(days=1), now=NOW + timedelta(days=1))
    again = remind_upcoming_sessions(TODAY + timedelta(days=1), now=NOW + timedelta(days=1))
    assert (moved.sent, again.sent) == (1, 0)
    assert "at 13:00" in mail.outbox[-1].body
    assert (
        "Your clinic moved this appointment: it was on Monday 23 March 2026 at 10:00." in mail.outbox[-1].body
    )
    assert "moved" not in mail.outbox[0].body


def test_the_message_carries_no_clinical_detail(personas, clinic, chair, sessions):
    one = _with_email(personas.patient_one, "one@example.org")
    _appointment(personas, one, datetime(2026, 3, 23, 14, tzinfo=UTC), planned=sessions[0], chair=chair)
    assign(patient=one, instrument_id="phq-9", due_on=TODAY, respondent="patient", user=personas.nurse)
    remind_upcoming_sessions(TODAY, now=NOW)
    (message,) = mail.outbox
    text = (message.subject + "\n" + message.body).lower()
    for word in CLINICAL_WORDS:
        assert word.lower() not in text, word
    assert not re.search(r"\d\s*mg\b", text)
    assert "eating and drinking before your session" in text  # the preparation is there


def test_only_patients_with_an_address_or_an_account_and_an_active_record(personas, clinic, chair, sessions):
    one = personas.patient_one
    one.email = ""
    one.save(update_fields=["email"])
    account = one.user
    account.email, account.is_active = "", True
    account.save(update_fields=["email", "is_active"])
    _appointment(personas, one, datetime(2026, 3, 23, 14, tzinfo=UTC), planned=sessions[0], chair=chair)
    assert remind_upcoming_sessions(TODAY, now=NOW).sent == 0  # no address anywhere
    assert not AppointmentReminder.objects.exists()
    # A closed portal account's address is not used either.
    account.email, account.is_active = "portal-one@example.org", False
    account.save(update_fields=["email", "is_active"])
    assert remind_upcoming_sessions(TODAY, now=NOW).sent == 0
    # No address on record, but an active portal account with one: the reminder goes there.
    account.is_active = True
    account.save(update_fields=["is_active"])
    result = remind_upcoming_sessions(TODAY, now=NOW)
    assert (result.sent, result.appointments) == (1, 1)
    assert len(_to("portal-one@example.org")) == 1
    assert AppointmentReminder.objects.get().sent_to == "portal-one@example.org"


def test_a_session_not_yet_booked_keeps_its_date_only_reminder(personas, clinic, sessions):
    _with_email(personas.patient_one, "one@example.org")
    result = remind_upcoming_sessions(TODAY, now=NOW)
    assert (result.sent, result.sessions, result.appointments) == (1, 1, 0)
    body = mail.outbox[0].body
    assert "Your session: Monday 23 March 2026." in body and "Your clinic will confirm the time." in body
    assert "nothing in the 2 hours before your session" in body


def test_the_remind_run_says_what_it_sent(personas, clinic, chair, sessions):
    one = _with_email(personas.patient_one, "one@example.org")
    _appointment(personas, one, datetime(2026, 3, 23, 14, tzinfo=UTC), planned=sessions[0], chair=chair)
    assign(patient=one, instrument_id="phq-9", due_on=TODAY, respondent="patient", user=personas.nurse)
    with time_machine.travel(NOW, tick=False):
        lines = run_outcomes(TODAY, now=NOW)
        again = run_outcomes(TODAY, now=NOW)
    assert any("1 reminder message(s) sent" in line and "1 appointment(s)" in line for line in lines)
    assert any("0 reminder message(s) sent" in line for line in again)
    assert len(mail.outbox) == 1


def test_the_message_follows_the_clinics_date_order_and_clock(personas, clinic, chair, sessions):
    set_values(
        clinic, personas.prescriber, {"display.clock": "12-hour", "display.date_order": "month-day-year"}
    )
    one = _with_email(personas.patient_one, "one@example.org")
    # Monday 18:00 UTC is 2:00 pm in New York.
    _appointment(personas, one, datetime(2026, 3, 23, 18, tzinfo=UTC), planned=sessions[0], chair=chair)
    remind_upcoming_sessions(TODAY, now=NOW)
    (message,) = _to("one@example.org")
    assert "Monday, March 23, 2026 at 2:00 pm (until about 3:40 pm)" in message.body
    assert message.subject.endswith("your session on Monday, March 23 at 2:00 pm")
    assert "14:00" not in message.body and "14:00" not in message.subject


def test_the_days_ahead_count_from_the_clinics_own_date(personas, clinic, chair):
    """At noon UTC on Friday 20 March it is already Saturday 21 March in Auckland: three days
    ahead reach Tuesday 24 March there, not Monday 23 as the server's date would."""
    clinic.time_zone = "Pacific/Auckland"
    clinic.save(update_fields=["time_zone"])
    one = _with_email(personas.patient_one, "one@example.org")
    # Tuesday 24 March 10:00 in Auckland (UTC+13) is Monday 23 March 21:00 UTC.
    _appointment(personas, one, datetime(2026, 3, 23, 21, tzinfo=UTC), kind=AppointmentKind.FOLLOW_UP)
    result = remind_upcoming_sessions(TODAY, now=NOW)
    assert (result.sent, result.appointments) == (1, 1)
    assert "Tuesday 24 March 2026 at 10:00" in _to("one@example.org")[0].body
