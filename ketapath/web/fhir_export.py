"""A patient's whole record as one FHIR R4 ``Bundle`` of type ``collection``.

Each step of the pathway contributes its resources through its own ``fhir`` module (a function
taking the patient and returning resource dicts). The whole chart is assembled here, in the web
layer above every pathway app, so no lower layer reaches up to the apps after it; the bundle's
shape and validation are the base layer's (:mod:`ketapath.fhir.export`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from ketapath.appointments.fhir import appointment_resources
from ketapath.consultations.fhir import consultation_resources
from ketapath.fhir.export import collection_bundle
from ketapath.fhir.patient import patient_resources
from ketapath.infusions.fhir import infusion_resources
from ketapath.outcomes.fhir import outcome_resources
from ketapath.plans.fhir import plan_resources
from ketapath.portal.fhir import portal_resources
from ketapath.questionnaires.fhir import questionnaire_resources

# In the bundle's order: the patient first, then each step of the pathway.
CONTRIBUTORS: Sequence[Callable[[Any], Sequence[dict[str, Any]]]] = (
    patient_resources,
    questionnaire_resources,
    consultation_resources,
    plan_resources,
    appointment_resources,
    infusion_resources,
    outcome_resources,
    portal_resources,
)


def patient_bundle(patient: Any, *, now: datetime | None = None) -> dict[str, Any]:
    """Every contributor's resources for ``patient`` in one validated collection bundle."""
    resources: list[dict[str, Any]] = []
    for contribute in CONTRIBUTORS:
        resources.extend(contribute(patient))
    return collection_bundle(patient, resources, now=now)
