"""Assigning, answering, scoring and reviewing questionnaires.

Each action writes its records (and their history) in one transaction; scoring is the pure core's
job, alerts are raised through ``ketapath.alerts``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from ketapath.alerts.actions import raise_alert
from ketapath.audit.history import note_change
from ketapath.audit.refusals import ActionRefused
from ketapath.clinical.instruments import Instrument, ScoreResult, get_instrument, score
from ketapath.questionnaires.models import (
    AssignmentStatus,
    QuestionnaireAssignment,
    QuestionnaireResponse,
    QuestionnaireSchedule,
    Respondent,
    ResponseStatus,
)


class NotScorable(ActionRefused):
    """The answers cannot be scored as complete under the instrument's missing-item rule."""

    def __init__(self, missing: tuple[str, ...]) -> None:
        self.missing = missing
        super().__init__("Some questions still need an answer: " + ", ".join(missing), missing)


class ResponseLocked(ActionRefused):
    """A completed response is never edited."""


def covariates_for(definition: Instrument, patient: Any) -> dict[str, str]:
    """Covariates the chart already knows (the patient's sex, where an instrument needs it)."""
    found: dict[str, str] = {}
    for covariate in definition.covariates:
        if covariate.id == "sex" and patient.sex in covariate.values:
            found["sex"] = patient.sex
    return found


def _open_assignment(patient: Any, instrument_id: str) -> QuestionnaireAssignment | None:
    return (
        QuestionnaireAssignment.objects.active()
        .filter(patient=patient, instrument_id=instrument_id, status=AssignmentStatus.ASSIGNED)
        .order_by("due_on", "id")
        .first()
    )


def assign_once(
    *,
    patient: Any,
    instrument_id: str,
    due_on: date,
    respondent: str,
    user: Any,
    repeat_every_days: int | None = None,
    repeat_until: date | None = None,
    now: datetime | None = None,
) -> tuple[QuestionnaireAssignment, bool]:
    """Assign, unless the patient has this instrument open already: then that one, not created.

    At most one open assignment per patient and instrument: a double submit, a second tab or three
    requests at once make one. The database holds it for staff assignments
    (``one_open_staff_assignment``); a request that loses the race returns the winner's.
    """
    now = now or timezone.now()
    get_instrument(instrument_id)  # an unknown id fails here, before anything is written
    existing = _open_assignment(patient, instrument_id)
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            schedule = None
            if repeat_every_days:
                schedule = QuestionnaireSchedule(
                    patient=patient,
                    instrument_id=instrument_id,
                    every_days=repeat_every_days,
                    starts_on=due_on,
                    ends_on=repeat_until,
                    respondent=respondent,
                    created_by=user,
                    created_at=now,
                )
                note_change(schedule, "Scheduled", user, when=now).save(force_insert=True)
            made = QuestionnaireAssignment(
                patient=patient,
                instrument_id=instrument_id,
                due_on=due_on,
                respondent=respondent,
                assigned_by=user,
                schedule=schedule,
                assigned_at=now,
            )
            note_change(made, "Assigned", user, when=now).save(force_insert=True)
    except IntegrityError:
        existing = _open_assignment(patient, instrument_id)
        if existing is None:
            raise
        return existing, False
    return made, True


def assign(
    *,
    patient: Any,
    instrument_id: str,
    due_on: date,
    respondent: str,
    user: Any,
    repeat_every_days: int | None = None,
    repeat_until: date | None = None,
    now: datetime | None = None,
) -> QuestionnaireAssignment:
    """The patient's open assignment of this instrument (made now, or the one already open)."""
    return assign_once(
        patient=patient,
        instrument_id=instrument_id,
        due_on=due_on,
        respondent=respondent,
        user=user,
        repeat_every_days=repeat_every_days,
        repeat_until=repeat_until,
        now=now,
    )[0]


def assign_scheduled(today: date, *, now: datetime | None = None) -> int:
    """Create the assignments that schedules make due up to ``today``; idempotent."""
    now = now or timezone.now()
    created = 0
    schedules = QuestionnaireSchedule.objects.active().filter(starts_on__lte=today).select_related("patient")
    for schedule in schedules:
        if schedule.patient.is_entered_in_error:
            continue
        for due in schedule.due_dates_until(today):
            _, made = QuestionnaireAssignment.objects.get_or_create(
                schedule=schedule,
                due_on=due,
                defaults={
                    "patient": schedule.patient,
                    "instrument_id": schedule.instrument_id,
                    "respondent": schedule.respondent,
                    "assigned_at": now,
                },
            )
            created += made
    return created


def _draft_for(
    patient: Any, definition: Instrument, assignment: Any, response: Any, now: datetime
) -> QuestionnaireResponse:
    if response is not None:
        locked = QuestionnaireResponse.objects.select_for_update().get(pk=response.pk)
        if not locked.is_draft:
            raise ResponseLocked("This questionnaire was already submitted; it cannot be changed.")
        return locked
    if assignment is not None:
        # Lock the assignment so two submits at once cannot both create a response.
        locked_assignment = QuestionnaireAssignment.objects.select_for_update().get(pk=assignment.pk)
        if locked_assignment.status != AssignmentStatus.ASSIGNED:
            raise ResponseLocked("This questionnaire was already completed.")
        existing = QuestionnaireResponse.objects.filter(
            assignment=assignment, status=ResponseStatus.DRAFT
        ).first()
        if existing is not None:
            return existing
    return QuestionnaireResponse(
        patient=patient, assignment=assignment, instrument_id=definition.id, started_at=now
    )


@dataclass(frozen=True)
class Saved:
    response: QuestionnaireResponse
    result: ScoreResult | None


def save_answers(
    *,
    patient: Any,
    definition: Instrument,
    answers: dict[str, int | None],
    user: Any,
    respondent: str,
    complete: bool,
    assignment: Any = None,
    response: Any = None,
    now: datetime | None = None,
) -> Saved:
    """Save a draft, or complete and score. A draft is never scored as complete."""
    now = now or timezone.now()
    covariates = covariates_for(definition, patient)
    # Score first: an answer outside the options raises AnswerError before anything is written.
    result = score(definition, answers, covariates)
    if complete and result.total is None:
        raise NotScorable(result.missing or tuple(s.id for s in result.scales if s.value is None))
    with transaction.atomic():
        draft = _draft_for(patient, definition, assignment, response, now)
        draft.answers = {k: v for k, v in answers.items() if v is not None}
        draft.covariates = covariates
        draft.instrument_version = definition.version
        draft.answered_by = user
        draft.respondent = respondent
        if not complete:
            note_change(draft, "Draft saved", user, when=now)
            draft.save()
            return Saved(draft, None)
        draft.status = ResponseStatus.COMPLETED
        draft.scores = result.to_dict()
        draft.total = result.total
        draft.band = result.band or ""
        draft.positive = result.positive
        draft.completed_at = now
        note_change(draft, "Completed and scored", user, when=now)
        draft.save()
        if draft.assignment is not None:
            done = draft.assignment
            done.status = AssignmentStatus.COMPLETED
            note_change(done, "Completed", user, when=now)
            done.save()
        for alert in result.alerts:
            raise_alert(
                patient=patient,
                origin=draft,
                origin_label=f"{definition.name} completed",
                rule_id=f"{definition.id}:{alert.id}",
                severity=alert.severity,
                audience=alert.audience,
                routing=alert.routing,
                message=alert.message,
                source_label=alert.source,
                # Answered in the patient's own pages: nobody at the clinic is looking.
                notify_oncall=respondent == Respondent.PATIENT,
                now=now,
            )
    return Saved(draft, result)


def review_response(response: QuestionnaireResponse, user: Any, *, now: datetime | None = None) -> None:
    now = now or timezone.now()
    with transaction.atomic():
        locked = QuestionnaireResponse.objects.select_for_update().get(pk=response.pk)
        if locked.status != ResponseStatus.COMPLETED:
            raise ResponseLocked("Only a completed, not yet reviewed, questionnaire can be reviewed.")
        locked.status = ResponseStatus.REVIEWED
        locked.reviewed_by = user
        locked.reviewed_at = now
        note_change(locked, "Reviewed", user, when=now)
        locked.save()
