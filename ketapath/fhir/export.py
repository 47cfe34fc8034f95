"""The shape of a whole-record export: one FHIR R4 ``Bundle`` of type ``collection``.

The resources come from the pathway apps; the web layer gathers them
(``ketapath.web.fhir_export.patient_bundle``) and hands them here. The bundle is validated with
the fhir.resources R4B models before it leaves, so an invalid export never does.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from ketapath.fhir.ids import full_url, resource_uuid


class ExportInvalid(ValueError):
    """The assembled bundle did not validate against FHIR R4."""


def collection_bundle(
    patient: Any, resources: Iterable[dict[str, Any]], *, now: datetime | None = None
) -> dict[str, Any]:
    """The patient's resources as one validated ``collection`` bundle stamped ``now``."""
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
    try:
        Bundle.model_validate(bundle)
    except Exception as exc:  # pydantic.ValidationError: name the first problem only
        first = str(exc).splitlines()[:3]
        raise ExportInvalid("the FHIR bundle does not validate: " + " ".join(first)) from exc
