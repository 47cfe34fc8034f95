"""The demo clinic's consultations: a patient at each decision, DEMO-0001 ready for a plan."""

from __future__ import annotations

from ketapath.consultations.actions import IntakeChanges, save_intake
from ketapath.consultations.models import Consent, ConsentVersion, Evaluation, Intake
from ketapath.consultations.readiness import plan_readiness
from ketapath.demo.load import load_demo
from ketapath.patients.models import PathwayStage, Patient


def test_demo_has_a_patient_at_each_decision(demo):
    signed = dict(Evaluation.objects.filter(status="signed").values_list("patient__mrn", "final_decision"))
    proposed = dict(Evaluation.objects.values_list("patient__mrn", "proposed_decision"))
    assert set(signed.values()) == {
        "eligible",
        "eligible-with-cautions",
        "work-up-needed",
        "not-eligible-now",
    }
    assert signed == proposed  # the demo prescriber agreed with every proposal
    # DEMO-0005's visit is done and waits for the prescriber, with a clinic-setting reason.
    waiting = Intake.objects.get(patient__mrn="DEMO-0005")
    assert (
        waiting.visit_completed_at is not None
        and not Evaluation.objects.filter(patient=waiting.patient).exists()
    )
    stages = set(Patient.objects.filter(clinic__slug="demo").values_list("pathway_stage", flat=True))
    assert stages == {s.value for s in PathwayStage}


def test_demo_0001_goes_on_to_planning(demo):
    patient = Patient.objects.get(mrn="DEMO-0001")
    readiness = plan_readiness(patient)
    assert readiness.ready, readiness.reasons
    assert readiness.evaluation.final_decision == "eligible"
    assert readiness.consent.version == ConsentVersion.current_for(patient.clinic_id)
    intake = Intake.objects.get(patient=patient)
    assert intake.patient_submitted_at is not None  # the patient filled the home part
    assert intake.conditions.get().recorded_by == patient.user


def test_demo_consent_text_names_its_sources(demo):
    [version] = ConsentVersion.objects.filter(clinic__slug="demo")
    assert "cohen-2018" in version.sources and "(Singh 2016)" in version.body


def test_demo_reload_keeps_what_was_entered(demo):
    patient = Patient.objects.get(mrn="DEMO-0004")
    nurse = Evaluation.objects.get(patient=patient).created_by
    save_intake(
        patient, nurse, IntakeChanges(fields={"allergies": "Latex (entered later)"}), by_patient=False
    )
    counts = (
        Intake.objects.count(),
        Evaluation.objects.count(),
        Consent.objects.count(),
        ConsentVersion.objects.count(),
    )
    load_demo()
    assert (
        Intake.objects.count(),
        Evaluation.objects.count(),
        Consent.objects.count(),
        ConsentVersion.objects.count(),
    ) == counts
    assert Intake.objects.get(patient=patient).allergies == "Latex (entered later)"
