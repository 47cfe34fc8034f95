"""The patient's appointments page with times (issue 17): start and end on the clinic's clock in
summer and winter, the place and length in plain words, preparation clock times counted back from
the start, a cancelled appointment marked so and without preparation, and a request to change an
appointment that reaches the care team once."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from ketapath.accounts.models import Clinic
from ketapath.alerts.models import Alert
from ketapath.appointments.models import Appointment, Chair
from ketapath.clinic_settings.values import set_values
from ketapath.clinical.protocols import published_protocols
from ketapath.portal.appointments import CHANGE_TEXT_MAX, duration_words
from ketapath.portal.preparation import preparation_for
from tests.outcomes.conftest import START, pain_course

LONDON = ZoneInfo("Europe/London")
# Before every appointment below, after the courses are scheduled (three days before START).
BEFORE = datetime(2026, 1, 3, 9, 0, tzinfo=UTC)


def book(patient, starts_at, by, *, kind="consultation", minutes=160, chair=None, status="booked", **extra):
    return Appointment.objects.create(
        clinic=patient.clinic,
        patient=patient,
        kind=kind,
        starts_at=starts_at,
        duration_min=minutes,
        chair=chair,
        status=status,
        booked_by=by,
        booked_at=timezone.now(),
        **extra,
    )


@pytest.fixture
def london(personas):
    """Clinic A on London time, with a chair."""
    Clinic.objects.filter(pk=personas.clinic_a.pk).update(time_zone="Europe/London")
    personas.clinic_a.refresh_from_db()
    return Chair.objects.create(clinic=personas.clinic_a, name="Chair 2")


def section(page: str, key: str) -> str:
    """One appointment's card on the page."""
    found = re.search(rf'<section[^>]*aria-labelledby="{key}".*?</section>', page, re.S)
    assert found, key
    return found.group(0)


def page_at(client, when: datetime = BEFORE) -> str:
    with time_machine.travel(when, tick=False):
        response = client.get("/portal/appointments/")
    assert response.status_code == 200
    return response.content.decode()


def test_times_on_the_clinics_clock_in_winter_and_summer(personas, london, login):
    winter = book(
        personas.patient_one, datetime(2026, 1, 14, 9, 0, tzinfo=LONDON), personas.nurse, chair=london
    )
    summer = book(
        personas.patient_one,
        datetime(2026, 7, 8, 9, 0, tzinfo=LONDON),  # 08:00 UTC
        personas.nurse,
        kind="follow_up",
        minutes=45,
    )
    page = page_at(login(personas.patient_one.user))
    winter_card, summer_card = section(page, f"appt-{winter.pk}"), section(page, f"appt-{summer.pk}")
    assert "Wednesday 14 January 2026" in winter_card and "09:00 to 11:40" in winter_card
    assert "about 2 hours 40 minutes" in winter_card and "Clinic A, Chair 2" in winter_card
    assert "Consultation" in winter_card
    assert "Wednesday 8 July 2026" in summer_card and "09:00 to 09:45" in summer_card
    assert "08:00" not in summer_card  # not the stored UTC time
    assert "about 45 minutes" in summer_card and "Follow-up visit" in summer_card
    # Plain words: no codes or record numbers in the card.
    assert "follow_up" not in summer_card and "consultation<" not in winter_card
    assert page.index(f'"appt-{winter.pk}"') < page.index(f'"appt-{summer.pk}"')  # by time
    assert 'href="/portal/appointments.ics"' in page and "Add to my calendar" in page


def test_duration_in_plain_words():
    assert duration_words(160) == "about 2 hours 40 minutes"
    assert duration_words(120) == "about 2 hours"
    assert duration_words(30) == "about 30 minutes"


@pytest.mark.parametrize(
    ("start_on", "patient_name"),
    [(START, "patient_one"), (date(2026, 7, 6), "patient_two")],
    ids=["winter", "summer"],
)
def test_preparation_clock_times_are_counted_back_from_the_start(
    personas, london, make_course, login, start_on, patient_name
):
    patient = getattr(personas, patient_name)
    course = make_course(patient, pain_course(start_on))
    set_values(personas.clinic_a, personas.prescriber, {"fasting.ruleset": "asa-2017"})
    first = course.sessions[0]
    appointment = book(
        patient,
        datetime.combine(first.planned_on, time(11, 30), tzinfo=LONDON),
        personas.nurse,
        kind="session",
        chair=london,
        planned_session=first,
    )
    page = page_at(login(patient.user), datetime.combine(start_on - timedelta(days=1), time(9), tzinfo=UTC))
    card = section(page, f"appt-{appointment.pk}")
    assert "11:30 to 14:10" in card and "Treatment session" in card and "Session 1 of your course" in card
    assert re.search(r"A light meal, such as toast</strong>: nothing after <strong>05:30</strong>", card)
    assert re.search(r"Clear drinks such as water</strong>: nothing after <strong>09:30</strong>", card)
    assert "Fried or fatty food, or meat</strong>: nothing after <strong>03:30</strong>" in card
    assert "10:30" not in card and "04:30" not in card  # not counted from the UTC time in summer
    # The next sessions have no booked time yet: shown by their date, the clinic to confirm it.
    later = section(page, f"session-{course.sessions[1].pk}")
    assert "Your clinic will confirm the time." in later and "6 hours" in later
    assert page.count('class="card appointment"') == min(len(course.sessions), 6)


def test_fasting_times_count_real_hours_across_the_clock_change():
    """A 07:00 start on the spring change (29 March 2026, London): 8 hours before is 22:00 the
    evening before, not 23:00 (wall-clock subtraction would give an hour less of fasting)."""
    prep = preparation_for(
        on=date(2026, 3, 29),
        starts_at=datetime(2026, 3, 29, 7, 0, tzinfo=LONDON),
        protocol=published_protocols()["singh-2016-trd"],
        clinic_ruleset="asa-2017",
        clinic_escort=True,
    )
    last = {f.label: f.last_at for f in prep.fasting}
    fatty = last["Fried or fatty food, or meat"]
    assert fatty is not None and fatty.astimezone(LONDON).strftime("%d %H:%M") == "28 22:00"
    start = datetime(2026, 3, 29, 6, 0, tzinfo=UTC)  # 07:00 summer time
    assert start - fatty.astimezone(UTC) == timedelta(hours=8)
    clear = last["Clear drinks such as water"]
    assert clear is not None and clear.astimezone(LONDON).strftime("%H:%M") == "05:00"


def test_a_cancelled_appointment_is_marked_and_has_no_preparation(personas, london, make_course, login):
    course = make_course(personas.patient_one)
    set_values(personas.clinic_a, personas.prescriber, {"fasting.ruleset": "asa-2017"})
    first = course.sessions[0]
    cancelled = book(
        personas.patient_one,
        datetime(2026, 1, 5, 10, 0, tzinfo=LONDON),
        personas.nurse,
        kind="session",
        chair=london,
        planned_session=first,
        status="cancelled",
        status_reason="Nurse off sick (staff note)",
    )
    page = page_at(login(personas.patient_one.user))
    card = section(page, f"appt-{cancelled.pk}")
    assert "cancelled</span>" in card and "Your clinic cancelled this appointment" in card
    assert "How to prepare" not in card and "nothing after" not in card
    assert "Ask to change this appointment" not in card  # nothing to change
    assert "staff note" not in page  # the clinic's reason is for the staff
    # The planned session is shown once, by its cancelled appointment.
    assert f'"session-{first.pk}"' not in page
    # The next session's instructions are the ones shown open.
    assert "<details open>" in section(page, f"session-{course.sessions[1].pk}")


def post_change(
    client, appointment, words="I am away that week. Any morning the week after suits me.", key=None
):
    key = key or str(uuid.uuid4())
    return client.post(
        "/portal/appointments/change/",
        {"appointment": appointment.pk, "reason": words, "request_key": key},
    )


def change_alerts(appointment):
    return Alert.objects.filter(
        origin_type=ContentType.objects.get_for_model(Appointment), origin_id=appointment.pk
    )


def test_a_request_to_change_reaches_the_care_team_once(personas, london, login):
    appointment = book(
        personas.patient_one, datetime(2026, 7, 8, 9, 0, tzinfo=LONDON), personas.nurse, chair=london
    )
    client = login(personas.patient_one.user)
    key = str(uuid.uuid4())
    with time_machine.travel(BEFORE, tick=False):
        first = post_change(client, appointment, key=key)
        again = post_change(client, appointment, key=key)  # a double submit
    assert first.status_code == 302 and again.status_code == 302
    alerts = list(change_alerts(appointment))
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.patient_id == personas.patient_one.pk and alert.audience == "care-team"
    assert "In their words: “I am away that week. Any morning the week after suits me.”" in alert.message
    assert "8 Jul 2026 09:00" in alert.message and "Chair 2" in alert.message  # the clinic's clock
    with time_machine.travel(BEFORE, tick=False):
        page = client.get("/portal/appointments/").content.decode()
    assert "You asked to change this appointment" in section(page, f"appt-{appointment.pk}")
    # The appointment itself is not moved by the request.
    appointment.refresh_from_db()
    assert appointment.starts_at == datetime(2026, 7, 8, 8, 0, tzinfo=UTC) and appointment.is_booked
    # The care team sees it, in the patient's words.
    nurse_page = login(personas.nurse).get("/alerts/").content.decode()
    assert "Any morning the week after suits me." in nurse_page


def test_the_thank_you_message_and_a_second_request(personas, london, login):
    appointment = book(personas.patient_one, datetime(2026, 2, 2, 9, 0, tzinfo=LONDON), personas.nurse)
    client = login(personas.patient_one.user)
    with time_machine.travel(BEFORE, tick=False):
        response = client.post(
            "/portal/appointments/change/",
            {
                "appointment": appointment.pk,
                "reason": "Afternoons suit me better.",
                "request_key": str(uuid.uuid4()),
            },
            follow=True,
        )
        post_change(client, appointment, words="Or a Friday.")  # a new form: a new request
    assert (
        "Thank you. Your request was sent to your clinic. They will contact you" in response.content.decode()
    )
    assert change_alerts(appointment).count() == 2


def test_a_request_without_words_or_too_long_is_refused_at_its_field(personas, london, login):
    appointment = book(personas.patient_one, datetime(2026, 2, 2, 9, 0, tzinfo=LONDON), personas.nurse)
    client = login(personas.patient_one.user)
    with time_machine.travel(BEFORE, tick=False):
        empty = post_change(client, appointment, words="   ")
        long = post_change(client, appointment, words="x" * (CHANGE_TEXT_MAX + 1))
    assert empty.status_code == 200 and long.status_code == 200
    assert (
        'class="field-error"' in empty.content.decode()
        and "This field is required." in empty.content.decode()
    )
    assert f"at most {CHANGE_TEXT_MAX} characters" in long.content.decode()
    assert change_alerts(appointment).count() == 0


def test_no_request_for_a_cancelled_or_past_appointment(personas, london, login):
    cancelled = book(
        personas.patient_one,
        datetime(2026, 2, 2, 9, 0, tzinfo=LONDON),
        personas.nurse,
        status="cancelled",
        status_reason="Clinic closed",
    )
    past = book(personas.patient_one, datetime(2025, 12, 1, 9, 0, tzinfo=LONDON), personas.nurse)
    client = login(personas.patient_one.user)
    with time_machine.travel(BEFORE, tick=False):
        refused = post_change(client, cancelled)
        too_late = post_change(client, past)
    assert refused.status_code == 302 and too_late.status_code == 302
    assert change_alerts(cancelled).count() == 0 and change_alerts(past).count() == 0


def test_another_patients_appointment_is_refused(personas, london, login):
    theirs = book(
        personas.patient_two, datetime(2026, 2, 2, 9, 0, tzinfo=LONDON), personas.nurse, chair=london
    )
    elsewhere = book(personas.patient_b, datetime(2026, 2, 3, 9, 0, tzinfo=LONDON), personas.nurse_b)
    client = login(personas.patient_one.user)
    with time_machine.travel(BEFORE, tick=False):
        assert post_change(client, theirs).status_code == 404
        assert post_change(client, elsewhere).status_code == 404
        page = client.get("/portal/appointments/").content.decode()
    assert change_alerts(theirs).count() == 0 and change_alerts(elsewhere).count() == 0
    assert f"appt-{theirs.pk}" not in page and "No session is booked for you now" in page


@pytest.mark.parametrize("value", ["", "abc", "²", "9" * 30, "-1"])
def test_a_request_naming_no_appointment_sends_nothing(personas, login, value):
    client = login(personas.patient_one.user)
    response = client.post("/portal/appointments/change/", {"appointment": value, "reason": "Mornings."})
    assert response.status_code == 302 and response["Location"] == "/portal/appointments/"
    assert not Alert.objects.filter(rule_id__startswith="appointment-change-request:").exists()


def test_a_moved_appointment_says_when_it_was_before(personas, london, login):
    was = datetime(2026, 1, 6, 9, 30, tzinfo=LONDON)
    moved = book(
        personas.patient_one, datetime(2026, 1, 8, 14, 0, tzinfo=LONDON), personas.nurse, moved_from=was
    )
    card = section(page_at(login(personas.patient_one.user)), f"appt-{moved.pk}")
    assert "Your clinic moved this appointment: it was on Tuesday 6 January 2026 at 09:30." in card
    assert "14:00 to" in card
