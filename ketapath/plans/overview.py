"""The plan's part of a patient's chart overview: the current plan and the next session.

The current plan is the approved version (protocol, status, version), with a draft waiting for
approval named beside it; the next session is the first scheduled session of a signed version
from today on. Two queries, whatever the number of versions and sessions.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ketapath.patients.overview import register_overview_panel
from ketapath.plans.models import SIGNED_STATUSES, PlannedSession, SessionStatus
from ketapath.plans.queries import current_versions


def overview_context(patient: Any, user: Any, today: date) -> dict[str, Any]:
    approved, draft = current_versions(patient)
    next_session = (
        PlannedSession.objects.active()
        .filter(
            patient=patient,
            status=SessionStatus.SCHEDULED,
            planned_on__gte=today,
            plan__record_status="active",
            plan__status__in=SIGNED_STATUSES,
        )
        .order_by("planned_on", "number")
        .first()
    )
    return {"approved": approved, "draft": draft, "next_session": next_session, "today": today}


def register_panels() -> None:
    register_overview_panel(30, "plans/_overview.html", overview_context)
