"""A new clinic (built here, not the demo) with none of its safety settings set: the prescriber's
plan approval is refused with every missing setting named and linked; the prescriber follows the
links, sets the clinic's limits, sees the readiness page say "ready", recalculates and approves.

Issue 12: "a clinic with none of these settings is refused a plan approval, follows the links to
set its limits, and then approves".
"""

from __future__ import annotations

from playwright.sync_api import expect

from ketapath.accounts.models import Role
from ketapath.clinic_settings.readiness import PLAN, missing_settings
from ketapath.clinic_settings.registry import all_specs
from ketapath.plans.actions import save_draft
from tests.browser.conftest import sign_in
from tests.factories import ClinicFactory, PatientFactory, UserFactory
from tests.plans.conftest import sign_consent, sign_evaluation, singh
from tests.safety import gated_test_value

PASSWORD = "correct horse battery"  # tests/factories.UserFactory


def new_clinic():
    clinic = ClinicFactory(name="Harbour Pain Clinic (test)", slug="harbour")
    prescriber = UserFactory(
        username="dr.harbour", clinic=clinic, role=Role.PRESCRIBER, first_name="Robin", last_name="Harbour"
    )
    nurse = UserFactory(username="nurse.harbour", clinic=clinic, role=Role.NURSE)
    patient = PatientFactory(clinic=clinic, mrn="HB-0001", given_name="Sam", family_name="Tide")
    sign_evaluation(patient, prescriber, nurse)
    sign_consent(patient, prescriber, nurse)
    plan = save_draft(patient, prescriber, singh())
    return clinic, patient, plan


def fill_setting(page, key: str) -> None:
    spec = all_specs()[key]
    field = page.locator(f"[id='id_setting_{key}']")
    if spec.kind in {"choice", "policy"}:
        field.select_option(gated_test_value(key))
    else:
        field.fill(gated_test_value(key))


def test_new_clinic_is_refused_then_sets_its_limits_and_approves(transactional_db, page, shot):
    clinic, patient, plan = new_clinic()
    expected = missing_settings(clinic.pk, PLAN, route="iv")
    assert expected, "a new clinic starts with its plan limits unset"

    sign_in(page, "dr.harbour", PASSWORD)
    assert "not ready for its first infusion" in page.inner_text("main")
    page.goto(f"/patients/{patient.mrn}/plan/")
    main = page.inner_text("main")
    clinic_rows = [r for r in page.inner_text("#limits").splitlines() if r.startswith("Clinic:")]
    assert clinic_rows and all("not set" in r and "Within" not in r for r in clinic_rows)
    for item in expected:
        assert item.label in main

    # The plan is checked before any confirmation: refused at once, nothing asked, nothing saved.
    page.get_by_role("button", name="Review and approve").click()
    page.wait_for_url(f"**/plan/{plan.pk}/approve/")  # refused: the plan page again, with the reasons
    summary = page.inner_text(".error-summary")
    links = page.locator(".error-summary a[href*='/clinic/settings/#id_setting_']")
    assert links.count() == len(expected)
    for item in expected:
        assert item.label in summary
    assert "Draft" in page.inner_text("#plan-h")
    shot(page, "new-clinic-plan-refused")

    # Follow the first link: the settings page opens at that field.
    first = expected[0]
    links.first.click()
    page.wait_for_url(f"**/clinic/settings/#id_setting_{first.key}")
    assert page.locator(f"[id='id_setting_{first.key}']").is_visible()
    shot(page, "new-clinic-settings-opened-at-field")

    # The clinic sets every safety setting as its own choice (here: the tests' values).
    gated = [key for key, spec in all_specs().items() if spec.gates]
    for key in gated:
        fill_setting(page, key)
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".messages")).to_contain_text("Saved")
    assert "Saved" in page.inner_text(".messages")

    page.goto("/clinic/readiness/")
    assert "Ready for the first infusion" in page.inner_text("main")
    shot(page, "new-clinic-readiness-ready")

    page.goto(f"/patients/{patient.mrn}/plan/")
    assert "Recalculate before approval" in page.inner_text("main")
    page.get_by_role("button", name="Recalculate with today's settings").click()
    expect(page.locator(".messages")).to_contain_text("Recalculated")
    page.wait_for_load_state()  # the plan page the server answered with, loaded in full
    assert "not set" not in page.inner_text("#limits")
    page.get_by_role("button", name="Review and approve").click()
    assert "Approve and sign version 1 of the treatment plan?" in page.inner_text("main")
    page.get_by_role("button", name="Approve and sign version 1").click()
    expect(page.locator(".messages")).to_contain_text("approved and signed")
    assert "approved and signed" in page.inner_text(".messages")
    assert "Approved and signed" in page.inner_text("main")
    shot(page, "new-clinic-plan-approved")
    plan.refresh_from_db()
    assert plan.status == "approved" and plan.approved_by.username == "dr.harbour"
