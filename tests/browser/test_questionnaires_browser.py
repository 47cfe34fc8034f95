"""A patient fills a PHQ-9 in their pages; the nurse sees the score and band in the chart; the
item-9 answer raises the alert on the prescriber's dashboard."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import sign_in, sign_out

# 1,1,1,1,1,1,1,1 then item 9 = 1 ("Several days"): total 9, band "Mild" (5-9).
ANSWERS = [1, 1, 1, 1, 1, 1, 1, 1, 1]


def test_phq9_from_patient_to_nurse_to_prescriber(demo, page, shot):
    sign_in(page, "patient.demo")
    page.get_by_role("link", name="Fill in now").click()
    page.get_by_role("link", name="Questions about your mood", exact=True).first.click()
    assert "do not wait for the clinic" in page.inner_text("main")
    items = page.locator("fieldset.item")
    assert items.count() == 10  # nine scored items and the unscored "how difficult" item
    for n, value in enumerate(ANSWERS):
        items.nth(n).locator(f"input[value='{value}']").check()
    shot(page, "portal-phq9-form")
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(re.compile(r".*/portal/questionnaires/\?submitted=\d+$"))
    assert "submitted" in page.inner_text("main")
    shot(page, "portal-questionnaires-after-submit")
    sign_out(page)

    sign_in(page, "nurse.demo")
    page.goto("/patients/DEMO-0001/questionnaires/")
    newest = page.locator("h3:has-text('PHQ-9') + table tbody tr").first
    assert "9" in newest.locator("td").nth(1).inner_text()
    assert "Mild" in newest.locator("td").nth(2).inner_text()
    shot(page, "chart-questionnaires")
    sign_out(page)

    sign_in(page, "dr.demo")
    alerts = page.locator(".alert-item", has_text="Demo-Rowan").filter(has_text="PHQ-9 item 9")
    assert alerts.count() == 1, [t[:160] for t in page.locator(".alert-item").all_inner_texts()]
    shot(page, "prescriber-dashboard-alert")
    alerts.first.get_by_label("What was done").fill("Called the patient; safety plan reviewed.")
    alerts.first.get_by_role("button", name="Record action and close").click()
    # Back on the dashboard the server answered with, loaded in full before looking for the alert.
    expect(page.locator(".messages")).to_contain_text("Action recorded for")
    page.wait_for_load_state()
    assert page.locator(".alert-item", has_text="Demo-Rowan").filter(has_text="PHQ-9 item 9").count() == 0
