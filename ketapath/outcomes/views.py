"""Outcomes in the chart, the prescriber's review note and the clinic's cohort report."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketapath.accounts.policy import allowed, requires, user_clinic_id
from ketapath.audit.actions import mark_entered_in_error
from ketapath.outcomes import cohort
from ketapath.outcomes.actions import ReviewError, current_draft, save_review, start_amendment
from ketapath.outcomes.assessment import gather, snapshot, snapshot_key
from ketapath.outcomes.followups import sync_follow_ups
from ketapath.outcomes.forms import AmendForm, CohortFilters, InErrorForm, LiverResultForm, ReviewForm
from ketapath.outcomes.labs import LabError, liver_panel, record_liver_result, sample_window
from ketapath.outcomes.models import LiverTestResult, OutcomeReview
from ketapath.patients.access import patient_for
from ketapath.patients.models import Patient


@require_POST
@requires("clinical.chart")
def sync(request: HttpRequest, mrn: str) -> HttpResponse:
    patient = patient_for(request, mrn, permission="clinical.chart", action=None)
    result = sync_follow_ups(timezone.localdate(), patients=Patient.objects.filter(pk=patient.pk))
    messages.success(
        request,
        f"Follow-up schedule checked: {result.created} questionnaire(s) assigned, {result.closed} closed.",
    )
    return redirect("outcomes:patient", mrn=patient.mrn)


@requires("clinical.sign")
def review(request: HttpRequest, mrn: str) -> HttpResponse:
    patient = patient_for(request, mrn, permission="clinical.sign")
    today = timezone.localdate()
    outcomes = gather(patient, today)
    data = snapshot(outcomes)
    key = snapshot_key(data)
    draft = current_draft(patient)
    if request.method == "POST":
        form = ReviewForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            sign = request.POST.get("action") == "sign"
            try:
                saved = save_review(
                    patient,
                    request.user,
                    decision=d["decision"],
                    decision_details=d["decision_details"],
                    assessment=d["assessment"],
                    snapshot=data,
                    snapshot_key=d["snapshot_key"],
                    current_key=key,
                    sign=sign,
                    client_key=d["client_key"],
                    today=today,
                    safety_seen=d["safety_seen"],
                )
            except ReviewError as exc:
                for field, message in exc.errors.items():
                    form.add_error(field if field in form.fields else None, message)
            else:
                if saved.is_signed:
                    messages.success(request, f"Review version {saved.version} signed and locked.")
                    if saved.plan_version is not None:
                        messages.info(
                            request,
                            f"Plan version {saved.plan_version.version} was started as a draft: set the "
                            "change on the plan page and approve it there.",
                        )
                    return redirect("outcomes:review_detail", mrn=patient.mrn, review_id=saved.pk)
                messages.success(request, "Draft saved. It is not part of the record until signed.")
                return redirect("outcomes:review", mrn=patient.mrn)
        fresh = request.POST.copy()  # the form was bound to it
        fresh["snapshot_key"] = key
        form.data = fresh
    else:
        initial = {"snapshot_key": key}
        if draft is not None:
            initial |= {
                "decision": draft.decision,
                "decision_details": draft.decision_details,
                "assessment": draft.assessment,
            }
        form = ReviewForm(initial=initial)
    return render(
        request,
        "outcomes/review.html",
        {"patient": patient, "o": outcomes, "live": data, "form": form, "draft": draft, "today": today},
    )


def _review_or_404(patient: Patient, review_id: int) -> OutcomeReview:
    found = (
        OutcomeReview.objects.select_related("signed_by", "created_by", "previous", "plan_version")
        .filter(patient=patient, pk=review_id)
        .first()
    )
    if found is None:
        raise Http404("No such review for this patient.")
    return found


@requires("clinical.view")
def review_detail(request: HttpRequest, mrn: str, review_id: int) -> HttpResponse:
    patient = patient_for(request, mrn, permission="clinical.view")
    item = _review_or_404(patient, review_id)
    amended_by = OutcomeReview.objects.filter(previous=item).first()
    return render(
        request,
        "outcomes/review_detail.html",
        {
            "patient": patient,
            "review": item,
            "s": item.snapshot,
            "amended_by": amended_by,
            "can_amend": item.is_signed and amended_by is None and allowed(request.user, "clinical.sign"),
            "amend_form": AmendForm(),
        },
    )


@require_POST
@requires("clinical.sign")
def review_amend(request: HttpRequest, mrn: str, review_id: int) -> HttpResponse:
    patient = patient_for(request, mrn, permission="clinical.sign", action=None)
    item = _review_or_404(patient, review_id)
    form = AmendForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the reason for the amendment.")
        return redirect("outcomes:review_detail", mrn=patient.mrn, review_id=item.pk)
    try:
        start_amendment(item, request.user, form.cleaned_data["reason"])
    except ReviewError as exc:
        messages.error(request, str(exc))
        return redirect("outcomes:review_detail", mrn=patient.mrn, review_id=item.pk)
    messages.success(request, "Amendment started as a new draft version. Sign it when it is right.")
    return redirect("outcomes:review", mrn=patient.mrn)


@requires("clinical.chart")
def liver(request: HttpRequest, mrn: str) -> HttpResponse:
    """Record a liver test result (or mark one entered in error); the trend is on the outcomes page."""
    patient = patient_for(request, mrn, permission="clinical.chart")
    today = timezone.localdate()
    window = sample_window(patient, today)
    form = LiverResultForm(window=window)
    error_form = InErrorForm()
    if request.method == "POST" and request.POST.get("action") == "in-error":
        error_form = InErrorForm(request.POST)
        if error_form.is_valid():
            found = (
                LiverTestResult.objects.active()
                .filter(patient=patient, pk=error_form.cleaned_data["result_id"])
                .first()
            )
            if found is None:
                raise Http404("No such result for this patient.")
            mark_entered_in_error(found, request.user, error_form.cleaned_data["reason"])
            messages.success(request, "The result is marked entered in error; it stays in its history.")
            return redirect("outcomes:liver", mrn=patient.mrn)
    elif request.method == "POST":
        form = LiverResultForm(request.POST, window=window)
        if form.is_valid():
            d = form.cleaned_data
            try:
                saved = record_liver_result(
                    patient,
                    request.user,
                    test_id=d["test"],
                    value=d["value"],
                    sampled_on=d["sampled_on"],
                    note=d["note"],
                    client_key=d["client_key"],
                )
            except LabError as exc:
                for field, message in exc.errors.items():
                    form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(request, f"{form.tests[saved.test].short} result recorded.")
                return redirect("outcomes:liver", mrn=patient.mrn)
    return render(
        request,
        "outcomes/liver.html",
        {
            "patient": patient,
            "form": form,
            "error_form": error_form,
            "liver": liver_panel(patient),
            "today": today,
        },
    )


# ----------------------------------------------------------------------------------------------
# The cohort report
# ----------------------------------------------------------------------------------------------


def _report(request: HttpRequest) -> tuple[CohortFilters, cohort.Report]:
    clinic_id = user_clinic_id(request)
    form = CohortFilters(request.GET or None, protocols=cohort.clinic_protocols(clinic_id))
    clean = form.cleaned_data if form.is_bound and form.is_valid() else {}
    report = cohort.cohort_report(
        clinic_id,
        started_from=clean.get("started_from"),
        started_to=clean.get("started_to"),
        protocol_id=clean.get("protocol") or "",
    )
    if not allowed(request.user, "clinical.view"):
        # A role that may not see individuals (the administrator) sees no small group.
        report = cohort.suppress_small_groups(report)
    return form, report


@requires("outcomes.report")
def cohort_page(request: HttpRequest) -> HttpResponse:
    form, report = _report(request)
    return render(
        request,
        "outcomes/cohort.html",
        {
            "form": form,
            "report": report,
            "overall_list": [] if report.overall_suppressed else [report.overall],
            "columns": cohort.columns(),
            "response_keys": cohort.RESPONSE_KEYS,
            "safety_keys": cohort.SAFETY_KEYS,
            "response_span": len(cohort.RESPONSE_KEYS) + 1,
            "safety_span": len(cohort.SAFETY_KEYS) + 1,
            "query": request.GET.urlencode(),
        },
    )


@requires("outcomes.report")
def cohort_csv(request: HttpRequest) -> HttpResponse:
    _, report = _report(request)
    response = HttpResponse(cohort.as_csv(report), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="ketapath-cohort-{stamp}.csv"'
    return response
