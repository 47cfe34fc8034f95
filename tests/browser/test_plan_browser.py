"""The prescriber plans DEMO-0001's treatment: sees the dose, rates and the PK curve, tries a dose
above the protocol's caps and is stopped, then approves a plan within them and schedules it."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import sign_in


def test_prescriber_builds_a_plan_is_stopped_over_the_limit_then_approves(demo, page, shot):
    sign_in(page, "dr.demo")
    waiting = page.inner_text("section:has(#plans-h)")
    assert "Demo-Aspen" in waiting and "Noppers" in waiting  # DEMO-0007's draft waits for its consent
    page.goto("/patients/DEMO-0001/")
    page.locator(".chart-nav").get_by_role("link", name="Treatment plan").click()
    page.wait_for_selector("[data-pk-chart][data-drawn='1'] .main-svg")
    main = page.inner_text("main")
    # The demo's approved plan: Schwartzman 2009 at the demo prescriber's 0.25 mg/kg/h (the source's
    # 0.35 is a maximum, not a starting rate) x 68.4 kg for 4 h, a 1 mg/mL bag.
    assert "Approved and signed" in main and "Schwartzman 2009" in main
    assert "68.4 mg" in main and "17.1 mg/h" in main and "17.1 mL/h" in main
    assert "Domino 1984" in main and "ng/mL" in main
    shot(page, "plan-approved-demo")

    # A new version with a rate above the protocol's 0.35 mg/kg/h (and its 25 mg/h and 100 mg caps).
    page.get_by_role("link", name="Revise (new version)").click()
    assert "Schwartzman 2009" in page.inner_text(".protocol-summary")
    tomorrow = timezone.localdate() + timedelta(days=1)
    page.get_by_label("First session on").fill(tomorrow.isoformat())
    page.get_by_label("Rate (mg/kg/h)").fill("0.5")
    page.get_by_label("daily for 10 days: sessions").fill("2")
    page.get_by_label("What this new version changes, and why").fill("Partial response at 0.35 mg/kg/h.")
    shot(page, "plan-form-over-limit")
    page.get_by_role("button", name="Save draft and calculate").click()
    page.wait_for_selector("[data-pk-chart][data-drawn='1'] .main-svg")
    limits = page.inner_text("#limits")
    assert "This plan exceeds 4 hard limits." in limits  # the rate, its two caps, 100 mg a session
    assert "Exceeded by 9.2 mg/h" in limits  # 0.5 x 68.4 = 34.2 mg/h against 25 mg/h
    assert "Exceeded by 0.15 mg/kg/h" in limits
    assert "Exceeded by 36.8 mg" in limits  # 34.2 mg/h for 4 h = 136.8 mg against 100 mg
    assert "34.2 mg/h" in page.inner_text("#dose")

    # Approving without an override reason: stopped before any confirmation, the reason asked for
    # next to its field.
    page.get_by_role("button", name="Review and approve").click()
    page.wait_for_selector("#id_override_reason_error")
    assert "cannot be approved without a prescriber override" in page.inner_text("#id_override_reason_error")
    assert "Draft" in page.inner_text("#plan-h")
    shot(page, "plan-over-limit-stopped")

    # Back within the protocol: a rate below its maximum, save, approve.
    page.get_by_role("link", name="Edit draft version 2").click()
    page.get_by_label("Rate (mg/kg/h)").fill("0.3")
    page.get_by_role("button", name="Save draft and calculate").click()
    page.wait_for_selector("[data-pk-chart][data-drawn='1'] .main-svg")
    assert "This plan exceeds" not in page.inner_text("main")
    page.get_by_role("button", name="Review and approve").click()
    confirm = page.inner_text("main")  # the confirmation names what signing locks
    assert "Approve and sign version 2 of the treatment plan?" in confirm and "within every limit" in confirm
    assert "version 1 becomes superseded" in confirm
    shot(page, "plan-approve-confirm")
    page.get_by_role("button", name="Approve and sign version 2").click()
    expect(page.locator(".messages")).to_contain_text("Version 2 approved and signed.")
    assert "Version 2 approved and signed." in page.inner_text(".messages")
    page.get_by_role("button", name="Schedule 2 sessions").click()
    expect(page.locator(".messages")).to_contain_text("2 sessions scheduled.")
    page.wait_for_load_state()  # the plan page the server answered with, loaded in full
    assert "2 sessions scheduled." in page.inner_text(".messages")
    sessions = page.inner_text("#sessions")
    assert "Scheduled" in sessions
    versions = page.inner_text("#versions")
    assert "Superseded" in versions and "Partial response at 0.35 mg/kg/h." in versions
    shot(page, "plan-v2-approved-scheduled")

    page.get_by_role("navigation", name="Main").get_by_text("Clinic", exact=True).click()  # its menu
    page.get_by_role("link", name="Protocols").click()
    library = page.inner_text("main")
    assert "Singh 2016, Abstract (Method)" in library and "Local protocol by Dana Demo-Prescriber" in library
    shot(page, "protocol-library")
