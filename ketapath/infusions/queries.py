"""Reading sessions for lists: the day's sessions of a clinic and a patient's sessions.

Each function runs a fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Q

from ketapath.infusions.models import InfusionSession, SessionStatus
from ketapath.plans.models import SIGNED_STATUSES, PlannedSession
from ketapath.plans.models import SessionStatus as PlannedStatus

# The order of the day's list: who needs the nurse now first.
STATUS_ORDER = {
    SessionStatus.INFUSING: 0,
    SessionStatus.OBSERVATION: 1,
    SessionStatus.READY: 2,
    SessionStatus.PRECHECKS: 3,
    SessionStatus.WAITING: 4,
    SessionStatus.DISCHARGED: 5,
    SessionStatus.NOT_GIVEN: 6,
}
CLOSED = (SessionStatus.DISCHARGED, SessionStatus.NOT_GIVEN)


@dataclass(frozen=True)
class DayRow:
    planned: PlannedSession
    session: InfusionSession | None

    @property
    def patient(self) -> Any:
        return self.planned.patient

    @property
    def status(self) -> str:
        return self.session.status if self.session else SessionStatus.WAITING

    @property
    def status_label(self) -> str:
        label = str(SessionStatus(self.status).label)
        if self.session and self.session.paused and self.status == SessionStatus.INFUSING:
            return f"{label} (paused)"
        return label

    @property
    def signed(self) -> bool:
        return bool(self.session and self.session.is_signed)


def day_sessions(clinic_id: int, day: date) -> list[DayRow]:
    """The clinic's sessions planned for ``day``, and any still open from an earlier day (two
    queries). A session is listed as waiting until its flowsheet is opened."""
    planned = (
        PlannedSession.objects.active()
        .filter(
            patient__clinic_id=clinic_id,
            patient__record_status="active",
            plan__status__in=SIGNED_STATUSES,
            plan__record_status="active",
            status=PlannedStatus.SCHEDULED,
        )
        .filter(
            Q(planned_on=day)
            | Q(planned_on__lt=day, infusion__isnull=False, infusion__nurse_signed_at__isnull=True)
            & ~Q(infusion__status__in=CLOSED)
        )
        .select_related("patient", "plan", "infusion", "infusion__nurse_signed_by")
    )
    rows = [DayRow(p, getattr(p, "infusion", None)) for p in planned]
    rows.sort(key=lambda r: (STATUS_ORDER.get(r.status, 9), r.patient.family_name, r.patient.given_name))
    return rows


def patient_sessions(patient: Any) -> list[DayRow]:
    """Every planned session of the patient (any plan version), with its flowsheet if opened."""
    planned = (
        PlannedSession.objects.filter(patient=patient)
        .select_related("patient", "plan", "infusion", "infusion__nurse_signed_by", "infusion__cosigned_by")
        .order_by("planned_on", "number", "id")
    )
    return [DayRow(p, getattr(p, "infusion", None)) for p in planned]


def cosign_waiting(clinic_id: int, limit: int) -> list[InfusionSession]:
    """Signed sessions of the clinic waiting for a prescriber's co-signature (one query)."""
    return list(
        InfusionSession.objects.active()
        .filter(patient__clinic_id=clinic_id, nurse_signed_at__isnull=False, cosigned_at__isnull=True)
        .select_related("patient", "planned_session", "nurse_signed_by")
        .order_by("nurse_signed_at")[:limit]
    )
