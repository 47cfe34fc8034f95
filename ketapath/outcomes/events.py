"""Treatment events as follow-up and outcomes read them: the one place that reads the plans and
infusions apps' records (never writes them).

- a **session held** is a planned session (``plans.PlannedSession``) whose infusion chart
  (``infusions.InfusionSession``) shows the drug was given: infusing, in observation, ready or
  discharged. Its date is the planned date;
- an **appointment** is a planned session still scheduled, today or later, not yet charted as held
  or not given;
- the **course** is the patient's first signed plan version: its protocol (and condition group),
  first session and the end of its trial, the date of its last planned session.

Every function takes many patients at once and runs a fixed number of queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from django.apps import apps
from django.db.models import Max, Min, Q, QuerySet

from ketapath.clinical.protocols import Protocol, published_protocols
from ketapath.outcomes.schedule import SessionEvent
from ketapath.plans.library import clinic_library
from ketapath.plans.models import SIGNED_STATUSES, LocalProtocol, PlannedSession, TreatmentPlan

# The infusion chart statuses that mean the drug was given (the session counts as held).
GIVEN_STATUSES = ("infusing", "observation", "ready", "discharged")
NOT_HELD_STATUSES = ("not-given",)


def infusions_installed() -> bool:
    return apps.is_installed("ketapath.infusions")


def _ids(patient_ids: Iterable[int] | QuerySet[Any]) -> list[int] | QuerySet[Any]:
    """A list of ids, or a queryset of ids left as a subquery (the cohort report's whole clinic)."""
    return patient_ids if isinstance(patient_ids, QuerySet) else list(patient_ids)


def _none(ids: list[int] | QuerySet[Any]) -> bool:
    return isinstance(ids, list) and not ids


def session_key(planned_session_id: int) -> str:
    return f"session:{planned_session_id}"


@dataclass(frozen=True)
class Appointment:
    key: str
    planned_session_id: int
    patient_id: int
    on: date
    number: int
    phase_label: str
    plan_id: int
    protocol_id: str
    protocol_name: str
    drug: str
    route: str


@dataclass(frozen=True)
class Course:
    plan_id: int
    plan_version: int
    protocol_id: str
    protocol_name: str
    condition_group: str
    first_on: date | None
    trial_ends_on: date | None  # the last planned session of the first signed version


def held_sessions(patient_ids: Iterable[int] | QuerySet[Any]) -> dict[int, list[SessionEvent]]:
    """patient id -> the sessions held, by date (one query)."""
    ids = _ids(patient_ids)
    found: dict[int, list[SessionEvent]] = defaultdict(list)
    if _none(ids) or not infusions_installed():
        return found
    # Imported here: the infusions app is optional (not installed, its models cannot be imported).
    from ketapath.infusions.models import InfusionSession

    rows = (
        InfusionSession.objects.active()
        .filter(patient_id__in=ids, status__in=GIVEN_STATUSES, planned_session__record_status="active")
        .values_list(
            "patient_id", "planned_session_id", "planned_session__planned_on", "planned_session__number"
        )
        .order_by("patient_id", "planned_session__planned_on", "planned_session__number")
    )
    for patient_id, ps_id, on, number in rows:
        found[patient_id].append(SessionEvent(session_key(ps_id), on, number))
    return found


def _not_to_come() -> Q:
    """Planned sessions already charted (held or not given): no longer appointments."""
    if not infusions_installed():
        return Q(pk__in=[])
    return Q(infusion__isnull=False) & ~Q(infusion__status="waiting")


def upcoming_appointments(
    patient_ids: Iterable[int] | QuerySet[Any], today: date, *, limit: int | None = None
) -> dict[int, list[Appointment]]:
    """patient id -> scheduled sessions from today on, by date (one query)."""
    ids = _ids(patient_ids)
    found: dict[int, list[Appointment]] = defaultdict(list)
    if _none(ids):
        return found
    rows = (
        PlannedSession.objects.active()
        .filter(patient_id__in=ids, status="scheduled", planned_on__gte=today, plan__record_status="active")
        .exclude(_not_to_come())
        .select_related("plan")
        .order_by("patient_id", "planned_on", "number")
    )
    for row in rows:
        items = found[row.patient_id]
        if limit is not None and len(items) >= limit:
            continue
        items.append(
            Appointment(
                key=session_key(row.pk),
                planned_session_id=row.pk,
                patient_id=row.patient_id,
                on=row.planned_on,
                number=row.number,
                phase_label=row.phase_label,
                plan_id=row.plan_id,
                protocol_id=row.plan.protocol_id,
                protocol_name=row.plan.protocol_name,
                drug=row.plan.drug,
                route=row.plan.route,
            )
        )
    return found


def next_planned_after(patient_ids: Iterable[int] | QuerySet[Any], after: dict[int, date]) -> dict[int, date]:
    """patient id -> the first scheduled session after the given date (one query)."""
    ids = _ids(patient_ids)
    if _none(ids):
        return {}
    rows = (
        PlannedSession.objects.active()
        .filter(patient_id__in=ids, status="scheduled", plan__record_status="active")
        .exclude(_not_to_come())
        .values_list("patient_id", "planned_on")
        .order_by("patient_id", "planned_on")
    )
    found: dict[int, date] = {}
    for patient_id, on in rows:
        last = after.get(patient_id)
        if patient_id not in found and (last is None or on > last):
            found[patient_id] = on
    return found


@cache
def _published() -> dict[str, Protocol]:
    return published_protocols()


def condition_group(protocol_id: str, local_groups: dict[str, str] | None = None) -> str:
    protocol = _published().get(protocol_id)
    if protocol is not None:
        return protocol.condition_group
    return (local_groups or {}).get(protocol_id, "")


def _local_groups(clinic_ids: set[int]) -> dict[str, str]:
    groups = {}
    for pid, definition in LocalProtocol.objects.filter(clinic_id__in=clinic_ids).values_list(
        "protocol_id", "definition"
    ):
        if isinstance(definition, dict):
            groups[pid] = str(definition.get("condition_group", ""))
    return groups


def courses(patient_ids: Iterable[int] | QuerySet[Any]) -> dict[int, Course]:
    """patient id -> the course: the first signed plan version and its sessions (three queries)."""
    ids = _ids(patient_ids)
    if _none(ids):
        return {}
    first_plans: dict[int, dict[str, Any]] = {}
    plans = (
        TreatmentPlan.objects.active()
        .filter(patient_id__in=ids, status__in=SIGNED_STATUSES)
        .values(
            "pk", "patient_id", "patient__clinic_id", "version", "protocol_id", "protocol_name", "start_on"
        )
        .order_by("patient_id", "version")
    )
    for row in plans:
        first_plans.setdefault(row["patient_id"], dict(row))
    if not first_plans:
        return {}
    spans = {
        row["plan_id"]: (row["first"], row["last"])
        for row in PlannedSession.objects.active()
        .filter(plan_id__in=[p["pk"] for p in first_plans.values()], status="scheduled")
        .values("plan_id")
        .annotate(first=Min("planned_on"), last=Max("planned_on"))
    }
    local = _local_groups({p["patient__clinic_id"] for p in first_plans.values()})
    found = {}
    for patient_id, plan in first_plans.items():
        first, last = spans.get(plan["pk"], (None, None))
        found[patient_id] = Course(
            plan_id=plan["pk"],
            plan_version=plan["version"],
            protocol_id=plan["protocol_id"],
            protocol_name=plan["protocol_name"],
            condition_group=condition_group(plan["protocol_id"], local),
            first_on=first or plan["start_on"],
            trial_ends_on=last,
        )
    return found


def protocol_for(clinic_id: int, protocol_id: str) -> Protocol | None:
    """The protocol a plan names, published or the clinic's own (None when it no longer exists)."""
    entry = clinic_library(clinic_id, include_retired=True).get(protocol_id)
    return None if entry is None else entry.protocol
