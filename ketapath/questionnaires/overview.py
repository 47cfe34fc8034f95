"""The questionnaires' part of a patient's chart overview: the latest score of each instrument.

For each instrument the patient has answered, the latest completed (or reviewed) response, with
its total, band and whether it screened positive. One query, whatever the number of responses:
the latest response per instrument is picked in the database.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import OuterRef, Subquery

from ketapath.clinical.instruments import UnknownInstrumentError, get_instrument
from ketapath.patients.overview import register_overview_panel
from ketapath.questionnaires.models import QuestionnaireResponse, ResponseStatus

DONE = (ResponseStatus.COMPLETED, ResponseStatus.REVIEWED)


def latest_responses(patient: Any) -> list[QuestionnaireResponse]:
    """The latest completed response of every instrument the patient answered (one query)."""
    done = QuestionnaireResponse.objects.active().filter(status__in=DONE, completed_at__isnull=False)
    newest = done.filter(patient_id=OuterRef("patient_id"), instrument_id=OuterRef("instrument_id")).order_by(
        "-completed_at", "-id"
    )
    return list(done.filter(patient=patient, pk=Subquery(newest.values("pk")[:1])).order_by("instrument_id"))


def overview_context(patient: Any, user: Any, today: date) -> dict[str, Any]:
    scores: list[dict[str, Any]] = []
    for response in latest_responses(patient):
        try:
            name = get_instrument(response.instrument_id).name
        except UnknownInstrumentError:
            name = response.instrument_id
        scores.append({"name": name, "response": response})
    scores.sort(key=lambda s: str(s["name"]).lower())
    return {"scores": scores}


def register_panels() -> None:
    register_overview_panel(40, "questionnaires/_overview.html", overview_context)
