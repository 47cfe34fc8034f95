"""The demo clinic's calendar: opening hours Monday to Friday, three chairs, this week's sessions
booked into the chairs within the hours with the demo's two nurses, a consultation and a follow-up
visit, one cancellation with its reason and one no-show in the past; loading again adds nothing."""

from __future__ import annotations

from datetime import time, timedelta
from itertools import pairwise

from django.utils import timezone

from ketapath.accounts.models import Clinic, User
from ketapath.appointments.models import Appointment, AppointmentKind, AppointmentStatus, Chair, OpeningHours
from ketapath.demo.appointments import load_demo_appointments
from ketapath.demo.load import CLINIC_SLUG


def _local(moment, clinic):
    return moment.astimezone(clinic.zone)


def test_the_demo_clinic_has_its_hours_and_three_chairs(demo):
    clinic = Clinic.objects.get(slug=CLINIC_SLUG)
    assert sorted(Chair.objects.filter(clinic=clinic, active=True).values_list("name", flat=True)) == [
        "Chair 1",
        "Chair 2",
        "Chair 3",
    ]
    hours = {h.weekday: (h.opens, h.closes) for h in OpeningHours.objects.filter(clinic=clinic)}
    assert hours == {day: (time(8), time(18)) for day in range(5)}  # Saturday and Sunday closed
    assert clinic.time_zone == ""  # the server's


def test_this_weeks_appointments_lie_within_the_hours_without_double_booking(demo):
    clinic = Clinic.objects.get(slug=CLINIC_SLUG)
    now = timezone.now()
    today = _local(now, clinic).date()
    monday = today - timedelta(days=today.weekday())
    rows = list(Appointment.objects.filter(clinic=clinic).select_related("nurse", "chair"))
    assert len(rows) >= 6
    for row in rows:
        start, end = _local(row.starts_at, row.clinic), _local(row.ends_at, row.clinic)
        assert start.weekday() < 5 and time(8) <= start.time() and end.time() <= time(18), row
        assert start.date() == end.date()
        if row.status != AppointmentStatus.NO_SHOW:  # the no-show may be last week's
            assert monday <= start.date() < monday + timedelta(days=7), row
    booked = [r for r in rows if r.status == AppointmentStatus.BOOKED]
    sessions = [r for r in booked if r.kind == AppointmentKind.SESSION]
    assert sessions and all(r.chair is not None and r.planned_session_id for r in sessions)
    if today.weekday() < 5:  # an open day: today's sessions are booked
        assert any(_local(r.starts_at, clinic).date() == today for r in sessions)
    # Two nurses' worth of sessions: each demo nurse has some, and no one else has any.
    staff = {r.nurse.username for r in sessions if r.nurse is not None}
    assert staff == {"nurse.demo", "nurse2.demo"}
    # No chair and no member of staff in two places at once.
    for key in ("chair_id", "nurse_id"):
        held = sorted((getattr(r, key), r.starts_at, r.ends_at) for r in booked if getattr(r, key))
        for (a, _, a_end), (b, b_start, _) in pairwise(held):
            assert a != b or a_end <= b_start, key
    kinds = {r.kind for r in booked}
    assert {AppointmentKind.SESSION, AppointmentKind.CONSULTATION, AppointmentKind.FOLLOW_UP} <= kinds


def test_one_cancellation_with_its_reason_and_one_no_show_in_the_past(demo):
    clinic = Clinic.objects.get(slug=CLINIC_SLUG)
    (cancelled,) = Appointment.objects.filter(clinic=clinic, status=AppointmentStatus.CANCELLED)
    assert cancelled.status_reason.strip()
    assert "Cancelled by" in cancelled.history.first().history_change_reason
    (missed,) = Appointment.objects.filter(clinic=clinic, status=AppointmentStatus.NO_SHOW)
    assert missed.starts_at < timezone.now()
    assert missed.history.first().history_change_reason.startswith("Marked as not attended")


def test_loading_the_calendar_again_adds_nothing(demo):
    clinic = Clinic.objects.get(slug=CLINIC_SLUG)
    before = Appointment.objects.count(), Chair.objects.count(), OpeningHours.objects.count()
    users = {
        "prescriber": User.objects.get(username="dr.demo"),
        "nurse": User.objects.get(username="nurse.demo"),
    }
    assert load_demo_appointments(clinic, users) == before[0]
    assert (Appointment.objects.count(), Chair.objects.count(), OpeningHours.objects.count()) == before
