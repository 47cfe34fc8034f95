"""The consultation in the FHIR export: Conditions, the signed evaluation, Consents."""

from __future__ import annotations

from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from ketapath.consultations.actions import amend_evaluation, record_consent, withdraw_consent
from ketapath.web.fhir_export import patient_bundle
from tests.consultations.conftest import ready_for_signature, sign


def resources(patient, kind):
    bundle = patient_bundle(patient)
    Bundle.model_validate(bundle)
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_conditions_evaluation_and_consent_are_exported(personas, consent_v1):
    patient = personas.patient_one
    ready_for_signature(patient, personas.nurse, psychosis_history="yes")
    sign(patient, personas.prescriber, "eligible-with-cautions", reason="Clinic policy pending")
    record_consent(
        patient, personas.nurse, version=consent_v1, signed_on=timezone.localdate(), method="paper"
    )

    [condition] = resources(patient, "Condition")
    assert condition["code"]["coding"][0] == {
        "system": "http://hl7.org/fhir/sid/icd-10-cm",
        "code": "G90.511",
        "display": "Complex regional pain syndrome type I",
    }
    assert condition["verificationStatus"]["coding"][0]["code"] == "confirmed"
    assert "onsetDateTime" in condition

    [impression] = resources(patient, "ClinicalImpression")
    assert impression["status"] == "completed"
    assert impression["prognosisCodeableConcept"][0]["coding"][0]["code"] == "eligible-with-cautions"
    assert "Final decision: Eligible with cautions (proposed: Work-up needed first)" in impression["summary"]
    bases = {f["itemCodeableConcept"]["coding"][0]["code"]: f["basis"] for f in impression["finding"]}
    assert bases["indication.crps-1"].startswith("Cohen 2018, Recommendations, Indications, item 2, grade B")
    assert bases["clinic.psychosis-history"].startswith("Clinic's choice, not a guideline")
    assert impression["problem"][0]["reference"].startswith("urn:uuid:")

    [consent] = resources(patient, "Consent")
    assert consent["status"] == "active" and consent["scope"]["coding"][0]["code"] == "treatment"
    assert "version 1" in consent["sourceAttachment"]["title"]


def test_drafts_are_not_exported_and_amendments_link_back(personas, consent_v1):
    patient = personas.patient_one
    ready_for_signature(patient, personas.nurse)
    first = sign(patient, personas.prescriber)
    amend_evaluation(patient, personas.prescriber)
    assert len(resources(patient, "ClinicalImpression")) == 1  # the open draft is not exported
    second = sign(patient, personas.prescriber, amendment_reason="Corrected history")
    impressions = resources(patient, "ClinicalImpression")
    assert [i["code"]["text"][-9:] for i in impressions] == ["version 1", "version 2"]
    assert impressions[1]["previous"]["reference"].endswith(impressions[0]["id"])
    assert second.previous == first


def test_a_withdrawn_consent_is_inactive(personas, consent_v1):
    patient = personas.patient_one
    today = timezone.localdate()
    consent = record_consent(patient, personas.nurse, version=consent_v1, signed_on=today, method="paper")
    withdraw_consent(consent, personas.nurse, withdrawn_on=today, reason="Declined")
    [exported] = resources(patient, "Consent")
    assert exported["status"] == "inactive" and exported["provision"]["period"]["end"] == today.isoformat()


def test_the_medication_list_is_exported_as_medication_statements(personas):
    from datetime import timedelta

    from ketapath.audit.actions import mark_entered_in_error
    from ketapath.consultations.actions import IntakeChanges, RowChange, save_intake
    from ketapath.consultations.models import IntakeMedicine

    patient = personas.patient_one
    since = timezone.localdate() - timedelta(days=60)
    rows = (
        RowChange(None, {"name": "Lorazepam", "dose": "1 mg at night", "since": since}),
        RowChange(None, {"name": "Sertraline", "dose": "", "since": None}),
        RowChange(None, {"name": "Typo", "dose": "", "since": None}),
    )
    save_intake(patient, patient.user, IntakeChanges(medicines=rows[:1]), by_patient=True)
    save_intake(patient, personas.nurse, IntakeChanges(medicines=rows[1:]), by_patient=False)
    mark_entered_in_error(IntakeMedicine.objects.get(name="Typo"), personas.nurse, "Wrong row")

    statements = resources(patient, "MedicationStatement")  # the bundle validates as FHIR R4B
    assert [s["medicationCodeableConcept"]["text"] for s in statements] == ["Lorazepam", "Sertraline"]
    lorazepam, sertraline = statements
    assert lorazepam["status"] == "active"
    assert lorazepam["dosage"] == [{"text": "1 mg at night"}]
    assert lorazepam["effectivePeriod"] == {"start": since.isoformat()}
    assert lorazepam["informationSource"] == {"display": "The patient"}
    assert lorazepam["subject"]["reference"].startswith("urn:uuid:")
    assert "dosage" not in sertraline and "effectivePeriod" not in sertraline
    assert sertraline["informationSource"]["display"] == personas.nurse.display_name
