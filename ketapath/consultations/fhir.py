"""The consultation in FHIR R4: ``Condition``s, the medication list as ``MedicationStatement``s,
``Consent``s and the signed evaluation as a ``ClinicalImpression`` whose findings are the
eligibility reasons (each with its source as basis).

The intake questionnaires' ``QuestionnaireResponse``s and score ``Observation``s are exported by
the questionnaires app. Drafts are not exported: only what a clinician signed or recorded.
"""

from __future__ import annotations

from typing import Any

from ketapath.clinical.instruments.codes import FHIR_BASE
from ketapath.consultations.models import (
    Consent,
    Evaluation,
    EvaluationStatus,
    FinalDecision,
    IntakeCondition,
    IntakeMedicine,
)
from ketapath.consultations.proposal import condition_name
from ketapath.fhir.ids import full_url, resource_uuid
from ketapath.fhir.patient import patient_reference

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
CONDITION_SYSTEM = f"{FHIR_BASE}/CodeSystem/conditions"
REASON_SYSTEM = f"{FHIR_BASE}/CodeSystem/eligibility-reasons"
DECISION_SYSTEM = f"{FHIR_BASE}/CodeSystem/eligibility-decisions"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"

JSON = dict[str, Any]


def _condition_id(patient: Any, row: IntakeCondition) -> str:
    return resource_uuid("Condition", patient.clinic.slug, row.pk)


def condition_resource(patient: Any, row: IntakeCondition) -> JSON:
    name = condition_name(row.condition_id, row.icd10_code, row.description)
    coding: list[JSON] = []
    if row.icd10_code:
        coding.append({"system": ICD10CM, "code": row.icd10_code, "display": name})
    if row.condition_id:
        coding.append({"system": CONDITION_SYSTEM, "code": row.condition_id, "display": name})
    code: JSON = {"text": row.description or name}
    if coding:
        code["coding"] = coding
    resource: JSON = {
        "resourceType": "Condition",
        "id": _condition_id(patient, row),
        "clinicalStatus": {"coding": [{"system": CLINICAL, "code": "active"}]},
        # A code entered by staff is confirmed; the patient's own description is provisional.
        "verificationStatus": {
            "coding": [{"system": VERIFICATION, "code": "confirmed" if row.icd10_code else "provisional"}]
        },
        "category": [
            {
                "coding": [
                    {
                        "system": CONDITION_CATEGORY,
                        "code": "problem-list-item",
                        "display": "Problem List Item",
                    }
                ]
            }
        ],
        "code": code,
        "subject": {"reference": patient_reference(patient)},
        "recordedDate": row.recorded_at.isoformat(timespec="seconds"),
    }
    if row.onset_on:
        resource["onsetDateTime"] = row.onset_on.isoformat()
    return resource


def medication_resource(patient: Any, row: IntakeMedicine) -> JSON:
    """A medicine the patient takes now, as the intake recorded it (name and dose as free text)."""
    resource: JSON = {
        "resourceType": "MedicationStatement",
        "id": resource_uuid("MedicationStatement", patient.clinic.slug, row.pk),
        "status": "active",
        "medicationCodeableConcept": {"text": row.name},
        "subject": {"reference": patient_reference(patient)},
        "dateAsserted": row.recorded_at.isoformat(timespec="seconds"),
        "informationSource": {
            "display": "The patient"
            if patient.user_id is not None and row.recorded_by_id == patient.user_id
            else row.recorded_by.display_name
        },
    }
    if row.since:
        resource["effectivePeriod"] = {"start": row.since.isoformat()}
    if row.dose:
        resource["dosage"] = [{"text": row.dose}]
    return resource


def consent_resource(patient: Any, consent: Consent) -> JSON:
    version = consent.version
    provision: JSON = {"type": "permit", "period": {"start": consent.signed_on.isoformat()}}
    if consent.withdrawn_on:
        provision["period"]["end"] = consent.withdrawn_on.isoformat()
    return {
        "resourceType": "Consent",
        "id": resource_uuid("Consent", patient.clinic.slug, consent.pk),
        "status": "inactive" if consent.is_withdrawn else "active",
        "scope": {"coding": [{"system": CONSENT_SCOPE, "code": "treatment", "display": "Treatment"}]},
        "category": [
            {"coding": [{"system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"}]}
        ],
        "patient": {"reference": patient_reference(patient)},
        "dateTime": consent.signed_on.isoformat(),
        "organization": [{"display": patient.clinic.name}],
        "sourceAttachment": {
            "contentType": "text/plain; charset=utf-8",
            "title": f"{version.title} (version {version.version})",
            "creation": version.created_at.isoformat(timespec="seconds"),
        },
        "policyRule": {
            "text": f"{patient.clinic.name}: informed consent to ketamine treatment, "
            f"text version {version.version}"
        },
        "provision": provision,
    }


def _basis(reason: JSON) -> str:
    parts = []
    if reason.get("clinic_setting"):
        parts.append(
            f"Clinic's choice, not a guideline (clinic setting: {reason.get('clinic_setting_label')})"
        )
    if reason.get("source"):
        grade = f", grade {reason['grade']}" if reason.get("grade") else ""
        certainty = f", {reason['certainty']} certainty" if reason.get("certainty") else ""
        parts.append(f"{reason['source']}{grade}{certainty}")
    return "; ".join(parts) or "KetaPath eligibility rule (no source)"


def evaluation_resource(patient: Any, note: Evaluation, condition_refs: list[str]) -> JSON:
    final = FinalDecision(note.final_decision)
    proposed = FinalDecision(note.proposed_decision)
    summary = f"Final decision: {final.label} (proposed: {proposed.label})."
    if note.decision_reason:
        summary += f" Why it differs: {note.decision_reason}"
    resource: JSON = {
        "resourceType": "ClinicalImpression",
        "id": resource_uuid("ClinicalImpression", patient.clinic.slug, note.pk),
        "status": "entered-in-error" if note.is_entered_in_error else "completed",
        "code": {"text": f"Eligibility evaluation for ketamine treatment, version {note.version}"},
        "subject": {"reference": patient_reference(patient)},
        "effectiveDateTime": note.assessed_on.isoformat(),
        "date": note.signed_at.isoformat(timespec="seconds") if note.signed_at else None,
        "assessor": {"display": note.signed_by.display_name if note.signed_by else ""},
        "summary": summary,
        "finding": [
            {
                "itemCodeableConcept": {
                    "coding": [{"system": REASON_SYSTEM, "code": r["code"]}],
                    "text": f"{r['effect_label']}: {r['text']}",
                },
                "basis": _basis(r),
            }
            for r in note.reasons
        ],
        "prognosisCodeableConcept": [
            {
                "coding": [{"system": DECISION_SYSTEM, "code": final.value, "display": str(final.label)}],
                "text": str(final.label),
            }
        ],
    }
    if condition_refs:
        resource["problem"] = [{"reference": ref} for ref in condition_refs]
    if note.previous_id:
        resource["previous"] = {
            "reference": full_url(resource_uuid("ClinicalImpression", patient.clinic.slug, note.previous_id))
        }
    notes = [
        t for t in (note.assessment, note.amendment_reason and f"Amendment: {note.amendment_reason}") if t
    ]
    if notes:
        resource["note"] = [{"text": t} for t in notes]
    return {k: v for k, v in resource.items() if v is not None}


def consultation_resources(patient: Any) -> list[JSON]:
    """The patient's conditions, medicines, signed evaluations and consents (fixed number of queries)."""
    conditions = list(
        IntakeCondition.objects.active()
        .filter(intake__patient=patient, intake__record_status="active")
        .order_by("onset_on", "id")
    )
    resources = [condition_resource(patient, row) for row in conditions]
    refs = [full_url(_condition_id(patient, row)) for row in conditions]
    medicines = (
        IntakeMedicine.objects.active()
        .filter(intake__patient=patient, intake__record_status="active")
        .select_related("recorded_by")
        .order_by("name", "id")
    )
    resources += [medication_resource(patient, row) for row in medicines]
    notes = (
        Evaluation.objects.filter(patient=patient, status=EvaluationStatus.SIGNED)
        .select_related("signed_by")
        .order_by("version")
    )
    resources += [evaluation_resource(patient, note, refs) for note in notes]
    consents = (
        Consent.objects.active().filter(patient=patient).select_related("version").order_by("signed_on", "id")
    )
    resources += [consent_resource(patient, c) for c in consents]
    return resources
