"""Clinicians' alert list and recording what was done."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ketapath.accounts.policy import requires, user_clinic_id
from ketapath.alerts.actions import acknowledge_alert
from ketapath.alerts.forms import AcknowledgeForm
from ketapath.alerts.models import Alert
from ketapath.alerts.queries import open_alerts_for
from ketapath.audit.actions import log_access
from ketapath.audit.refusals import ActionRefused
from ketapath.clinic_settings.readiness import ESCALATION, missing_settings

LIMIT = 100


def alert_for(request: HttpRequest, alert_id: int) -> Alert:
    alert = (
        Alert.objects.select_related("patient", "clinic", "acknowledged_by")
        .filter(
            pk=alert_id,
            clinic_id=user_clinic_id(request),
        )
        .first()
    )
    if alert is None:
        raise Http404("No such alert in your clinic.")
    return alert


@requires("clinical.view")
def alert_list(request: HttpRequest) -> HttpResponse:
    alerts = list(open_alerts_for(request.user)[:LIMIT])
    return render(request, "alerts/list.html", {"alerts": alerts, "form": AcknowledgeForm()})


@requires("clinical.view")
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    """One alert: where it is answered, who was told (and what could not be sent), what was done."""
    alert = alert_for(request, alert_id)
    log_access(request, alert.patient)  # one patient's alert is chart content
    notifications = list(alert.notifications.all())
    return render(
        request,
        "alerts/detail.html",
        {
            "alert": alert,
            "notifications": notifications,
            # Shown only for an alert that e-mails: the settings that stop it reaching a person.
            "missing": missing_settings(alert.clinic_id, ESCALATION) if alert.notify_oncall else [],
            "form": AcknowledgeForm(),
        },
    )


@require_POST
@requires("clinical.chart")
def alert_acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = alert_for(request, alert_id)
    form = AcknowledgeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Record what was done before closing the alert.")
    else:
        try:
            acknowledge_alert(alert, request.user, form.cleaned_data["action_taken"])
            messages.success(request, f"Action recorded for {alert.patient.full_name}.")
        except ActionRefused as exc:
            messages.info(request, exc.message)
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/") else "alerts:list")
