"""The patient's appointments and the preparation instructions for each (shared by the
portal's pages, the calendar file and the reminder e-mails), and the patient's request to change
an appointment.

- :func:`visits`: what the appointments page lists, by time: each booked appointment with its
  date, start and end on the clinic's clock (``clinic.zone``), place, length and kind in plain
  words, and for a treatment session its preparation counted back from the start; a cancelled one
  marked so, without preparation; a planned session with no appointment yet by its date alone.
- :func:`request_change`: the patient asks to move a booked appointment; it reaches the care
  team as an alert on that appointment, in the patient's own words. The form's one-time key makes
  a double submit raise one alert.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from ketapath.alerts.actions import raise_alert
from ketapath.alerts.models import Alert, AlertStatus
from ketapath.appointments import queries
from ketapath.appointments.models import Appointment, AppointmentKind, AppointmentStatus
from ketapath.audit.refusals import ActionRefused
from ketapath.clinic_settings.display import display_for, moment
from ketapath.clinic_settings.values import values_for
from ketapath.consultations.queries import intake_for
from ketapath.outcomes import events
from ketapath.patients.models import Patient
from ketapath.plans.models import PlannedSession
from ketapath.portal.preparation import Preparation, preparation_for

# The infusion flowsheet's settings (``ketapath.infusions.settings_specs``): the patient is told
# what the nurse will check.
FASTING_SETTING = "fasting.ruleset"
ESCORT_SETTING = "discharge.requires_escort"

# What each kind of appointment is, in the patient's words.
KIND_WORDS: dict[str, str] = {
    AppointmentKind.SESSION: "Treatment session",
    AppointmentKind.CONSULTATION: "Consultation: a talk with your care team",
    AppointmentKind.FOLLOW_UP: "Follow-up visit: to see how you are doing",
}

# The patient's request to change an appointment: an alert on the appointment, one per form sent.
CHANGE_RULE = "appointment-change-request"
# A few sentences: when the patient cannot come and which days suit them (a length guard).
CHANGE_TEXT_MAX = 500


def _listed_medicines(patient: Patient) -> str:
    record = intake_for(patient)
    return record.current_medications if record is not None else ""


class _Preparer:
    """Preparation for a patient's sessions, reading the clinic's settings, the intake and each
    protocol once."""

    def __init__(self, patient: Patient) -> None:
        self.patient = patient
        values = values_for(patient.clinic_id)
        escort = values.get(ESCORT_SETTING)
        ruleset = values.get(FASTING_SETTING)
        self.escort = None if escort is None else escort == "yes"
        self.ruleset = None if ruleset is None else str(ruleset)
        self.protocols: dict[str, Any] = {}
        self._medicines: str | None = None

    def __call__(self, on: date, starts_at: datetime | None, protocol_id: str) -> Preparation:
        if protocol_id not in self.protocols:
            self.protocols[protocol_id] = events.protocol_for(self.patient.clinic_id, protocol_id)
        if self._medicines is None:
            self._medicines = _listed_medicines(self.patient)
        return preparation_for(
            on=on,
            # The start on the clinic's clock: the clock times are counted back from it.
            starts_at=starts_at,
            protocol=self.protocols[protocol_id],
            clinic_ruleset=self.ruleset,
            clinic_escort=self.escort,
            medicines_text=self._medicines,
        )


def preparations(patient: Patient, appointments: list[events.Appointment]) -> list[Preparation]:
    """The instructions for each planned session, by its date alone (no start time yet: the
    instructions say "N hours before")."""
    prepare = _Preparer(patient)
    return [prepare(a.on, None, a.protocol_id) for a in appointments]


def booked_preparation(patient: Patient, appointment: Appointment) -> Preparation | None:
    """The instructions for one booked treatment session, with clock times counted back from its
    start in the clinic's zone; None for a cancelled appointment or one that is not a session."""
    if not appointment.is_booked or appointment.kind != AppointmentKind.SESSION:
        return None
    protocol_id = _protocols([appointment]).get(appointment.pk, "")
    local = queries.local(appointment.starts_at, patient.clinic)
    return _Preparer(patient)(local.date(), local, protocol_id)


def duration_words(minutes: int) -> str:
    """An appointment's length in plain words.

    >>> duration_words(160), duration_words(60), duration_words(45), duration_words(61)
    ('about 2 hours 40 minutes', 'about 1 hour', 'about 45 minutes', 'about 1 hour 1 minute')
    """
    hours, rest = divmod(minutes, 60)
    parts = [f"{hours} hour{'s' if hours != 1 else ''}"] if hours else []
    parts += [f"{rest} minute{'s' if rest != 1 else ''}"] if rest or not hours else []
    return "about " + " ".join(parts)


def place_words(appointment: Appointment, clinic: Any) -> str:
    """The clinic, and the chair or room when one is booked."""
    return f"{clinic.name}, {appointment.chair.name}" if appointment.chair is not None else clinic.name


@dataclass(frozen=True)
class Visit:
    """One row of the patient's appointments page."""

    key: str  # unique on the page (the headings' ids)
    on: date  # the clinic's local date
    starts_at: datetime | None  # on the clinic's clock; None: the clinic has not booked a time yet
    ends_at: datetime | None
    what: str  # the kind, in plain words
    detail: str  # "Session 3 of your course · weekly" for a session
    place: str
    length: str  # "about 2 hours 40 minutes"
    cancelled: bool
    appointment_id: int | None
    prep: Preparation | None  # None: cancelled, or not a treatment session
    change_asked_at: datetime | None = None  # an open request to change it, when the patient sent one
    can_ask_change: bool = False
    moved_from: datetime | None = None  # on the clinic's clock: the time before the clinic moved it


def _protocols(appointments: Iterable[Appointment]) -> dict[int, str]:
    """appointment id -> its plan's protocol, for the sessions (one query)."""
    by_session = {a.planned_session_id: a.pk for a in appointments if a.planned_session_id is not None}
    if not by_session:
        return {}
    rows = PlannedSession.objects.filter(pk__in=list(by_session)).values_list("pk", "plan__protocol_id")
    return {by_session[pk]: protocol_id for pk, protocol_id in rows}


def _session_detail(number: int, phase: str) -> str:
    return f"Session {number} of your course" + (f" · {phase}" if phase else "")


def open_change_requests(appointment_ids: list[int]) -> dict[int, datetime]:
    """appointment id -> when the patient last asked to change it, while the care team has not yet
    recorded what they did (one query)."""
    if not appointment_ids:
        return {}
    rows = (
        Alert.objects.active()
        .filter(
            origin_type=ContentType.objects.get_for_model(Appointment),
            origin_id__in=appointment_ids,
            rule_id__startswith=f"{CHANGE_RULE}:",
            status=AlertStatus.OPEN,
        )
        .values_list("origin_id", "raised_at")
        .order_by("raised_at")
    )
    return {origin_id: raised_at for origin_id, raised_at in rows if origin_id is not None}


def visits(patient: Patient, now: datetime, *, limit: int | None = None) -> list[Visit]:
    """The patient's appointments still to come, by time (a fixed number of queries)."""
    clinic = patient.clinic
    zone = clinic.zone
    today = now.astimezone(zone).date()
    booked = [
        a
        for a in queries.upcoming_for(patient, now)
        if a.status != AppointmentStatus.NO_SHOW and a.ends_at > now
    ]
    planned = events.upcoming_appointments([patient.pk], today).get(patient.pk, [])
    by_session = {p.planned_session_id: p for p in planned}
    protocols = _protocols(a for a in booked if a.planned_session_id not in by_session)
    asked = open_change_requests([a.pk for a in booked if a.is_booked])
    prepare = _Preparer(patient)
    rows: list[tuple[tuple[date, int, datetime | None], Visit]] = []
    for a in booked:
        start, end = a.starts_at.astimezone(zone), a.ends_at.astimezone(zone)
        session = by_session.get(a.planned_session_id) if a.planned_session_id is not None else None
        planned_session = a.planned_session
        detail = (
            _session_detail(planned_session.number, planned_session.phase_label)
            if planned_session is not None
            else ""
        )
        protocol_id = session.protocol_id if session is not None else protocols.get(a.pk)
        prep = None
        if a.is_booked and a.kind == AppointmentKind.SESSION and protocol_id is not None:
            prep = prepare(start.date(), start, protocol_id)
        visit = Visit(
            key=f"appt-{a.pk}",
            on=start.date(),
            starts_at=start,
            ends_at=end,
            what=KIND_WORDS.get(a.kind, "Appointment"),
            detail=detail,
            place=place_words(a, clinic),
            length=duration_words(a.duration_min),
            cancelled=a.status == AppointmentStatus.CANCELLED,
            appointment_id=a.pk,
            prep=prep,
            change_asked_at=asked.get(a.pk),
            can_ask_change=a.is_booked and a.starts_at > now,
            moved_from=a.moved_from.astimezone(zone) if a.moved_from and a.is_booked else None,
        )
        rows.append(((visit.on, 0, start), visit))
    # A planned session with an appointment (booked or cancelled) is shown by that appointment.
    shown = {a.planned_session_id for a in booked if a.planned_session_id is not None}
    for p in planned:
        if p.planned_session_id in shown:
            continue
        visit = Visit(
            key=f"session-{p.planned_session_id}",
            on=p.on,
            starts_at=None,
            ends_at=None,
            what=KIND_WORDS[AppointmentKind.SESSION],
            detail=_session_detail(p.number, p.phase_label),
            place=clinic.name,
            length="",
            cancelled=False,
            appointment_id=None,
            prep=prepare(p.on, None, p.protocol_id),
        )
        rows.append(((p.on, 1, None), visit))
    rows.sort(key=lambda row: (row[0][0], row[0][1], row[0][2] or now))
    found = [visit for _, visit in rows]
    return found if limit is None else found[:limit]


class ChangeRefused(ActionRefused):
    """A request to change an appointment that cannot be sent (empty, too long, cancelled, past)."""


def _when(appointment: Appointment, clinic: Any) -> str:
    local = queries.local(appointment.starts_at, clinic)
    return moment(local, "weekday", using=display_for(clinic.pk), localize=False)


def request_change(
    patient: Patient,
    appointment: Appointment,
    *,
    words: str,
    key: uuid.UUID,
    now: datetime | None = None,
) -> tuple[Alert, bool]:
    """Send the patient's request to change a booked appointment to the care team: an alert on
    the appointment, with the patient's words. Returns (alert, created); the same form sent again
    (the same ``key``) returns the first alert. The appointment itself is not changed: the clinic
    moves it (``appointments.actions.reschedule``) once they have agreed a time with the patient.
    """
    now = now or timezone.now()
    words = words.strip()
    if not words:
        raise ChangeRefused("Tell your clinic why, or which days and times suit you.", field="reason")
    if len(words) > CHANGE_TEXT_MAX:
        raise ChangeRefused(f"Keep it to {CHANGE_TEXT_MAX} characters or fewer.", field="reason")
    if appointment.patient_id != patient.pk:
        raise ChangeRefused("This is not one of your appointments.")
    if not appointment.is_booked:
        raise ChangeRefused("This appointment is no longer booked, so there is nothing to change.")
    if appointment.starts_at <= now:
        raise ChangeRefused("This appointment has already started. Call your clinic instead.")
    clinic = patient.clinic
    rule_id = f"{CHANGE_RULE}:{key}"
    what = KIND_WORDS.get(appointment.kind, "Appointment").split(":")[0].lower()
    with transaction.atomic():
        existed = Alert.objects.filter(
            origin_type=ContentType.objects.get_for_model(Appointment),
            origin_id=appointment.pk,
            rule_id=rule_id,
        ).exists()
        alert = raise_alert(
            patient=patient,
            origin=appointment,
            origin_label="Request to change an appointment, from the patient's pages",
            rule_id=rule_id,
            severity="low",
            audience="care-team",
            routing="Contact the patient to agree a new time, then move the appointment",
            message=(
                f"Patient asks to change their {what} on {_when(appointment, clinic)} "
                f"({place_words(appointment, clinic)}). In their words: “{words}”"
            )[:2000],
            now=now,
        )
    return alert, not existed
