"""A patient's whole record as one FHIR R4 ``Bundle`` of type ``collection``.

Each step of the pathway contributes its resources through a function listed in
``CONTRIBUTORS`` (dotted path, taking the patient, returning resource dicts). The bundle is
validated with the fhir.resources R4B models before it leaves, so an invalid export never does.
"""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from typing import Any

from ketapath.fhir.ids import full_url, resource_uuid

CONTRIBUTORS = [
    "ketapath.fhir.patient.patient_resources",
    "ketapath.questionnaires.fhir.questionnaire_resources",
    "ketapath.consultations.fhir.consultation_resources",
    "ketapath.plans.fhir.plan_resources",
    "ketapath.infusions.fhir.infusion_resources",
    "ketapath.outcomes.fhir.outcome_resources",
    "ketapath.portal.fhir.portal_resources",
]


class ExportInvalid(ValueError):
    """The assembled bundle did not validate against FHIR R4."""


def _contributor(path: str) -> Any:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def patient_bundle(patient: Any, *, now: datetime | None = None) -> dict[str, Any]:
    resources: list[dict[str, Any]] = []
    for path in CONTRIBUTORS:
        resources.extend(_contributor(path)(patient))
    stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    bundle = {
        "resourceType": "Bundle",
        "id": resource_uuid("Bundle", patient.clinic.slug, patient.mrn, stamp),
        "type": "collection",
        "timestamp": stamp,
        "entry": [{"fullUrl": full_url(r["id"]), "resource": r} for r in resources],
    }
    validate_bundle(bundle)
    return bundle


def validate_bundle(bundle: dict[str, Any]) -> None:
    from fhir.resources.R4B.bundle import Bundle

    try:
        Bundle.model_validate(bundle)
    except Exception as exc:  # pydantic.ValidationError: name the first problem only
        first = str(exc).splitlines()[:3]
        raise ExportInvalid("the FHIR bundle does not validate: " + " ".join(first)) from exc
