"""Reading sessions for lists: the day's sessions of a clinic and a patient's sessions.

Each function runs a fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone

from ketapath.appointments.models import Appointment
from ketapath.appointments.queries import for_sessions
from ketapath.clinical.delivery import (
    OVERRUN_TEXT,
    DeliveryError,
    Overrun,
    PlanComparison,
    overruns,
    summarise,
)
from ketapath.clinical.dosing.salt import comparable
from ketapath.clinical.protocols import SaltBasis
from ketapath.infusions.flowsheet import core_events, current
from ketapath.infusions.models import InfusionEventEntry, InfusionSession, SessionStatus
from ketapath.plans.models import SIGNED_STATUSES, PlannedSession
from ketapath.plans.models import SessionStatus as PlannedStatus

# The order of the day's list: who needs the nurse now first.
STATUS_ORDER: dict[str, int] = {
    SessionStatus.INFUSING: 0,
    SessionStatus.OBSERVATION: 1,
    SessionStatus.READY: 2,
    SessionStatus.PRECHECKS: 3,
    SessionStatus.WAITING: 4,
    SessionStatus.DISCHARGED: 5,
    SessionStatus.NOT_GIVEN: 6,
}
CLOSED = (SessionStatus.DISCHARGED, SessionStatus.NOT_GIVEN)


# Sessions whose delivery is compared with the plan on the day's list (the pump may still run, or
# more than planned may have been given).
DELIVERING = (SessionStatus.INFUSING, SessionStatus.OBSERVATION, SessionStatus.READY)


@dataclass(frozen=True)
class DayRow:
    planned: PlannedSession
    session: InfusionSession | None
    overruns: tuple[Overrun, ...] = ()
    #: The planned session's booked appointment (its time, chair and nurse), when the list asked
    #: for it (:func:`day_sessions_by_time`) and it has one.
    appointment: Appointment | None = None

    @property
    def overrun_texts(self) -> list[str]:
        return [OVERRUN_TEXT[o] for o in self.overruns]

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
    rows = with_overruns(rows, timezone.now())
    rows.sort(key=lambda r: (STATUS_ORDER.get(r.status, 9), r.patient.family_name, r.patient.given_name))
    return rows


def day_sessions_by_time(clinic_id: int, day: date) -> list[DayRow]:
    """:func:`day_sessions` ordered by appointment time, each with its appointment (its time, chair
    and nurse); the sessions with no appointment booked come after, in :func:`day_sessions`' order
    (one more query)."""
    rows = day_sessions(clinic_id, day)
    booked = for_sessions(r.planned.pk for r in rows)
    timed = sorted(
        (replace(r, appointment=booked[r.planned.pk]) for r in rows if r.planned.pk in booked),
        key=lambda r: (booked[r.planned.pk].starts_at, booked[r.planned.pk].pk),
    )
    return timed + [r for r in rows if r.planned.pk not in booked]


def with_overruns(rows: list[DayRow], now: datetime) -> list[DayRow]:
    """Each row with what its infusion has gone past (planned duration or dose reached while
    running, more than planned given), from its pump events (one query for all rows)."""
    delivering = {r.session.pk: r for r in rows if r.session is not None and r.session.status in DELIVERING}
    if not delivering:
        return rows
    by_session: dict[int, list[InfusionEventEntry]] = defaultdict(list)
    events_of = InfusionEventEntry.objects.filter(session_id__in=list(delivering))
    for event in events_of.order_by("observed_at", "id"):
        by_session[event.session_id].append(event)
    found: dict[int, tuple[Overrun, ...]] = {}
    for pk, events in by_session.items():
        events = current(events)
        row = delivering[pk]
        if not events:
            continue
        try:
            summary = summarise(
                core_events(events),
                weight_kg=row.planned.plan.weight_kg,
                as_of=max(now, max(e.observed_at for e in events)),
            )
        except DeliveryError:
            continue
        basis = next((e.conc_salt_basis for e in events if e.conc_salt_basis), "")
        planned_mg, _ = comparable(
            row.planned.dose_mg,
            SaltBasis(row.planned.plan.salt_basis or SaltBasis.UNSTATED.value),
            SaltBasis(basis or SaltBasis.UNSTATED.value),
        )
        comparison = PlanComparison(
            planned_mg, summary.total_mg, row.planned.duration_min, summary.infusing_min or Decimal(0)
        )
        running = not any(e.kind == "stop" for e in events)
        found[pk] = overruns(comparison, running=running)
    return [DayRow(r.planned, r.session, found.get(r.session.pk, ())) if r.session else r for r in rows]


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
