"""Each demo role signs in, sees its own navigation and dashboard, and signs out; a nurse
registers a patient and finds them in the list."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in, sign_out

ROLES = {
    "dr.demo": ("Prescriber dashboard", ["Dashboard", "Patients"], ["Access log", "My care"]),
    "nurse.demo": ("Nurse dashboard", ["Dashboard", "Patients"], ["Access log", "My care"]),
    "admin.demo": ("Clinic administrator dashboard", ["Dashboard", "Patients", "Access log"], ["My care"]),
    "patient.demo": ("Hello Alex", ["My care"], ["Patients", "Access log"]),
}


@pytest.mark.parametrize("username", sorted(ROLES))
def test_each_demo_role_signs_in_and_out(username, demo, page, shot):
    heading, visible, hidden = ROLES[username]
    sign_in(page, username)
    assert page.get_by_role("heading", level=1).inner_text() == heading
    nav = page.get_by_role("navigation", name="Main")
    # Counted inside the closed menus too (the reports and clinic groups).
    for label in visible:
        assert nav.get_by_role("link", name=label, exact=True, include_hidden=True).count() == 1, label
    for label in hidden:
        assert nav.get_by_role("link", name=label, exact=True, include_hidden=True).count() == 0, label
    shot(page, f"dashboard-{username.replace('.', '-')}")
    sign_out(page)
    page.goto("/patients/")
    assert "/accounts/login/" in page.url


def test_nurse_registers_a_patient_and_finds_them(demo, page, shot):
    sign_in(page, "nurse.demo")
    page.get_by_role("link", name="Patients", exact=True).click()
    shot(page, "patients-list")
    page.get_by_role("link", name="Register a patient").click()
    page.get_by_label("MRN").fill("DEMO-0900")
    page.get_by_label("Given name").fill("Browser")
    page.get_by_label("Family name").fill("Demo-Testcase")
    page.get_by_label("Date of birth").fill("1984-02-29")
    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Weight (kg)").fill("700")
    page.get_by_label("Height (cm)").fill("170")
    page.get_by_label("Measured on").fill("2026-11-01")
    page.get_by_role("button", name="Register").click()
    # The impossible weight is refused with a message next to the field; nothing is saved.
    assert page.locator("#id_weight_kg_error").inner_text().startswith("Weight must be at most 650 kg")
    # A locator assertion, not wait_for_function: that evaluates a string, which the CSP forbids.
    expect(page.locator("#error-summary")).to_be_focused()
    shot(page, "patient-form-error")
    page.get_by_label("Weight (kg)").fill("70.5")
    page.get_by_role("button", name="Register").click()
    page.wait_for_url("**/patients/DEMO-0900/")
    assert "Registered Browser Demo-Testcase (DEMO-0900)" in page.inner_text("main")
    shot(page, "patient-detail")
    # Editing keeps every date the form shows (the date picker reads ISO dates only).
    page.get_by_role("link", name="Edit details").click()
    assert page.get_by_label("Date of birth").input_value() == "1984-02-29"
    page.get_by_label("Phone", exact=True).fill("555-0123")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url("**/patients/DEMO-0900/")
    assert "555-0123" in page.inner_text("main")
    page.get_by_role("link", name="Patients", exact=True).click()
    page.get_by_label("Search by name or MRN").fill("testcase")
    rows = page.locator("#patient-rows tbody tr")
    expect(rows).to_have_count(1)  # htmx replaced the rows with the search result
    assert "DEMO-0900" in rows.first.inner_text()
    assert "q=testcase" in page.url  # the search is in the address, so back/refresh keep it
    shot(page, "patients-search")
    sign_out(page)


def test_admin_sees_the_access_log(demo, page, shot):
    sign_in(page, "nurse.demo")
    page.goto("/patients/DEMO-0001/")
    sign_out(page)
    sign_in(page, "admin.demo")
    page.get_by_role("navigation", name="Main").get_by_text("Reports", exact=True).click()  # its menu
    page.get_by_role("link", name="Access log").click()
    first_row = page.locator("table.rows tbody tr").first
    assert "nurse.demo" in first_row.inner_text() and "DEMO-0001" in first_row.inner_text()
    shot(page, "access-log")
