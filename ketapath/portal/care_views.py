"""The patient's pages between sessions: appointments and preparation, tips, the pain journal,
their own progress charts and symptom reports. Every page reaches only the signed-in patient's
own record (``own_patient``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from ketapath.accounts.policy import requires
from ketapath.audit.refusals import ActionRefused
from ketapath.clinical.instruments import get_instrument, with_purpose
from ketapath.outcomes import events
from ketapath.outcomes.charts import journal_chart, score_chart
from ketapath.outcomes.responders import scores_for
from ketapath.patients.models import Patient
from ketapath.portal.access import own_patient
from ketapath.portal.actions import report_symptoms, save_journal_and_report
from ketapath.portal.appointments import preparations
from ketapath.portal.forms import JournalForm, SymptomForm
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


@requires("portal.view")
def appointments(request: HttpRequest) -> HttpResponse:
    patient = own_patient(request)
    today = timezone.localdate()
    upcoming = events.upcoming_appointments([patient.pk], today, limit=APPOINTMENTS_SHOWN).get(patient.pk, [])
    rows = list(zip(upcoming, preparations(patient, upcoming), strict=True))
    return render(request, "portal/appointments.html", {"patient": patient, "rows": rows, "today": today})


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
