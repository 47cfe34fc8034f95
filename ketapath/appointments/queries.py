"""The appointments app's public read module: what the pages, the portal, reminders and the FHIR
export read about appointments. Each function runs a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet

from ketapath.appointments.models import Appointment, AppointmentStatus, Chair, OpeningHours


def local(moment: datetime, clinic: Any) -> datetime:
    """``moment`` on the clinic's wall clock."""
    return moment.astimezone(clinic.zone)


def day_bounds(day: date, clinic: Any, days: int = 1) -> tuple[datetime, datetime]:
    """The UTC instants a run of ``days`` local days starts and ends at (a 23- or 25-hour day when the
    clocks change)."""
    zone = clinic.zone
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=days), time(0), tzinfo=zone)
    return start, end


def _rows() -> QuerySet[Appointment]:
    return Appointment.objects.active().select_related("patient", "chair", "nurse", "planned_session")


def between(clinic_id: int, start: datetime, end: datetime) -> list[Appointment]:
    """Every appointment of the clinic starting in ``[start, end)``, cancelled ones included, by time."""
    return list(
        _rows()
        .filter(clinic_id=clinic_id, starts_at__gte=start, starts_at__lt=end)
        .order_by("starts_at", "chair__name", "id")
    )


def booked_between(clinic_id: int, start: datetime, end: datetime) -> list[Appointment]:
    """The booked appointments overlapping ``[start, end)`` (an appointment is at most 12 hours long)."""
    return list(
        _rows().filter(
            clinic_id=clinic_id,
            status=AppointmentStatus.BOOKED,
            starts_at__lt=end,
            starts_at__gte=start - timedelta(hours=12),
        )
    )


def upcoming_for(patient: Any, now: datetime) -> list[Appointment]:
    """The patient's appointments still to come (booked, or cancelled so they see it), by time."""
    return list(
        _rows().filter(patient=patient, starts_at__gte=now - timedelta(hours=12)).order_by("starts_at", "id")
    )


def for_sessions(session_ids: Iterable[int]) -> dict[int, Appointment]:
    """The booked appointment of each planned session that has one."""
    rows = _rows().filter(planned_session_id__in=list(session_ids), status=AppointmentStatus.BOOKED)
    return {a.planned_session_id: a for a in rows if a.planned_session_id is not None}


def chairs_of(clinic_id: int, *, active_only: bool = True) -> list[Chair]:
    rows = Chair.objects.filter(clinic_id=clinic_id)
    return list(rows.filter(active=True) if active_only else rows)


def opening_hours_of(clinic_id: int) -> list[OpeningHours]:
    return list(OpeningHours.objects.filter(clinic_id=clinic_id).order_by("weekday"))
