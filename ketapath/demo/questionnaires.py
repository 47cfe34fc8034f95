"""Demo questionnaires: a score history, open assignments and one open item-9 alert.

All answers are invented for synthetic patients. Loaded once: nothing is added for a patient who
already has questionnaire records.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from ketapath.clinical.instruments import get_instrument
from ketapath.patients.models import Patient
from ketapath.questionnaires.actions import assign, save_answers
from ketapath.questionnaires.models import QuestionnaireAssignment, QuestionnaireResponse

# mrn -> instrument -> answers per week, oldest first (item values in item order)
HISTORY: dict[str, dict[str, list[list[int]]]] = {
    "DEMO-0001": {
        "phq-9": [
            [2, 2, 2, 2, 1, 2, 2, 1, 0],
            [2, 2, 1, 2, 1, 1, 1, 1, 0],
            [1, 1, 1, 1, 1, 1, 1, 0, 0],
            [1, 1, 0, 1, 0, 1, 0, 0, 0],
        ],
        "gad-7": [[2, 2, 2, 1, 1, 2, 1], [2, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 1, 0]],
    },
    "DEMO-0009": {"phq-9": [[3, 2, 2, 2, 2, 2, 1, 1, 0], [3, 3, 2, 2, 2, 2, 2, 1, 0]]},
    "DEMO-0012": {"phq-9": [[2, 2, 1, 1, 1, 1, 1, 1, 0], [0, 1, 0, 1, 0, 0, 0, 0, 0]]},
}
# An open alert for the prescriber: a patient answered PHQ-9 item 9 with "several days".
ALERT_PATIENT, ALERT_ANSWERS = "DEMO-0020", [1, 1, 1, 1, 0, 1, 1, 0, 1]
# Due now, for the patient to fill in their own pages.
DUE_FOR_PATIENT = {"DEMO-0001": ["phq-9", "gad-7"], "DEMO-0003": ["phq-9"]}


def _answers(definition: Any, values: list[int]) -> dict[str, int | None]:
    return {item.id: value for item, value in zip(definition.items, values, strict=False)}


def load_demo_questionnaires(clinic: Any, nurse: Any, *, now: datetime | None = None) -> int:
    """Add demo questionnaires to patients that have none; return how many records were added."""
    now = now or timezone.now()
    added = 0
    today = timezone.localdate(now)
    patients = {p.mrn: p for p in Patient.objects.filter(clinic=clinic)}
    touched = set(
        QuestionnaireResponse.objects.filter(patient__clinic=clinic).values_list("patient__mrn", flat=True)
    ) | set(
        QuestionnaireAssignment.objects.filter(patient__clinic=clinic).values_list("patient__mrn", flat=True)
    )
    for mrn, by_instrument in HISTORY.items():
        if mrn in touched:
            continue
        for instrument_id, weeks in by_instrument.items():
            definition = get_instrument(instrument_id)
            for n, values in enumerate(weeks):
                # Weekly, the last one a week ago: each answered at its own time.
                save_answers(
                    patient=patients[mrn],
                    definition=definition,
                    answers=_answers(definition, values),
                    user=nurse,
                    respondent="staff",
                    complete=True,
                    now=now - timedelta(days=7 * (len(weeks) - n)),
                )
                added += 1
    if ALERT_PATIENT not in touched:
        definition = get_instrument("phq-9")
        save_answers(
            patient=patients[ALERT_PATIENT],
            definition=definition,
            answers=_answers(definition, ALERT_ANSWERS),
            user=nurse,
            respondent="staff",
            complete=True,
            now=now,
        )
        added += 1
    for mrn, instruments in DUE_FOR_PATIENT.items():
        if QuestionnaireAssignment.objects.filter(patient=patients[mrn]).exists():
            continue
        for instrument_id in instruments:
            assign(
                patient=patients[mrn],
                instrument_id=instrument_id,
                due_on=today,
                respondent="patient",
                user=nurse,
                now=now,
            )
            added += 1
    return added
