"""The patient's own pages: the home part of the intake, and the clinic's consent text to read."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from ketapath.accounts.policy import requires
from ketapath.consultations.actions import ConsultationError, IntakeChanges, IntakeLocked, save_intake
from ketapath.consultations.forms import IntakePage
from ketapath.consultations.models import ConsentVersion
from ketapath.consultations.queries import intake_for
from ketapath.consultations.views import cited_sources, intake_rows, questionnaire_rows
from ketapath.patients.access import own_patient


@requires("portal.write")
def intake(request: HttpRequest) -> HttpResponse:
    """The patient's part of the intake. "Send to my clinic" (``action=review``) checks and saves
    the answers first, as "Save" does, and only then asks to confirm; the confirmation's button
    (``action=send``) sends what was saved. ``action=submit`` saves and sends in one step."""
    patient = own_patient(request)
    record = intake_for(patient)
    sent = record is not None and record.patient_submitted_at is not None
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if action == "send" and not sent and record is not None:
        try:
            save_intake(patient, request.user, IntakeChanges(), by_patient=True, submit=True)
        except IntakeLocked as exc:
            messages.info(request, str(exc))
        except ConsultationError as exc:
            messages.error(request, f"Nothing was sent. {exc}")
        else:
            messages.success(request, "Thank you: your answers were sent to your clinic.")
        return redirect("portal:intake")
    editing = request.method == "POST" and not sent
    page = IntakePage(
        request.POST if editing else None,
        patient=patient,
        intake=record,
        staff=False,
        rows=intake_rows(record),
    )
    if editing and page.is_valid():
        submit = request.POST.get("action") == "submit"
        try:
            save_intake(patient, request.user, page.changes(), by_patient=True, submit=submit)
        except IntakeLocked as exc:
            messages.info(request, str(exc))
        except ConsultationError as exc:
            messages.error(request, f"Nothing was saved. {exc}")
        else:
            if submit:
                messages.success(request, "Thank you: your answers were sent to your clinic.")
            elif action == "review":
                messages.success(request, "Your answers are saved.")
                return redirect(reverse("portal:intake") + "?send=1#send")
            else:
                messages.success(
                    request, "Saved. You can come back and finish later; send it when you are ready."
                )
        return redirect("portal:intake")
    if sent:
        page.disable()
    if request.method == "POST" and sent:
        messages.info(request, "You already sent this form to your clinic; it can no longer be changed here.")
        return redirect("portal:intake")
    return render(
        request,
        "consultations/portal_intake.html",
        {
            "patient": patient,
            "intake": record,
            "sent": sent,
            "confirm_send": not sent and record is not None and request.GET.get("send") == "1",
            "page": page,
            "errors": page.errors() if editing else [],
            "questionnaires": [q for q in questionnaire_rows(patient) if q["respondent"] == "patient"],
            "today": timezone.localdate(),
        },
    )


@requires("portal.view")
def consent(request: HttpRequest) -> HttpResponse:
    patient = own_patient(request)
    current = ConsentVersion.current_for(patient.clinic_id)
    return render(
        request,
        "consultations/portal_consent.html",
        {
            "patient": patient,
            "current": current,
            "sources": cited_sources(current.sources) if current else [],
        },
    )
