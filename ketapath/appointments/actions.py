"""Every change to the clinic's calendar: booking, moving, cancelling, marking a no-show, and the
calendar's own settings (time zone, opening hours, chairs).

Each action takes ``now``, checks the slot with ``ketapath.clinical.chair_time`` against the
clinic's hours and every booked appointment, holds the clinic's row locked while it writes (two
bookings of the same chair at once are serialised), writes history naming who and why, and on a
refusal raises :class:`AppointmentRefused` with the message at its field: nothing is saved.

A session booked or moved to another day keeps the clinic's minimum gap in days between two of the
patient's sessions (``ketapath.plans.limits.MIN_GAP``): the plan was checked against it when it was
scheduled, and a new day must not undo that. While the clinic has not set it, no session is booked
or moved (safety fails closed); consultations and follow-up visits do not read it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import Any, Final
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ketapath.accounts.models import Clinic, validate_time_zone
from ketapath.appointments import queries
from ketapath.appointments.models import (
    MAX_DURATION,
    MIN_DURATION,
    NAME_MAX,
    REASON_MAX,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Chair,
    OpeningHours,
)
from ketapath.appointments.settings_specs import CHAIR_GAP_MIN, OBSERVATION_MIN
from ketapath.audit.history import note_change
from ketapath.audit.refusals import ActionRefused
from ketapath.clinic_settings.values import values_for
from ketapath.clinical import chair_time
from ketapath.clinical.chair_time import Booking, Opening
from ketapath.patients.models import Patient
from ketapath.plans.library import clinic_protocol
from ketapath.plans.limits import GROUP as PLAN_SETTINGS_GROUP
from ketapath.plans.limits import MIN_GAP, clinic_dosing, setting_specs
from ketapath.plans.models import PlannedSession, SessionStatus, TreatmentPlan


class AppointmentRefused(ActionRefused):
    """A calendar change the rules refuse: nothing was saved."""


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


#: ``reschedule(..., nurse=KEEP)`` keeps the appointment's nurse.
KEEP: Final = _Keep()


@dataclass
class Proposal:
    """A proposed time for one planned session (None when no room was found; ``problems`` say why)."""

    planned_session: PlannedSession
    starts_at: datetime | None
    chair: Chair | None
    problems: list[str] = field(default_factory=list)


# --- What the rules read ---------------------------------------------------------------------------


def _hours(clinic_id: int) -> dict[int, Opening]:
    return {h.weekday: Opening(h.opens, h.closes) for h in queries.opening_hours_of(clinic_id)}


def _gap(clinic_id: int) -> timedelta:
    value = values_for(clinic_id).get(CHAIR_GAP_MIN)
    if value is None:
        raise AppointmentRefused(
            "Set the clinic's gap kept free in a chair between two appointments (Clinic settings, "
            "Appointments) before booking."
        )
    return timedelta(minutes=int(value))


def _min_gap_days(clinic_id: int, doing: str) -> int:
    """The clinic's minimum days between two of a patient's sessions. No source gives it: while the
    clinic has not set it, booking or moving a session stops and names the setting."""
    days = clinic_dosing(values_for(clinic_id)).min_gap_days
    if days is None:
        spec = next((s for s in setting_specs() if s.name == MIN_GAP), None)
        label = spec.label if spec is not None else "Minimum days between two sessions"
        group = (spec.group if spec is not None else "") or PLAN_SETTINGS_GROUP
        raise AppointmentRefused(
            f"Set the clinic's {label[:1].lower()}{label[1:]} (Clinic settings, {group}) before {doing}."
        )
    return days


def _days(count: int) -> str:
    return "1 day" if count == 1 else f"{count} days"


def _day_text(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B}"


def _too_close(number: int, day: date, other_number: int, other_day: date, min_gap: int) -> str:
    """Why session ``number`` on ``day`` is too close to session ``other_number`` (no full stop)."""
    apart = (day - other_day).days
    if apart == 0:
        where = "on the same day as"
    else:
        where = f"{_days(abs(apart))} {'after' if apart > 0 else 'before'}"
    return (
        f"Session {number} would be {where} session {other_number} ({_day_text(other_day)}); "
        f"the clinic's minimum gap between sessions is {_days(min_gap)}"
    )


def _check_session_gaps(patient_id: int, placed: Mapping[int, date], min_gap: int) -> None:
    """Refuse when a session given a new day (``placed``: planned session id to its new local day)
    would be closer than ``min_gap`` days to another of the patient's scheduled sessions.

    Every other session is at its planned date (which follows its appointment); the sessions placed
    together are at their new days. Only neighbours in time need comparing: if two sessions are too
    close, so is each pair of neighbours from one to the other. A pair neither of which is placed
    now is left alone (this change did not make it)."""
    if not placed:
        return
    sessions = (
        PlannedSession.objects.active()
        .filter(patient_id=patient_id)
        .filter(Q(status=SessionStatus.SCHEDULED) | Q(pk__in=list(placed)))
        .values_list("pk", "number", "planned_on")
    )
    days = sorted((placed.get(pk, on), number, pk) for pk, number, on in sessions)
    for (a_day, a_number, a_pk), (b_day, b_number, b_pk) in pairwise(days):
        if (b_day - a_day).days >= min_gap:
            continue
        if b_pk in placed:
            message = _too_close(b_number, b_day, a_number, a_day, min_gap)
        elif a_pk in placed:
            message = _too_close(a_number, a_day, b_number, b_day, min_gap)
        else:
            continue
        # At the start time's field: every booking form has one (a course row has no date field).
        raise AppointmentRefused(message + ".", field="starts_at")


def _label(appointment: Appointment) -> str:
    patient = appointment.patient
    return f"{patient.given_name} {patient.family_name} ({appointment.get_kind_display().lower()})"


def _bookings(clinic_id: int, start: datetime, end: datetime) -> list[Booking]:
    return [
        Booking(a.starts_at, a.ends_at, a.chair_id, a.nurse_id, a.pk, _label(a), a.patient_id)
        for a in queries.booked_between(clinic_id, start - timedelta(hours=1), end + timedelta(hours=1))
    ]


def _lock_clinic(clinic_id: int) -> Clinic:
    """The clinic's row, locked: one calendar change of a clinic at a time."""
    return Clinic.objects.select_for_update().get(pk=clinic_id)


def _refuse(problems: Sequence[chair_time.Problem], prefix: str = "") -> None:
    if problems:
        first = problems[0]
        raise AppointmentRefused(prefix + first.message, [p.message for p in problems], field=first.field)


def _check(
    clinic: Clinic,
    start: datetime,
    minutes: int,
    *,
    chair: Chair | None,
    nurse: Any,
    now: datetime,
    ignore: frozenset[int] = frozenset(),
    extra: Sequence[Booking] = (),
    chair_required: bool,
    prefix: str = "",
    patient: int | None = None,
) -> None:
    if chair is not None and (chair.clinic_id != clinic.pk or not chair.active):
        raise AppointmentRefused("Choose one of the clinic's active chairs.", field="chair")
    if nurse is not None and (getattr(nurse, "clinic_id", None) != clinic.pk or not nurse.is_active):
        raise AppointmentRefused("Choose a member of the clinic's staff.", field="nurse")
    if not MIN_DURATION <= minutes <= MAX_DURATION:
        raise AppointmentRefused(
            f"An appointment lasts from {MIN_DURATION} to {MAX_DURATION} minutes.", field="duration_min"
        )
    bookings = [*_bookings(clinic.pk, start, start + timedelta(minutes=minutes)), *extra]
    problems = chair_time.slot_problems(
        start,
        minutes,
        zone=clinic.zone,
        hours=_hours(clinic.pk),
        chair=chair.pk if chair is not None else None,
        nurse=nurse.pk if nurse is not None else None,
        bookings=bookings,
        gap=_gap(clinic.pk),
        now=now,
        ignore=ignore,
        chair_required=chair_required,
        patient=patient,
    )
    _refuse(problems, prefix)


def session_minutes(planned_session: PlannedSession) -> int:
    """A session's appointment: the infusion (or the dose and its monitoring) plus the observation
    after it: the protocol's own minimum, else the clinic's discharge setting."""
    plan = planned_session.plan
    entry = clinic_protocol(planned_session.patient.clinic_id, plan.protocol_id)
    observation = entry.protocol.monitoring.min_observation_min if entry is not None else None
    if observation is None:
        value = values_for(planned_session.patient.clinic_id).get(OBSERVATION_MIN)
        if value is None:
            raise AppointmentRefused(
                "Set the clinic's observation after a session (Clinic settings, discharge) before "
                "booking a session: the appointment's length depends on it."
            )
        observation = int(value)
    infusion = math.ceil(planned_session.duration_min or 0)
    return max(MIN_DURATION, min(MAX_DURATION, infusion + int(observation)))


# --- Booking ---------------------------------------------------------------------------------------


def book(
    patient: Patient,
    *,
    kind: str,
    starts_at: datetime,
    chair: Chair | None,
    by: Any,
    duration_min: int | None = None,
    nurse: Any = None,
    planned_session: PlannedSession | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Book one appointment (a session's needs its planned session and a chair)."""
    now = now or timezone.now()
    min_gap: int | None = None
    if kind not in AppointmentKind.values:
        raise AppointmentRefused("Choose the kind of appointment.", field="kind")
    if kind == AppointmentKind.SESSION:
        if planned_session is None or planned_session.patient_id != patient.pk:
            raise AppointmentRefused("A session is booked for one of the patient's planned sessions.")
        if planned_session.status != SessionStatus.SCHEDULED or planned_session.is_entered_in_error:
            raise AppointmentRefused("That planned session is not scheduled any more.")
        min_gap = _min_gap_days(patient.clinic_id, "booking a session")
        duration_min = session_minutes(planned_session)
    elif duration_min is None:
        raise AppointmentRefused("Give the appointment's length.", field="duration_min")
    if patient.is_entered_in_error:
        raise AppointmentRefused("This chart is marked entered in error: nothing is booked for it.")
    with transaction.atomic():
        clinic = _lock_clinic(patient.clinic_id)
        if (
            planned_session is not None
            and Appointment.objects.active()
            .filter(planned_session=planned_session, status=AppointmentStatus.BOOKED)
            .exists()
        ):
            raise AppointmentRefused("That session is already booked: move its appointment instead.")
        _check(
            clinic,
            starts_at,
            duration_min,
            chair=chair,
            nurse=nurse,
            now=now,
            chair_required=kind == AppointmentKind.SESSION,
            patient=patient.pk,
        )
        if planned_session is not None and min_gap is not None:
            day = starts_at.astimezone(clinic.zone).date()
            _check_session_gaps(patient.pk, {planned_session.pk: day}, min_gap)
        appointment = Appointment(
            clinic=clinic,
            patient=patient,
            kind=kind,
            planned_session=planned_session,
            starts_at=starts_at,
            duration_min=duration_min,
            chair=chair,
            nurse=nurse,
            booked_by=by,
            booked_at=now,
        )
        note_change(appointment, f"Booked by {_name(by)}", by, when=now).save()
        if planned_session is not None:
            _session_follows(planned_session, starts_at, clinic.zone, by, now, "booked")
    return appointment


def _session_follows(
    session: PlannedSession, starts_at: datetime, zone: ZoneInfo, by: Any, now: datetime, how: str
) -> None:
    """A session's planned date is its appointment's (a closed day's session booked on an open day,
    or moved): the day's list, the flowsheet and the portal read the planned date."""
    day = starts_at.astimezone(zone).date()
    if session.planned_on != day:
        session.planned_on = day
        note_change(session, f"Date follows its appointment, {how} by {_name(by)}", by, when=now)
        session.save(update_fields=["planned_on"])


def _name(user: Any) -> str:
    return str(getattr(user, "display_name", None) or user)


def propose_course(
    plan: TreatmentPlan, *, at: time | None = None, now: datetime | None = None
) -> list[Proposal]:
    """A time and a chair for each of the plan's scheduled sessions not booked yet: on the session's
    date if the clinic is open then (else the nearest open day keeping the course's order and the
    clinic's minimum gap between sessions), at the first free place from ``at`` (or the opening
    time). A session on an open day too close to the one before it (moved off a closed day) gets no
    time: its problem says why."""
    now = now or timezone.now()
    clinic = plan.patient.clinic
    hours = _hours(clinic.pk)
    gap = _gap(clinic.pk)
    chairs = [c.pk for c in queries.chairs_of(clinic.pk)]
    by_pk = {c.pk: c for c in queries.chairs_of(clinic.pk)}
    sessions = list(
        PlannedSession.objects.active()
        .filter(plan=plan, status=SessionStatus.SCHEDULED)
        .select_related("plan", "patient")
        .order_by("planned_on", "number")
    )
    booked = queries.for_sessions(s.pk for s in sessions)
    today = timezone.localdate(now, clinic.zone)
    # A session whose date has passed was given (or missed) already: it is not booked now.
    todo = [s for s in sessions if s.pk not in booked and s.planned_on >= today]
    if not todo:
        return []
    first_day = min(s.planned_on for s in todo)
    last_day = max(s.planned_on for s in todo)
    min_gap = _min_gap_days(clinic.pk, "booking a session")
    # The course's order and the clinic's gap: at least a day apart (never two on one day, nor out
    # of order), at least the clinic's minimum when it is more.
    step = timedelta(days=max(1, min_gap))
    start, _ = queries.day_bounds(first_day - timedelta(days=chair_time.MAX_SHIFT_DAYS), clinic)
    _, end = queries.day_bounds(last_day + timedelta(days=chair_time.MAX_SHIFT_DAYS), clinic)
    bookings = _bookings(clinic.pk, start, end)
    proposals: list[Proposal] = []
    # The patient's other scheduled sessions (booked, past, of another plan version) stay where they
    # are: their planned date, which follows a booked one's appointment, is what booking checks.
    fixed = sorted(
        PlannedSession.objects.active()
        .filter(patient_id=plan.patient_id, status=SessionStatus.SCHEDULED)
        .exclude(pk__in=[s.pk for s in todo])
        .values_list("planned_on", "number")
    )
    # The day of the session proposed just before (its planned date when it got no time: it stays
    # there until someone books it).
    previous: tuple[date, int] | None = None
    for index, session in enumerate(todo):
        minutes = session_minutes(session)
        own = session.planned_on
        prev = max([*(f for f in fixed if f[0] <= own), *([previous] if previous else [])], default=None)
        next_fixed = min((f for f in fixed if f[0] > own), default=None)
        following = [next_fixed] if next_fixed else []
        if index + 1 < len(todo):
            following.append((todo[index + 1].planned_on, todo[index + 1].number))
        nxt = min(following, default=None)
        earliest = max(today, prev[0] + step) if prev else today
        if own.weekday() in hours:
            # Its own date is open: it stays on it. Too close to the one before (moved off a closed
            # day), or to a booked one after, it waits for a time by hand; a session after it that is
            # not booked yet is checked against it in its turn.
            too_close = None
            if prev is not None and own < earliest:
                too_close = prev
            elif next_fixed is not None and own > next_fixed[0] - step:
                too_close = next_fixed
            if too_close is not None:
                why = _too_close(session.number, own, too_close[1], too_close[0], min_gap)
                proposals.append(Proposal(session, None, None, [f"{why}: give it a time by hand."]))
                previous = (own, session.number)
                continue
            day: date | None = own
        else:
            # At least the gap before the following session's date.
            before = nxt[0] - step + timedelta(days=1) if nxt else None
            day = chair_time.open_day_near(own, hours, earliest=earliest, before=before)
        if day is None:
            proposals.append(
                Proposal(
                    session,
                    None,
                    None,
                    [
                        f"No open day within {chair_time.MAX_SHIFT_DAYS} days of {own:%A %d %b} keeps the "
                        f"course's order and the clinic's minimum gap between sessions ({_days(min_gap)}): "
                        "give it a time by hand."
                    ],
                )
            )
            previous = (own, session.number)
            continue
        found = chair_time.first_free(
            day,
            minutes,
            zone=clinic.zone,
            hours=hours,
            chairs=chairs,
            bookings=bookings,
            gap=gap,
            now=now,
            prefer=at,
            patient=plan.patient_id,
        )
        if found is None:
            proposals.append(
                Proposal(session, None, None, [f"No chair is free for {minutes} minutes on {day:%d %b %Y}."])
            )
            previous = (own, session.number)
            continue
        slot, chair_pk = found
        bookings.append(
            Booking(
                slot,
                slot + timedelta(minutes=minutes),
                chair_pk,
                None,
                None,
                "this course's session",
                plan.patient_id,
            )
        )
        previous = (day, session.number)
        notes = (
            []
            if day == session.planned_on
            else [f"Moved from {session.planned_on:%A %d %b}: the clinic is closed then."]
        )
        proposals.append(Proposal(session, slot, by_pk[chair_pk], notes))
    return proposals


def book_course(
    plan: TreatmentPlan,
    choices: Sequence[tuple[PlannedSession, datetime, Chair | None, Any]],
    *,
    by: Any,
    now: datetime | None = None,
) -> list[Appointment]:
    """Book the chosen times of a plan's sessions, all or none (each checked against the others too)."""
    now = now or timezone.now()
    made: list[Appointment] = []
    min_gap = _min_gap_days(plan.patient.clinic_id, "booking a session")
    with transaction.atomic():
        clinic = _lock_clinic(plan.patient.clinic_id)
        for session, *_ in choices:
            if session.plan_id != plan.pk:
                raise AppointmentRefused("A session of another plan was chosen: reload the page.")
            if (
                Appointment.objects.active()
                .filter(planned_session=session, status=AppointmentStatus.BOOKED)
                .exists()
            ):
                raise AppointmentRefused(
                    f"Session {session.number}: already booked: move its appointment instead."
                )
        # The chosen sessions at their new days together, before anything is written: the message
        # starts "Session 3 would be ...", which the page shows at that session's row.
        _check_session_gaps(
            plan.patient_id,
            {session.pk: starts_at.astimezone(clinic.zone).date() for session, starts_at, *_ in choices},
            min_gap,
        )
        extra: list[Booking] = []
        for session, starts_at, chair, nurse in choices:
            minutes = session_minutes(session)
            prefix = f"Session {session.number}: "
            _check(
                clinic,
                starts_at,
                minutes,
                chair=chair,
                nurse=nurse,
                now=now,
                extra=extra,
                chair_required=True,
                prefix=prefix,
                patient=plan.patient_id,
            )
            appointment = Appointment(
                clinic=clinic,
                patient=plan.patient,
                kind=AppointmentKind.SESSION,
                planned_session=session,
                starts_at=starts_at,
                duration_min=minutes,
                chair=chair,
                nurse=nurse,
                booked_by=by,
                booked_at=now,
            )
            note_change(appointment, f"Booked with the course by {_name(by)}", by, when=now).save()
            _session_follows(session, starts_at, clinic.zone, by, now, "booked")
            extra.append(
                Booking(
                    starts_at,
                    appointment.ends_at,
                    chair.pk if chair else None,
                    nurse.pk if nurse else None,
                    appointment.pk,
                    f"session {session.number} of this course",
                    plan.patient_id,
                )
            )
            made.append(appointment)
    return made


# --- Changes ---------------------------------------------------------------------------------------


def _rest_of_course(appointment: Appointment) -> list[Appointment]:
    """The booked appointments of the same plan after this one (this one first)."""
    session = appointment.planned_session
    if session is None:
        return [appointment]
    later = (
        Appointment.objects.active()
        .select_for_update(of=("self",))
        .filter(
            planned_session__plan_id=session.plan_id,
            status=AppointmentStatus.BOOKED,
            starts_at__gt=appointment.starts_at,
        )
        .order_by("starts_at")
    )
    return [appointment, *later]


def _locked(appointment: Appointment) -> Appointment:
    row = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("patient", "planned_session", "chair")
        .get(pk=appointment.pk)
    )
    if not row.is_booked:
        raise AppointmentRefused(f"This appointment is {row.get_status_display().lower()}: it cannot change.")
    return row


def reschedule(
    appointment: Appointment,
    *,
    starts_at: datetime,
    by: Any,
    chair: Chair | None = None,
    nurse: Any = KEEP,
    rest_of_course: bool = False,
    now: datetime | None = None,
) -> list[Appointment]:
    """Move an appointment (and, with ``rest_of_course``, the later ones of its course by the same
    wall-clock shift); all or none. A session's planned date follows its appointment."""
    now = now or timezone.now()
    with transaction.atomic():
        clinic = _lock_clinic(appointment.clinic_id)
        first = _locked(appointment)
        moving = _rest_of_course(first) if rest_of_course else [first]
        zone: ZoneInfo = clinic.zone
        old_local = first.starts_at.astimezone(zone).replace(tzinfo=None)
        new_local = starts_at.astimezone(zone).replace(tzinfo=None)
        shift = new_local - old_local
        ignore = frozenset(a.pk for a in moving)
        # Moving a session reads the clinic's minimum gap between sessions (stops while it is unset).
        min_gap = (
            _min_gap_days(clinic.pk, "moving a session")
            if any(row.planned_session_id is not None for row in moving)
            else None
        )
        extra: list[Booking] = []
        targets: list[tuple[Appointment, datetime, Chair | None, Any]] = []
        for row in moving:
            target = (
                starts_at
                if row.pk == first.pk
                else (
                    (row.starts_at.astimezone(zone).replace(tzinfo=None) + shift).replace(tzinfo=zone)
                ).astimezone(starts_at.tzinfo or zone)
            )
            new_chair = chair if (chair is not None and row.pk == first.pk) else row.chair
            new_nurse = (row.nurse if nurse is KEEP else nurse) if row.pk == first.pk else row.nurse
            prefix = "" if row.pk == first.pk else f"{target.astimezone(zone):%d %b %H:%M}: "
            _check(
                clinic,
                target,
                row.duration_min,
                chair=new_chair,
                nurse=new_nurse,
                now=now,
                ignore=ignore,
                extra=extra,
                chair_required=row.kind == AppointmentKind.SESSION,
                prefix=prefix,
                patient=row.patient_id,
            )
            extra.append(
                Booking(
                    target,
                    target + timedelta(minutes=row.duration_min),
                    new_chair.pk if new_chair else None,
                    new_nurse.pk if new_nurse else None,
                    None,
                    "another appointment of this course",
                    row.patient_id,
                )
            )
            targets.append((row, target, new_chair, new_nurse))
        if min_gap is not None:
            # The moved sessions at their new days together (moved the same number of days, they
            # keep their gaps between them); the first is checked against the one before it. A
            # session kept on its day (another time, chair or nurse) changes no gap: not checked,
            # so a clinic that raised its gap since can still change the hour of a booked session.
            placed = {
                row.planned_session.pk: day
                for row, target, *_ in targets
                if row.planned_session is not None
                and (day := target.astimezone(zone).date()) != row.planned_session.planned_on
            }
            _check_session_gaps(first.patient_id, placed, min_gap)
        for row, target, new_chair, new_nurse in targets:
            before = row.starts_at.astimezone(zone)
            if target != row.starts_at:
                row.moved_from = row.starts_at
            row.starts_at, row.chair, row.nurse = target, new_chair, new_nurse
            note_change(
                row,
                f"Moved from {before:%d %b %H:%M} to {target.astimezone(zone):%d %b %H:%M} by {_name(by)}",
                by,
                when=now,
            ).save()
            if row.planned_session is not None:
                _session_follows(row.planned_session, target, zone, by, now, "moved")
    return [row for row, *_ in targets]


def cancel(
    appointment: Appointment,
    *,
    reason: str,
    by: Any,
    rest_of_course: bool = False,
    now: datetime | None = None,
) -> list[Appointment]:
    """Cancel an appointment (and, with ``rest_of_course``, the later ones of its course), with a
    reason the patient sees. Its reminders are not sent. The planned session stays, unbooked."""
    now = now or timezone.now()
    reason = " ".join(reason.split())
    if not reason:
        raise AppointmentRefused("Give the reason for the cancellation.", field="status_reason")
    if len(reason) > REASON_MAX:
        raise AppointmentRefused(f"A reason has at most {REASON_MAX} characters.", field="status_reason")
    with transaction.atomic():
        _lock_clinic(appointment.clinic_id)
        first = _locked(appointment)
        rows = _rest_of_course(first) if rest_of_course else [first]
        for row in rows:
            row.status, row.status_reason = AppointmentStatus.CANCELLED, reason
            note_change(row, f"Cancelled by {_name(by)}: {reason}", by, when=now).save()
    return rows


def mark_no_show(appointment: Appointment, *, by: Any, now: datetime | None = None) -> Appointment:
    """The patient did not come (only once the appointment has started)."""
    now = now or timezone.now()
    with transaction.atomic():
        row = _locked(appointment)
        if row.starts_at > now:
            raise AppointmentRefused("An appointment still to come cannot be marked as not attended.")
        row.status = AppointmentStatus.NO_SHOW
        note_change(row, f"Marked as not attended by {_name(by)}", by, when=now).save()
    return row


# --- The calendar's settings ------------------------------------------------------------------------


def set_time_zone(clinic: Clinic, name: str, *, by: Any, now: datetime | None = None) -> Clinic:
    name = name.strip()
    try:
        validate_time_zone(name)
    except Exception as exc:  # ValidationError: its message for the field
        raise AppointmentRefused(
            f"{name!r} is not a time zone name (such as Europe/London).", field="time_zone"
        ) from exc
    with transaction.atomic():
        locked = _lock_clinic(clinic.pk)
        if locked.time_zone != name:
            locked.time_zone = name
            note_change(locked, f"Time zone set to {name or 'the server default'}", by, when=now).save()
    return locked


def set_opening_hours(
    clinic: Clinic, hours: Mapping[int, tuple[time, time] | None], *, by: Any, now: datetime | None = None
) -> None:
    """Each weekday's hours (None: closed). Opening must come before closing."""
    for weekday, span in hours.items():
        if not 0 <= weekday <= 6:
            raise AppointmentRefused("A weekday is 0 (Monday) to 6 (Sunday).")
        if span is not None and not span[0] < span[1]:
            raise AppointmentRefused(
                f"{chair_time.WEEKDAYS[weekday]}: the clinic must open before it closes.",
                field=f"day_{weekday}",
            )
    with transaction.atomic():
        _lock_clinic(clinic.pk)
        current = {h.weekday: h for h in OpeningHours.objects.select_for_update().filter(clinic=clinic)}
        for weekday, span in sorted(hours.items()):
            row = current.get(weekday)
            name = chair_time.WEEKDAYS[weekday]
            if span is None:
                if row is not None:
                    note_change(row, f"{name}: closed, by {_name(by)}", by, when=now)
                    row.delete()
                continue
            opens, closes = span
            if row is None:
                row = OpeningHours(clinic=clinic, weekday=weekday, opens=opens, closes=closes)
            elif (row.opens, row.closes) == (opens, closes):
                continue
            row.opens, row.closes = opens, closes
            note_change(row, f"{name}: {opens:%H:%M}-{closes:%H:%M}, by {_name(by)}", by, when=now).save()


def add_chair(clinic: Clinic, name: str, *, by: Any, now: datetime | None = None) -> Chair:
    name = " ".join(name.split())
    if not name:
        raise AppointmentRefused("Give the chair or room a name.", field="name")
    if len(name) > NAME_MAX:
        raise AppointmentRefused(f"A name has at most {NAME_MAX} characters.", field="name")
    with transaction.atomic():
        _lock_clinic(clinic.pk)
        if Chair.objects.filter(clinic=clinic, name__iexact=name).exists():
            raise AppointmentRefused("The clinic has a chair or room of that name already.", field="name")
        chair = Chair(clinic=clinic, name=name, created_at=now or timezone.now())
        note_change(chair, f"Added by {_name(by)}", by, when=now).save()
    return chair


def set_chair_active(chair: Chair, active: bool, *, by: Any, now: datetime | None = None) -> Chair:
    """Take a chair out of use (its booked appointments stay) or back into use."""
    with transaction.atomic():
        locked = Chair.objects.select_for_update().get(pk=chair.pk)
        if locked.active != active:
            locked.active = active
            state = "back in use" if active else "out of use"
            note_change(locked, f"Taken {state} by {_name(by)}", by, when=now).save()
    return locked


def local_day(moment: datetime, clinic: Clinic) -> date:
    return moment.astimezone(clinic.zone).date()
