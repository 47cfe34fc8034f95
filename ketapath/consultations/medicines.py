"""The patient's medication list and its interactions with ketamine or esketamine.

Public read functions for other apps (the infusion pre-checks show the same list as the
evaluation):

- :func:`current_medicines` -- the medicines on the patient's active intake, as the clinical
  core's :class:`~ketapath.clinical.interactions.Medicine` values (one query);
- :func:`interaction_findings` -- the interaction rules' findings for those medicines against
  ``drug`` ("ketamine" or "esketamine"), each with its effect, medicine, message and source.

Show the findings with ``{% include "consultations/_interactions.html" with findings=... %}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ketapath.clinical.interactions import InteractionFinding, Medicine, check_interactions
from ketapath.consultations.models import IntakeMedicine, PlannedDrug
from ketapath.patients.models import Patient

KETAMINE = PlannedDrug.KETAMINE.value
ESKETAMINE = PlannedDrug.ESKETAMINE.value


def as_medicines(rows: Iterable[Any]) -> list[Medicine]:
    """Intake medicine rows (or anything with ``name``, ``dose``, ``since``) as core values."""
    return [Medicine(name=r.name, dose=r.dose, since=r.since) for r in rows]


def current_medicines(patient: Patient) -> list[Medicine]:
    """The medicines on the patient's active intake, by name (one query; [] when none)."""
    rows = (
        IntakeMedicine.objects.active()
        .filter(intake__patient=patient, intake__record_status="active")
        .order_by("name", "id")
    )
    return as_medicines(rows)


def interaction_findings(patient: Patient, *, drug: str) -> tuple[InteractionFinding, ...]:
    """The interaction findings for the patient's medication list against ``drug``."""
    return check_interactions(current_medicines(patient), drug=drug)


def drugs_to_check(planned_drug: str) -> tuple[str, ...]:
    """The drug the intake records as considered; both while it is not decided (as the engine)."""
    if planned_drug in (KETAMINE, ESKETAMINE):
        return (planned_drug,)
    return (KETAMINE, ESKETAMINE)


def interaction_groups(medicines: Sequence[Medicine], drugs: Sequence[str]) -> list[dict[str, Any]]:
    """One group per drug: ``drug``, ``label`` and its ``findings`` (for the evaluation page)."""
    labels = dict(PlannedDrug.choices)
    return [
        {"drug": drug, "label": str(labels[drug]), "findings": check_interactions(medicines, drug=drug)}
        for drug in drugs
    ]


__all__ = [
    "as_medicines",
    "current_medicines",
    "drugs_to_check",
    "interaction_findings",
    "interaction_groups",
]
