"""The patient's questionnaires: what is due, and filling one in."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from ketapath.accounts.policy import requires
from ketapath.clinical.instruments import UnknownInstrumentError, get_instrument
from ketapath.patients.models import Patient
from ketapath.portal.access import own_patient
from ketapath.questionnaires.models import (
    AssignmentStatus,
    QuestionnaireAssignment,
    QuestionnaireResponse,
    Respondent,
)
from ketapath.questionnaires.views import fill_page


@requires("portal.view")
def questionnaires(request: HttpRequest) -> HttpResponse:
    patient = own_patient(request)
    today = timezone.localdate()
    open_items = QuestionnaireAssignment.objects.active().filter(
        patient=patient, status=AssignmentStatus.ASSIGNED, respondent=Respondent.PATIENT, due_on__lte=today
    )
    rows = []
    for a in open_items:
        try:
            name = get_instrument(a.instrument_id).patient_title
        except UnknownInstrumentError:
            continue
        rows.append({"assignment": a, "name": name})
    return render(
        request,
        "portal/questionnaires.html",
        {
            "patient": patient,
            "rows": rows,
            "urgent": _answered_a_risk_item(patient, request.GET.get("submitted")),
        },
    )


def _answered_a_risk_item(patient: Patient, submitted: str | None) -> bool:
    """Whether the questionnaire just submitted (``?submitted=<assignment>``, the patient's own)
    had an answer that fired one of the instrument's alert rules (a risk item)."""
    if not submitted or not submitted.isdigit():
        return False
    response = (
        QuestionnaireResponse.objects.active()
        .filter(assignment_id=int(submitted), patient=patient, status__in=["completed", "reviewed"])
        .only("scores")
        .first()
    )
    return bool(response is not None and (response.scores or {}).get("alerts"))


@requires("portal.write")
def questionnaire_fill(request: HttpRequest, assignment_id: int) -> HttpResponse:
    patient = own_patient(request)
    assignment = (
        QuestionnaireAssignment.objects.active()
        .filter(
            pk=assignment_id,
            patient=patient,
            respondent=Respondent.PATIENT,
            status=AssignmentStatus.ASSIGNED,
            due_on__lte=timezone.localdate(),
        )
        .first()
    )
    if assignment is None:
        raise Http404("This questionnaire is not open for you.")
    try:
        definition = get_instrument(assignment.instrument_id)
    except UnknownInstrumentError:
        raise Http404("This questionnaire is no longer available.") from None
    return fill_page(
        request,
        patient=patient,
        definition=definition,
        assignment=assignment,
        respondent=Respondent.PATIENT,
        template="portal/questionnaire_fill.html",
        # After submitting, the list page shows the urgent-help notice if a risk item was answered.
        done_url=f"{reverse('portal:questionnaires')}?submitted={assignment.pk}",
    )
