"""The patient's pages between sessions: appointments and preparation, tips, the pain journal,
their own progress charts and symptom reports. Every page reaches only the signed-in patient's
own record (``own_patient``)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from ketapath.accounts.policy import requires
from ketapath.appointments.models import Appointment
from ketapath.appointments.queries import upcoming_for
from ketapath.audit.refusals import ActionRefused
from ketapath.clinical.instruments import get_instrument, with_purpose
from ketapath.outcomes import events
from ketapath.outcomes.charts import journal_chart, score_chart
from ketapath.outcomes.responders import scores_for
from ketapath.patients.models import Patient
from ketapath.portal.access import own_patient
from ketapath.portal.actions import report_symptoms, save_journal_and_report
from ketapath.portal.appointments import CHANGE_TEXT_MAX, request_change, visits
from ketapath.portal.forms import JournalForm, SymptomForm
from ketapath.portal.ics import calendar_file
from ketapath.portal.models import JournalEntry, SymptomReport
from ketapath.portal.symptoms import symptoms
from ketapath.portal.tips import tips_for

APPOINTMENTS_SHOWN = 6
JOURNAL_CHART_DAYS = 90
# The instruments charted on the patient's progress page: those whose data file lists this purpose.
PROGRESS_PURPOSE = "patient-progress"
# Under the patient's chart, what the shading means, in plain words (the clinicians' chart names
# the bands' source instead).
PATIENT_BANDS_NOTE = "The coloured bands show what each range of scores means:"


class ChangeRequestForm(forms.Form):
    """The patient's request to change one appointment (the alert carries their words)."""

    reason = forms.CharField(
        label="Why, and which days and times suit you",
        max_length=CHANGE_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": CHANGE_TEXT_MAX}),
        help_text=f"Up to {CHANGE_TEXT_MAX} characters. Your clinic reads this and contacts you.",
    )
    # The form's one-time key: the same form sent twice raises one alert.
    request_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, appointment_id: int, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("request_key", uuid.uuid4())
        kwargs.setdefault("auto_id", f"id_%s_{appointment_id}")
        super().__init__(*args, **kwargs)

    def key_for(self, appointment_id: int) -> uuid.UUID:
        """The form's key; without one (a browser that dropped it), the same words to the same
        appointment make the same key, so a double submit still raises one alert."""
        key: uuid.UUID | None = self.cleaned_data.get("request_key")
        words = " ".join(self.cleaned_data["reason"].split())
        return key or uuid.uuid5(uuid.NAMESPACE_URL, f"ketapath:change:{appointment_id}:{words}")


def _appointments_page(
    request: HttpRequest, patient: Patient, *, bound: ChangeRequestForm | None = None, bound_id: int = 0
) -> HttpResponse:
    now = timezone.now()
    zone = patient.clinic.zone
    rows = visits(patient, now, limit=APPOINTMENTS_SHOWN)
    forms_by_id: dict[int | None, ChangeRequestForm] = {
        row.appointment_id: bound
        if bound is not None and row.appointment_id == bound_id
        else ChangeRequestForm(appointment_id=row.appointment_id)
        for row in rows
        if row.can_ask_change and row.appointment_id is not None
    }
    return render(
        request,
        "portal/appointments.html",
        {
            "patient": patient,
            "rows": [(row, forms_by_id.get(row.appointment_id)) for row in rows],
            "today": now.astimezone(zone).date(),
            "zone": zone,
            "has_booked": any(row.appointment_id is not None for row in rows),
            # The next session's instructions are shown open; the others are one tap away.
            "open_key": next((row.key for row in rows if row.prep is not None), ""),
        },
    )


@requires("portal.view")
def appointments(request: HttpRequest) -> HttpResponse:
    return _appointments_page(request, own_patient(request))


@requires("portal.view")
def appointments_ics(request: HttpRequest) -> HttpResponse:
    """The patient's appointments to come, as a file for their calendar app."""
    patient = own_patient(request)
    now = timezone.now()
    body = calendar_file(patient, upcoming_for(patient, now), now=now)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="appointments.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


@requires("portal.write")
def appointment_change(request: HttpRequest) -> HttpResponse:
    """Ask the clinic to change one booked appointment (the clinic moves it, after calling). The
    appointment is named in the form, so the address carries no record number; a GET goes back to
    the appointments page."""
    patient = own_patient(request)
    if request.method != "POST":
        return redirect("portal:appointments")
    raw = request.POST.get("appointment", "")
    appointment = (
        get_object_or_404(Appointment.objects.active(), pk=int(raw), patient=patient)
        if raw.isascii() and raw.isdigit() and len(raw) < 12
        else None
    )
    if appointment is None:
        messages.error(request, "Choose the appointment to change on this page, then send your request.")
        return redirect("portal:appointments")
    form = ChangeRequestForm(request.POST, appointment_id=appointment.pk)
    if form.is_valid():
        try:
            _, created = request_change(
                patient, appointment, words=form.cleaned_data["reason"], key=form.key_for(appointment.pk)
            )
        except ActionRefused as exc:
            if exc.field not in form.fields:
                messages.error(request, exc.message)
                return redirect("portal:appointments")
            form.add_error(exc.field, exc.message)
        else:
            messages.success(
                request,
                "Thank you. Your request was sent to your clinic. They will contact you to agree a new "
                "time. Until then, your appointment stays as it is."
                if created
                else "This request was already sent. Your clinic will contact you.",
            )
            return redirect("portal:appointments")
    return _appointments_page(request, patient, bound=form, bound_id=appointment.pk)


@requires("portal.view")
def tips(request: HttpRequest) -> HttpResponse:
    patient = own_patient(request)
    items, _ = tips_for(patient.clinic_id)
    return render(request, "portal/tips.html", {"patient": patient, "tips": items})


def _day(raw: str | None, today: date) -> date:
    try:
        return date.fromisoformat(raw) if raw else today
    except ValueError:
        return today


@requires("portal.write")
def journal(request: HttpRequest) -> HttpResponse:
    patient = own_patient(request)
    today = timezone.localdate()
    if request.method == "POST":
        form = JournalForm(request.POST)
        if form.is_valid():
            try:
                saved = save_journal_and_report(
                    patient,
                    request.user,
                    form.journal_input(),
                    report=form.tells_care_team,
                )
            except ActionRefused as exc:  # the form's key already used for another's report
                messages.error(request, exc.message)
                return redirect("portal:journal")
            entry = saved.entry
            messages.success(
                request,
                f"Saved your journal for {entry.entry_on:%A %d %B}."
                if saved.created
                else f"Updated your journal for {entry.entry_on:%A %d %B}.",
            )
            noted = "; ".join(label for code, label in _labels(entry) if code in saved.reportable).lower()
            if saved.report is not None:
                messages.success(
                    request,
                    f"Sent to your care team: {noted}. They will contact you."
                    if saved.report_created
                    else "This was already sent to your care team.",
                )
                catalogue = symptoms()
                if any(catalogue[c].urgent for c in saved.report.symptoms if c in catalogue):
                    messages.error(
                        request,
                        "You told us about a symptom that needs help now: do not wait for the clinic to "
                        "call. " + _urgent_numbers(patient),
                    )
            elif noted:
                messages.warning(
                    request,
                    f"You noted: {noted}. Your journal does not alert the care team. If you want them to "
                    "know, use “Report a symptom”.",
                )
            return redirect("portal:journal")
    else:
        day = _day(request.GET.get("day"), today)
        that_day = JournalEntry.objects.active().filter(patient=patient, entry_on=day).first()
        initial: dict[str, Any] = {"entry_on": day}
        if that_day is not None:
            initial |= {
                "pain_nrs": that_day.pain_nrs,
                "sleep_hours": that_day.sleep_hours,
                "mood": that_day.mood,
                "activity": that_day.activity,
                "side_effects": that_day.side_effect_codes(),
                "notes": that_day.notes,
            }
        form = JournalForm(initial=initial)
    entries = list(
        JournalEntry.objects.active()
        .filter(patient=patient, entry_on__gte=today.fromordinal(today.toordinal() - JOURNAL_CHART_DAYS))
        .order_by("-entry_on")
    )
    sessions = events.held_sessions([patient.pk]).get(patient.pk, [])
    return render(
        request,
        "portal/journal.html",
        {
            "patient": patient,
            "form": form,
            "entries": entries[:14],
            "chart": journal_chart(entries, sessions) if entries else None,
            "today": today,
        },
    )


def _labels(entry: JournalEntry) -> list[tuple[str, str]]:
    return list(zip(entry.side_effect_codes(), entry.side_effect_labels(), strict=True))


@requires("portal.view")
def progress(request: HttpRequest) -> HttpResponse:
    patient = own_patient(request)
    instrument_ids = tuple(d.id for d in with_purpose(PROGRESS_PURPOSE))
    scores = scores_for([patient.pk], instrument_ids)
    sessions = events.held_sessions([patient.pk]).get(patient.pk, [])
    charts = []
    for instrument_id in instrument_ids:
        rows = scores.get((patient.pk, instrument_id), [])
        if rows:
            charts.append((f"chart-{instrument_id}", _patient_chart(instrument_id, rows, sessions)))
    return render(
        request, "portal/progress.html", {"patient": patient, "charts": charts, "sessions": sessions}
    )


def _patient_chart(instrument_id: str, rows: Any, sessions: Any) -> dict[str, Any]:
    """The clinicians' score chart, told in the patient's words: the instrument by the name the
    patient knows it by (not its code), and no citation under it."""
    definition = get_instrument(instrument_id)
    chart = score_chart(instrument_id, rows, sessions)
    name = definition.patient_title

    def plain(measure: Any) -> Any:
        return name if measure == definition.name else measure

    bands = definition.primary_scale.bands
    return chart | {
        "title": name,
        "y_title": "Score",
        "series": [s | {"name": plain(s.get("name"))} for s in chart.get("series", [])],
        "table": [(row[0], plain(row[1]), *row[2:]) for row in chart.get("table", [])],
        "notes": [],
        "bands_note": PATIENT_BANDS_NOTE if bands else "",
        # The bands' own numbers and labels from the instrument's data ("None-minimal": none to minimal).
        "band_key": [(f"{b.min:g} to {b.max:g}", b.label.replace("-", " to ").lower()) for b in bands],
    }


@requires("portal.write")
def symptom_report(request: HttpRequest) -> HttpResponse:
    patient = own_patient(request)
    catalogue = symptoms()
    if request.method == "POST":
        form = SymptomForm(request.POST)
        try:
            report, created = (
                report_symptoms(patient, request.user, form.symptom_input())
                if form.is_valid()
                else (None, False)
            )
        except ActionRefused as exc:  # a clashing key, or symptoms outside the catalogue
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            report = None
        if report is not None:
            urgent = any(catalogue[c].urgent for c in report.symptoms if c in catalogue)
            if created:
                messages.success(request, "Sent to your care team. They will contact you.")
            else:
                messages.info(request, "This report was already sent.")
            if urgent:
                messages.error(
                    request,
                    "You told us about a symptom that needs help now: do not wait for the clinic to call. "
                    + _urgent_numbers(patient),
                )
            return redirect("portal:symptoms")
    else:
        form = SymptomForm()
    reports = list(SymptomReport.objects.active().filter(patient=patient).order_by("-reported_at")[:10])
    labels = {code: s.for_patient for code, s in catalogue.items()}
    return render(
        request,
        "portal/symptoms.html",
        {
            "patient": patient,
            "form": form,
            "reports": [(r, [labels.get(c, c) for c in r.symptom_codes()]) for r in reports],
            "urgent_codes": [c for c, s in catalogue.items() if s.urgent],
        },
    )


def _urgent_numbers(patient: Patient) -> str:
    clinic = patient.clinic
    text = (
        f"Call {clinic.emergency_number} (emergency)"
        if clinic.emergency_number
        else "Call your local emergency number"
    )
    if clinic.crisis_line:
        text += f" or the crisis line {clinic.crisis_line}"
    return text + "."
