"""Reading consultation records with a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from ketapath.clinical.instruments import UnknownInstrumentError, get_instrument
from ketapath.consultations.models import (
    Consent,
    Evaluation,
    EvaluationStatus,
    Intake,
    IntakeCondition,
    IntakeMedicine,
    PreviousTreatment,
    TestOnFile,
)
from ketapath.consultations.purposes import INTAKE_PURPOSES, instruments_for
from ketapath.questionnaires.models import (
    AssignmentStatus,
    QuestionnaireAssignment,
    QuestionnaireResponse,
    ResponseStatus,
)

#: The questionnaires an intake asks for, in the order the evaluation shows them (by purpose).
INTAKE_INSTRUMENTS: tuple[str, ...] = instruments_for(*INTAKE_PURPOSES)


def respondent_for(instrument_id: str) -> str:
    """``patient`` for a patient-reported instrument, ``staff`` for a clinician-rated one."""
    return "patient" if get_instrument(instrument_id).kind == "patient-reported" else "staff"


def intake_for(patient: Any) -> Intake | None:
    return Intake.objects.active().filter(patient=patient).first()


def intake_conditions(intake: Intake | None) -> list[IntakeCondition]:
    if intake is None:
        return []
    return list(IntakeCondition.objects.active().filter(intake=intake).order_by("onset_on", "id"))


def intake_treatments(intake: Intake | None) -> list[PreviousTreatment]:
    if intake is None:
        return []
    return list(PreviousTreatment.objects.active().filter(intake=intake))


def intake_medicines(intake: Intake | None) -> list[IntakeMedicine]:
    if intake is None:
        return []
    return list(IntakeMedicine.objects.active().filter(intake=intake).order_by("name", "id"))


def intake_tests(intake: Intake | None) -> list[TestOnFile]:
    if intake is None:
        return []
    return list(TestOnFile.objects.active().filter(intake=intake).order_by("kind", "-done_on", "id"))


@dataclass(frozen=True)
class LatestScore:
    """The latest completed response of one instrument, as the evaluation shows and maps it."""

    instrument_id: str
    name: str
    response_id: int
    completed_at: datetime
    total: float | None
    band: str
    positive: bool | None
    answers: dict[str, int]


def latest_scores(
    patient: Any, instrument_ids: tuple[str, ...] = INTAKE_INSTRUMENTS
) -> dict[str, LatestScore]:
    """Instrument id -> its latest completed (or reviewed) response; one query."""
    rows = (
        QuestionnaireResponse.objects.active()
        .filter(
            patient=patient,
            instrument_id__in=instrument_ids,
            status__in=[ResponseStatus.COMPLETED, ResponseStatus.REVIEWED],
            completed_at__isnull=False,
        )
        .order_by("instrument_id", "-completed_at", "-id")
        .values("id", "instrument_id", "completed_at", "total", "band", "positive", "answers")
    )
    latest: dict[str, LatestScore] = {}
    for row in rows:
        completed_at = row["completed_at"]
        if row["instrument_id"] in latest or completed_at is None:  # the filter leaves none out
            continue
        try:
            name = get_instrument(row["instrument_id"]).name
        except UnknownInstrumentError:
            continue
        latest[row["instrument_id"]] = LatestScore(
            instrument_id=row["instrument_id"],
            name=name,
            response_id=row["id"],
            completed_at=completed_at,
            total=row["total"],
            band=row["band"] or "",
            positive=row["positive"],
            answers=dict(row["answers"] or {}),
        )
    return latest


def open_intake_assignments(patient: Any) -> dict[str, QuestionnaireAssignment]:
    """Instrument id -> its earliest open assignment, for the intake's questionnaires (one query)."""
    found: dict[str, QuestionnaireAssignment] = {}
    for assignment in (
        QuestionnaireAssignment.objects.active()
        .filter(patient=patient, status=AssignmentStatus.ASSIGNED, instrument_id__in=INTAKE_INSTRUMENTS)
        .order_by("due_on", "id")
    ):
        found.setdefault(assignment.instrument_id, assignment)
    return found


def latest_signed_evaluation(patient: Any) -> Evaluation | None:
    return (
        Evaluation.objects.active()
        .filter(patient=patient, status=EvaluationStatus.SIGNED)
        .select_related("signed_by")
        .order_by("-version")
        .first()
    )


def draft_evaluation(patient: Any) -> Evaluation | None:
    return Evaluation.objects.active().filter(patient=patient, status=EvaluationStatus.DRAFT).first()


def evaluation_versions(patient: Any) -> list[Evaluation]:
    return list(
        Evaluation.objects.active()
        .filter(patient=patient)
        .select_related("signed_by", "created_by")
        .order_by("-version")
    )


def latest_signed_consent(patient: Any) -> Consent | None:
    """The patient's newest standing (not withdrawn) signed consent."""
    return (
        Consent.objects.active()
        .filter(patient=patient, withdrawn_on__isnull=True)
        .select_related("version")
        .order_by("-signed_on", "-id")
        .first()
    )


def consents_of(patient: Any) -> list[Consent]:
    return list(
        Consent.objects.active()
        .filter(patient=patient)
        .select_related("version", "recorded_by", "withdrawn_recorded_by", "signed_by_account")
        .order_by("-signed_on", "-id")
    )


def evaluations_waiting(clinic_id: int, limit: int) -> QuerySet[Intake]:
    """Completed intakes with no evaluation signed since the visit: the prescriber's to-do list.

    Each row carries ``has_draft`` (a draft note exists). One query, whatever the number of rows.
    """
    signed_since = Evaluation.objects.active().filter(
        patient=OuterRef("patient"),
        status=EvaluationStatus.SIGNED,
        signed_at__gte=OuterRef("visit_completed_at"),
    )
    draft = Evaluation.objects.active().filter(patient=OuterRef("patient"), status=EvaluationStatus.DRAFT)
    return (
        Intake.objects.active()
        .filter(
            patient__clinic_id=clinic_id, patient__record_status="active", visit_completed_at__isnull=False
        )
        .annotate(signed=Exists(signed_since), has_draft=Exists(draft))
        .filter(signed=False)
        .select_related("patient")
        .order_by("visit_completed_at")[:limit]
    )
