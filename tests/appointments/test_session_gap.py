"""The clinic's minimum gap in days between two sessions (``ketapath.plans.limits.MIN_GAP``) when the
calendar books or moves a session (ketapath.appointments.actions): a session too close to another of
the patient's sessions is refused at the time's field with nothing saved, in ``book``,
``book_course``, ``reschedule`` of one appointment and of the rest of a course (at the moved
sessions' new days); while the setting is unset, booking or moving a session stops and names it;
``propose_course`` keeps the gap when it moves a closed day's session; a consultation never reads
it. And the refusal on the reschedule page, at its field."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.urls import reverse

from ketapath.appointments import actions
from ketapath.appointments.actions import AppointmentRefused
from ketapath.appointments.models import Appointment, AppointmentKind, AppointmentStatus, Chair
from ketapath.clinic_settings.models import ClinicSetting
from ketapath.clinic_settings.values import set_values
from ketapath.clinical.chair_time import wall_start
from ketapath.plans.limits import MIN_GAP
from ketapath.plans.models import PlannedSession
from tests.appointments.calendar_setup import approved_course, open_weekdays_with_two_chairs

pytestmark = pytest.mark.django_db

# Friday 20 March 2026, noon in London; the course runs Monday and Thursday from Monday 23 March:
# sessions 1 to 4 on 23, 26 and 30 March and 2 April (3 and 4 days apart).
NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)
MONDAY = date(2026, 3, 23)
UNSET = (
    "Set the clinic's minimum days between two sessions (Clinic settings, Treatment plans: dosing "
    "limits and pumps) before {doing}."
)


def day(offset: int) -> date:
    """The day ``offset`` days after Monday 23 March."""
    return MONDAY + timedelta(days=offset)


@pytest.fixture
def clock():
    """The clock stands still at NOW (the pages read it; the actions are given it too)."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def clinic(clock, personas):
    """Monday to Friday, 08:00 to 18:00, two chairs; a minimum gap of 2 days between sessions."""
    return open_weekdays_with_two_chairs(personas, "Europe/London")


@pytest.fixture
def course(personas, clinic):
    """Singh 2016 twice a week for two weeks from Monday 23 March: four scheduled sessions."""
    return approved_course(personas, MONDAY, weeks=2)


def sessions(plan) -> list[PlannedSession]:
    return list(PlannedSession.objects.filter(plan=plan).order_by("number"))


@pytest.fixture
def booked(personas, clinic, course):
    """The four sessions booked at 09:00 on their own days, in Chair 1."""
    proposals = actions.propose_course(course, at=time(9), now=NOW)
    assert [p.starts_at.astimezone(clinic.zone).date() for p in proposals] == [
        day(0),
        day(3),
        day(7),
        day(10),
    ]
    return actions.book_course(
        course,
        [(p.planned_session, p.starts_at, p.chair, None) for p in proposals],
        by=personas.nurse,
        now=NOW,
    )


def chair(clinic, name="Chair 1") -> Chair:
    return Chair.objects.get(clinic=clinic, name=name)


def book_session(personas, clinic, session, on: date, at: time = time(10)) -> Appointment:
    return actions.book(
        personas.patient_one,
        kind=AppointmentKind.SESSION,
        planned_session=session,
        starts_at=wall_start(on, at, clinic.zone),
        chair=chair(clinic),
        by=personas.nurse,
        now=NOW,
    )


def local_days(appointments, clinic) -> list[date]:
    return [a.starts_at.astimezone(clinic.zone).date() for a in appointments]


def test_a_session_booked_too_close_to_another_is_refused_at_the_time_and_nothing_is_saved(
    personas, clinic, course
):
    first, second, *_ = sessions(course)
    book_session(personas, clinic, first, day(0))
    # The second session on Tuesday, the day after the first: refused, its date untouched.
    with pytest.raises(AppointmentRefused) as refused:
        book_session(personas, clinic, second, day(1))
    assert refused.value.field == "starts_at"
    assert refused.value.message == (
        "Session 2 would be 1 day after session 1 (Monday 23 March); the clinic's minimum gap between "
        "sessions is 2 days."
    )
    assert Appointment.objects.count() == 1
    second.refresh_from_db()
    assert second.planned_on == day(3)
    assert second.history.count() == 1  # no "date follows its appointment"
    # The gap to the session after it counts too: the first moved to Wednesday, the day before the
    # second (still planned on Thursday).
    (booked_first,) = Appointment.objects.all()
    with pytest.raises(AppointmentRefused) as before:
        actions.reschedule(
            booked_first, starts_at=wall_start(day(2), time(10), clinic.zone), by=personas.nurse, now=NOW
        )
    assert before.value.field == "starts_at"
    assert before.value.message.startswith("Session 1 would be 1 day before session 2 (Thursday 26 March);")
    # Exactly the gap is enough: the second on Wednesday, two days after the first.
    moved = book_session(personas, clinic, second, day(2))
    second.refresh_from_db()
    assert (moved.planned_session, second.planned_on) == (second, day(2))


def test_with_the_setting_unset_booking_or_moving_a_session_stops_and_names_it(
    personas, clinic, course, booked
):
    fourth = sessions(course)[3]
    cancelled = actions.cancel(booked[3], reason="The patient asked to rebook it", by=personas.nurse, now=NOW)
    ClinicSetting.objects.filter(clinic=clinic, key=MIN_GAP).delete()
    booking = UNSET.format(doing="booking a session")
    with pytest.raises(AppointmentRefused) as refused:
        book_session(personas, clinic, fourth, day(10))
    assert refused.value.message == booking
    with pytest.raises(AppointmentRefused, match="minimum days between two sessions") as course_refused:
        actions.book_course(
            course,
            [(fourth, wall_start(day(10), time(9), clinic.zone), chair(clinic), None)],
            by=personas.nurse,
            now=NOW,
        )
    assert course_refused.value.message == booking
    with pytest.raises(AppointmentRefused) as proposing:
        actions.propose_course(course, now=NOW)
    assert proposing.value.message == booking
    with pytest.raises(AppointmentRefused) as moving:
        actions.reschedule(
            booked[0], starts_at=wall_start(day(0), time(11), clinic.zone), by=personas.nurse, now=NOW
        )
    assert moving.value.message == UNSET.format(doing="moving a session")
    # Nothing changed: the three booked sessions where they were, the fourth not booked again.
    assert list(
        Appointment.objects.filter(status=AppointmentStatus.BOOKED)
        .order_by("starts_at")
        .values_list("pk", flat=True)
    ) == [a.pk for a in booked[:3]]
    assert Appointment.objects.get(pk=booked[0].pk).starts_at == booked[0].starts_at
    assert cancelled[0].status == AppointmentStatus.CANCELLED


def test_a_consultation_does_not_read_the_setting(personas, clinic, course, booked):
    # With the gap set: a consultation the day after a session is booked and moved freely.
    visit = actions.book(
        personas.patient_one,
        kind=AppointmentKind.CONSULTATION,
        starts_at=wall_start(day(1), time(10), clinic.zone),
        chair=None,
        duration_min=30,
        by=personas.nurse,
        now=NOW,
    )
    # Unset: still booked and moved.
    ClinicSetting.objects.filter(clinic=clinic, key=MIN_GAP).delete()
    actions.reschedule(visit, starts_at=wall_start(day(4), time(10), clinic.zone), by=personas.nurse, now=NOW)
    follow_up = actions.book(
        personas.patient_one,
        kind=AppointmentKind.FOLLOW_UP,
        starts_at=wall_start(day(8), time(10), clinic.zone),
        chair=None,
        duration_min=30,
        by=personas.nurse,
        now=NOW,
    )
    visit.refresh_from_db()
    assert local_days([visit, follow_up], clinic) == [day(4), day(8)]


def test_moving_one_session_too_close_to_the_one_before_is_refused(personas, clinic, course, booked):
    second = booked[1]
    with pytest.raises(AppointmentRefused) as refused:
        actions.reschedule(
            second, starts_at=wall_start(day(1), time(9), clinic.zone), by=personas.nurse, now=NOW
        )
    assert refused.value.field == "starts_at"
    assert refused.value.message == (
        "Session 2 would be 1 day after session 1 (Monday 23 March); the clinic's minimum gap between "
        "sessions is 2 days."
    )
    row = Appointment.objects.get(pk=second.pk)
    assert row.starts_at == second.starts_at and row.history.count() == 1
    assert PlannedSession.objects.get(pk=second.planned_session_id).planned_on == day(3)


def test_a_session_kept_on_its_day_can_change_its_time_after_the_gap_was_raised(
    personas, clinic, course, booked
):
    # The clinic raised its gap to 4 days after booking (sessions 3 and 4 days apart): another hour
    # on the same day changes no gap and is allowed; another day too close is not.
    set_values(clinic, personas.prescriber, {MIN_GAP: "4"})
    second = booked[1]
    (moved,) = actions.reschedule(
        second, starts_at=wall_start(day(3), time(14), clinic.zone), by=personas.nurse, now=NOW
    )
    assert moved.starts_at == wall_start(day(3), time(14), clinic.zone)
    with pytest.raises(AppointmentRefused, match="Session 2 would be 2 days after session 1"):
        actions.reschedule(
            second, starts_at=wall_start(day(2), time(14), clinic.zone), by=personas.nurse, now=NOW
        )


def test_moving_the_rest_of_the_course_checks_the_new_days(personas, clinic, course, booked):
    _, second, third, fourth = booked
    # Sessions 3 and 4 three days earlier, with the rest: the first moved (Friday 27) is checked
    # against the one before it (Thursday 26). Nothing moves.
    with pytest.raises(AppointmentRefused) as refused:
        actions.reschedule(
            third,
            starts_at=wall_start(day(4), time(9), clinic.zone),
            by=personas.nurse,
            rest_of_course=True,
            now=NOW,
        )
    assert refused.value.field == "starts_at"
    assert refused.value.message == (
        "Session 3 would be 1 day after session 2 (Thursday 26 March); the clinic's minimum gap between "
        "sessions is 2 days."
    )
    assert [s.planned_on for s in sessions(course)] == [day(0), day(3), day(7), day(10)]
    assert local_days(Appointment.objects.order_by("starts_at"), clinic) == [day(0), day(3), day(7), day(10)]
    # Sessions 2 to 4 four days later: session 2 lands on the third's old Monday, which the third
    # leaves at the same time. Their gaps are read at the new days (4 and 3 days), not the old.
    moved = actions.reschedule(
        second,
        starts_at=wall_start(day(7), time(9), clinic.zone),
        by=personas.nurse,
        rest_of_course=True,
        now=NOW,
    )
    assert [a.pk for a in moved] == [second.pk, third.pk, fourth.pk]
    assert [s.planned_on for s in sessions(course)] == [day(0), day(7), day(11), day(14)]


def test_book_course_with_two_chosen_days_too_close_books_nothing(personas, clinic, course):
    proposals = actions.propose_course(course, at=time(9), now=NOW)
    choices = [(p.planned_session, p.starts_at, p.chair, None) for p in proposals[:2]]
    # The second session chosen on Tuesday, the day after the first.
    choices[1] = (choices[1][0], wall_start(day(1), time(9), clinic.zone), choices[1][2], None)
    with pytest.raises(AppointmentRefused) as refused:
        actions.book_course(course, choices, by=personas.nurse, now=NOW)
    assert refused.value.field == "starts_at"
    assert refused.value.message == (
        "Session 2 would be 1 day after session 1 (Monday 23 March); the clinic's minimum gap between "
        "sessions is 2 days."
    )
    assert not Appointment.objects.exists()
    assert [s.planned_on for s in sessions(course)] == [day(0), day(3), day(7), day(10)]


def test_a_closed_days_session_is_proposed_keeping_the_gap(personas, clinic, course):
    # Sessions on Monday, Wednesday, Sunday and the Tuesday after (2, 4 and 2 days apart). The
    # clinic is closed on Sunday: Monday 30 would be the nearest open day, but only a day before
    # the Tuesday session; Friday 27 is two days after Wednesday and four before Tuesday.
    dates = [day(0), day(2), day(6), day(8)]
    for session, on in zip(sessions(course), dates, strict=True):
        PlannedSession.objects.filter(pk=session.pk).update(planned_on=on)
    proposals = actions.propose_course(course, at=time(9), now=NOW)
    days = [p.starts_at.astimezone(clinic.zone).date() for p in proposals]
    assert days == [day(0), day(2), day(4), day(8)]
    assert proposals[2].problems == ["Moved from Sunday 29 Mar: the clinic is closed then."]
    assert not any(p.problems for p in (proposals[0], proposals[1], proposals[3]))
    # And they book as proposed.
    actions.book_course(
        course,
        [(p.planned_session, p.starts_at, p.chair, None) for p in proposals],
        by=personas.nurse,
        now=NOW,
    )
    assert [s.planned_on for s in sessions(course)] == days


def test_a_closed_days_session_with_no_day_keeping_the_gap_waits_for_a_time_by_hand(personas, clinic, course):
    # Sunday 29 between Thursday 26 and Tuesday 31: no open day within three days of it is two
    # days from both.
    dates = [day(0), day(3), day(6), day(8)]
    for session, on in zip(sessions(course), dates, strict=True):
        PlannedSession.objects.filter(pk=session.pk).update(planned_on=on)
    proposals = actions.propose_course(course, at=time(9), now=NOW)
    assert [p.starts_at is None for p in proposals] == [False, False, True, False]
    assert proposals[2].problems == [
        "No open day within 3 days of Sunday 29 Mar keeps the course's order and the clinic's minimum gap "
        "between sessions (2 days): give it a time by hand."
    ]


def test_an_open_days_session_too_close_to_the_one_before_gets_no_time(personas, clinic, course):
    # The clinic raised its gap to 4 days after the course was scheduled (3 and 4 days apart): the
    # Thursday sessions wait for a time by hand; the Monday after one keeps its own date.
    set_values(clinic, personas.prescriber, {MIN_GAP: "4"})
    proposals = actions.propose_course(course, at=time(9), now=NOW)
    assert [p.starts_at is not None for p in proposals] == [True, False, True, False]
    assert proposals[1].problems == [
        "Session 2 would be 3 days after session 1 (Monday 23 March); the clinic's minimum gap between "
        "sessions is 4 days: give it a time by hand."
    ]
    assert proposals[2].starts_at.astimezone(clinic.zone).date() == day(7)
    assert proposals[3].problems[0].startswith("Session 4 would be 3 days after session 3 (Monday 30 March);")


def test_the_reschedule_page_shows_the_gap_at_the_time_field(personas, clinic, course, booked, client, login):
    login(personas.nurse)
    second = booked[1]
    prefix = f"a{second.pk}-"
    response = client.post(
        reverse(
            "appointments:reschedule", kwargs={"mrn": personas.patient_one.mrn, "appointment_id": second.pk}
        ),
        {
            prefix + "day": day(1).isoformat(),
            prefix + "starts_at": "09:00",
            prefix + "chair": str(second.chair_id),
            prefix + "nurse": "",
        },
    )
    assert response.status_code == 200
    changed = next(r for r in response.context["rows"] if r.appointment.pk == second.pk)
    assert changed.opened == "reschedule"
    assert changed.reschedule.errors["starts_at"] == [
        "Session 2 would be 1 day after session 1 (Monday 23 March); the clinic's minimum gap between "
        "sessions is 2 days."
    ]
    assert "Session 2 would be 1 day after session 1 (Monday 23 March)" in response.content.decode()
    assert Appointment.objects.get(pk=second.pk).starts_at == second.starts_at
