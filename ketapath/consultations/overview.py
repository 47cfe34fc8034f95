"""The consultation's part of a patient's chart overview: diagnosis, allergies and the decision.

The diagnosis is the conditions (indications) of the latest signed evaluation, as it recorded
them; before any evaluation is signed, the intake's conditions, marked as not yet assessed.
Three queries at most, whatever the number of conditions or versions.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ketapath.consultations.proposal import condition_name
from ketapath.consultations.queries import intake_conditions, intake_for, latest_signed_evaluation
from ketapath.patients.overview import register_overview_panel


def overview_context(patient: Any, user: Any, today: date) -> dict[str, Any]:
    evaluation = latest_signed_evaluation(patient)
    intake = intake_for(patient)
    if evaluation is not None:
        conditions = [
            {"name": c.get("name") or "Condition not named", "icd10_code": c.get("icd10_code", "")}
            for c in evaluation.conditions
            if isinstance(c, dict)
        ]
    else:
        conditions = [
            {"name": condition_name(c.condition_id, c.icd10_code, c.description), "icd10_code": c.icd10_code}
            for c in intake_conditions(intake)
        ]
    return {
        "evaluation": evaluation,
        "conditions": conditions,
        "from_intake": evaluation is None and bool(conditions),
        "intake": intake,
        "allergies": intake.allergies.strip() if intake is not None else "",
    }


def register_panels() -> None:
    register_overview_panel(20, "consultations/_overview.html", overview_context)
