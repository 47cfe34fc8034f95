"""The patient's home page: their next steps on the pathway."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from ketapath.accounts.policy import requires
from ketapath.consultations.consent_status import consent_status
from ketapath.outcomes.events import upcoming_appointments
from ketapath.portal.access import own_patient
from ketapath.portal.steps import next_steps
from ketapath.questionnaires.models import AssignmentStatus, QuestionnaireAssignment, Respondent


@requires("portal.view")
def home(request: HttpRequest) -> HttpResponse:
    patient = own_patient(request)
    due_count = (
        QuestionnaireAssignment.objects.active()
        .filter(
            patient=patient,
            status=AssignmentStatus.ASSIGNED,
            respondent=Respondent.PATIENT,
            due_on__lte=timezone.localdate(),
        )
        .count()
    )
    upcoming = upcoming_appointments([patient.pk], timezone.localdate(), limit=1).get(patient.pk, [])
    return render(
        request,
        "portal/home.html",
        {
            "patient": patient,
            "steps": next_steps(patient),
            "due_count": due_count,
            "next_appointment": upcoming[0] if upcoming else None,
            "consent": consent_status(patient),
        },
    )
