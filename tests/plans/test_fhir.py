"""The FHIR export: a CarePlan and a MedicationRequest (dose and rate) per plan version."""

from __future__ import annotations

from datetime import timedelta

from fhir.resources.R4B.bundle import Bundle

from ketapath.plans.actions import approve_plan, save_draft
from ketapath.web.fhir_export import patient_bundle
from tests.plans.conftest import singh


def resources(bundle, kind):
    return [e.resource for e in bundle.entry if e.resource.get_resource_type() == kind]


def test_careplan_and_medication_request_with_dose_and_rate(personas, ready_patient):
    v1 = save_draft(ready_patient, personas.prescriber, singh(weight="68.4", per_kg="0.75"))
    v1 = approve_plan(v1, personas.prescriber, result_key=v1.result_key, override_reason="Partial response.")
    v2 = save_draft(
        ready_patient,
        personas.prescriber,
        singh(start=v1.start_on + timedelta(days=7), reason="Back to 0.5 mg/kg."),
    )
    bundle = Bundle.model_validate(patient_bundle(ready_patient))
    plans = resources(bundle, "CarePlan")
    requests = resources(bundle, "MedicationRequest")
    assert [p.status for p in plans] == ["active", "draft"]
    assert [r.status for r in requests] == ["active", "draft"]
    assert [r.intent for r in requests] == ["order", "proposal"]
    first, second = plans
    assert first.subject.reference == bundle.entry[0].fullUrl
    assert "Singh 2016" in first.description
    assert second.replaces[0].reference == f"urn:uuid:{first.id}"
    assert first.activity[0].reference.reference == f"urn:uuid:{requests[0].id}"
    assert "Partial response." in first.note[0].text and first.note[0].authorString
    dosage = requests[0].dosageInstruction[0]
    assert dosage.route.coding[0].code == "47625008"
    ordered, calculated = dosage.doseAndRate
    # 0.75 mg/kg x 68.4 kg = 51.3 mg over 40 min = 76.95 mg/h; 76.9 mL/h at 1 mg/mL rounded down.
    assert float(ordered.doseQuantity.value) == 51.267 and ordered.doseQuantity.code == "mg"
    assert float(ordered.rateQuantity.value) == 76.9 and ordered.rateQuantity.code == "mg/h"
    assert ordered.rateQuantity.system == "http://unitsofmeasure.org"
    assert float(calculated.rateQuantity.value) == 76.9 and calculated.rateQuantity.code == "mL/h"
    assert len(dosage.timing.event) == 8 and str(dosage.timing.event[0]) == v1.start_on.isoformat()
    assert requests[1].basedOn[0].reference == f"urn:uuid:{plans[1].id}"
    assert v2.version == 2


def test_export_is_stable_and_empty_without_plans(personas):
    bundle = patient_bundle(personas.patient_two)
    assert not [
        e for e in bundle["entry"] if e["resource"]["resourceType"] in {"CarePlan", "MedicationRequest"}
    ]
    save_draft(personas.patient_two, personas.prescriber, singh())
    one = patient_bundle(personas.patient_two)
    two = patient_bundle(personas.patient_two)
    assert [e["fullUrl"] for e in one["entry"]] == [e["fullUrl"] for e in two["entry"]]
