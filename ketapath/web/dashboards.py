"""What each role's dashboard shows, gathered with a fixed number of queries."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.utils import timezone

from ketapath.accounts.models import Role
from ketapath.alerts.queries import open_alerts_for
from ketapath.clinic_settings.readiness import first_infusion_missing
from ketapath.clinic_settings.values import values_for
from ketapath.consultations.queries import evaluations_waiting
from ketapath.infusions.queries import cosign_waiting, day_sessions
from ketapath.outcomes.followups import overdue_follow_ups, overdue_rescreening
from ketapath.patients.models import PathwayStage, Patient
from ketapath.plans.queries import drafts_waiting

LIST_LIMIT = 15


def stage_counts(clinic_id: int) -> list[dict[str, Any]]:
    counts = dict(
        Patient.objects.active()
        .filter(clinic_id=clinic_id)
        .values_list("pathway_stage")
        .annotate(n=Count("id"))
        .values_list("pathway_stage", "n")
    )
    return [{"stage": s, "label": s.label, "count": counts.get(s.value, 0)} for s in PathwayStage]


def patients_at(clinic_id: int, stages: list[str]) -> list[Patient]:
    return list(
        Patient.objects.active()
        .filter(clinic_id=clinic_id, pathway_stage__in=stages)
        .order_by("-updated_at")[:LIST_LIMIT]
    )


def staff_dashboard(user: Any) -> dict[str, Any]:
    context: dict[str, Any] = {"stages": stage_counts(user.clinic_id)}
    # Safety fails closed: the clinic's unset safety settings, as a banner (one query).
    settings_values = values_for(user.clinic_id)
    context["readiness_missing"] = first_infusion_missing(user.clinic_id, values=settings_values)
    if user.role in (Role.PRESCRIBER, Role.NURSE):
        context["alerts"] = list(open_alerts_for(user)[:LIST_LIMIT])
    if user.role == Role.NURSE:
        context["day"] = timezone.localdate()
        context["today_sessions"] = day_sessions(user.clinic_id, context["day"])
        overdue, overdue_count, _ = overdue_follow_ups(user.clinic_id, context["day"], LIST_LIMIT)
        context["overdue_follow_ups"], context["overdue_count"] = overdue, overdue_count
        context["title"] = "Patients in treatment"
        context["patients"] = patients_at(user.clinic_id, [PathwayStage.TREATMENT])
    elif user.role == Role.PRESCRIBER:
        context["title"] = "Waiting for a prescriber: evaluations and plans"
        context["evaluations_waiting"] = list(evaluations_waiting(user.clinic_id, LIST_LIMIT))
        context["plans_waiting"] = drafts_waiting(user.clinic_id, LIST_LIMIT, values=settings_values)
        context["cosign_waiting"] = cosign_waiting(user.clinic_id, LIST_LIMIT)
        # Re-screening (bladder symptoms, misuse) overdue at the clinic's intervals, or not set.
        context["rescreening"] = overdue_rescreening(user.clinic_id, timezone.localdate(), LIST_LIMIT)
        context["patients"] = patients_at(user.clinic_id, [PathwayStage.EVALUATION, PathwayStage.PLANNING])
    else:
        context["title"] = "Recently updated patients"
        context["patients"] = list(
            Patient.objects.filter(clinic_id=user.clinic_id).order_by("-updated_at")[:LIST_LIMIT]
        )
    return context
