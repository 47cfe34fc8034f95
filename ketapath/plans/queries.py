"""Reading plans and sessions with a fixed number of queries."""

from __future__ import annotations

from typing import Any

from ketapath.audit.records import RecordStatus
from ketapath.clinic_settings.readiness import PLAN, missing_settings
from ketapath.clinic_settings.values import values_for
from ketapath.plans.models import PlannedSession, PlanStatus, SessionStatus, TreatmentPlan


def patient_plans(patient: Any) -> list[TreatmentPlan]:
    """Every version of the patient's plan, newest first (one query)."""
    return list(
        TreatmentPlan.objects.filter(patient=patient)
        .select_related(
            "created_by", "approved_by", "override_by", "entered_in_error_by", "local_protocol", "previous"
        )
        .order_by("-version")
    )


def plan_sessions(plan: TreatmentPlan) -> list[PlannedSession]:
    """The sessions a version scheduled, by date (one query)."""
    return list(
        PlannedSession.objects.filter(plan=plan)
        .select_related("cancelled_by")
        .order_by("planned_on", "number")
    )


def drafts_waiting(
    clinic_id: int, limit: int, *, values: dict[str, Any] | None = None
) -> list[TreatmentPlan]:
    """Draft plans of a clinic's patients, waiting for a prescriber's approval (one query, and one
    more without the clinic's settings ``values``).

    Each plan carries ``limits_not_set``: the clinic safety settings its route needs that are
    unset now, and ``calculated_unchecked``: its numbers were calculated while a clinic limit was
    unset. Either way the plan is not "within limits" (an unset limit is never "no limit").
    """
    plans = list(
        TreatmentPlan.objects.active()
        .filter(
            patient__clinic_id=clinic_id, patient__record_status=RecordStatus.ACTIVE, status=PlanStatus.DRAFT
        )
        .select_related("patient", "created_by")
        .order_by("updated_at")[:limit]
    )
    if plans:
        current = values_for(clinic_id) if values is None else values
        for plan in plans:
            plan.limits_not_set = missing_settings(  # type: ignore[attr-defined]
                clinic_id, PLAN, route=plan.route, values=current
            )
            plan.calculated_unchecked = bool((plan.limit_check or {}).get("not_set"))  # type: ignore[attr-defined]
    return plans


def current_versions(patient: Any) -> tuple[TreatmentPlan | None, TreatmentPlan | None]:
    """The patient's approved version and draft of the plan (either may be None), in one query."""
    live = list(
        TreatmentPlan.objects.active()
        .filter(patient=patient, status__in=[PlanStatus.DRAFT, PlanStatus.APPROVED])
        .order_by("-version")
    )
    approved = next((p for p in live if p.status == PlanStatus.APPROVED), None)
    draft = next((p for p in live if p.status == PlanStatus.DRAFT), None)
    return approved, draft


def course_state(patient: Any, today: Any) -> dict[str, Any]:
    """Where the patient's treatment plan stands, for the pathway strip (two queries): the
    approved version and the draft (either may be None), and the approved version's sessions
    that are still booked, ``booked``, with the first from ``today`` on, ``next_session``."""
    approved, draft = current_versions(patient)
    booked: list[PlannedSession] = []
    if approved is not None:
        booked = list(
            PlannedSession.objects.active()
            .filter(plan=approved, status=SessionStatus.SCHEDULED)
            .order_by("planned_on", "number")
        )
    upcoming = [s for s in booked if s.planned_on >= today]
    return {
        "approved": approved,
        "draft": draft,
        "booked": booked,
        "next_session": upcoming[0] if upcoming else None,
    }
