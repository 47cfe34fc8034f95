"""The consultation end to end: the nurse assigns the intake questionnaires, the patient fills the
home intake and their questionnaires, the nurse completes the visit, the prescriber reviews the
proposal, decides differently (with a reason) and signs; the signed note is locked and an
amendment opens a new version."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import sign_in, sign_out

MRN = "DEMO-0950"
USERNAME = "patient.intake"


@pytest.fixture
def new_patient(demo):
    """A freshly referred patient of the demo clinic with their own login (synthetic)."""
    from ketapath.accounts.models import Clinic, Role, User
    from ketapath.demo.load import DEMO_PASSWORD
    from tests.factories import PatientFactory

    clinic = Clinic.objects.get(slug="demo")
    user = User(
        username=USERNAME, clinic=clinic, role=Role.PATIENT, first_name="Ines", last_name="Demo-Intake"
    )
    user.set_password(DEMO_PASSWORD)
    user.save()
    return PatientFactory(
        clinic=clinic,
        mrn=MRN,
        given_name="Ines",
        family_name="Demo-Intake",
        sex="female",
        pathway_stage="referred",
        user=user,
        weight_kg=None,
        height_cm=None,
        measured_on=None,
    )


def fill_questionnaire(page, values: list[int]) -> None:
    form = page.url
    items = page.locator("fieldset.item")
    for n, value in enumerate(values):
        items.nth(n).locator(f"input[value='{value}']").check()
    page.get_by_role("button", name="Submit").click()
    # Submitted: the browser has moved on to the page after the form (a refused form stays put).
    page.wait_for_url(lambda url: url != form)


def test_intake_to_signed_evaluation(new_patient, page, shot):
    dialogs: list[str] = []  # none: every confirmation comes after the checks, as a page
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    onset = (timezone.localdate() - timedelta(days=400)).isoformat()
    today = timezone.localdate().isoformat()

    # 1. The nurse assigns the intake questionnaires.
    sign_in(page, "nurse.demo")
    page.goto(f"/patients/{MRN}/consultation/intake/")
    page.get_by_role("button", name="Assign the missing ones").click()
    assert "Assigned: peg, dn4, phq-9, gad-7, asq, audit-c, dast-10." in page.inner_text("main")
    sign_out(page)

    # 2. The patient fills the home intake, saves, then sends it.
    sign_in(page, USERNAME)
    page.get_by_role("link", name="Continue your form").click()  # opened when the nurse assigned
    assert "do not write it here and wait" in page.inner_text("main")  # urgent-help notice
    page.fill("[name=referral_reason]", "Burning pain in my right hand since a wrist fracture.")
    page.fill("[name=pain_locations]", "Right hand and wrist")
    page.select_option("[name=pain_now_nrs]", "7")
    page.select_option("[name=pain_worst_nrs]", "9")
    page.select_option("[name=pain_average_nrs]", "7")
    page.select_option("[name=conditions-0-condition_id]", "crps-1")
    page.fill("[name=conditions-0-onset_on]", onset)
    page.select_option("[name=treatment-nsaids-outcome]", "no-effect")
    page.fill("[name=treatment-nsaids-details]", "Ibuprofen for two months")
    page.select_option("[name=treatment-gabapentinoids-outcome]", "side-effects")
    page.fill("[name=current_medications]", "Paracetamol 1 g when needed")
    page.fill("[name=allergies]", "None known")
    for name in (
        "reports_heart_disease",
        "reports_high_blood_pressure",
        "reports_liver_disease",
        "reports_eye_pressure",
        "reports_head_pressure",
        "pregnant",
        "breastfeeding",
        "psychosis_history",
        "mania_history",
        "urinary_symptoms",
    ):
        page.check(f"input[name={name}][value=no]")
    page.get_by_role("button", name="Save and finish later").click()
    assert "Saved. You can come back" in page.inner_text("main")
    assert page.locator("[name=conditions-0-condition_id]").input_value() == "crps-1"
    shot(page, "consult-portal-intake-form")
    # Sending checks and saves the answers first, then asks to confirm.
    page.get_by_role("button", name="Send to my clinic").click()
    assert "Send your answers to your clinic?" in page.inner_text("#send")
    page.get_by_role("button", name="Yes, send my answers").click()
    assert "your answers were sent to your clinic" in page.inner_text("main")
    assert page.get_by_role("button", name="Send to my clinic").count() == 0  # locked for the patient
    shot(page, "consult-portal-intake-sent")

    # The patient's own questionnaires: PEG, PHQ-9 (item 9 = 0), GAD-7, AUDIT-C, DAST-10.
    # Named as the patient knows them (the instruments' `patient_name`, issue 15).
    answers = {
        "Questions about pain and daily life": [7, 6, 7],
        "Questions about your mood": [2, 1, 2, 1, 1, 1, 1, 0, 0, 1],
        "Questions about worry": [1, 1, 1, 0, 0, 1, 1],
        "Questions about alcohol": [1, 0, 0],
        "Questions about drug use": [0, 0, 1, 0, 0, 0, 0, 0, 0, 0],
    }
    page.goto("/portal/questionnaires/")
    for title, values in answers.items():
        page.get_by_role("link", name=title, exact=True).first.click()
        fill_questionnaire(page, values)  # back on the list of questionnaires, the next one on it
        assert "submitted" in page.inner_text("main"), title
        assert "/portal/questionnaires/?submitted=" in page.url
    sign_out(page)

    # 3. The nurse completes the visit: a typing error first, then the real values.
    sign_in(page, "nurse.demo")
    page.goto(f"/patients/{MRN}/consultation/intake/")
    assert "Sent by the patient" in page.inner_text("main")
    page.fill("[name=conditions-0-icd10_code]", "G90.511")
    for name, value in {
        "cardiovascular_disease": "none",
        "hypertension": "none",
        "cardiovascular_risk": "no",
        "hepatic_disease": "none",
        "liver_toxicity_risk": "no",
        "raised_intracranial_pressure": "no",
        "raised_intraocular_pressure": "no",
        "psychosis_active": "no",
        "active_substance_misuse": "no",
        "serial_infusions_planned": "yes",
        "frequent_high_doses_planned": "no",
    }.items():
        page.check(f"input[name={name}][value='{value}']")
    page.fill("[name=vitals_on]", today)
    page.fill("[name=systolic_mmhg]", "80")
    page.fill("[name=diastolic_mmhg]", "120")  # swapped by mistake
    page.fill("[name=heart_rate_bpm]", "72")
    page.fill("[name=spo2_percent]", "98")
    page.fill("[name=weight_kg]", "64.5")
    page.fill("[name=height_cm]", "168")
    page.get_by_role("button", name="Save intake").click()
    # A locator assertion, not wait_for_function: that evaluates a string, which the CSP forbids.
    expect(page.locator("#error-summary")).to_be_focused()
    assert "Nothing was saved" in page.inner_text("#error-summary")
    assert "must be lower than the systolic" in page.inner_text("#id_diastolic_mmhg_error")
    shot(page, "consult-nurse-intake-error")
    page.fill("[name=systolic_mmhg]", "124")
    page.fill("[name=diastolic_mmhg]", "78")
    page.get_by_role("button", name="Save intake").click()
    assert "Intake saved." in page.inner_text("main")
    # The clinician-rated questionnaires at the visit: ASQ all "no", DN4.
    for name, values in {"ASQ": [0, 0, 0, 0], "DN4": [1, 0, 1, 1, 1, 1, 0, 1, 0, 1]}.items():
        page.goto(f"/patients/{MRN}/consultation/intake/")
        page.locator("#questionnaires tr", has_text=name).get_by_role("link", name="Fill in now").click()
        fill_questionnaire(page, values)
    page.goto(f"/patients/{MRN}/consultation/intake/")
    assert "Nothing is missing for the eligibility rules." in page.inner_text("main")
    assert "chronic" in page.inner_text("main")
    shot(page, "consult-nurse-intake-saved")
    page.get_by_role("button", name="Complete the visit").click()
    assert "Visit completed" in page.inner_text("main")
    sign_out(page)

    # 4. The prescriber reviews the proposal, decides differently and signs.
    sign_in(page, "dr.demo")
    waiting = page.locator("section", has_text="Evaluations waiting for your signature")
    shot(page, "consult-prescriber-dashboard")
    waiting.get_by_role("link", name="Demo-Intake, Ines").click()
    main = page.inner_text("main")
    assert "Proposed decision: Eligible" in main
    reason = page.locator("table.reasons tr", has_text="Complex regional pain syndrome type I")
    assert "Cohen 2018" in reason.inner_text() and "grade B" in reason.inner_text()
    shot(page, "consult-evaluation-proposal")
    page.check("input[name=final_decision][value=eligible-with-cautions]")
    page.fill("[name=assessment]", "CRPS for over a year; first-line treatments failed.")
    # The note is checked before any confirmation: the missing reason comes first, nothing saved.
    page.get_by_role("button", name="Review and sign").click()
    assert "The decision differs from the proposal: say why." in page.inner_text("main")
    assert page.get_by_role("button", name="Sign evaluation version 1").count() == 0
    shot(page, "consult-evaluation-sign-refused")
    page.fill("[name=decision_reason]", "Gabapentinoid intolerance: start at a low dose and review early.")
    page.get_by_role("button", name="Review and sign").click()
    # Then the confirmation, naming what signing locks.
    confirm = page.inner_text("main")
    assert "Sign evaluation version 1?" in confirm and "locks" in confirm
    assert "Eligible with cautions" in confirm and "Complex regional pain syndrome type I" in confirm
    shot(page, "consult-evaluation-confirm")
    page.get_by_role("button", name="Sign evaluation version 1").click()
    page.wait_for_url(f"**/patients/{MRN}/consultation/evaluation/*/")
    note = page.inner_text("main")
    assert "Evaluation version 1 signed. It is now locked." in note
    assert "Eligible with cautions" in note and "Gabapentinoid intolerance" in note
    shot(page, "consult-evaluation-signed-note")

    # 5. The signed note cannot be edited: no form, only an amendment, which is a new version.
    page.goto(f"/patients/{MRN}/consultation/evaluation/")
    assert page.get_by_role("button", name="Review and sign").count() == 0
    assert page.locator("textarea[name=assessment]").count() == 0
    assert "Locked:" in page.inner_text("main")
    page.get_by_role("button", name="Amend (new version)").click()
    assert "Amendment opened as version 2" in page.inner_text("main")
    assert page.locator("textarea[name=amendment_reason]").count() == 1
    shot(page, "consult-evaluation-amendment")
    page.get_by_role("link", name="Version 1").click()
    assert "Gabapentinoid intolerance" in page.inner_text("main")
    assert "locked" in page.inner_text("main")
    assert dialogs == []
