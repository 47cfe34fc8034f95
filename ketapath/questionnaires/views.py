"""Questionnaires in the staff chart, and the instrument catalogue."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketapath.accounts.policy import requires
from ketapath.audit.models import AccessAction
from ketapath.clinical.instruments import (
    AnswerError,
    Instrument,
    UnknownInstrumentError,
    all_instruments,
    get_instrument,
)
from ketapath.fhir.instruments import questionnaire
from ketapath.patients.access import patient_for
from ketapath.questionnaires.actions import (
    NotScorable,
    ResponseLocked,
    assign_once,
    review_response,
    save_answers,
)
from ketapath.questionnaires.forms import AssignForm, InstrumentForm
from ketapath.questionnaires.models import (
    AssignmentStatus,
    QuestionnaireAssignment,
    QuestionnaireResponse,
    Respondent,
)
from ketapath.questionnaires.queries import drafts, open_assignments, score_history


def instrument_or_404(instrument_id: str) -> Instrument:
    try:
        return get_instrument(instrument_id)
    except UnknownInstrumentError:
        raise Http404("No such questionnaire.") from None


def _patient_page(request: HttpRequest, patient: Any, form: AssignForm) -> HttpResponse:
    return render(
        request,
        "questionnaires/patient.html",
        {
            "patient": patient,
            "assignments": list(open_assignments(patient)),
            "drafts": list(drafts(patient)),
            "history": score_history(patient),
            "form": form,
            "today": timezone.localdate(),
        },
    )


@requires("clinical.view")
def patient_questionnaires(request: HttpRequest, mrn: str) -> HttpResponse:
    patient = patient_for(request, mrn, permission="clinical.view")
    form = AssignForm(instruments=all_instruments(), initial={"due_on": timezone.localdate()})
    return _patient_page(request, patient, form)


@require_POST
@requires("clinical.chart")
def assign_questionnaire(request: HttpRequest, mrn: str) -> HttpResponse:
    patient = patient_for(request, mrn, permission="clinical.chart", action=None)
    form = AssignForm(request.POST, instruments=all_instruments())
    if not form.is_valid():
        # The page again, with each message at its field; nothing was saved.
        messages.error(request, "Not assigned: correct the fields marked below.")
        return _patient_page(request, patient, form)
    data = form.cleaned_data
    assignment, created = assign_once(
        patient=patient,
        instrument_id=data["instrument_id"],
        due_on=data["due_on"],
        respondent=data["respondent"],
        user=request.user,
        repeat_every_days=data.get("repeat_every_days"),
        repeat_until=data.get("repeat_until"),
    )
    if created:
        messages.success(request, f"Assigned {assignment.instrument_id}, due {assignment.due_on:%d %b %Y}.")
    else:
        messages.info(
            request,
            f"Not assigned again: {assignment.instrument_id} is already open for this patient, "
            f"due {assignment.due_on:%d %b %Y}.",
        )
    return redirect("questionnaires:patient", mrn=patient.mrn)


def fill_page(
    request: HttpRequest,
    *,
    patient: Any,
    definition: Instrument,
    assignment: QuestionnaireAssignment | None,
    respondent: str,
    template: str,
    done_url: str,
) -> HttpResponse:
    """Shared by the staff chart and the patient's pages: render, save a draft, or submit."""
    draft = None
    if assignment is not None:
        draft = assignment.responses.filter(status="draft").first()
    if request.method == "POST":
        form = InstrumentForm(request.POST, definition=definition)
        complete = request.POST.get("action") == "complete"
        if form.is_valid():
            try:
                saved = save_answers(
                    patient=patient,
                    definition=definition,
                    answers=form.answers(),
                    user=request.user,
                    respondent=respondent,
                    complete=complete,
                    assignment=assignment,
                    response=draft,
                )
            except NotScorable as exc:
                labels = [definition.item(i).label for i in exc.missing if i in definition.item_ids]
                form.add_error(
                    None,
                    "Some questions still need an answer before you can submit: "
                    + ", ".join(labels or exc.missing)
                    + ". You can save a draft instead.",
                )
            except AnswerError as exc:
                form.add_error(None, str(exc))
            except ResponseLocked as exc:
                messages.info(request, str(exc))
                return redirect(done_url)
            else:
                if complete:
                    # The patient reads the name they know it by (issue 15), not the instrument's code.
                    messages.success(
                        request,
                        f"{definition.patient_title}: submitted. Thank you."
                        if respondent == Respondent.PATIENT
                        else f"{definition.name} submitted.",
                    )
                    return redirect(
                        done_url
                        if respondent == Respondent.PATIENT
                        else _response_url(patient, saved.response)
                    )
                messages.success(request, "Draft saved. It is not scored until you submit it.")
                return redirect(request.get_full_path())
    else:
        form = InstrumentForm(
            definition=definition, initial=InstrumentForm.initial_from(draft.answers) if draft else None
        )
    return render(
        request,
        template,
        {
            "patient": patient,
            "definition": definition,
            "form": form,
            "assignment": assignment,
            "draft": draft,
            "has_risk_items": bool(definition.alerts),
        },
    )


def _response_url(patient: Any, response: QuestionnaireResponse) -> str:
    return reverse("questionnaires:response", kwargs={"mrn": patient.mrn, "response_id": response.pk})


@requires("clinical.chart")
def fill_questionnaire(request: HttpRequest, mrn: str, instrument_id: str) -> HttpResponse:
    patient = patient_for(request, mrn, permission="clinical.chart", action=AccessAction.EDIT)
    definition = instrument_or_404(instrument_id)
    assignment = None
    if request.GET.get("assignment"):
        assignment = QuestionnaireAssignment.objects.filter(
            pk=request.GET["assignment"] if request.GET["assignment"].isdigit() else 0,
            patient=patient,
            instrument_id=definition.id,
            status=AssignmentStatus.ASSIGNED,
        ).first()
        if assignment is None:
            raise Http404("No such open assignment for this patient.")
    return fill_page(
        request,
        patient=patient,
        definition=definition,
        assignment=assignment,
        respondent=Respondent.STAFF,
        template="questionnaires/fill.html",
        done_url=reverse("questionnaires:patient", kwargs={"mrn": patient.mrn}),
    )


def response_or_404(patient: Any, response_id: int) -> QuestionnaireResponse:
    response = (
        QuestionnaireResponse.objects.select_related("answered_by", "reviewed_by")
        .filter(pk=response_id, patient=patient)
        .first()
    )
    if response is None:
        raise Http404("No such response for this patient.")
    return response


@requires("clinical.view")
def response_detail(request: HttpRequest, mrn: str, response_id: int) -> HttpResponse:
    patient = patient_for(request, mrn, permission="clinical.view")
    response = response_or_404(patient, response_id)
    definition = instrument_or_404(response.instrument_id)
    answers = [
        {
            "item": item,
            "value": response.answers.get(item.id),
            "option": item.option(response.answers[item.id]) if item.id in response.answers else None,
        }
        for item in definition.items
    ]
    alerts = list(patient.alerts.filter(origin_id=response.pk, origin_type__model="questionnaireresponse"))
    return render(
        request,
        "questionnaires/response.html",
        {
            "patient": patient,
            "response": response,
            "definition": definition,
            "answers": answers,
            "scales": response.scores.get("scales", []),
            "alerts": alerts,
        },
    )


@require_POST
@requires("clinical.chart")
def response_review(request: HttpRequest, mrn: str, response_id: int) -> HttpResponse:
    patient = patient_for(request, mrn, permission="clinical.chart", action=None)
    response = response_or_404(patient, response_id)
    try:
        review_response(response, request.user)
        messages.success(request, "Marked as reviewed.")
    except ResponseLocked as exc:
        messages.info(request, str(exc))
    return redirect("questionnaires:response", mrn=patient.mrn, response_id=response.pk)


@requires("instruments.view")
def instrument_list(request: HttpRequest) -> HttpResponse:
    return render(request, "questionnaires/instruments.html", {"instruments": all_instruments().values()})


@requires("instruments.view")
def instrument_detail(request: HttpRequest, instrument_id: str) -> HttpResponse:
    definition = instrument_or_404(instrument_id)
    return render(request, "questionnaires/instrument.html", {"definition": definition})


@requires("instruments.view")
def instrument_fhir(request: HttpRequest, instrument_id: str) -> HttpResponse:
    definition = instrument_or_404(instrument_id)
    body = json.dumps(questionnaire(definition), indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/fhir+json")
    response["Content-Disposition"] = f'inline; filename="Questionnaire-{definition.id}.json"'
    return response
