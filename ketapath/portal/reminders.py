"""The outcomes part of ``ketapath remind`` (run daily from cron; every step is idempotent), and
the e-mail reminders of upcoming sessions with the portal's preparation instructions.

A clinic chooses how many days before a session the reminder goes (``reminders.session_days_before``;
not set: none is sent). The reminder is claimed first (a :class:`SessionReminder` row, unique per
session) in the same transaction as the sending, so two runs at once cannot both send it and a
failed send is tried again on the next run. The reminder carries the portal's preparation text,
so it sits in the portal layer, above the outcomes app it reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ketapath.accounts.models import Clinic
from ketapath.clinic_settings.values import values_for
from ketapath.outcomes import events
from ketapath.outcomes.clinic_choices import REMIND_DAYS_BEFORE
from ketapath.outcomes.followups import sync_follow_ups
from ketapath.outcomes.models import SessionReminder
from ketapath.outcomes.responders import statuses_for
from ketapath.patients.models import Patient
from ketapath.portal.appointments import preparations
from ketapath.portal.preparation import as_text
from ketapath.questionnaires.reminders import remind_due_questionnaires


@dataclass
class SessionReminders:
    sent: int = 0
    clinics_not_set: list[str] = field(default_factory=list)


def _page_url(name: str) -> str:
    """The page a message is about, at the address users open KetaPath at."""
    return f"{settings.KETAPATH_SITE_URL}{reverse(name)}"


def _message(patient: Patient, body: str) -> str:
    clinic = patient.clinic
    urgent = (
        f"call {clinic.emergency_number}" if clinic.emergency_number else "call your local emergency number"
    )
    return (
        f"Dear {patient.given_name},\n\n"
        "This is a reminder of your next session, and how to prepare for it.\n\n"
        f"{body}\n\n"
        "You can read these instructions at any time in your KetaPath pages:\n"
        f"{_page_url('portal:appointments')}\n"
        f"If you need help urgently, do not wait for the clinic to reply: {urgent}."
    )


def remind_upcoming_sessions(today: date, *, now: datetime | None = None) -> SessionReminders:
    """E-mail each patient's reminder of the sessions due within the clinic's days before."""
    now = now or timezone.now()
    result = SessionReminders()
    sent_keys = set(
        SessionReminder.objects.filter(session_on__gte=today).values_list("session_key", flat=True)
    )
    for clinic in Clinic.objects.order_by("pk"):
        days = values_for(clinic.pk).get(REMIND_DAYS_BEFORE)
        if days is None:
            result.clinics_not_set.append(clinic.name)
            continue
        patients = {
            p.pk: p
            for p in Patient.objects.active().filter(clinic=clinic).exclude(email="").select_related("clinic")
        }
        if not patients:
            continue
        upcoming = events.upcoming_appointments(list(patients), today)
        until = today + timedelta(days=int(days))
        for patient_id, appointments in upcoming.items():
            due = [a for a in appointments if a.on <= until and a.key not in sent_keys]
            if not due:
                continue
            patient = patients[patient_id]
            for appointment, prep in zip(due, preparations(patient, due), strict=True):
                try:
                    with transaction.atomic():
                        SessionReminder.objects.create(
                            session_key=appointment.key,
                            patient=patient,
                            session_on=appointment.on,
                            sent_to=patient.email,
                            sent_at=now,
                        )
                        send_mail(
                            subject=f"{clinic.name}: your session on {appointment.on:%A %d %B}",
                            message=_message(patient, as_text(prep)),
                            from_email=settings.DEFAULT_FROM_EMAIL,
                            recipient_list=[patient.email],
                        )
                except IntegrityError:  # claimed by another run at the same moment
                    continue
                result.sent += 1
    return result


def run_outcomes(today: date, *, now: datetime | None = None) -> list[str]:
    """Create the follow-up questionnaires due, send session reminders, refresh responder status.

    The questionnaire reminders run once more after the follow-ups are made, so a follow-up due
    today is e-mailed in the same run (each assignment is still reminded once). The responder
    statuses are refreshed so the cohort report opens warm.
    """
    now = now or timezone.now()
    synced = sync_follow_ups(today, now=now)
    follow_up_reminders = remind_due_questionnaires(today, now=now) if synced.created else 0
    sessions = remind_upcoming_sessions(today, now=now)
    refreshed = 0
    for clinic in Clinic.objects.order_by("pk"):
        ids = Patient.objects.active().filter(clinic=clinic).values("pk")
        refreshed += statuses_for(ids, events.courses(ids)).recomputed
    lines = [
        f"remind: {synced.created} follow-up questionnaire(s) assigned, {synced.closed} closed by a newer "
        f"session, {follow_up_reminders} follow-up reminder(s) sent",
        f"remind: {sessions.sent} session reminder(s) sent",
        f"remind: {refreshed} responder status(es) recomputed",
    ]
    for clinic_id, parts in sorted(synced.not_set.items()):
        name = Clinic.objects.filter(pk=clinic_id).values_list("name", flat=True).first()
        lines.append(f"remind: {name}: clinic setting not set: {'; '.join(parts)}")
    if sessions.clinics_not_set:
        lines.append(
            "remind: session reminders not sent (clinic setting not set) for: "
            + ", ".join(sessions.clinics_not_set)
        )
    return lines
