"""The consultation in the staff chart: intake, evaluation note, informed consent.

Each view: check access (first line), validate the form, call an action, render.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketapath.accounts.policy import allowed, requires, user_clinic, user_clinic_id
from ketapath.audit.models import AccessAction
from ketapath.clinical.instruments import get_instrument
from ketapath.clinical.sources import UnknownSourceError, get_source
from ketapath.consultations.actions import (
    ConsultationError,
    Decision,
    EvaluationLocked,
    ProposalChanged,
    SigningRefused,
    amend_evaluation,
    assign_intake_questionnaires,
    complete_visit,
    publish_consent_version,
    record_consent,
    save_evaluation,
    save_intake,
    withdraw_consent,
)
from ketapath.consultations.forms import (
    ConsentRecordForm,
    ConsentVersionForm,
    ConsentWithdrawForm,
    EvaluationForm,
    IntakePage,
)
from ketapath.consultations.medicines import as_medicines, drugs_to_check, interaction_groups
from ketapath.consultations.models import Consent, ConsentVersion, Evaluation
from ketapath.consultations.proposal import Proposal, build_proposal, chronic_rule_text
from ketapath.consultations.queries import (
    INTAKE_INSTRUMENTS,
    consents_of,
    draft_evaluation,
    evaluation_versions,
    intake_conditions,
    intake_for,
    intake_medicines,
    intake_tests,
    intake_treatments,
    latest_scores,
    open_intake_assignments,
    respondent_for,
)
from ketapath.consultations.readiness import plan_readiness
from ketapath.patients.access import patient_for


def intake_rows(intake: Any) -> dict[str, Any]:
    return {
        "conditions": intake_conditions(intake),
        "treatments": intake_treatments(intake),
        "medicines": intake_medicines(intake),
        "tests": intake_tests(intake),
    }


def questionnaire_rows(patient: Any) -> list[dict[str, Any]]:
    """Each intake questionnaire: its latest result and any open assignment (two queries)."""
    scores = latest_scores(patient)
    open_ = open_intake_assignments(patient)

    rows = []
    for instrument_id in INTAKE_INSTRUMENTS:
        definition = get_instrument(instrument_id)
        rows.append(
            {
                "id": instrument_id,
                "name": definition.name,
                "title": definition.title,
                "respondent": respondent_for(instrument_id),
                "latest": scores.get(instrument_id),
                "assignment": open_.get(instrument_id),
            }
        )
    return rows


# ----------------------------------------------------------------------------------------------
# Intake
# ----------------------------------------------------------------------------------------------


@requires("consultations.intake")
def intake(request: HttpRequest, mrn: str) -> HttpResponse:
    editing = request.method == "POST"
    patient = patient_for(
        request,
        mrn,
        permission="consultations.intake",
        action=AccessAction.EDIT if editing else AccessAction.VIEW_CHART,
    )
    record = intake_for(patient)
    today = timezone.localdate()
    # From the saved records, before the form writes the posted (maybe invalid) values onto `record`.
    proposal = build_proposal(patient, today, intake=record)
    page = IntakePage(
        request.POST if editing else None,
        patient=patient,
        intake=record,
        staff=True,
        rows=intake_rows(record),
    )
    if editing and patient.is_entered_in_error:
        messages.error(request, "This patient's record is marked entered in error: nothing was saved.")
    elif editing and page.is_valid():
        try:
            save_intake(patient, request.user, page.changes(), by_patient=False)
        except ConsultationError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Intake saved.")
            return redirect("consultations:intake", mrn=patient.mrn)
    return render(
        request,
        "consultations/intake.html",
        {
            "patient": patient,
            "intake": record,
            "page": page,
            "errors": page.errors() if editing else [],
            "questionnaires": questionnaire_rows(patient),
            "proposal": proposal,
            "chronic_rule": chronic_rule_text(),
            "today": today,
        },
    )


@require_POST
@requires("consultations.intake")
def assign_questionnaires(request: HttpRequest, mrn: str) -> HttpResponse:
    patient = patient_for(request, mrn, permission="consultations.intake", action=None)
    assigned = assign_intake_questionnaires(patient, request.user, timezone.localdate())
    if assigned:
        messages.success(request, "Assigned: " + ", ".join(assigned) + ".")
    else:
        messages.info(request, "Every intake questionnaire is already assigned or done.")
    return redirect(reverse("consultations:intake", kwargs={"mrn": patient.mrn}) + "#questionnaires")


@require_POST
@requires("consultations.intake")
def visit_complete(request: HttpRequest, mrn: str) -> HttpResponse:
    patient = patient_for(request, mrn, permission="consultations.intake", action=AccessAction.EDIT)
    if complete_visit(patient, request.user):
        messages.success(request, "Visit completed: the evaluation is waiting for the prescriber.")
    else:
        messages.info(request, "The visit was already marked complete.")
    return redirect("consultations:intake", mrn=patient.mrn)


# ----------------------------------------------------------------------------------------------
# Evaluation
# ----------------------------------------------------------------------------------------------


def _evaluation_page(
    request: HttpRequest,
    patient: Any,
    *,
    form: EvaluationForm | None = None,
    proposal: Proposal | None = None,
    status: int = 200,
) -> HttpResponse:
    today = timezone.localdate()
    proposal = proposal or build_proposal(patient, today)
    versions = evaluation_versions(patient)
    draft = next((v for v in versions if not v.is_signed), None)
    signed = next((v for v in versions if v.is_signed), None)
    amending = draft is not None and draft.previous_id is not None
    can_sign = allowed(request.user, "clinical.sign")
    if form is None and (draft is not None or signed is None):
        initial: dict[str, Any] = {"proposal_key": proposal.key}
        if draft is not None:
            initial |= {
                "final_decision": draft.final_decision,
                "decision_reason": draft.decision_reason,
                "assessment": draft.assessment,
                "amendment_reason": draft.amendment_reason,
            }
        form = EvaluationForm(initial=initial, amending=amending)
    intake = intake_for(patient)
    medicines = intake_medicines(intake)
    drugs = drugs_to_check(intake.planned_drug if intake else "")
    return render(
        request,
        "consultations/evaluation.html",
        {
            "patient": patient,
            "proposal": proposal,
            "form": form if can_sign else None,
            "draft": draft,
            "signed": signed,
            "versions": versions,
            "amending": amending,
            "intake": intake,
            "chronic_rule": chronic_rule_text(),
            "drift": signed is not None and draft is None and proposal.decision != signed.proposed_decision,
            "medicines": medicines,
            "interactions": interaction_groups(as_medicines(medicines), drugs),
        },
        status=status,
    )


@requires("clinical.view")
def evaluation(request: HttpRequest, mrn: str) -> HttpResponse:
    patient = patient_for(request, mrn, permission="clinical.view")
    return _evaluation_page(request, patient)


@require_POST
@requires("clinical.sign")
def evaluation_save(request: HttpRequest, mrn: str) -> HttpResponse:
    patient = patient_for(request, mrn, permission="clinical.sign", action=AccessAction.EDIT)
    draft = draft_evaluation(patient)
    form = EvaluationForm(request.POST, amending=draft is not None and draft.previous_id is not None)
    if not form.is_valid():
        return _evaluation_page(request, patient, form=form)
    sign = request.POST.get("action") == "sign"
    data = form.cleaned_data
    decision = Decision(
        final_decision=data["final_decision"],
        decision_reason=data["decision_reason"],
        assessment=data["assessment"],
        amendment_reason=data.get("amendment_reason", ""),
    )
    try:
        saved = save_evaluation(patient, request.user, decision, proposal_key=data["proposal_key"], sign=sign)
    except ProposalChanged as exc:
        # Keep what the prescriber wrote; the new key lets them submit again after reviewing.
        data = request.POST.copy()
        data["proposal_key"] = exc.proposal.key
        fresh = EvaluationForm(data, amending="amendment_reason" in form.fields)
        fresh.is_valid()
        fresh.add_error(None, str(exc))
        return _evaluation_page(request, patient, form=fresh, proposal=exc.proposal)
    except SigningRefused as exc:
        for field, message in exc.errors.items():
            form.add_error(field if field in form.fields else None, message)
        return _evaluation_page(request, patient, form=form)
    except EvaluationLocked as exc:
        messages.info(request, str(exc))
        return redirect("consultations:evaluation", mrn=patient.mrn)
    except ConsultationError as exc:
        messages.error(request, str(exc))
        return redirect("consultations:evaluation", mrn=patient.mrn)
    if sign:
        messages.success(request, f"Evaluation version {saved.version} signed. It is now locked.")
        return redirect("consultations:evaluation_version", mrn=patient.mrn, evaluation_id=saved.pk)
    messages.success(request, "Draft saved. It is not signed yet.")
    return redirect("consultations:evaluation", mrn=patient.mrn)


@require_POST
@requires("clinical.sign")
def evaluation_amend(request: HttpRequest, mrn: str) -> HttpResponse:
    patient = patient_for(request, mrn, permission="clinical.sign", action=AccessAction.EDIT)
    try:
        amendment = amend_evaluation(patient, request.user)
    except ConsultationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"Amendment opened as version {amendment.version}. The signed version stays as it was.",
        )
    return redirect("consultations:evaluation", mrn=patient.mrn)


@requires("clinical.view")
def evaluation_version(request: HttpRequest, mrn: str, evaluation_id: int) -> HttpResponse:
    patient = patient_for(request, mrn, permission="clinical.view")
    note = (
        Evaluation.objects.select_related("signed_by", "created_by", "previous", "amended_by")
        .filter(pk=evaluation_id, patient=patient)
        .first()
    )
    if note is None:
        raise Http404("No such evaluation for this patient.")
    return render(
        request,
        "consultations/evaluation_version.html",
        {"patient": patient, "note": note, "chronic_rule": chronic_rule_text()},
    )


# ----------------------------------------------------------------------------------------------
# Consent
# ----------------------------------------------------------------------------------------------


def cited_sources(ids: list[str]) -> list[Any]:
    found = []
    for source_id in ids:
        try:
            found.append(get_source(source_id))
        except UnknownSourceError:
            continue
    return found


def _consent_page(request: HttpRequest, patient: Any, form: ConsentRecordForm | None = None) -> HttpResponse:
    current = ConsentVersion.current_for(patient.clinic_id)
    if form is None:
        form = ConsentRecordForm(
            clinic_id=patient.clinic_id,
            initial={"version": current.pk if current else None, "signed_on": timezone.localdate()},
        )
    return render(
        request,
        "consultations/consent.html",
        {
            "patient": patient,
            "current": current,
            "sources": cited_sources(current.sources) if current else [],
            "consents": consents_of(patient),
            "form": form,
            "withdraw_form": ConsentWithdrawForm(initial={"withdrawn_on": timezone.localdate()}),
            "readiness": plan_readiness(patient),
        },
    )


@requires("clinical.view")
def consent(request: HttpRequest, mrn: str) -> HttpResponse:
    patient = patient_for(request, mrn, permission="clinical.view")
    return _consent_page(request, patient)


@require_POST
@requires("consultations.consent")
def consent_record(request: HttpRequest, mrn: str) -> HttpResponse:
    patient = patient_for(request, mrn, permission="consultations.consent", action=AccessAction.EDIT)
    form = ConsentRecordForm(request.POST, clinic_id=patient.clinic_id)
    if form.is_valid():
        data = form.cleaned_data
        try:
            record_consent(
                patient,
                request.user,
                version=data["version"],
                signed_on=data["signed_on"],
                method=data["method"],
            )
        except ConsultationError as exc:
            for field, message in exc.errors.items():
                form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, f"Signed consent (version {data['version'].version}) recorded.")
            return redirect("consultations:consent", mrn=patient.mrn)
    return _consent_page(request, patient, form)


@require_POST
@requires("consultations.consent")
def consent_withdraw(request: HttpRequest, mrn: str, consent_id: int) -> HttpResponse:
    patient = patient_for(request, mrn, permission="consultations.consent", action=AccessAction.EDIT)
    record = Consent.objects.active().filter(pk=consent_id, patient=patient).first()
    if record is None:
        raise Http404("No such consent for this patient.")
    form = ConsentWithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Not withdrawn: give the date and the reason.")
    else:
        try:
            withdraw_consent(
                record,
                request.user,
                withdrawn_on=form.cleaned_data["withdrawn_on"],
                reason=form.cleaned_data["reason"],
            )
        except ConsultationError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Consent recorded as withdrawn.")
    return redirect("consultations:consent", mrn=patient.mrn)


# ----------------------------------------------------------------------------------------------
# The clinic's consent text
# ----------------------------------------------------------------------------------------------


@requires("consent.text.view")
def consent_text_list(request: HttpRequest) -> HttpResponse:
    versions = list(
        ConsentVersion.objects.filter(clinic_id=user_clinic_id(request))
        .select_related("created_by")
        .order_by("-version")
    )
    current = versions[0] if versions else None
    return render(
        request,
        "consultations/consent_texts.html",
        {
            "versions": versions,
            "current": current,
            "sources": cited_sources(current.sources) if current else [],
        },
    )


@requires("consent.text.view")
def consent_text_detail(request: HttpRequest, version_id: int) -> HttpResponse:
    version = (
        ConsentVersion.objects.select_related("created_by")
        .filter(pk=version_id, clinic_id=user_clinic_id(request))
        .first()
    )
    if version is None:
        raise Http404("No such consent text in your clinic.")
    return render(
        request,
        "consultations/consent_text.html",
        {"version": version, "sources": cited_sources(version.sources)},
    )


@requires("consent.text.edit")
def consent_text_new(request: HttpRequest) -> HttpResponse:
    clinic = user_clinic(request)
    current = ConsentVersion.current_for(clinic.pk)
    if request.method == "POST":
        form = ConsentVersionForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            version = publish_consent_version(
                clinic,
                request.user,
                title=data["title"],
                body=data["body"],
                sources=list(data["sources"]),
                change_note=data["change_note"],
            )
            messages.success(
                request, f"Version {version.version} published: it is now the current consent text."
            )
            return redirect("consent_texts:detail", version_id=version.pk)
    else:
        initial = (
            {"title": current.title, "body": current.body, "sources": current.sources} if current else {}
        )
        form = ConsentVersionForm(initial=initial)
    return render(request, "consultations/consent_text_form.html", {"form": form, "current": current})
