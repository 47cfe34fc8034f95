"""The post-treatment review notes as FHIR R4 ``ClinicalImpression``s.

Only signed notes (and amended ones, which stay signed) are exported; a draft is not part of the
record. Each impression names the decision as its prognosis, the response summaries as findings
(each with its source as basis) and, as supporting information, the questionnaire responses its
baseline and latest scores came from (exported by the questionnaires app with the same ids).
The follow-up questionnaires themselves are ``QuestionnaireResponse``s exported by that app.

Each liver test result is a laboratory ``Observation`` coded with its LOINC code (from the lab
data file), its value in UCUM units and, when the clinic set it, the upper reference limit with
``H`` when above it. An unset limit exports no range and no interpretation: the
result is not called normal.
"""

from __future__ import annotations

from typing import Any

from ketapath.clinic_settings.values import values_for
from ketapath.clinical.instruments.codes import FHIR_BASE
from ketapath.clinical.instruments.loinc import LOINC_SYSTEM
from ketapath.clinical.labs import UnknownLabTestError, get_lab_test, judge
from ketapath.fhir.ids import full_url, resource_uuid
from ketapath.fhir.patient import patient_reference
from ketapath.outcomes.clinic_choices import lab_upper_limits
from ketapath.outcomes.models import LiverTestResult, OutcomeReview, ReviewDecision, ReviewStatus
from ketapath.questionnaires.models import QuestionnaireResponse, ResponseStatus

DECISION_SYSTEM = f"{FHIR_BASE}/CodeSystem/outcome-review-decisions"
RESPONSE_SYSTEM = f"{FHIR_BASE}/CodeSystem/response-levels"
JSON = dict[str, Any]


def _response_ref(patient: Any, response_id: int) -> JSON:
    return {"reference": full_url(resource_uuid("QuestionnaireResponse", patient.clinic.slug, response_id))}


def review_resource(patient: Any, review: OutcomeReview, exported_responses: set[int]) -> JSON:
    s = review.snapshot or {}
    findings: list[JSON] = []
    supporting: dict[int, JSON] = {}
    for m in s.get("measures") or []:
        measure_id = m["id"]
        level = m.get("best_level") or "none"
        text = f"{m.get('label', measure_id)}: {m.get('best_label') or 'no response level met'}"
        if m.get("relapse_on"):
            text += f"; relapse on {m['relapse_on']}"
        if m.get("duration_days") is not None:
            text += f"; response lasted {m['duration_days']} days"
        finding: JSON = {
            "itemCodeableConcept": {
                "coding": [{"system": RESPONSE_SYSTEM, "code": f"{measure_id}:{level}"}],
                "text": text,
            }
        }
        basis = "; ".join(f"{d['label']} ({d['sources']})" for d in m.get("definitions", []))
        if basis:
            finding["basis"] = basis
        findings.append(finding)
        for key in ("baseline",):
            ref = m.get(key)
            if ref and ref.get("response_id") in exported_responses:
                supporting[ref["response_id"]] = _response_ref(patient, ref["response_id"])
    for change in s.get("changes", []):
        for key in ("baseline", "latest"):
            ref = change.get(key)
            if ref and ref.get("response_id") in exported_responses:
                supporting[ref["response_id"]] = _response_ref(patient, ref["response_id"])
    decision = ReviewDecision(review.decision)
    resource: JSON = {
        "resourceType": "ClinicalImpression",
        "id": resource_uuid("ClinicalImpression", patient.clinic.slug, "outcome-review", review.pk),
        "status": "entered-in-error" if review.is_entered_in_error else "completed",
        "code": {"text": f"Post-treatment outcome review, version {review.version}"},
        "subject": {"reference": patient_reference(patient)},
        "effectiveDateTime": review.reviewed_on.isoformat(),
        "date": review.signed_at.isoformat(timespec="seconds") if review.signed_at else None,
        "assessor": {"display": review.signed_by.display_name if review.signed_by else ""},
        "summary": f"Decision: {decision.label}."
        + (f" {review.decision_details}" if review.decision_details else ""),
        "prognosisCodeableConcept": [
            {"coding": [{"system": DECISION_SYSTEM, "code": decision.value, "display": str(decision.label)}]}
        ],
    }
    if findings:
        resource["finding"] = findings
    if supporting:
        resource["supportingInfo"] = list(supporting.values())
    if review.previous_id:
        resource["previous"] = {
            "reference": full_url(
                resource_uuid("ClinicalImpression", patient.clinic.slug, "outcome-review", review.previous_id)
            )
        }
    notes = [
        t
        for t in (review.assessment, review.amendment_reason and f"Amendment: {review.amendment_reason}")
        if t
    ]
    if notes:
        resource["note"] = [{"text": t} for t in notes]
    return {k: v for k, v in resource.items() if v is not None}


OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
UCUM = "http://unitsofmeasure.org"


def liver_observations(patient: Any) -> list[JSON]:
    upper = lab_upper_limits(values_for(patient.clinic_id))
    found: list[JSON] = []
    for result in LiverTestResult.objects.filter(patient=patient).order_by("sampled_on", "id"):
        try:
            test = get_lab_test(result.test)
        except UnknownLabTestError:
            continue
        observation: JSON = {
            "resourceType": "Observation",
            "id": resource_uuid("Observation", patient.clinic.slug, "liver", result.pk),
            "status": "entered-in-error" if result.is_entered_in_error else "final",
            "category": [
                {"coding": [{"system": OBSERVATION_CATEGORY, "code": "laboratory", "display": "Laboratory"}]}
            ],
            "code": {
                "coding": [{"system": LOINC_SYSTEM, "code": result.loinc, "display": test.display}],
                "text": test.label,
            },
            "subject": {"reference": patient_reference(patient)},
            "effectiveDateTime": result.sampled_on.isoformat(),
            "issued": result.recorded_at.isoformat(timespec="seconds"),
            "valueQuantity": {
                "value": float(result.value),
                "unit": result.unit,
                "system": UCUM,
                "code": test.ucum,
            },
        }
        limit = upper.get(result.test)
        if limit is not None:
            verdict = judge(result.value, limit)
            observation["referenceRange"] = [
                {
                    "high": {"value": float(limit), "unit": test.unit, "system": UCUM, "code": test.ucum},
                    "text": "The clinic laboratory's upper reference limit",
                }
            ]
            if verdict.above:  # only the upper limit is known, so "within" is not called normal
                observation["interpretation"] = [
                    {"coding": [{"system": INTERPRETATION, "code": "H", "display": "High"}]}
                ]
        if result.note:
            observation["note"] = [{"text": result.note}]
        found.append(observation)
    return found


def outcome_resources(patient: Any) -> list[JSON]:
    return _review_resources(patient) + liver_observations(patient)


def _review_resources(patient: Any) -> list[JSON]:
    reviews = list(
        OutcomeReview.objects.filter(patient=patient, status=ReviewStatus.SIGNED)
        .select_related("signed_by")
        .order_by("version")
    )
    if not reviews:
        return []
    exported = set(
        QuestionnaireResponse.objects.active()
        .filter(patient=patient, status__in=[ResponseStatus.COMPLETED, ResponseStatus.REVIEWED])
        .values_list("pk", flat=True)
    )
    return [review_resource(patient, review, exported) for review in reviews]
