"""The demo clinic's calendar, set and booked through the appointments actions. Synthetic only.

- Opening hours Monday to Friday, 08:00 to 18:00, and three chairs: **the demo clinic's own
  choice**, made up to show the calendar working (a real clinic sets its own on the Calendar
  settings page). The time zone is left blank: the server's. The gap kept free in a chair between
  two appointments is a clinic setting set with the others (:mod:`ketapath.demo.clinic_settings`).
- This week's planned sessions (Monday to Sunday, today's included) on open days are booked by
  the front desk (admin.demo) into the chairs, one after the other from the opening time, with
  the demo's two nurses, nurse.demo and nurse2.demo, taking the chairs in turn. A session on a
  closed day (a daily course's weekend) is not booked.
- A consultation and a follow-up visit, a consultation cancelled with its reason, and a follow-up
  visit the patient did not attend (in the past).

The bookings were made a week before the demo's present (``now``), as a front desk books ahead:
the booking action refuses a time already past, and today's first sessions have begun. The
cancellation and the no-show are recorded at the present. Loaded once: a clinic with any
appointment is left as it is, so running ``ketapath demo`` again keeps whatever was entered since.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from ketapath.accounts.models import User
from ketapath.appointments import actions, queries
from ketapath.appointments.actions import AppointmentRefused
from ketapath.appointments.models import Appointment, AppointmentKind, AppointmentStatus, Chair
from ketapath.appointments.settings_specs import CHAIR_GAP_MIN
from ketapath.clinic_settings.values import values_for
from ketapath.patients.models import Patient
from ketapath.plans.models import PlannedSession, PlanStatus, SessionStatus

log = logging.getLogger(__name__)

CHAIRS = ("Chair 1", "Chair 2", "Chair 3")
#: Monday to Friday, 08:00 to 18:00: the demo clinic's own choice (Saturday and Sunday closed).
OPENS, CLOSES = time(8), time(18)
HOURS: dict[int, tuple[time, time] | None] = {d: (OPENS, CLOSES) if d < 5 else None for d in range(7)}
#: Booked this long before the demo's present.
BOOKED_AHEAD = timedelta(days=7)
SLOT = 15  # minutes: starts fall on the quarter hour
# The other visits of the week: (mrn, kind, minutes, local start).
CONSULTATION = ("DEMO-0003", AppointmentKind.CONSULTATION, 60, time(16))
FOLLOW_UP = ("DEMO-0012", AppointmentKind.FOLLOW_UP, 30, time(17))
CANCELLED = ("DEMO-0020", AppointmentKind.CONSULTATION, 45, time(16, 30))
CANCEL_REASON = "The patient asked to come another week (synthetic example)."
NO_SHOW = ("DEMO-0013", AppointmentKind.FOLLOW_UP, 30, time(14))


def _at(day: date, clock: time, zone: Any) -> datetime:
    return datetime.combine(day, clock, tzinfo=zone)


def _quarter(moment: datetime) -> datetime:
    """``moment`` rounded up to the next quarter hour."""
    extra = (-moment.minute) % SLOT
    return (moment + timedelta(minutes=extra)).replace(second=0, microsecond=0)


def _set_calendar(clinic: Any, by: Any, now: datetime) -> None:
    if not queries.opening_hours_of(clinic.pk):
        actions.set_opening_hours(clinic, HOURS, by=by, now=now)
    named = {c.name for c in queries.chairs_of(clinic.pk, active_only=False)}
    for name in CHAIRS:
        if name not in named:
            actions.add_chair(clinic, name, by=by, now=now)


def _book(
    patient: Any,
    *,
    kind: str,
    start: datetime,
    minutes: int | None,
    chair: Chair | None,
    staff: Sequence[Any],
    by: Any,
    now: datetime,
    planned: PlannedSession | None = None,
) -> Appointment | None:
    """Book with the first of ``staff`` who is free (else with no one named); None if refused."""
    problem = ""
    for person in [*staff, None]:
        try:
            return actions.book(
                patient,
                kind=kind,
                starts_at=start,
                chair=chair,
                by=by,
                duration_min=minutes,
                nurse=person,
                planned_session=planned,
                now=now,
            )
        except AppointmentRefused as exc:
            problem = exc.message
            if exc.field != "nurse":
                break
    log.warning("demo appointment of %s at %s not booked: %s", patient.mrn, start, problem)
    return None


def _book_sessions(
    clinic: Any, days: list[date], staff: Sequence[Any], by: Any, booked_at: datetime, gap: timedelta
) -> None:
    """Each open day's planned sessions, into the chair free first, from the opening time."""
    zone = clinic.zone
    chairs = queries.chairs_of(clinic.pk)
    sessions = (
        PlannedSession.objects.active()
        .filter(
            patient__clinic=clinic,
            planned_on__in=days,
            status=SessionStatus.SCHEDULED,
            plan__status=PlanStatus.APPROVED,
        )
        .select_related("patient__clinic", "plan")
        .order_by("planned_on", "patient__mrn", "number")
    )
    by_day: dict[date, list[PlannedSession]] = {}
    for session in sessions:
        by_day.setdefault(session.planned_on, []).append(session)
    for day, todays in by_day.items():
        free = {chair.pk: _at(day, OPENS, zone) for chair in chairs}
        closes = _at(day, CLOSES, zone)
        for session in todays:
            try:
                minutes = actions.session_minutes(session)
            except AppointmentRefused as exc:
                log.warning("demo session of %s not booked: %s", session.patient.mrn, exc.message)
                continue
            chair = min(chairs, key=lambda c: (free[c.pk], c.name))
            start = free[chair.pk]
            if start + timedelta(minutes=minutes) > closes:
                log.warning("demo session of %s on %s not booked: the day is full", session.patient.mrn, day)
                continue
            # The two nurses take the chairs in turn, so a busy one gives way to the other.
            turn = chairs.index(chair) % len(staff)
            ordered = [*staff[turn:], *staff[:turn]]
            appointment = _book(
                session.patient,
                kind=AppointmentKind.SESSION,
                start=start,
                minutes=None,
                chair=chair,
                staff=ordered,
                by=by,
                now=booked_at,
                planned=session,
            )
            if appointment is not None:
                free[chair.pk] = _quarter(appointment.ends_at + gap)


def _visit(
    clinic: Any,
    spec: tuple[str, str, int, time],
    day: date,
    staff: Sequence[Any],
    by: Any,
    booked_at: datetime,
) -> Appointment | None:
    mrn, kind, minutes, clock = spec
    patient = Patient.objects.filter(clinic=clinic, mrn=mrn).select_related("clinic").first()
    if patient is None:
        return None
    start = _at(day, clock, clinic.zone)
    when = min(booked_at, start)
    return _book(patient, kind=kind, start=start, minutes=minutes, chair=None, staff=staff, by=by, now=when)


def _last_open_day_before(clock: time, now: datetime, zone: Any) -> date:
    """The latest open day on which ``clock``, plus an hour, lies before ``now``."""
    day = now.astimezone(zone).date()
    for _ in range(8):
        if HOURS[day.weekday()] is not None and _at(day, clock, zone) + timedelta(hours=1) <= now:
            return day
        day -= timedelta(days=1)
    return day


def load_demo_appointments(clinic: Any, users: dict[str, Any], *, now: datetime | None = None) -> int:
    """Set the demo clinic's calendar and book its week; return how many appointments it holds."""
    now = now or timezone.now()
    prescriber, nurse = users["prescriber"], users["nurse"]
    # ``load_demo`` always passes the second nurse; a caller that has none (a test) gets the
    # prescriber as the second pair of hands.
    second = users.get("second_nurse") or prescriber
    desk = User.objects.filter(username="admin.demo", clinic=clinic).first() or prescriber
    _set_calendar(clinic, desk, now)
    existing = Appointment.objects.filter(clinic=clinic)
    if existing.exists():
        return existing.count()
    if values_for(clinic.pk).get(CHAIR_GAP_MIN) is None:
        log.warning("demo calendar not booked: the chair gap setting is not set")
        return 0
    gap = timedelta(minutes=int(values_for(clinic.pk)[CHAIR_GAP_MIN]))
    zone = clinic.zone
    today = now.astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    open_days = [d for d in (monday + timedelta(days=i) for i in range(7)) if HOURS[d.weekday()] is not None]
    booked_at = now - BOOKED_AHEAD
    staff = [nurse, second]
    _book_sessions(clinic, open_days, staff, desk, booked_at, gap)
    # The other visits: on the first open day from today (else this week's last), and the day after.
    ahead = [d for d in open_days if d >= today] or open_days[-1:]
    _visit(clinic, CONSULTATION, ahead[0], [prescriber], desk, booked_at)
    _visit(clinic, FOLLOW_UP, ahead[min(1, len(ahead) - 1)], staff, desk, booked_at)
    cancelled = _visit(clinic, CANCELLED, ahead[-1], [prescriber], desk, booked_at)
    if cancelled is not None:
        actions.cancel(cancelled, reason=CANCEL_REASON, by=desk, now=now)
    missed_on = _last_open_day_before(NO_SHOW[3], now, zone)
    missed_booked_at = _at(missed_on, NO_SHOW[3], zone) - BOOKED_AHEAD
    missed = _visit(clinic, NO_SHOW, missed_on, [nurse], desk, missed_booked_at)
    if missed is not None:
        actions.mark_no_show(missed, by=nurse, now=now)
    return Appointment.objects.filter(clinic=clinic).count()


def calendar_summary(clinic: Any) -> str:
    """The progress line's detail: chairs, and the appointments by status."""
    rows = Appointment.objects.filter(clinic=clinic)
    cancelled = rows.filter(status=AppointmentStatus.CANCELLED).count()
    missed = rows.filter(status=AppointmentStatus.NO_SHOW).count()
    chairs = Chair.objects.filter(clinic=clinic).count()
    return f"{chairs} chairs, {cancelled} cancelled, {missed} not attended"


__all__ = ["CHAIRS", "HOURS", "calendar_summary", "load_demo_appointments"]
