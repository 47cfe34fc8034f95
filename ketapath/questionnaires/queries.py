"""Reading a patient's questionnaires with a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import QuerySet

from ketapath.clinical.instruments import UnknownInstrumentError, get_instrument
from ketapath.questionnaires.models import (
    AssignmentStatus,
    QuestionnaireAssignment,
    QuestionnaireResponse,
    ResponseStatus,
)

HISTORY_LIMIT = 200


def open_assignments(patient: Any) -> QuerySet[QuestionnaireAssignment]:
    return QuestionnaireAssignment.objects.active().filter(patient=patient, status=AssignmentStatus.ASSIGNED)


def score_history(patient: Any) -> list[dict[str, Any]]:
    """Completed responses grouped by instrument, newest first, with the instrument's name."""
    rows = (
        QuestionnaireResponse.objects.active()
        .filter(patient=patient, status__in=[ResponseStatus.COMPLETED, ResponseStatus.REVIEWED])
        .select_related("answered_by", "reviewed_by")
        .order_by("instrument_id", "-completed_at")[:HISTORY_LIMIT]
    )
    grouped: dict[str, list[QuestionnaireResponse]] = defaultdict(list)
    for row in rows:
        grouped[row.instrument_id].append(row)
    history = []
    for instrument_id, responses in grouped.items():
        try:
            name = get_instrument(instrument_id).name
        except UnknownInstrumentError:
            name = instrument_id
        history.append({"instrument_id": instrument_id, "name": name, "responses": responses})
    return history


def drafts(patient: Any) -> QuerySet[QuestionnaireResponse]:
    return QuestionnaireResponse.objects.active().filter(patient=patient, status=ResponseStatus.DRAFT)
