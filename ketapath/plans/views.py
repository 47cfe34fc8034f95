"""Treatment plans in the staff chart, and the clinic's protocol library.

Each view: check access (first line), validate the form, call an action, render.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketapath.accounts.models import User
from ketapath.accounts.policy import allowed, requires, user_clinic, user_clinic_id
from ketapath.audit.models import AccessAction
from ketapath.clinic_settings.values import values_for
from ketapath.clinical.protocols import ProtocolError
from ketapath.consultations.readiness import plan_readiness
from ketapath.patients.access import patient_for
from ketapath.patients.history import Change, HistoryRow, history_rows
from ketapath.patients.models import Patient
from ketapath.plans.actions import (
    OverrideNeeded,
    PlanError,
    SettingsMissing,
    approve_plan,
    create_local_protocol,
    discard_draft,
    plan_settings_missing,
    recalculate,
    retire_local_protocol,
    review_approval,
    save_draft,
    schedule_sessions,
    stored_inputs,
)
from ketapath.plans.display import PK_MODELS, default_model, dose_groups, limit_rows, pk_previews
from ketapath.plans.forms import (
    SALT_LABELS,
    ApproveForm,
    LocalProtocolForm,
    PlanForm,
    ProtocolChoiceForm,
    ReasonForm,
)
from ketapath.plans.library import clinic_library, grouped
from ketapath.plans.limits import clinic_dosing
from ketapath.plans.models import LocalProtocol, PlanStatus, TreatmentPlan
from ketapath.plans.queries import patient_plans, plan_sessions


def _plan_of(patient: Patient, plan_id: int) -> TreatmentPlan:
    plan = (
        TreatmentPlan.objects.select_related(
            "created_by", "approved_by", "override_by", "local_protocol", "previous", "entered_in_error_by"
        )
        .filter(patient=patient, pk=plan_id)
        .first()
    )
    if plan is None:
        raise Http404("No such plan for this patient.")
    return plan


HIDDEN_IN_HISTORY = {"course", "limit check", "result key", "clinic settings used", "updated at"}
USER_FIELDS = {"approved by", "override by", "created by", "entered in error by"}


def readable_history(plan: TreatmentPlan) -> list[HistoryRow]:
    """The version's history with people's names for user ids, and without the stored snapshot
    (its changes show as the inputs that caused them)."""
    # A record loaded without history rows (bulk-loaded, imported, from before history was kept)
    # has none to show: the page says the history starts later, and never fails.
    rows = history_rows(plan) if plan.history.exists() else []
    ids = {
        v for r in rows for c in r.changes if c.field in USER_FIELDS for v in (c.old, c.new) if v is not None
    }
    names = {u.pk: u.display_name for u in User.objects.filter(pk__in=ids)} if ids else {}
    readable = []
    for row in rows:
        changes = tuple(
            Change(c.field, names.get(c.old, c.old), names.get(c.new, c.new)) if c.field in USER_FIELDS else c
            for c in row.changes
            if c.field not in HIDDEN_IN_HISTORY
        )
        readable.append(replace(row, changes=changes))
    return readable


def current(versions: list[TreatmentPlan]) -> tuple[TreatmentPlan | None, TreatmentPlan | None]:
    """The patient's draft and approved versions (either may be None)."""
    live = [v for v in versions if not v.is_entered_in_error]
    draft = next((v for v in live if v.is_draft), None)
    approved = next((v for v in live if v.status == PlanStatus.APPROVED), None)
    return draft, approved


def _plan_context(
    request: HttpRequest,
    patient: Patient,
    plan: TreatmentPlan | None,
    *,
    versions: list[TreatmentPlan] | None = None,
    approve_form: ApproveForm | None = None,
    errors: list[str] | None = None,
    refused_missing: list[Any] | None = None,
) -> dict[str, Any]:
    """Everything the plan page shows about one version (and the patient's other versions)."""
    today = timezone.localdate()
    versions = patient_plans(patient) if versions is None else versions
    draft, approved = current(versions)
    context: dict[str, Any] = {
        "patient": patient,
        "plan": plan,
        "versions": versions,
        "draft": draft,
        "approved": approved,
        "readiness": plan_readiness(patient),
        "errors": errors or [],
        "refused_missing": refused_missing or [],
        "settings_missing": [],
        "today": today,
    }
    if plan is None:
        writes = allowed(request.user, "plans.edit") and not patient.is_entered_in_error
        context["next_step"] = (
            step(
                "Next step: write the treatment plan",
                "Choose a protocol from the clinic's library; the doses, limits and schedule are "
                "calculated for this patient.",
                "Write the plan",
                reverse("plans:edit", kwargs={"mrn": patient.mrn}),
            )
            if writes
            else None
        )
        return context
    entry = clinic_library(patient.clinic_id, include_retired=True).get(plan.protocol_id)
    protocol = entry.protocol if entry is not None else None
    models = PK_MODELS.get(plan.drug, ())
    age = patient.age_on(plan.planned_on)
    chosen = request.GET.get("pk_model", "")
    model_id = chosen if chosen in models else default_model(plan.drug, age)
    can_approve = allowed(request.user, "plans.approve") and plan.is_draft and not plan.is_entered_in_error
    if can_approve and approve_form is None:
        approve_form = ApproveForm(initial={"result_key": plan.result_key})
    history = readable_history(plan)
    context |= {
        "protocol": protocol,
        "groups": dose_groups(plan.course),
        "limits": limit_rows(plan, protocol),
        "check": plan.limit_check,
        "pk_models": models,
        "pk_model": model_id,
        "pk": pk_previews(plan, sex=patient.sex, age_y=age, height_cm=patient.height_cm, model_id=model_id),
        "approve_form": approve_form if can_approve else None,
        "sessions": plan_sessions(plan) if plan.is_signed else [],
        "history": history,
        "history_incomplete": bool(history) and history[-1].kind != "Created",
        "history_from": history[-1].when if history else None,
        "salt_label": SALT_LABELS.get(plan.salt_basis, plan.salt_basis),
        "conc_salt_label": SALT_LABELS.get(plan.conc_salt_basis, ""),
    }
    # Safety fails closed: what the clinic must set before this version is approved or scheduled.
    waiting = plan.is_draft or (plan.status == PlanStatus.APPROVED and not context["sessions"])
    if waiting and not plan.is_entered_in_error:
        context["settings_missing"] = plan_settings_missing(patient.clinic_id, plan.route)
    # A draft calculated while a clinic limit was unset, which the clinic has set since.
    context["calculated_unchecked"] = (
        plan.is_draft and not context["settings_missing"] and bool(plan.limit_check.get("not_set"))
    )
    refused = bool(errors or refused_missing or (approve_form is not None and approve_form.errors))
    context["next_step"] = None if refused else next_plan_step(request.user, patient, plan, context)
    return context


def next_plan_step(
    user: Any, patient: Patient, plan: TreatmentPlan, context: dict[str, Any]
) -> dict[str, str] | None:
    """The one next step the plan page offers after each step: approve the draft, schedule the
    approved plan's sessions, then the sessions themselves."""
    if plan.is_entered_in_error or patient.is_entered_in_error or not context["readiness"].ready:
        return None
    if context["settings_missing"] or context["calculated_unchecked"]:
        return None  # the page's card says what the clinic must set first
    if plan.is_draft and context["approve_form"] is not None:
        return step(
            f"Next step: approve and sign version {plan.version}",
            "Review the doses, limits and schedule below, then approve: the plan is checked first, "
            "and the confirmation names what signing locks.",
            "Go to the approval",
            "#approve",
        )
    if plan.status != PlanStatus.APPROVED:
        return None
    sessions = [s for s in context["sessions"] if not s.is_cancelled]
    if not sessions and allowed(user, "plans.schedule"):
        count = plan.session_count
        return step(
            "Next step: schedule the sessions",
            f"Version {plan.version} is approved and signed: book its {count} "
            f"session{'s' if count != 1 else ''}.",
            "Go to the schedule",
            "#schedule",
        )
    upcoming = [s for s in sessions if s.planned_on >= context["today"]]
    if upcoming and allowed(user, "infusions.view"):
        first = upcoming[0]
        return step(
            "Next step: the sessions",
            f"{len(sessions)} session{'s' if len(sessions) != 1 else ''} booked; the next is session "
            f"{first.number} on {first.planned_on:%a} {first.planned_on.day} {first.planned_on:%b %Y}.",
            "Open the sessions",
            reverse("infusions:patient", kwargs={"mrn": patient.mrn}),
        )
    return None


def step(title: str, text: str, label: str, url: str) -> dict[str, str]:
    return {"title": title, "text": text, "label": label, "url": url}


@requires("plans.view")
def plan_page(request: HttpRequest, mrn: str) -> HttpResponse:
    """The chart's plan tab: the draft being written, else the approved plan."""
    patient = patient_for(request, mrn, permission="plans.view")
    versions = patient_plans(patient)
    draft, approved = current(versions)
    context = _plan_context(request, patient, draft or approved, versions=versions)
    return render(request, "plans/plan.html", context)


@requires("plans.view")
def plan_version(request: HttpRequest, mrn: str, plan_id: int) -> HttpResponse:
    patient = patient_for(request, mrn, permission="plans.view")
    versions = patient_plans(patient)
    plan = next((v for v in versions if v.pk == plan_id), None)
    if plan is None:
        raise Http404("No such plan for this patient.")
    return render(request, "plans/plan.html", _plan_context(request, patient, plan, versions=versions))


@requires("plans.edit")
def plan_edit(request: HttpRequest, mrn: str) -> HttpResponse:
    """Write the draft (version 1, or a new version of the approved plan) from a protocol."""
    editing = request.method == "POST"
    patient = patient_for(
        request,
        mrn,
        permission="plans.edit",
        action=AccessAction.EDIT if editing else AccessAction.VIEW_CHART,
    )
    if patient.is_entered_in_error:
        messages.error(request, "This record is marked entered in error: no plan can be written.")
        return redirect("plans:plan", mrn=patient.mrn)
    today = timezone.localdate()
    versions = patient_plans(patient)
    draft, approved = current(versions)
    basis = draft or approved
    library = clinic_library(patient.clinic_id)
    wanted = (
        request.POST.get("protocol") or request.GET.get("protocol") or (basis.protocol_id if basis else "")
    )
    chooser = ProtocolChoiceForm({"protocol": wanted} if wanted else None, groups=grouped(library))
    entry = library.get(wanted) if wanted else None
    form = None
    revising = draft.previous_id is not None if draft else approved is not None
    if entry is not None:
        dosing = clinic_dosing(values_for(patient.clinic_id))
        initial: dict[str, Any] = {}
        if basis is not None and basis.protocol_id == entry.protocol.id:
            initial = PlanForm.initial_from(stored_inputs(basis))
            if draft is None:
                initial.pop("start_on", None)  # a revision starts on a new date
                newer = patient.measured_on is not None and patient.measured_on > basis.weight_measured_on
                if newer and patient.weight_kg is not None:  # weighed again since: offer that weight
                    initial |= {"weight_kg": patient.weight_kg, "weight_measured_on": patient.measured_on}
        else:
            initial = {"weight_kg": patient.weight_kg, "weight_measured_on": patient.measured_on}
        if entry.protocol.is_infusion and "conc_mg_per_ml" not in initial:
            initial |= {
                "conc_mg_per_ml": dosing.conc_mg_per_ml,
                "conc_salt_basis": dosing.salt_basis.value if dosing.values.get("dosing.salt_basis") else "",
                "increment_ml_per_h": dosing.increment_ml_per_h,
                "rounding": dosing.rounding or "",
            }
        if draft is not None and draft.change_reason:
            initial["change_reason"] = draft.change_reason
        form = PlanForm(
            request.POST if editing else None,
            protocol=entry.protocol,
            dosing=dosing,
            today=today,
            revising=revising,
            born_on=patient.date_of_birth,
            initial=initial,
        )
        if editing and form.is_valid():
            try:
                save_draft(patient, request.user, form.inputs(), today=today)
            except PlanError as exc:
                form.add_plan_errors(exc.errors)
            else:
                messages.success(request, "Draft saved. Review the doses, limits and schedule, then approve.")
                return redirect("plans:plan", mrn=patient.mrn)
    elif editing:
        chooser.add_error("protocol", "Choose a protocol from the clinic's library.")
    return render(
        request,
        "plans/edit.html",
        {
            "patient": patient,
            "chooser": chooser,
            "entry": entry,
            "form": form,
            "draft": draft,
            "approved": approved,
            "revising": revising,
            "settings_missing": (
                plan_settings_missing(patient.clinic_id, entry.protocol.route.value) if entry else []
            ),
        },
        status=200,
    )


@require_POST
@requires("plans.approve")
def plan_approve(request: HttpRequest, mrn: str, plan_id: int) -> HttpResponse:
    """``step=review`` (the plan page's button): every check of approval runs, nothing is saved,
    and a page names what signing will lock and asks to confirm; ``step=edit`` goes back to the
    plan with the form as it was; otherwise (the confirmation's button) approve and sign, which
    checks everything again."""
    patient = patient_for(request, mrn, permission="plans.approve", action=AccessAction.EDIT)
    plan = _plan_of(patient, plan_id)
    form = ApproveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The approval form was incomplete: reload the plan and try again.")
        return redirect("plans:version", mrn=patient.mrn, plan_id=plan.pk)
    step = request.POST.get("step", "")
    if step == "edit":
        messages.info(request, "Not approved: the draft is as it was.")
        return render(request, "plans/plan.html", _plan_context(request, patient, plan, approve_form=form))
    was_draft = plan.is_draft
    try:
        if step == "review":
            overridden = review_approval(
                plan,
                request.user,
                result_key=form.cleaned_data["result_key"],
                override_reason=form.cleaned_data["override_reason"],
            )
            if was_draft:
                context = _plan_context(request, patient, plan, approve_form=form)
                context["overridden"] = overridden
                return render(request, "plans/approve_confirm.html", context)
            approved = plan
        else:
            approved = approve_plan(
                plan,
                request.user,
                result_key=form.cleaned_data["result_key"],
                override_reason=form.cleaned_data["override_reason"],
            )
    except SettingsMissing as exc:
        context = _plan_context(request, patient, plan, approve_form=form, refused_missing=exc.missing)
        return render(request, "plans/plan.html", context)
    except PlanError as exc:
        field, message = next(iter(exc.errors.items()))
        if isinstance(exc, OverrideNeeded) or field == "override_reason":
            form.add_error("override_reason", message)
            errors: list[str] = []
        else:
            errors = [message]
        context = _plan_context(request, patient, plan, approve_form=form, errors=errors)
        return render(request, "plans/plan.html", context)
    if was_draft:
        text = f"Version {approved.version} approved and signed."
        if approved.override_reason:
            text += " The override and its reason are recorded with the plan."
        messages.success(request, text)
    return redirect("plans:plan", mrn=patient.mrn)


@require_POST
@requires("plans.edit")
def plan_recalculate(request: HttpRequest, mrn: str, plan_id: int) -> HttpResponse:
    patient = patient_for(request, mrn, permission="plans.edit", action=AccessAction.EDIT)
    plan = _plan_of(patient, plan_id)
    try:
        recalculate(plan, request.user)
    except PlanError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Recalculated with today's date and the clinic's current settings.")
    return redirect("plans:plan", mrn=patient.mrn)


@require_POST
@requires("plans.edit")
def plan_discard(request: HttpRequest, mrn: str, plan_id: int) -> HttpResponse:
    patient = patient_for(request, mrn, permission="plans.edit", action=AccessAction.EDIT)
    plan = _plan_of(patient, plan_id)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the reason the draft is discarded.")
    else:
        try:
            discard_draft(plan, request.user, form.cleaned_data["reason"])
        except PlanError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, f"Draft version {plan.version} discarded (kept on file, marked entered in error)."
            )
    return redirect("plans:plan", mrn=patient.mrn)


@require_POST
@requires("plans.schedule")
def plan_schedule(request: HttpRequest, mrn: str, plan_id: int) -> HttpResponse:
    patient = patient_for(request, mrn, permission="plans.schedule", action=AccessAction.EDIT)
    plan = _plan_of(patient, plan_id)
    try:
        created = schedule_sessions(plan, request.user)
    except PlanError as exc:
        messages.error(request, str(exc))
    else:
        if created:
            messages.success(request, f"{len(created)} session{'s' if len(created) != 1 else ''} scheduled.")
        else:
            messages.info(request, "The sessions of this version were already scheduled.")
    return redirect(reverse("plans:plan", kwargs={"mrn": patient.mrn}) + "#sessions")


# ------------------------------------------------------------------------------------------------
# The protocol library
# ------------------------------------------------------------------------------------------------


@requires("plans.view")
def protocol_list(request: HttpRequest) -> HttpResponse:
    clinic_id = user_clinic_id(request)
    library = clinic_library(clinic_id)
    retired = LocalProtocol.objects.filter(clinic_id=clinic_id, retired_at__isnull=False).select_related(
        "author"
    )
    return render(request, "plans/protocols.html", {"groups": grouped(library), "retired": list(retired)})


@requires("plans.view")
def protocol_detail(request: HttpRequest, protocol_id: str) -> HttpResponse:
    clinic_id = user_clinic_id(request)
    entry = clinic_library(clinic_id, include_retired=True).get(protocol_id)
    if entry is None:
        raise Http404("No such protocol in the clinic's library.")
    return render(
        request,
        "plans/protocol.html",
        {"entry": entry, "protocol": entry.protocol, "retire_form": ReasonForm() if entry.local else None},
    )


@requires("protocols.edit")
def protocol_new(request: HttpRequest) -> HttpResponse:
    form = LocalProtocolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            row = create_local_protocol(user_clinic(request), request.user, form.definition)
        except ProtocolError as exc:
            form.add_protocol_error(exc)
        else:
            messages.success(request, f"Local protocol saved as {row.protocol_id}.")
            return redirect("protocols:detail", protocol_id=row.protocol_id)
    return render(request, "plans/protocol_form.html", {"form": form})


@require_POST
@requires("protocols.edit")
def protocol_retire(request: HttpRequest, protocol_id: str) -> HttpResponse:
    row = get_object_or_404(LocalProtocol, clinic_id=user_clinic_id(request), protocol_id=protocol_id)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the reason the protocol is retired.")
    else:
        retire_local_protocol(row, request.user, form.cleaned_data["reason"])
        messages.success(request, "Retired: existing plans keep it; new plans can no longer use it.")
    return redirect("protocols:detail", protocol_id=row.protocol_id)
