"""Reminders for questionnaires that are due: each assignment is reminded once."""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ketapath.clinical.instruments import UnknownInstrumentError, get_instrument
from ketapath.patients.models import reachable_by_email
from ketapath.questionnaires.models import AssignmentStatus, QuestionnaireAssignment, Respondent


def due_for_reminder(today: date) -> list[QuestionnaireAssignment]:
    """The patients' questionnaires due by ``today`` and not yet reminded (active records with an
    e-mail address, on record or on an active portal account; a retired instrument is not
    reminded), with the patient and clinic."""
    due = (
        QuestionnaireAssignment.objects.active()
        .filter(
            status=AssignmentStatus.ASSIGNED,
            respondent=Respondent.PATIENT,
            due_on__lte=today,
            reminded_at__isnull=True,
            patient__record_status="active",
        )
        .filter(reachable_by_email("patient__"))
        .select_related("patient", "patient__clinic", "patient__user")
        .order_by("patient_id", "due_on", "pk")
    )
    found = []
    for assignment in due:
        try:
            get_instrument(assignment.instrument_id)
        except UnknownInstrumentError:
            continue
        found.append(assignment)
    return found


def claim_reminder(assignment_id: int, now: datetime) -> bool:
    """Mark the assignment reminded unless another run did first (call inside the sending
    transaction, so a failed send is tried again)."""
    return bool(
        QuestionnaireAssignment.objects.filter(pk=assignment_id, reminded_at__isnull=True).update(
            reminded_at=now
        )
    )


def remind_due_questionnaires(today: date, *, now: datetime | None = None) -> int:
    """E-mail each patient whose questionnaire is due and not yet reminded; return how many.

    ``ketapath remind`` sends these within each patient's one message of the run
    (``ketapath.portal.reminders``); this sends them on their own."""
    now = now or timezone.now()
    sent = 0
    for assignment in due_for_reminder(today):
        with transaction.atomic():
            # Claim the row first so two runs at once cannot both send it.
            if not claim_reminder(assignment.pk, now):
                continue
            patient = assignment.patient
            send_mail(
                subject=f"{patient.clinic.name}: a questionnaire is waiting for you",
                message=(
                    f"Dear {patient.given_name},\n\n"
                    # No questionnaire's name: a name such as a depression scale's is a
                    # clinical detail, and someone else may read the message.
                    f"{patient.clinic.name} asks you to fill in a questionnaire. "
                    "It is waiting for you here:\n"
                    f"{settings.KETAPATH_SITE_URL}{reverse('portal:questionnaires')}\n\n"
                    "If you need help urgently, do not wait for the clinic to read your answers: "
                    + (
                        f"call {patient.clinic.emergency_number}."
                        if patient.clinic.emergency_number
                        else "call your local emergency number."
                    )
                ),
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[patient.reminder_address],
            )
        sent += 1
    return sent
