"""The outcomes part of ``ketapath remind`` (run daily from cron; every step is idempotent), and
each patient's one reminder message of the run.

A patient with an e-mail address, on record or on an active portal account (and an active
record), gets at most **one message per run**,
listing everything due: their booked appointments within the clinic's days ahead
(``reminders.session_days_before``; not set: no appointment or session reminder is sent), each with
its date and clock time in the clinic's time zone, its place and, for a treatment session, the
portal's preparation instructions; a planned session not yet booked, with its date only (as
before appointments had times); and the questionnaires due, with links to the pages. A cancelled
appointment is never reminded.

Each item is claimed first, in the same transaction as the sending (an
:class:`~ketapath.portal.models.AppointmentReminder` row unique per appointment and start time, a
:class:`~ketapath.outcomes.models.SessionReminder` row unique per session, the assignment's
``reminded_at``), so two runs at once cannot both send it and a failed send is tried again on the
next run. A moved appointment is reminded of its new time. The message names the clinic and links
to the pages; it carries no drug, dose or questionnaire name (someone else may read it). It
carries the portal's preparation text, so it sits in the portal layer, above the apps it reads.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ketapath.accounts.models import Clinic
from ketapath.appointments import queries as calendar
from ketapath.appointments.models import Appointment, AppointmentKind
from ketapath.clinic_settings.display import clock, day, display_for, shown_as
from ketapath.clinic_settings.values import values_for
from ketapath.outcomes import events
from ketapath.outcomes.clinic_choices import REMIND_DAYS_BEFORE
from ketapath.outcomes.followups import sync_follow_ups
from ketapath.outcomes.models import SessionReminder
from ketapath.outcomes.responders import statuses_for
from ketapath.patients.models import Patient, reachable_by_email
from ketapath.portal.appointments import KIND_WORDS, booked_preparation, place_words, preparations
from ketapath.portal.models import AppointmentReminder
from ketapath.portal.preparation import Preparation, as_text
from ketapath.questionnaires.models import QuestionnaireAssignment
from ketapath.questionnaires.reminders import claim_reminder, due_for_reminder


@dataclass
class SessionReminders:
    """What one run sent: ``sent`` messages (one per patient at most), and the items they listed."""

    sent: int = 0
    appointments: int = 0
    sessions: int = 0
    questionnaires: int = 0
    clinics_not_set: list[str] = field(default_factory=list)


@dataclass
class _Due:
    """What one patient is to be reminded of in this run."""

    patient: Patient
    appointments: list[Appointment] = field(default_factory=list)
    sessions: list[events.Appointment] = field(default_factory=list)
    questionnaires: list[QuestionnaireAssignment] = field(default_factory=list)


def _page_url(name: str) -> str:
    """The page a message is about, at the address users open KetaPath at."""
    return f"{settings.KETAPATH_SITE_URL}{reverse(name)}"


def _when(appointment: Appointment, clinic: Clinic) -> str:
    starts = calendar.local(appointment.starts_at, clinic)
    ends = calendar.local(appointment.ends_at, clinic)
    return (
        f"{day(starts, 'long', localize=False)} at {clock(starts, localize=False)} "
        f"(until about {clock(ends, localize=False)})"
    )


def _for_patient(prep: Preparation) -> Preparation:
    """The instructions without the medicines the patient listed: a medicine's name is a clinical
    detail (the patient's own page shows them)."""
    return replace(prep, listed_medicines=())


def _appointment_text(patient: Patient, due: _Due) -> list[str]:
    clinic = patient.clinic
    lines: list[str] = []
    for appointment in due.appointments:
        words = next((w for k, w in KIND_WORDS.items() if k == appointment.kind), "Appointment")
        what = words.split(":")[0]  # "Follow-up visit", without the explanation after it
        lines.append(f"{what}: {_when(appointment, clinic)}.")
        if appointment.moved_from is not None:
            was = calendar.local(appointment.moved_from, clinic)
            lines.append(
                f"Your clinic moved this appointment: it was on {day(was, 'long', localize=False)} at "
                f"{clock(was, localize=False)}."
            )
        lines.append(f"Place: {place_words(appointment, clinic)}.")
        prep = booked_preparation(patient, appointment)  # clock times counted back from the start
        if prep is not None:
            lines += ["", as_text(_for_patient(prep))]
        lines.append("")
    for prep in preparations(patient, due.sessions):
        lines += [as_text(_for_patient(prep)), "Your clinic will confirm the time.", ""]
    return lines


def _subject(patient: Patient, due: _Due) -> str:
    clinic = patient.clinic
    count = len(due.appointments) + len(due.sessions)
    if count == 0:
        return f"{clinic.name}: a questionnaire is waiting for you"
    if count > 1:
        subject = f"{clinic.name}: your next appointments"
    elif due.appointments:
        appointment = due.appointments[0]
        starts = calendar.local(appointment.starts_at, clinic)
        noun = "session" if appointment.kind == AppointmentKind.SESSION else "appointment"
        on = day(starts, "long short", localize=False)
        subject = f"{clinic.name}: your {noun} on {on} at {clock(starts, localize=False)}"
    else:
        subject = f"{clinic.name}: your session on {day(due.sessions[0].on, 'long short')}"
    return subject + (", and a questionnaire" if due.questionnaires else "")


def _message(patient: Patient, due: _Due) -> str:
    clinic = patient.clinic
    urgent = (
        f"call {clinic.emergency_number}" if clinic.emergency_number else "call your local emergency number"
    )
    lines = [f"Dear {patient.given_name},", ""]
    if due.appointments or due.sessions:
        lines += [
            f"This is a reminder from {clinic.name} of your next appointments, and how to prepare "
            f"for them. Times are the clinic's local time.",
            "",
        ]
        lines += _appointment_text(patient, due)
        lines += [
            "You can read these instructions at any time in your KetaPath pages:",
            _page_url("portal:appointments"),
            "",
        ]
    if due.questionnaires:
        # No questionnaire's name: a name such as a depression scale's is a clinical detail.
        many = len(due.questionnaires) > 1
        lines += [
            f"{clinic.name} asks you to fill in {len(due.questionnaires) if many else 'a'} "
            f"questionnaire{'s' if many else ''}. {'They are' if many else 'It is'} waiting for you here:",
            _page_url("portal:questionnaires"),
            "",
        ]
    lines.append(f"If you need help urgently, do not wait for the clinic to reply: {urgent}.")
    return "\n".join(lines)


def _claimed(patient: Patient, due: _Due, now: datetime) -> _Due | None:
    """Claim each item (inside the sending transaction); None when another run claimed them all."""
    kept = _Due(patient)
    for appointment in due.appointments:
        try:
            with transaction.atomic():
                AppointmentReminder.objects.create(
                    appointment=appointment,
                    starts_at=appointment.starts_at,
                    patient=patient,
                    sent_to=patient.reminder_address,
                    sent_at=now,
                )
        except IntegrityError:  # claimed by another run at the same moment
            continue
        kept.appointments.append(appointment)
    for session in due.sessions:
        try:
            with transaction.atomic():
                SessionReminder.objects.create(
                    session_key=session.key,
                    patient=patient,
                    session_on=session.on,
                    sent_to=patient.reminder_address,
                    sent_at=now,
                )
        except IntegrityError:
            continue
        kept.sessions.append(session)
    kept.questionnaires = [q for q in due.questionnaires if claim_reminder(q.pk, now)]
    if kept.appointments or kept.sessions or kept.questionnaires:
        return kept
    return None


def _gather_clinic(
    clinic: Clinic, days: int, today: date, now: datetime, found: dict[int, _Due], sent_keys: set[str]
) -> None:
    """Add the clinic's booked appointments and unbooked planned sessions due within ``days``."""
    rows = (
        Patient.objects.active().filter(reachable_by_email(), clinic=clinic).select_related("clinic", "user")
    )
    patients = {p.pk: p for p in rows}
    if not patients:
        return
    until = today + timedelta(days=days)
    start, _ = calendar.day_bounds(today, clinic)
    _, end = calendar.day_bounds(until, clinic)
    upcoming = events.upcoming_appointments(list(patients), today)
    session_ids = [e.planned_session_id for items in upcoming.values() for e in items]
    in_window = calendar.between(clinic.pk, start, end)  # every status, cancelled ones included
    # A session with an appointment is reminded by it, at its time; one whose appointment in the
    # window was cancelled (or missed) is not reminded at all.
    has_appointment = set(calendar.for_sessions(session_ids)) | {
        a.planned_session_id for a in in_window if a.planned_session_id is not None
    }
    booked = [a for a in in_window if a.patient_id in patients and a.is_booked and a.starts_at >= now]
    reminded = set(
        AppointmentReminder.objects.filter(appointment__in=[a.pk for a in booked]).values_list(
            "appointment_id", "starts_at"
        )
    )
    for appointment in booked:
        if (appointment.pk, appointment.starts_at) in reminded:
            continue
        due = found.setdefault(appointment.patient_id, _Due(patients[appointment.patient_id]))
        due.appointments.append(appointment)
    for patient_id, items in upcoming.items():
        for session in items:
            has_one = session.planned_session_id in has_appointment
            if session.on > until or session.key in sent_keys or has_one:
                continue
            found.setdefault(patient_id, _Due(patients[patient_id])).sessions.append(session)


def remind_upcoming_sessions(today: date, *, now: datetime | None = None) -> SessionReminders:
    """E-mail each patient one message listing everything due (see the module's docstring)."""
    now = now or timezone.now()
    result = SessionReminders()
    found: dict[int, _Due] = {}
    sent_keys = set(
        SessionReminder.objects.filter(session_on__gte=today).values_list("session_key", flat=True)
    )
    for clinic in Clinic.objects.order_by("pk"):
        days = values_for(clinic.pk).get(REMIND_DAYS_BEFORE)
        if days is None:
            result.clinics_not_set.append(clinic.name)
            continue
        # The clinic's own date at ``now`` (``today`` is the server's): a clinic a day ahead of the
        # server counts its days ahead from its own tomorrow.
        clinic_today = today + (timezone.localdate(now, clinic.zone) - timezone.localdate(now))
        _gather_clinic(clinic, int(days), clinic_today, now, found, sent_keys)
    questionnaires: dict[int, list[QuestionnaireAssignment]] = defaultdict(list)
    for assignment in due_for_reminder(today):
        questionnaires[assignment.patient_id].append(assignment)
        found.setdefault(assignment.patient_id, _Due(assignment.patient))
    for patient_id in sorted(found):
        due = found[patient_id]
        due.questionnaires = questionnaires.get(patient_id, [])
        with transaction.atomic():
            kept = _claimed(due.patient, due, now)
            if kept is None:
                continue
            # Dates and times in the clinic's own date order and clock, as on its pages.
            with shown_as(display_for(kept.patient.clinic_id)):
                subject, message = _subject(kept.patient, kept), _message(kept.patient, kept)
            send_mail(
                subject=subject,
                message=message,
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[kept.patient.reminder_address],
            )
        result.sent += 1
        result.appointments += len(kept.appointments)
        result.sessions += len(kept.sessions)
        result.questionnaires += len(kept.questionnaires)
    return result


def run_outcomes(today: date, *, now: datetime | None = None) -> list[str]:
    """Create the follow-up questionnaires due, send session reminders, refresh responder status.

    The reminders run after the follow-ups are made, so a follow-up due today is in the same
    run's message (each patient gets one message per run; each item is still reminded once). The
    responder statuses are refreshed so the cohort report opens warm.
    """
    now = now or timezone.now()
    synced = sync_follow_ups(today, now=now)
    sessions = remind_upcoming_sessions(today, now=now)
    refreshed = 0
    for clinic in Clinic.objects.order_by("pk"):
        ids = Patient.objects.active().filter(clinic=clinic).values("pk")
        refreshed += statuses_for(ids, events.courses(ids)).recomputed
    lines = [
        f"remind: {synced.created} follow-up questionnaire(s) assigned, {synced.closed} closed by a newer "
        f"session",
        f"remind: {sessions.sent} reminder message(s) sent, one per patient at most: "
        f"{sessions.appointments} appointment(s), {sessions.sessions} session(s) without a time yet, "
        f"{sessions.questionnaires} questionnaire(s)",
        f"remind: {refreshed} responder status(es) recomputed",
    ]
    for clinic_id, parts in sorted(synced.not_set.items()):
        name = Clinic.objects.filter(pk=clinic_id).values_list("name", flat=True).first()
        lines.append(f"remind: {name}: clinic setting not set: {'; '.join(parts)}")
    if sessions.clinics_not_set:
        lines.append(
            "remind: appointment and session reminders not sent (clinic setting not set) for: "
            + ", ".join(sessions.clinics_not_set)
        )
    return lines
