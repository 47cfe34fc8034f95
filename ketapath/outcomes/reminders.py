"""E-mail reminders of upcoming sessions, with the preparation instructions: each sent once.

A clinic chooses how many days before a session the reminder goes (``reminders.session_days_before``;
not set: none is sent). The reminder is claimed first (a :class:`SessionReminder` row, unique per
session) in the same transaction as the sending, so two runs at once cannot both send it and a
failed send is tried again on the next run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction

from ketapath.accounts.models import Clinic
from ketapath.clinic_settings.values import values_for
from ketapath.outcomes import events
from ketapath.outcomes.clinic_choices import REMIND_DAYS_BEFORE
from ketapath.outcomes.models import SessionReminder
from ketapath.patients.models import Patient
from ketapath.portal.appointments import preparations
from ketapath.portal.preparation import as_text


@dataclass
class SessionReminders:
    sent: int = 0
    clinics_not_set: list[str] = field(default_factory=list)


def _message(patient: Patient, body: str) -> str:
    clinic = patient.clinic
    urgent = (
        f"call {clinic.emergency_number}" if clinic.emergency_number else "call your local emergency number"
    )
    return (
        f"Dear {patient.given_name},\n\n"
        "This is a reminder of your next session, and how to prepare for it.\n\n"
        f"{body}\n\n"
        "You can read these instructions at any time in your KetaPath pages, under 'Appointments'.\n"
        f"If you need help urgently, do not wait for the clinic to reply: {urgent}."
    )


def remind_upcoming_sessions(today: date) -> SessionReminders:
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
