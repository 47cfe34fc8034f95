"""Booking a course and changing it (ketapath.appointments.actions): the scheduler's proposals
within the hours on open days in the course's order, double-booking of a chair or a nurse refused
with what it clashes with, the daylight-saving change, moving the rest of a course, cancelling
and no-shows, each change in history; and the settings a booking needs, failing closed."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine

from ketapath.appointments import actions
from ketapath.appointments.actions import AppointmentRefused
from ketapath.appointments.models import Appointment, AppointmentStatus, Chair, OpeningHours
from ketapath.appointments.settings_specs import CHAIR_GAP_MIN, OBSERVATION_MIN
from ketapath.clinic_settings.values import set_values
from ketapath.clinical.chair_time import wall_start
from tests.appointments.calendar_setup import approved_course, open_weekdays_with_two_chairs

pytestmark = pytest.mark.django_db

# Friday 20 March 2026, noon in London; the clocks go forward on Sunday 29 March.
NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)
MONDAY = date(2026, 3, 23)


@pytest.fixture
def clinic(personas):
    return open_weekdays_with_two_chairs(personas, "Europe/London")


@pytest.fixture
def course(personas, clinic):
    """Singh 2016, twice a week for four weeks from Monday 23 March: 8 sessions over the change."""
    with time_machine.travel(NOW, tick=False):
        return approved_course(personas, MONDAY, weeks=4)


def local(moment: datetime, clinic) -> datetime:
    return moment.astimezone(clinic.zone)


def test_a_course_is_proposed_within_the_hours_and_booked_across_the_clock_change(personas, clinic, course):
    proposals = actions.propose_course(course, at=time(9), now=NOW)
    assert len(proposals) == 8 and all(p.starts_at is not None and not p.problems for p in proposals)
    starts = [local(p.starts_at, clinic) for p in proposals]
    # The course's own dates (Monday and Thursday), each at 09:00 on the clinic's wall clock, in
    # winter (GMT) and in summer (BST) alike.
    assert [s.date() for s in starts] == [p.planned_session.planned_on for p in proposals]
    assert {s.time() for s in starts} == {time(9)}
    assert {s.utcoffset() for s in starts} == {timedelta(0), timedelta(hours=1)}
    # Session length: the 40-minute infusion and the clinic's 60 minutes of observation.
    assert actions.session_minutes(proposals[0].planned_session) == 100

    booked = actions.book_course(
        course,
        [(p.planned_session, p.starts_at, p.chair, personas.nurse) for p in proposals],
        by=personas.nurse,
        now=NOW,
    )
    assert len(booked) == 8 and Appointment.objects.filter(status=AppointmentStatus.BOOKED).count() == 8
    assert booked[0].history.first().history_change_reason.startswith("Booked with the course by")
    # Booked already: nothing left to propose, and booking again is refused.
    assert actions.propose_course(course, now=NOW) == []
    with pytest.raises(AppointmentRefused, match="already booked"):
        actions.book_course(
            course,
            [(proposals[0].planned_session, proposals[0].starts_at, proposals[0].chair, None)],
            by=personas.nurse,
            now=NOW,
        )


def test_a_closed_day_and_a_full_chair_move_the_proposal(personas, clinic, course):
    # Thursdays closed: each Thursday session goes to the nearest open day before the next session.
    OpeningHours.objects.filter(clinic=clinic, weekday=3).delete()
    chairs = list(Chair.objects.filter(clinic=clinic))
    # Chair 1 is busy on the first Monday morning.
    other = personas.patient_two
    actions.book(
        other,
        kind="consultation",
        starts_at=wall_start(MONDAY, time(9), clinic.zone),
        chair=chairs[0],
        duration_min=120,
        by=personas.nurse,
        now=NOW,
    )
    proposals = actions.propose_course(course, at=time(9), now=NOW)
    first = local(proposals[0].starts_at, clinic)
    assert (first.time(), proposals[0].chair) == (time(9), chairs[1])  # the other chair at 09:00
    for proposal in proposals:
        assert local(proposal.starts_at, clinic).weekday() != 3
    moved = [p for p in proposals if p.problems]
    assert moved and all("the clinic is closed then" in p.problems[0] for p in moved)
    # Booked there, a moved session's planned date follows its appointment (the day's list reads it).
    actions.book_course(
        course,
        [(p.planned_session, p.starts_at, p.chair, None) for p in proposals],
        by=personas.nurse,
        now=NOW,
    )
    for proposal in moved:
        proposal.planned_session.refresh_from_db()
        assert proposal.planned_session.planned_on == local(proposal.starts_at, clinic).date()
        reasons = proposal.planned_session.history.values_list("history_change_reason", flat=True)
        assert any(r and r.startswith("Date follows its appointment, booked by") for r in reasons)
    days = [local(p.starts_at, clinic).date() for p in proposals]
    assert days == sorted(days) and len(set(days)) == len(days)  # the course's order is kept


def test_the_course_is_not_put_over_the_patients_own_appointments(personas, clinic, course):
    chairs = list(Chair.objects.filter(clinic=clinic))
    actions.book(
        personas.patient_one,
        kind="consultation",
        starts_at=wall_start(MONDAY, time(9), clinic.zone),
        chair=chairs[0],
        duration_min=120,
        by=personas.nurse,
        now=NOW,
    )
    first = actions.propose_course(course, at=time(9), now=NOW)[0]
    assert local(first.starts_at, clinic).time() == time(11)  # after the consultation, not beside it
    with pytest.raises(AppointmentRefused, match="The patient has another appointment from 09:00 to 11:00"):
        actions.book(
            personas.patient_one,
            kind="follow_up",
            starts_at=wall_start(MONDAY, time(10), clinic.zone),
            chair=chairs[1],
            duration_min=30,
            by=personas.nurse,
            now=NOW,
        )


def test_double_booking_of_a_chair_or_a_nurse_is_refused_with_what_it_clashes_with(personas, clinic, course):
    chair = Chair.objects.get(clinic=clinic, name="Chair 1")
    session = course.sessions.order_by("number").first()
    start = wall_start(MONDAY, time(10), clinic.zone)
    actions.book(
        personas.patient_one,
        kind="session",
        planned_session=session,
        starts_at=start,
        chair=chair,
        nurse=personas.nurse,
        by=personas.nurse,
        now=NOW,
    )
    with pytest.raises(AppointmentRefused) as refused:
        actions.book(
            personas.patient_two,
            kind="consultation",
            starts_at=start + timedelta(minutes=30),
            chair=chair,
            duration_min=30,
            by=personas.nurse,
            now=NOW,
        )
    assert refused.value.field == "chair"
    assert refused.value.message.startswith("The chair is taken from 10:00 to 11:40 by Pat One")
    other_chair = Chair.objects.get(clinic=clinic, name="Chair 2")
    with pytest.raises(AppointmentRefused) as busy:
        actions.book(
            personas.patient_two,
            kind="consultation",
            starts_at=start,
            chair=other_chair,
            nurse=personas.nurse,
            duration_min=30,
            by=personas.nurse,
            now=NOW,
        )
    assert busy.value.field == "nurse"
    assert Appointment.objects.count() == 1
    # Outside the hours, on a closed day, in the past: each refused at the time's field.
    for when, says in (
        (wall_start(MONDAY, time(17, 30), clinic.zone), "outside the opening hours"),
        (wall_start(MONDAY + timedelta(days=5), time(10), clinic.zone), "closed on Saturdays"),
        (NOW - timedelta(hours=1), "has passed"),
    ):
        with pytest.raises(AppointmentRefused, match=says) as bad:
            actions.book(
                personas.patient_two,
                kind="consultation",
                starts_at=when,
                chair=other_chair,
                duration_min=60,
                by=personas.nurse,
                now=NOW,
            )
        assert bad.value.field == "starts_at"
    assert Appointment.objects.count() == 1


def test_moving_the_rest_of_a_course_keeps_the_wall_clock_and_refuses_a_clash_whole(personas, clinic, course):
    proposals = actions.propose_course(course, at=time(9), now=NOW)
    booked = actions.book_course(
        course,
        [(p.planned_session, p.starts_at, p.chair, None) for p in proposals],
        by=personas.nurse,
        now=NOW,
    )
    chair = booked[0].chair
    # Someone else holds the chair at 14:00 on the course's third day: moving everything to 14:00 is
    # refused as a whole (nothing moves) and names the clash.
    third = local(booked[2].starts_at, clinic).date()
    actions.book(
        personas.patient_two,
        kind="follow_up",
        starts_at=wall_start(third, time(14), clinic.zone),
        chair=chair,
        duration_min=60,
        by=personas.nurse,
        now=NOW,
    )
    with pytest.raises(AppointmentRefused, match="The chair is taken"):
        actions.reschedule(
            booked[1],
            starts_at=wall_start(local(booked[1].starts_at, clinic).date(), time(14), clinic.zone),
            by=personas.nurse,
            rest_of_course=True,
            now=NOW,
        )
    assert {local(a.starts_at, clinic).time() for a in Appointment.objects.filter(kind="session")} == {
        time(9)
    }

    moved = actions.reschedule(
        booked[1],
        starts_at=wall_start(local(booked[1].starts_at, clinic).date(), time(11), clinic.zone),
        by=personas.nurse,
        rest_of_course=True,
        now=NOW,
    )
    assert len(moved) == 7  # the second and every later one
    times = {local(a.starts_at, clinic).time() for a in moved}
    assert times == {time(11)}  # in GMT and in BST alike
    first = Appointment.objects.get(pk=booked[0].pk)
    assert local(first.starts_at, clinic).time() == time(9)  # the earlier one stays
    assert moved[0].history.first().history_change_reason.startswith("Moved from")

    # One appointment to another day: its planned session's date follows.
    target = wall_start(MONDAY + timedelta(days=1), time(15), clinic.zone)
    (alone,) = actions.reschedule(first, starts_at=target, by=personas.nurse, now=NOW)
    alone.planned_session.refresh_from_db()
    assert alone.planned_session.planned_on == MONDAY + timedelta(days=1)


def test_cancel_and_no_show_are_kept_with_the_reason_and_history(personas, clinic, course):
    proposals = actions.propose_course(course, at=time(9), now=NOW)
    booked = actions.book_course(
        course,
        [(p.planned_session, p.starts_at, p.chair, None) for p in proposals],
        by=personas.nurse,
        now=NOW,
    )
    with pytest.raises(AppointmentRefused) as no_reason:
        actions.cancel(booked[3], reason="  ", by=personas.nurse, now=NOW)
    assert no_reason.value.field == "status_reason"
    cancelled = actions.cancel(
        booked[5], reason="Patient is travelling", by=personas.nurse, rest_of_course=True, now=NOW
    )
    assert [a.pk for a in cancelled] == [a.pk for a in booked[5:]]
    row = Appointment.objects.get(pk=booked[5].pk)
    assert (row.status, row.status_reason) == (AppointmentStatus.CANCELLED, "Patient is travelling")
    assert (
        row.history.first().history_change_reason
        == f"Cancelled by {personas.nurse.display_name}: Patient is travelling"
    )
    with pytest.raises(AppointmentRefused, match="cancelled"):
        actions.reschedule(row, starts_at=row.starts_at + timedelta(hours=1), by=personas.nurse, now=NOW)
    # The freed chair time can be booked again.
    actions.book(
        personas.patient_two,
        kind="consultation",
        starts_at=row.starts_at,
        chair=row.chair,
        duration_min=30,
        by=personas.nurse,
        now=NOW,
    )
    # A no-show only once the appointment has started.
    with pytest.raises(AppointmentRefused, match="still to come"):
        actions.mark_no_show(booked[0], by=personas.nurse, now=NOW)
    after = booked[0].starts_at + timedelta(minutes=20)
    assert actions.mark_no_show(booked[0], by=personas.nurse, now=after).status == AppointmentStatus.NO_SHOW


def test_booking_stops_until_the_clinic_sets_its_gap_and_observation(personas, clinic, course):
    from ketapath.clinic_settings.models import ClinicSetting

    ClinicSetting.objects.filter(clinic=clinic, key__in=[CHAIR_GAP_MIN]).delete()
    with pytest.raises(AppointmentRefused, match="gap kept free in a chair"):
        actions.propose_course(course, now=NOW)
    set_values(clinic, personas.prescriber, {CHAIR_GAP_MIN: "0"})
    ClinicSetting.objects.filter(clinic=clinic, key=OBSERVATION_MIN).delete()
    with pytest.raises(AppointmentRefused, match="observation after a session"):
        actions.propose_course(course, now=NOW)
    assert not Appointment.objects.exists()


def test_calendar_settings_are_kept_with_history(personas, clinic):
    actions.set_opening_hours(clinic, {5: (time(9), time(13)), 0: None}, by=personas.admin)
    hours = {h.weekday: (h.opens, h.closes) for h in OpeningHours.objects.filter(clinic=clinic)}
    assert 0 not in hours and hours[5] == (time(9), time(13))
    with pytest.raises(AppointmentRefused, match="open before it closes"):
        actions.set_opening_hours(clinic, {2: (time(18), time(8))}, by=personas.admin)
    chair = actions.add_chair(clinic, "  Room   3 ", by=personas.admin)
    assert chair.name == "Room 3"
    with pytest.raises(AppointmentRefused, match="of that name already"):
        actions.add_chair(clinic, "room 3", by=personas.admin)
    actions.set_chair_active(chair, False, by=personas.admin)
    assert chair.history.first().history_change_reason.startswith("Taken out of use")
    with pytest.raises(AppointmentRefused, match="not a time zone"):
        actions.set_time_zone(clinic, "Mars/Olympus", by=personas.admin)
    actions.set_time_zone(clinic, "America/New_York", by=personas.admin)
    clinic.refresh_from_db()
    assert str(clinic.zone) == "America/New_York"
    assert clinic.history.first().history_change_reason == "Time zone set to America/New_York"
