"""A patient's treatment plans as FHIR R4 ``CarePlan`` and ``MedicationRequest`` resources.

One CarePlan per plan version (``replaces`` points at the version it revises) and one
MedicationRequest per version, with one ``dosageInstruction`` per run of sessions with the same
dosing: the session dates (``timing.event``), the route, the dose (mg) and, for infusions, the
rate in mg/h (``doseAndRate.rateQuantity``, ordered) and the pump's mL/h (calculated).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from ketapath.fhir.ids import full_url, resource_uuid
from ketapath.fhir.patient import patient_reference
from ketapath.plans.display import D, dose_groups, q
from ketapath.plans.models import PlanStatus, TreatmentPlan
from ketapath.plans.queries import patient_plans

UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
DOSE_RATE_TYPE = "http://terminology.hl7.org/CodeSystem/dose-rate-type"
# SNOMED CT route-of-administration codes (FHIR R4 value set "SNOMED CT Route Codes").
ROUTES = {
    "iv": ("47625008", "Intravenous route"),
    "intranasal": ("46713006", "Nasal route"),
    "im": ("78421000", "Intramuscular route"),
    "oral": ("26643006", "Oral route"),
    "sublingual": ("37839007", "Sublingual route"),
    "rectal": ("37161004", "Rectal route"),
}
MEDICATION = {"racemic-ketamine": "Ketamine (racemic)", "esketamine": "Esketamine (S-ketamine)"}
CAREPLAN_STATUS: dict[str, str] = {
    PlanStatus.DRAFT: "draft",
    PlanStatus.APPROVED: "active",
    PlanStatus.SUPERSEDED: "revoked",
}
REQUEST_STATUS: dict[str, str] = {
    PlanStatus.DRAFT: "draft",
    PlanStatus.APPROVED: "active",
    PlanStatus.SUPERSEDED: "stopped",
}


def _rounded(value: Any, places: str) -> Decimal | None:
    """A stored decimal rounded to ``places``; None when it is missing or not a finite number that
    fits (a snapshot is JSON: the export leaves out what it cannot read, and never fails)."""
    number = D(value)
    if number is None:
        return None
    try:
        return number.quantize(Decimal(places))
    except InvalidOperation:
        return None


def _quantity(value: str | None, unit: str, places: str) -> dict[str, Any] | None:
    number = _rounded(value, places)
    if number is None:
        return None
    return {"value": float(number), "unit": unit, "system": UCUM, "code": unit}


def _ids(plan: TreatmentPlan) -> tuple[str, str]:
    slug = plan.patient.clinic.slug
    return (
        resource_uuid("CarePlan", slug, plan.patient.mrn, plan.pk),
        resource_uuid("MedicationRequest", slug, plan.patient.mrn, plan.pk),
    )


def _dosage(plan: TreatmentPlan, index: int, group: Any) -> dict[str, Any]:
    row = group.row
    dates = [r["on"] for r in plan.course if group.first <= r["number"] <= group.last]
    text = f"Sessions {group.numbers}: {q(row.get('dose_mg'), '0.1')} mg"
    code, display = ROUTES.get(plan.route, ("", plan.route))
    dose_rate: list[dict[str, Any]] = []
    ordered: dict[str, Any] = {
        "type": {"coding": [{"system": DOSE_RATE_TYPE, "code": "ordered", "display": "Ordered"}]},
        "doseQuantity": _quantity(row["dose_mg"], "mg", "0.001"),
    }
    if ordered["doseQuantity"] is None:
        del ordered["doseQuantity"]
    rate = _quantity(row.get("rate_mg_per_h"), "mg/h", "0.001")
    if rate is not None:
        ordered["rateQuantity"] = rate
        text += f" over {q(row.get('duration_min'), '1')} min at {rate['value']} mg/h"
    dose_rate.append(ordered)
    pump = _quantity(row.get("rate_ml_per_h"), "mL/h", "0.001")
    if pump is not None:
        dose_rate.append(
            {
                "type": {
                    "coding": [{"system": DOSE_RATE_TYPE, "code": "calculated", "display": "Calculated"}]
                },
                "rateQuantity": pump,
            }
        )
        text += f" (pump {pump['value']} mL/h at {q(row.get('conc_mg_per_ml'), '0.001')} mg/mL)"
    if len(row["steps"]) > 1:
        text += f", titrated in {len(row['steps'])} steps (peak rate shown)"
    dosage: dict[str, Any] = {
        "sequence": index,
        "text": text,
        "timing": {"event": dates},
        "doseAndRate": dose_rate,
    }
    if code:
        dosage["route"] = {"coding": [{"system": SNOMED, "code": code, "display": display}]}
    return dosage


def _status(plan: TreatmentPlan, table: Mapping[str, str]) -> str:
    return "entered-in-error" if plan.is_entered_in_error else table[plan.status]


def plan_resources(patient: Any) -> list[dict[str, Any]]:
    """The CarePlan and MedicationRequest of every version of the patient's plan."""
    subject = patient_reference(patient)
    resources: list[dict[str, Any]] = []
    for plan in reversed(patient_plans(patient)):
        plan.patient = patient  # one patient: no query per version
        careplan_id, request_id = _ids(plan)
        signer = plan.approved_by or plan.created_by
        authored = (plan.approved_at or plan.created_at).isoformat()
        notes = []
        if plan.change_reason:
            notes.append({"text": f"Reason for this version: {plan.change_reason}"})
        if plan.override_reason and plan.override_by is not None and plan.override_at is not None:
            notes.append(
                {
                    "authorString": plan.override_by.display_name,
                    "time": plan.override_at.isoformat(),
                    "text": f"Prescriber override of a hard limit: {plan.override_reason}",
                }
            )
        dates = [r["on"] for r in plan.course]
        careplan: dict[str, Any] = {
            "resourceType": "CarePlan",
            "id": careplan_id,
            "status": _status(plan, CAREPLAN_STATUS),
            "intent": "plan",
            "title": f"Treatment plan, version {plan.version}",
            "description": f"{plan.protocol_name} ({plan.protocol_source})",
            "subject": {"reference": subject},
            "created": plan.created_at.isoformat(),
            "author": {"display": signer.display_name},
            "activity": [{"reference": {"reference": full_url(request_id)}}],
        }
        if dates:
            careplan["period"] = {"start": dates[0], "end": dates[-1]}
        if plan.previous_id is not None:
            careplan["replaces"] = [
                {
                    "reference": full_url(
                        resource_uuid("CarePlan", patient.clinic.slug, patient.mrn, plan.previous_id)
                    )
                }
            ]
        if notes:
            careplan["note"] = notes
        request: dict[str, Any] = {
            "resourceType": "MedicationRequest",
            "id": request_id,
            "status": _status(plan, REQUEST_STATUS),
            "intent": "proposal" if plan.is_draft else "order",
            "medicationCodeableConcept": {"text": MEDICATION.get(plan.drug, plan.drug)},
            "subject": {"reference": subject},
            "authoredOn": authored,
            "requester": {"display": signer.display_name},
            "basedOn": [{"reference": full_url(careplan_id)}],
            "dosageInstruction": [
                _dosage(plan, n, g) for n, g in enumerate(dose_groups(plan.course), start=1)
            ],
        }
        if notes:
            request["note"] = notes
        resources += [careplan, request]
    return resources
