"""The patient's own pages: the home part of the intake, and the clinic's consent text to read
and sign."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from ketapath.accounts.policy import allowed, requires
from ketapath.consultations.actions import (
    STALE_CONSENT,
    ConsentAlreadySigned,
    ConsultationError,
    IntakeChanges,
    IntakeLocked,
    save_intake,
    sign_consent_in_portal,
)
from ketapath.consultations.consent_status import consent_status
from ketapath.consultations.forms import IntakePage, PortalConsentForm
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


def _consent_top() -> HttpResponse:
    # The messages are at the top of the page: the form's "#sign" would scroll them out of view.
    return redirect(reverse("portal:consent") + "#main")


@requires("portal.view")
def consent(request: HttpRequest) -> HttpResponse:
    """The clinic's current consent text; the patient signs it here by typing their name (issue 16).

    A standing signature of the current version shows how and when it was signed; a signature of
    an older version only says the clinic has updated its text, and asks again.
    """
    patient = own_patient(request)
    status = consent_status(patient)
    current = status.current
    form = None
    if current is not None and status.signed is None:
        posting = request.method == "POST"
        if posting and not allowed(request.user, "portal.write"):
            raise PermissionDenied("Your role may not sign here.")
        form = PortalConsentForm(
            request.POST if posting else None, patient=patient, initial={"version": current.pk}
        )
        if posting and form.is_valid():
            data = form.cleaned_data
            shown = ConsentVersion.objects.filter(pk=data["version"], clinic_id=patient.clinic_id).first()
            try:
                if shown is None:  # an unknown id can only come from a stale or altered page
                    raise ConsultationError(STALE_CONSENT, field="version")
                sign_consent_in_portal(patient, shown, data["typed_name"], request.user)
            except ConsentAlreadySigned as exc:
                messages.info(request, str(exc))
                return _consent_top()
            except ConsultationError as exc:
                if exc.field not in {"typed_name", "understood"}:
                    # The text changed under the page: show the new one with a fresh form.
                    messages.warning(request, f"Nothing was signed. {exc}")
                    return _consent_top()
                form.add_error(exc.field, exc.message)
            else:
                messages.success(request, "Thank you: your signed consent is now with your clinic.")
                return _consent_top()
    elif request.method == "POST":
        if current is not None:  # a double submit after the first signature saved
            messages.info(request, f"You already signed version {current.version} of your clinic's consent.")
        return _consent_top()
    return render(
        request,
        "consultations/portal_consent.html",
        {
            "patient": patient,
            "current": current,
            "status": status,
            "form": form,
            "sources": cited_sources(current.sources) if current else [],
        },
    )
