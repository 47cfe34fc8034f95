"""The patient's calendar file (issue 17), parsed back with the library that wrote it: each
appointment's start and end as the same instants, in the clinic's time zone with its VTIMEZONE, a
summary with the clinic's name and nothing clinical, the patient's own appointments only."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from icalendar import Calendar

from ketapath.accounts.models import Clinic
from ketapath.audit.models import AccessLog
from ketapath.portal.ics import uid_for
from tests.outcomes.conftest import START
from tests.portal.test_appointment_times import BEFORE, book

LONDON = ZoneInfo("Europe/London")
# Words that would tell a reader of the patient's calendar what the treatment is.
CLINICAL_WORDS = (
    "ketamine",
    "esketamine",
    "infusion",
    "dose",
    "mg",
    "treatment",
    "session",
    "pain",
    "depression",
)


@pytest.fixture
def appointments(personas, make_course):
    """patient_one: a treatment session in winter, a consultation in summer (a different UTC
    offset) and a cancelled follow-up; patient_two: one of their own. Clinic A on London time."""
    from ketapath.appointments.models import Chair

    Clinic.objects.filter(pk=personas.clinic_a.pk).update(time_zone="Europe/London")
    personas.clinic_a.refresh_from_db()
    chair = Chair.objects.create(clinic=personas.clinic_a, name="Chair 2")
    course = make_course(personas.patient_one)
    one = personas.patient_one
    return {
        "session": book(
            one,
            datetime.combine(START, time(11, 30), tzinfo=LONDON),
            personas.nurse,
            kind="session",
            chair=chair,
            planned_session=course.sessions[0],
        ),
        "summer": book(one, datetime(2026, 7, 8, 9, 0, tzinfo=LONDON), personas.nurse, minutes=45),
        "cancelled": book(
            one,
            datetime(2026, 2, 2, 14, 0, tzinfo=LONDON),
            personas.nurse,
            kind="follow_up",
            minutes=30,
            status="cancelled",
            status_reason="Prescriber away",
        ),
        "theirs": book(personas.patient_two, datetime(2026, 2, 3, 9, 0, tzinfo=LONDON), personas.nurse),
    }


def download(client):
    with time_machine.travel(BEFORE, tick=False):
        response = client.get("/portal/appointments.ics")
    assert response.status_code == 200
    return response


def test_the_file_parses_back_with_the_appointments_times_in_the_clinics_zone(personas, appointments, login):
    response = download(login(personas.patient_one.user))
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="appointments.ics"'
    # The site's middleware may add its own no-cache words; these two must be there.
    assert {"private", "no-store"} <= {part.strip() for part in response["Cache-Control"].split(",")}
    calendar = Calendar.from_ical(response.content)
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    mine = {name: appointments[name] for name in ("session", "summer", "cancelled")}
    assert set(events) == {uid_for(a) for a in mine.values()}
    for appointment in mine.values():
        event = events[uid_for(appointment)]
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert start == appointment.starts_at and end == appointment.ends_at  # the same instants
        assert event["DTSTART"].params["TZID"] == "Europe/London" == event["DTEND"].params["TZID"]
    # Written on the clinic's clock: 09:00 in July is 09:00 London time, 08:00 UTC.
    summer = events[uid_for(appointments["summer"])]
    assert summer.decoded("DTSTART").strftime("%H:%M") == "09:00"
    assert summer.decoded("DTSTART").astimezone(UTC).strftime("%H:%M") == "08:00"
    assert "DTSTART;TZID=Europe/London:20260708T090000" in response.content.decode()
    zones = [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")]
    assert zones == ["Europe/London"]
    assert str(events[uid_for(appointments["cancelled"])]["STATUS"]) == "CANCELLED"
    assert str(events[uid_for(appointments["session"])]["STATUS"]) == "CONFIRMED"


def test_the_summary_names_the_clinic_and_nothing_clinical(personas, appointments, login):
    calendar = Calendar.from_ical(download(login(personas.patient_one.user)).content)
    events = list(calendar.walk("VEVENT"))
    assert events
    for event in events:
        summary = str(event["SUMMARY"])
        assert summary.endswith("Appointment at Clinic A"), summary
        shown = " ".join(str(event.get(key, "")) for key in ("SUMMARY", "LOCATION", "DESCRIPTION")).lower()
        assert not [word for word in CLINICAL_WORDS if re.search(rf"\b{word}\b", shown)], shown
        assert "prescriber away" not in shown  # the clinic's reason for cancelling stays with the staff
    session = next(e for e in events if str(e["UID"]) == uid_for(appointments["session"]))
    assert str(session["LOCATION"]) == "Clinic A, Chair 2"


def test_only_the_patients_own_appointments_and_the_download_is_logged(personas, appointments, login):
    before = AccessLog.objects.filter(patient=personas.patient_one).count()
    body = download(login(personas.patient_one.user)).content
    assert uid_for(appointments["theirs"]).encode() not in body
    assert AccessLog.objects.filter(patient=personas.patient_one).count() == before + 1
    theirs = Calendar.from_ical(download(login(personas.patient_two.user)).content)
    assert [str(e["UID"]) for e in theirs.walk("VEVENT")] == [uid_for(appointments["theirs"])]


def test_the_uid_is_stable_between_downloads(personas, appointments, login):
    client = login(personas.patient_one.user)
    first = {str(e["UID"]) for e in Calendar.from_ical(download(client).content).walk("VEVENT")}
    second = {str(e["UID"]) for e in Calendar.from_ical(download(client).content).walk("VEVENT")}
    assert first == second and len(first) == 3


def test_no_appointment_gives_an_empty_calendar(personas, login):
    calendar = Calendar.from_ical(download(login(personas.patient_b.user)).content)
    assert calendar.walk("VEVENT") == [] and str(calendar["VERSION"]) == "2.0"
