"""Between sessions and after a course: patient.demo reads their preparation and tips, writes in
their journal, fills the due PHQ-9 and sees their charts (on a phone); the prescriber opens the
outcomes page and signs a review (desktop and phone). Screenshots of each, charts included."""

from __future__ import annotations

import re

from django.utils import timezone

from tests.browser.conftest import part_shot, sign_in, sign_out

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}
# PHQ-9: eight items "several days" (1) and item 9 "not at all" (0): total 8, "Mild".
PHQ9 = [1, 1, 1, 1, 1, 1, 1, 1, 0]


def chart_shot(page, selector: str, name: str) -> None:
    """A close-up of one chart, as well as the full-page screenshots."""
    part_shot(page, selector, name)


def charts_drawn(page, at_least: int = 1) -> None:
    # A locator wait, not wait_for_function: that evaluates a string, which the CSP forbids.
    page.locator('[data-outcomes-chart][data-drawn="1"]').nth(at_least - 1).wait_for()


def test_patient_between_sessions_on_a_phone(demo, page, shot):
    page.set_viewport_size(PHONE)
    sign_in(page, "patient.demo")
    main = page.locator("main")
    assert "Your next session" in main.inner_text()
    page.get_by_role("link", name="How to prepare").click()
    page.wait_for_url("**/portal/appointments/")
    text = main.inner_text()
    assert "Eating and drinking" in text and "A light meal" in text and "6 hours" in text
    assert "Your clinic uses the usual fasting times" in text and "Anesthesiology" not in text
    assert "arrange an adult escort" in text and "until the next day" in text
    assert "What to bring" in text and "What to wear" in text
    shot(page, "portal-phone-preparation")

    page.goto("/portal/tips/")
    assert "Keep a pain journal" in main.inner_text() and "Find a support group" in main.inner_text()
    shot(page, "portal-phone-tips")

    page.goto("/portal/journal/")
    assert "may not read this straight away" in main.inner_text()
    page.locator("#id_pain_nrs label:has-text('4')").first.click()
    page.locator("#id_mood label:has-text('6')").first.click()
    page.locator("#id_activity label:has-text('5')").first.click()
    page.get_by_label("Hours slept last night").fill("7")
    page.get_by_label("Headache").check()
    page.get_by_role("textbox", name="Notes").fill("Walked to the park; arm less sore.")
    page.get_by_role("button", name="Save the day").click()
    page.wait_for_url("**/portal/journal/")
    assert "Saved your journal" in main.inner_text()
    charts_drawn(page)
    assert "arm less sore" in main.inner_text()
    shot(page, "portal-phone-journal")
    chart_shot(page, "figure.outcome-chart", "portal-phone-journal-chart")

    page.goto("/portal/questionnaires/")
    page.get_by_role("link", name="Questions about your mood", exact=True).first.click()
    items = page.locator("fieldset.item")
    for n, value in enumerate(PHQ9):
        items.nth(n).locator(f"input[value='{value}']").check()
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(re.compile(r".*/portal/questionnaires/\?submitted=\d+$"))
    assert "submitted" in main.inner_text()

    page.goto("/portal/progress/")
    charts_drawn(page, 2)
    phq = page.locator("figure.outcome-chart", has_text="Questions about your mood")
    phq.locator("summary").click()
    assert timezone.localdate().strftime("%Y-%m-%d") in phq.inner_text()  # today's score is charted
    shot(page, "portal-phone-progress")
    chart_shot(page, "figure.outcome-chart", "portal-phone-progress-chart")
    page.set_viewport_size(DESKTOP)
    page.reload()
    charts_drawn(page, 2)
    shot(page, "portal-desktop-progress")
    sign_out(page)


def test_prescriber_reviews_outcomes_and_signs(demo, page, shot):
    sign_in(page, "dr.demo")
    page.goto("/patients/DEMO-0012/outcomes/")
    charts_drawn(page, 2)
    main = page.locator("main")
    text = main.inner_text()
    assert "Response: Pain intensity" in text and "Dworkin 2008" in text
    assert "Follow-up schedule" in text and "Week 12 after session 5" in text
    assert "Booster schedule" in text  # the signed review of the demo
    shot(page, "outcomes-desktop-responder")
    chart_shot(page, ".chart-grid", "outcomes-desktop-charts")

    page.goto("/patients/DEMO-0016/outcomes/")
    charts_drawn(page)
    assert "Flagged for review" in main.inner_text()
    assert "after the protocol's trial" in main.inner_text()
    page.get_by_role("link", name="Review and decide").click()
    page.wait_for_url("**/outcomes/review/")
    charts_drawn(page)
    page.get_by_label("Adjust the dose (a new plan version)").check()
    page.get_by_label("Details of the decision").fill("No response after the trial: raise to 0.75 mg/kg.")
    page.get_by_label("Assessment").fill("PHQ-9 unchanged after eight weeks; discussed with the patient.")
    shot(page, "outcomes-desktop-review-form")
    page.get_by_role("button", name="Sign and lock").click()
    page.wait_for_url("**/outcomes/reviews/*/")
    text = main.inner_text()
    assert "signed and locked" in text and "Locked" in text
    assert "New plan version: version 2" in text
    shot(page, "outcomes-desktop-review-signed")

    page.set_viewport_size(PHONE)
    page.goto("/patients/DEMO-0016/outcomes/")
    charts_drawn(page)
    shot(page, "outcomes-phone-after-review")
    chart_shot(page, ".chart-grid", "outcomes-phone-charts")
    page.set_viewport_size(DESKTOP)

    page.goto("/outcomes/cohort/")
    assert "All patients" in main.inner_text() and "By protocol" in main.inner_text()
    shot(page, "outcomes-desktop-cohort")
    sign_out(page)

    sign_in(page, "nurse.demo")
    assert "Overdue follow-up questionnaires" in page.locator("main").inner_text()
    assert "Demo-Larch" in page.locator("section", has_text="Overdue follow-up").inner_text()
    shot(page, "nurse-dashboard-overdue")
