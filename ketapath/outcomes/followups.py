"""Turning the follow-up schedule into questionnaire assignments, and the overdue list.

:func:`sync_follow_ups` is idempotent (``ketapath remind`` runs it from cron; the chart's button
runs it for one patient): for each patient with sessions held it computes the schedule
(``ketapath.outcomes.schedule``) from the sessions, the clinic's settings and the course's condition
group, creates the assignments of the time points that are due (once: a unique constraint keys
each to its session and time point) and closes the open post-session and after-course items of an
earlier session, which a newer session has reset.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from ketapath.audit.history import note_change
from ketapath.clinic_settings.values import values_for
from ketapath.clinical.instruments import get_instrument
from ketapath.outcomes import events
from ketapath.outcomes.clinic_choices import FollowUpSettings, follow_up_settings
from ketapath.outcomes.models import FollowUp, FollowUpKind
from ketapath.outcomes.purposes import MISUSE_PURPOSE, URINARY_PURPOSE
from ketapath.outcomes.schedule import (
    FollowUpPoint,
    Schedule,
    ScheduleSettings,
    follow_up_schedule,
    groups_for,
    points_to_assign,
    purpose_instruments,
)
from ketapath.patients.models import Patient
from ketapath.questionnaires.models import AssignmentStatus, QuestionnaireAssignment, Respondent

RESETTABLE = (FollowUpKind.POST_SESSION, FollowUpKind.COURSE)


@dataclass
class SyncResult:
    created: int = 0
    closed: int = 0
    patients: int = 0
    not_set: dict[int, tuple[str, ...]] = field(default_factory=dict)  # clinic id -> parts not set


def schedule_settings(settings: FollowUpSettings) -> ScheduleSettings:
    return ScheduleSettings(
        settings.post_session_days,
        settings.course_weeks,
        settings.bladder_interval_weeks,
        settings.misuse_interval_weeks,
    )


def schedule_for(patient: Patient, *, settings: FollowUpSettings | None = None) -> Schedule:
    """One patient's current schedule (a handful of queries), for the chart."""
    settings = settings or follow_up_settings(values_for(patient.clinic_id))
    held = events.held_sessions([patient.pk]).get(patient.pk, [])
    course = events.courses([patient.pk]).get(patient.pk)
    last = held[-1].on if held else None
    nxt = events.next_planned_after([patient.pk], {patient.pk: last} if last else {}).get(patient.pk)
    return follow_up_schedule(
        held,
        schedule_settings(settings),
        groups_for([course.condition_group] if course else []),
        next_planned_on=nxt if held else None,
    )


def _close(item: FollowUp, reason: str, now: datetime) -> None:
    assignment = QuestionnaireAssignment.objects.select_for_update().get(pk=item.assignment_id)
    if assignment.status != AssignmentStatus.ASSIGNED:
        return
    assignment.status = AssignmentStatus.CANCELLED
    note_change(assignment, reason, when=now)
    assignment.save()
    item.closed_reason = reason[:200]
    note_change(item, reason, when=now)
    item.save()


def sync_follow_ups(
    today: date,
    *,
    patients: QuerySet[Patient] | None = None,
    sessions_until: date | None = None,
    now: datetime | None = None,
) -> SyncResult:
    """Create the follow-up questionnaires that are due and close those a newer session reset.

    Only sessions held on or before ``sessions_until`` (default: ``today``) count: a run for a
    past day sees that day's past (the demo's history is written this way). ``now`` stamps what
    is written (default: the current time).
    """
    now = now or timezone.now()
    until = sessions_until or today
    result = SyncResult()
    chosen = (patients if patients is not None else Patient.objects.all()).filter(record_status="active")
    ids = chosen.values("pk")
    held = {
        pid: kept
        for pid, sessions in events.held_sessions(ids).items()
        if (kept := [s for s in sessions if s.on <= until])
    }
    if not held:
        return result
    patient_rows = {p.pk: p for p in Patient.objects.filter(pk__in=list(held)).select_related("clinic")}
    course_of = events.courses(list(held))
    after = {pid: sessions[-1].on for pid, sessions in held.items()}
    nexts = events.next_planned_after(list(held), after)
    settings_of: dict[int, FollowUpSettings] = {}
    existing: dict[int, list[FollowUp]] = defaultdict(list)
    for item in FollowUp.objects.active().filter(patient_id__in=list(held)).select_related("assignment"):
        existing[item.patient_id].append(item)
    for pid, sessions in held.items():
        patient = patient_rows.get(pid)
        if patient is None:
            continue
        result.patients += 1
        if patient.clinic_id not in settings_of:
            settings_of[patient.clinic_id] = follow_up_settings(values_for(patient.clinic_id))
        course = course_of.get(pid)
        schedule = follow_up_schedule(
            sessions,
            schedule_settings(settings_of[patient.clinic_id]),
            groups_for([course.condition_group] if course else []),
            next_planned_on=nexts.get(pid),
        )
        if schedule.not_set:
            result.not_set[patient.clinic_id] = schedule.not_set
        have = {(f.anchor_key, f.code, f.instrument_id) for f in existing[pid]}
        for point in points_to_assign(schedule, today):
            for instrument_id in point.instruments:
                if (point.anchor, point.code, instrument_id) in have:
                    continue
                result.created += _create(patient, point, instrument_id, now)
        latest = schedule.latest
        assert latest is not None
        for item in existing[pid]:
            if (
                item.kind in RESETTABLE
                and item.anchor_key != latest.key
                and item.assignment.status == AssignmentStatus.ASSIGNED
            ):
                with transaction.atomic():
                    _close(
                        item,
                        f"Closed unanswered: a newer session ({latest.on:%d %b %Y}) reset the schedule",
                        now,
                    )
                result.closed += 1
    return result


def _create(patient: Patient, point: FollowUpPoint, instrument_id: str, now: datetime) -> int:
    try:
        with transaction.atomic():
            assignment = QuestionnaireAssignment(
                patient=patient,
                instrument_id=instrument_id,
                due_on=point.due_on,
                respondent=Respondent.PATIENT,
                assigned_at=now,
            )
            note_change(assignment, f"Follow-up: {point.label}", when=now)
            assignment.save()
            item = FollowUp(
                patient=patient,
                assignment=assignment,
                kind=point.kind,
                code=point.code,
                label=point.label[:160],
                anchor_key=point.anchor,
                anchor_on=point.anchor_on,
                instrument_id=instrument_id,
                due_on=point.due_on,
                created_at=now,
            )
            note_change(item, "Scheduled", when=now)
            item.save()
    except IntegrityError:  # created at the same moment by another run
        return 0
    return 1


def follow_up_rows(patient: Patient, today: date) -> dict[str, Any]:
    """What the chart's follow-up panel shows: the schedule, what is coming, what is overdue."""
    settings = follow_up_settings(values_for(patient.clinic_id))
    schedule = schedule_for(patient, settings=settings)
    items = list(
        FollowUp.objects.active()
        .filter(patient=patient)
        .select_related("assignment")
        .order_by("-due_on", "id")
    )
    cutoff = overdue_cutoff(today, settings)
    return {
        "rescreen_not_set": rescreening_not_set(settings),
        "settings": settings,
        "schedule": schedule,
        "upcoming": schedule.upcoming(today),
        "items": items[:40],
        "overdue": [i for i in items if i.assignment.status == "assigned" and i.due_on < cutoff],
        "cutoff": cutoff,
    }


def overdue_cutoff(today: date, settings: FollowUpSettings) -> date:
    """Items due before this day are overdue (the day after the due date when not set)."""
    return today - timedelta(days=settings.overdue_after_days or 0)


def overdue_follow_ups(
    clinic_id: int, today: date, limit: int
) -> tuple[list[FollowUp], int, FollowUpSettings]:
    """The clinic's overdue follow-up questionnaires, oldest first, and how many there are."""
    settings = follow_up_settings(values_for(clinic_id))
    query = FollowUp.objects.active().filter(
        patient__clinic_id=clinic_id,
        patient__record_status="active",
        assignment__status=AssignmentStatus.ASSIGNED,
        due_on__lt=overdue_cutoff(today, settings),
    )
    items = list(query.select_related("patient").order_by("due_on", "patient__family_name", "id")[:limit])
    return items, query.count(), settings


RESCREENING = (FollowUpKind.BLADDER, FollowUpKind.MISUSE)


@dataclass
class Rescreening:
    """The clinic's overdue re-screening questionnaires, and the re-screens it has not scheduled."""

    items: list[FollowUp]
    count: int
    not_set: list[str]  # e.g. "Misuse re-screening (AUDIT-C, DAST-10)"
    settings: FollowUpSettings


def rescreening_not_set(settings: FollowUpSettings) -> list[str]:
    """Each re-screen whose clinic interval is not set, named with its instruments."""

    def named(label: str, purpose: str) -> str:
        names = ", ".join(get_instrument(i).name for i in purpose_instruments(purpose))
        return f"{label} ({names})" if names else label

    missing = []
    if settings.bladder_interval_weeks is None:
        missing.append(named("Bladder symptom re-screening", URINARY_PURPOSE))
    if settings.misuse_interval_weeks is None:
        missing.append(named("Misuse re-screening", MISUSE_PURPOSE))
    return missing


def overdue_rescreening(clinic_id: int, today: date, limit: int) -> Rescreening:
    """Bladder-symptom and misuse re-screens overdue at the clinic's intervals, oldest first."""
    settings = follow_up_settings(values_for(clinic_id))
    query = FollowUp.objects.active().filter(
        patient__clinic_id=clinic_id,
        patient__record_status="active",
        kind__in=RESCREENING,
        assignment__status=AssignmentStatus.ASSIGNED,
        due_on__lt=overdue_cutoff(today, settings),
    )
    items = list(query.select_related("patient").order_by("due_on", "patient__family_name", "id")[:limit])
    return Rescreening(items, query.count(), rescreening_not_set(settings), settings)
