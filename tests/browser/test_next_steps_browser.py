"""The prescriber walks the pathway by its next-step links alone: from a new patient's intake to a
booked course. After registering the patient, every page is reached by the one next step the
page before offered (the chart's pathway strip, or the box after each step), filling the forms
on the way; the evaluation and the plan are checked before their confirmation, which names what
signing locks. The clinicians' pages are photographed at 1366 px wide, and the main navigation
is measured there: on one line for every staff role. A patient's header on a 390 px phone is at
most 120 px tall."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import sign_in, sign_out

MRN = "DEMO-0961"
WIDE = {"width": 1366, "height": 800}
PHONE = {"width": 390, "height": 844}


def follow_next_step(page, label: str) -> None:
    """Click the page's next step (the box after a step, or the chart's pathway strip)."""
    box = page.locator(".next-step")
    expect(box).to_have_count(1)  # one next step, never a choice of several
    box.get_by_role("link", name=label).click()
    page.wait_for_load_state()


def test_prescriber_follows_the_next_steps_from_intake_to_a_booked_course(demo, page, shot):
    from ketapath.patients.models import Patient
    from ketapath.plans.models import PlannedSession

    page.set_viewport_size(WIDE)
    today = timezone.localdate()
    onset = (today - timedelta(days=400)).isoformat()
    sign_in(page, "dr.demo")

    # The new patient: registered from the patients list.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients", exact=True).click()
    page.get_by_role("link", name="Register a patient").click()
    page.get_by_label("MRN").fill(MRN)
    page.get_by_label("Given name").fill("Walker")
    page.get_by_label("Family name").fill("Demo-Nextstep")
    page.get_by_label("Date of birth").fill("1979-05-14")
    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Weight (kg)").fill("70")
    page.get_by_label("Height (cm)").fill("168")
    page.get_by_label("Measured on").fill(today.isoformat())
    page.get_by_role("button", name="Register").click()
    page.wait_for_url(f"**/patients/{MRN}/")

    # 1. The chart: the pathway strip says where the patient stands, and the one next action.
    strip = page.locator(".pathway-strip")
    expect(strip.locator("li.current")).to_contain_text("Consultation")
    shot(page, "next-chart-new-patient")
    follow_next_step(page, "Record the intake")

    # 2. The intake, recorded by the prescriber at the visit.
    page.wait_for_url(f"**/patients/{MRN}/consultation/intake/")
    page.fill("[name=referral_reason]", "Burning pain in the left foot since an ankle fracture.")
    page.fill("[name=pain_locations]", "Left foot and ankle")
    page.select_option("[name=pain_now_nrs]", "7")
    page.select_option("[name=pain_worst_nrs]", "9")
    page.select_option("[name=pain_average_nrs]", "7")
    page.select_option("[name=conditions-0-condition_id]", "crps-1")
    page.fill("[name=conditions-0-onset_on]", onset)
    page.fill("[name=conditions-0-icd10_code]", "G90.522")
    page.select_option("[name=treatment-nsaids-outcome]", "no-effect")
    page.fill("[name=allergies]", "None known")
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
    page.fill("[name=vitals_on]", today.isoformat())
    page.fill("[name=systolic_mmhg]", "122")
    page.fill("[name=diastolic_mmhg]", "76")
    page.fill("[name=heart_rate_bpm]", "70")
    page.fill("[name=spo2_percent]", "98")
    page.get_by_role("button", name="Save intake").click()
    expect(page.locator(".messages")).to_contain_text("Intake saved.")
    follow_next_step(page, "Finish the visit")  # the card on the same page
    page.get_by_role("button", name="Complete the visit").click()
    expect(page.locator(".messages")).to_contain_text("Visit completed")
    shot(page, "next-intake-visit-completed")
    follow_next_step(page, "Review and sign the evaluation")

    # 3. The evaluation: checked before the confirmation, then signed.
    page.wait_for_url(f"**/patients/{MRN}/consultation/evaluation/")
    page.check("input[name=final_decision][value=eligible]")
    page.get_by_role("button", name="Review and sign").click()
    main = page.inner_text("main")
    if "The decision differs from the proposal: say why." in main:  # no questionnaires yet: work-up
        assert "Sign evaluation version 1" not in main  # refused before any confirmation
        page.fill("[name=decision_reason]", "Screens to be completed at the first session's pre-checks.")
        page.get_by_role("button", name="Review and sign").click()
    confirm = page.inner_text("main")
    assert "Sign evaluation version 1?" in confirm and "locks" in confirm
    assert "Complex regional pain syndrome type I (G90.522)" in confirm
    shot(page, "next-evaluation-confirm")
    page.get_by_role("button", name="Sign evaluation version 1").click()
    expect(page.locator(".messages")).to_contain_text("Evaluation version 1 signed.")
    shot(page, "next-evaluation-signed")
    follow_next_step(page, "Record the signed consent")

    # 4. The consent to the clinic's current text.
    page.wait_for_url(f"**/patients/{MRN}/consultation/consent/#record")
    page.fill("[name=signed_on]", today.isoformat())
    page.check("input[name=method][value=paper]")
    page.get_by_label("I have checked that the patient signed this version").check()
    page.get_by_role("button", name="Record signed consent").click()
    expect(page.locator(".messages")).to_contain_text("Signed consent (version")
    shot(page, "next-consent-recorded")
    follow_next_step(page, "Go to the treatment plan")

    # 5. The plan: written from a protocol, checked, confirmed, approved.
    page.wait_for_url(f"**/patients/{MRN}/plan/")
    follow_next_step(page, "Write the plan")
    page.get_by_label("Protocol").select_option("schwartzman-2009-crps")
    page.get_by_role("button", name="Use this protocol").click()
    page.get_by_label("First session on").fill((today + timedelta(days=2)).isoformat())
    page.get_by_label("Rate (mg/kg/h)").fill("0.25")
    page.get_by_label("daily for 10 days: sessions").fill("3")
    page.get_by_role("button", name="Save draft and calculate").click()
    expect(page.locator(".messages")).to_contain_text("Draft saved.")
    shot(page, "next-plan-draft")
    follow_next_step(page, "Go to the approval")
    page.get_by_role("button", name="Review and approve").click()
    confirm = page.inner_text("main")
    assert "Approve and sign version 1 of the treatment plan?" in confirm and "locks" in confirm
    assert "Weight used\n70" in confirm and "3 sessions" in confirm and "within every limit" in confirm
    shot(page, "next-plan-approve-confirm")
    page.get_by_role("button", name="Approve and sign version 1").click()
    expect(page.locator(".messages")).to_contain_text("Version 1 approved and signed.")

    # 6. The sessions: booked from the next step.
    follow_next_step(page, "Go to the schedule")
    page.get_by_role("button", name="Schedule 3 sessions").click()
    expect(page.locator(".messages")).to_contain_text("3 sessions scheduled.")
    page.wait_for_load_state()
    expect(page.locator(".next-step")).to_contain_text("the next is session 1")
    shot(page, "next-plan-scheduled")
    patient = Patient.objects.get(mrn=MRN)
    assert PlannedSession.objects.filter(patient=patient, status="scheduled").count() == 3
    assert patient.pathway_stage == "treatment"

    # The chart now stands at the sessions, its next action the first of them.
    page.locator(".chart-nav").get_by_role("link", name="Overview").click()
    expect(strip.locator("li.done")).to_have_count(4)
    expect(strip.locator("li.current")).to_contain_text("Sessions")
    expect(strip.locator(".next-step")).to_contain_text("Session 1 on")
    shot(page, "next-chart-booked")


def nav_line(page) -> dict[str, float]:
    """The main navigation's bar, measured: its items' top edges and the header's height."""
    items = page.locator("nav.main-nav > ul > li")
    boxes = [items.nth(n).bounding_box() for n in range(items.count())]
    middles = [box["y"] + box["height"] / 2 for box in boxes]
    header = page.locator("header.site-header").bounding_box()
    nav = page.locator("nav.main-nav").bounding_box()
    return {
        "items": len(boxes),
        # Items on one line share their middle (a second line would be a line's height lower).
        "spread": max(middles) - min(middles),
        "nav_height": nav["height"],
        "nav_width": nav["width"],
        "header_height": header["height"],
        "nav_right": nav["x"] + nav["width"],
    }


@pytest.mark.parametrize("username", ["dr.demo", "nurse.demo", "admin.demo"])
def test_staff_navigation_is_grouped_on_one_line_at_1366(username, demo, page, shot):
    page.set_viewport_size(WIDE)
    sign_in(page, username)
    page.goto("/patients/DEMO-0001/")
    measured = nav_line(page)
    print(username, measured)  # the figures, for the record (pytest -s)
    assert measured["spread"] < 4 and measured["nav_height"] < 40, measured
    assert measured["header_height"] <= 64, measured
    assert measured["nav_right"] <= page.locator(".who").bounding_box()["x"], measured  # no overlap
    nav = page.get_by_role("navigation", name="Main")
    # The clinic's pages are in its menu, closed until opened.
    clinic = nav.locator("details", has_text="Clinic")
    readiness = clinic.get_by_role("link", name="Clinic readiness")
    expect(readiness).to_be_hidden()
    clinic.locator("summary").click()
    expect(readiness).to_be_visible()
    shot(page, f"nav-1366-{username.replace('.', '-')}")
    page.keyboard.press("Escape")
    expect(readiness).to_be_hidden()
    expect(clinic.locator("summary")).to_be_focused()
    clinic.locator("summary").click()
    readiness.click()
    page.wait_for_url("**/clinic/readiness/")
    # The current page's group is marked on the bar.
    expect(nav.locator("summary.current")).to_have_text("Clinic (this page is here)")
    sign_out(page)


def test_patient_header_is_compact_on_a_phone(demo, new_context, shot):
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    sign_in(page, "patient.demo")
    nav = page.get_by_role("navigation", name="Main")
    labels = [link.inner_text() for link in nav.get_by_role("link").all()]
    assert labels == ["My care", "My appointments", "After my sessions", "My pain journal", "Questionnaires"]
    header = page.locator("header.site-header").bounding_box()
    banner = page.locator(".demo-banner").bounding_box()
    print("phone", {"header_height": header["height"], "banner_height": banner["height"]})
    assert header["height"] <= 120, header
    # With the demo clinic's notice above it (one line on a phone), still within 120 px.
    assert banner["height"] + header["height"] <= 120, (banner, header)
    assert header["width"] <= PHONE["width"]
    for link in nav.get_by_role("link").all():
        box = link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], link.inner_text()
    shot(page, "nav-phone-patient")
