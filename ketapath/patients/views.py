"""The registry pages. Each view: check access, call an action, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketapath.accounts.policy import requires, user_clinic
from ketapath.audit.actions import mark_entered_in_error
from ketapath.audit.models import AccessAction
from ketapath.patients.access import patient_for, patients_of
from ketapath.patients.actions import register_patient, update_patient
from ketapath.patients.forms import EnteredInErrorForm, PatientForm, PatientSearchForm
from ketapath.patients.history import history_rows, starts_late
from ketapath.patients.overview import chart_strip, overview_panels
from ketapath.ui.htmx import is_htmx

PAGE_SIZE = 25


@requires("patients.list")
def patient_list(request: HttpRequest) -> HttpResponse:
    search = PatientSearchForm(request.GET)
    patients = patients_of(request)
    query = search.data.get("q", "").strip() if search.is_valid() else ""
    if query:
        words = query.split()
        for word in words:
            patients = patients.filter(
                Q(mrn__icontains=word) | Q(given_name__icontains=word) | Q(family_name__icontains=word)
            )
    if request.GET.get("show") != "all":
        patients = patients.active()
    page = Paginator(patients, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "patients/_rows.html" if is_htmx(request) else "patients/list.html"
    return render(request, template, {"page": page, "search": search, "query": query})


@requires("patients.create")
def patient_create(request: HttpRequest) -> HttpResponse:
    clinic = user_clinic(request)
    form = PatientForm(request.POST or None, clinic=clinic)
    if request.method == "POST" and form.is_valid():
        patient = register_patient(form, request.user)
        messages.success(request, f"Registered {patient.full_name} ({patient.mrn}).")
        return redirect("patients:detail", mrn=patient.mrn)
    return render(request, "patients/form.html", {"form": form, "creating": True})


@requires("patients.view")
def patient_detail(request: HttpRequest, mrn: str) -> HttpResponse:
    """The chart overview: the registry, then what each pathway app registered (open alerts,
    diagnosis and allergies, the current plan and next session, the latest scores)."""
    patient = patient_for(request, mrn)  # writes the access-log row
    today = timezone.localdate()
    panels = overview_panels(request.user, patient, today)
    strip = chart_strip(request.user, patient, today)
    return render(request, "patients/detail.html", {"patient": patient, "panels": panels, "strip": strip})


@requires("patients.edit")
def patient_edit(request: HttpRequest, mrn: str) -> HttpResponse:
    patient = patient_for(request, mrn, permission="patients.edit", action=AccessAction.EDIT)
    if patient.is_entered_in_error:
        messages.error(request, "This record is marked entered in error and cannot be edited.")
        return redirect("patients:detail", mrn=patient.mrn)
    form = PatientForm(request.POST or None, instance=patient, clinic=patient.clinic)
    if request.method == "POST" and form.is_valid():
        if form.has_changed():
            patient = update_patient(form, request.user)
            messages.success(request, "Saved.")
        return redirect("patients:detail", mrn=patient.mrn)
    return render(request, "patients/form.html", {"form": form, "patient": patient})


@requires("patients.history")
def patient_history(request: HttpRequest, mrn: str) -> HttpResponse:
    patient = patient_for(request, mrn, permission="patients.history", action=AccessAction.HISTORY)
    rows = history_rows(patient)
    context = {"patient": patient, "rows": rows, "starts_late": starts_late(rows)}
    return render(request, "patients/history.html", context)


@require_POST
@requires("patients.mark_in_error")
def patient_mark_in_error(request: HttpRequest, mrn: str) -> HttpResponse:
    patient = patient_for(request, mrn, permission="patients.mark_in_error", action=AccessAction.EDIT)
    form = EnteredInErrorForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a reason to mark the record entered in error.")
    elif patient.is_entered_in_error:
        messages.info(request, "This record is already marked entered in error.")
    else:
        mark_entered_in_error(patient, request.user, form.cleaned_data["reason"])
        messages.success(request, "Marked entered in error. The record is kept, with its history.")
    return redirect("patients:detail", mrn=patient.mrn)
