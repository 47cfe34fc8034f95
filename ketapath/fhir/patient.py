"""The FHIR ``Patient`` and body-measurement ``Observation``s of a registry record."""

from __future__ import annotations

from typing import Any

from ketapath.fhir.ids import MRN_SYSTEM, full_url, resource_uuid

# LOINC codes of FHIR R4's vital-signs profile (https://hl7.org/fhir/R4/observation-vitalsigns.html).
VITAL_SIGNS_CATEGORY = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "vital-signs",
            "display": "Vital Signs",
        }
    ]
}
BODY_WEIGHT = ("29463-7", "Body weight", "kg")
BODY_HEIGHT = ("8302-2", "Body height", "cm")


def patient_id(patient: Any) -> str:
    return resource_uuid("Patient", patient.clinic.slug, patient.mrn)


def patient_reference(patient: Any) -> str:
    return full_url(patient_id(patient))


def patient_resource(patient: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": patient_id(patient),
        "active": not patient.is_entered_in_error,
        "identifier": [
            {
                "use": "usual",
                "type": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                            "code": "MR",
                            "display": "Medical record number",
                        }
                    ]
                },
                "system": MRN_SYSTEM.format(slug=patient.clinic.slug),
                "value": patient.mrn,
            }
        ],
        "name": [{"use": "official", "family": patient.family_name, "given": [patient.given_name]}],
        "gender": patient.sex,
        "birthDate": patient.date_of_birth.isoformat(),
        "managingOrganization": {"display": patient.clinic.name},
    }
    telecom = []
    if patient.phone:
        telecom.append({"system": "phone", "value": patient.phone})
    if patient.email:
        telecom.append({"system": "email", "value": patient.email})
    if telecom:
        resource["telecom"] = telecom
    if patient.address:
        resource["address"] = [{"text": patient.address}]
    if patient.emergency_contact_name:
        contact: dict[str, Any] = {
            "relationship": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/v2-0131",
                            "code": "C",
                            "display": "Emergency Contact",
                        }
                    ],
                    "text": patient.emergency_contact_relationship or "Emergency contact / escort",
                }
            ],
            "name": {"text": patient.emergency_contact_name},
        }
        if patient.emergency_contact_phone:
            contact["telecom"] = [{"system": "phone", "value": patient.emergency_contact_phone}]
        resource["contact"] = [contact]
    return resource


def _measurement(patient: Any, code: tuple[str, str, str], value: Any) -> dict[str, Any]:
    loinc, display, unit = code
    return {
        "resourceType": "Observation",
        "id": resource_uuid("Observation", patient.clinic.slug, patient.mrn, loinc, patient.measured_on),
        "status": "final",
        "category": [VITAL_SIGNS_CATEGORY],
        "code": {
            "coding": [{"system": "http://loinc.org", "code": loinc, "display": display}],
            "text": display,
        },
        "subject": {"reference": patient_reference(patient)},
        "effectiveDateTime": patient.measured_on.isoformat(),
        "valueQuantity": {
            "value": float(value),
            "unit": unit,
            "system": "http://unitsofmeasure.org",
            "code": unit,
        },
    }


def patient_resources(patient: Any) -> list[dict[str, Any]]:
    """The Patient and, where recorded, their weight and height."""
    resources = [patient_resource(patient)]
    if patient.measured_on:
        if patient.weight_kg is not None:
            resources.append(_measurement(patient, BODY_WEIGHT, patient.weight_kg))
        if patient.height_cm is not None:
            resources.append(_measurement(patient, BODY_HEIGHT, patient.height_cm))
    return resources
