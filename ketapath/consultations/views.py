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
    review_signing,
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
from ketapath.consultations.models import Consent, ConsentVersion, Evaluation, FinalDecision
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
from ketapath.consultations.readiness import Readiness, plan_readiness
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


def next_step(title: str, text: str, label: str, url: str) -> dict[str, str]:
    """The box a page shows after a step: what comes next, and the one link that goes there."""
    return {"title": title, "text": text, "label": label, "url": url}


def _chart_url(name: str, patient: Any, anchor: str = "") -> str:
    return reverse(name, kwargs={"mrn": patient.mrn}) + anchor


def step_after_intake(user: Any, patient: Any, intake: Any) -> dict[str, str] | None:
    if intake is None or patient.is_entered_in_error:
        return None
    if intake.visit_completed_at is None:
        return next_step(
            "Next step: finish the visit",
            "When the intake is recorded and the visit questionnaires are done, complete the visit.",
            "Finish the visit",
            "#complete",
        )
    if allowed(user, "clinical.sign"):
        return next_step(
            "Next step: the evaluation",
            "The visit is complete: review the proposal, decide and sign the evaluation.",
            "Review and sign the evaluation",
            _chart_url("consultations:evaluation", patient),
        )
    return next_step(
        "Next step: the evaluation",
        "The visit is complete: the evaluation waits for the prescriber's signature.",
        "Open the evaluation",
        _chart_url("consultations:evaluation", patient),
    )


def step_after_evaluation(user: Any, patient: Any, readiness: Readiness) -> dict[str, str] | None:
    """After a signed evaluation: the consent, then the plan (none when the decision allows none)."""
    evaluation = readiness.evaluation
    if evaluation is None or patient.is_entered_in_error:
        return None
    if evaluation.final_decision not in FinalDecision.plan_allowing():
        return None
    if readiness.ready:
        return step_to_plan(user, patient)
    if any("consent" in reason for reason in readiness.reasons):
        return next_step(
            "Next step: the informed consent",
            "The evaluation allows treatment: record the patient's signed consent to the clinic's "
            "current text.",
            "Record the signed consent",
            _chart_url("consultations:consent", patient, "#record"),
        )
    return None


def step_to_plan(user: Any, patient: Any) -> dict[str, str]:
    writes = allowed(user, "plans.edit")
    return next_step(
        "Next step: the treatment plan",
        "The consultation is complete: the evaluation and the consent are signed. "
        + ("Write the plan from a protocol." if writes else "The prescriber writes the plan."),
        "Go to the treatment plan" if writes else "Open the treatment plan",
        _chart_url("plans:plan", patient),
    )


def step_after_consent(user: Any, patient: Any, readiness: Readiness) -> dict[str, str] | None:
    if patient.is_entered_in_error or readiness.consent is None:
        return None
    if readiness.ready:
        return step_to_plan(user, patient)
    if readiness.evaluation is None:
        return next_step(
            "Next step: the evaluation",
            "The consent is on file; a treatment plan also needs a signed evaluation.",
            "Open the evaluation",
            _chart_url("consultations:evaluation", patient),
        )
    return None


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
            "next_step": None if editing else step_after_intake(request.user, patient, record),
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
            "next_step": (
                step_after_evaluation(request.user, patient, plan_readiness(patient))
                if signed is not None and draft is None
                else None
            ),
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
    """Save the draft (``action=draft``); check the note and ask to confirm (``action=review``):
    every check of signing runs first, and the confirmation names what will be locked; sign it
    (``action=sign``, the confirmation's button; signing checks everything again); or go back
    from the confirmation to the form as it was (``action=edit``). Only a save writes."""
    patient = patient_for(request, mrn, permission="clinical.sign", action=AccessAction.EDIT)
    draft = draft_evaluation(patient)
    form = EvaluationForm(request.POST, amending=draft is not None and draft.previous_id is not None)
    action = request.POST.get("action", "")
    if action == "edit" and form.is_valid():
        messages.info(request, "Not signed: change the note, then review and sign it again.")
    if not form.is_valid() or action == "edit":
        return _evaluation_page(request, patient, form=form)
    sign = action == "sign"
    data = form.cleaned_data
    decision = Decision(
        final_decision=data["final_decision"],
        decision_reason=data["decision_reason"],
        assessment=data["assessment"],
        amendment_reason=data.get("amendment_reason", ""),
    )
    try:
        if action == "review":
            note = review_signing(patient, request.user, decision, proposal_key=data["proposal_key"])
            return render(
                request,
                "consultations/evaluation_confirm.html",
                {"patient": patient, "note": note, "form": form, "chronic_rule": chronic_rule_text()},
            )
        saved = save_evaluation(patient, request.user, decision, proposal_key=data["proposal_key"], sign=sign)
    except ProposalChanged as exc:
        # Keep what the prescriber wrote; the new key lets them submit again after reviewing.
        posted = request.POST.copy()
        posted["proposal_key"] = exc.proposal.key
        fresh = EvaluationForm(posted, amending="amendment_reason" in form.fields)
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
    readiness = plan_readiness(patient)
    latest = readiness.evaluation is not None and readiness.evaluation.pk == note.pk
    return render(
        request,
        "consultations/evaluation_version.html",
        {
            "patient": patient,
            "note": note,
            "chronic_rule": chronic_rule_text(),
            "next_step": step_after_evaluation(request.user, patient, readiness) if latest else None,
        },
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
    readiness = plan_readiness(patient)
    return render(
        request,
        "consultations/consent.html",
        {
            "next_step": None if form.is_bound else step_after_consent(request.user, patient, readiness),
            "patient": patient,
            "current": current,
            "sources": cited_sources(current.sources) if current else [],
            "consents": consents_of(patient),
            "form": form,
            "withdraw_form": ConsentWithdrawForm(initial={"withdrawn_on": timezone.localdate()}),
            "readiness": readiness,
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
        step = request.POST.get("step", "")
        if step == "edit" and form.is_valid():
            messages.info(request, "Not published: change the text, then review it again.")
        elif step == "review" and form.is_valid():
            # Checked first, then the confirmation names what publishing fixes; nothing is saved.
            data = form.cleaned_data
            preview = ConsentVersion(
                clinic=clinic,
                version=(current.version + 1) if current else 1,
                title=data["title"],
                body=data["body"],
                sources=list(data["sources"]),
                change_note=data["change_note"],
                created_at=timezone.now(),
            )
            context = {
                "form": form,
                "current": current,
                "preview": preview,
                "sources": cited_sources(preview.sources),
            }
            return render(request, "consultations/consent_text_confirm.html", context)
        elif form.is_valid():
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
