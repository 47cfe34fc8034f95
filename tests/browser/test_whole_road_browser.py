"""Issue 16, the whole road from an empty database to the first patient's portal: ``ketapath setup``
makes the clinic, its administrator and its prescriber; the administrator signs in, sets up
two-factor sign-in, sets how long invitation links stay valid and invites a nurse; the nurse opens
the e-mailed link, chooses a password, sets up two-factor sign-in and signs in again with a code;
the nurse registers a patient, attaches their referral letter and invites them; the patient opens
the link on a phone, chooses a password, signs in to the portal and signs the clinic's consent,
which the nurse then sees on the chart."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

from django.core import mail
from playwright.sync_api import expect

from ketapath.accounts.models import Clinic, User
from ketapath.cli import main
from ketapath.consultations.actions import publish_consent_version
from ketapath.patients.models import Patient
from tests.browser.conftest import sign_in, sign_out
from tests.browser.test_two_factor_browser import PHONE, app_code, set_up
from tests.documents.conftest import pdf_bytes

ADMIN_PASSWORD = "correct horse battery staple 1"
PRESCRIBER_PASSWORD = "another long passphrase 42"
NURSE_PASSWORD = "the nurse's own passphrase 7"
PATIENT_PASSWORD = "a patient's long passphrase 3"
LINK = re.compile(r"https?://\S+/accounts/invitation/\S+/")


def link_to(address: str) -> str:
    """The path of the invitation link in the last e-mail sent to ``address``."""
    message = [m for m in mail.outbox if address in m.to][-1]
    match = LINK.search(message.body)
    assert match, message.body
    return urlsplit(match.group(0)).path


def choose_password(page, password: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose your password")
    page.get_by_label("Choose a password").fill(password)
    page.get_by_label("The same password again").fill(password)
    page.get_by_role("button", name="Save my password").click()


def test_from_setup_to_the_first_patients_portal(
    transactional_db, page, new_context, shot, tmp_path, settings
):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    assert not Clinic.objects.exists()
    passwords = tmp_path / "passwords"
    passwords.write_text(f"{ADMIN_PASSWORD}\n{PRESCRIBER_PASSWORD}\n", encoding="utf-8")
    argv = ["setup", "--clinic", "Lakeside Pain Clinic (test)", "--slug", "lakeside", "--admin", "lee.admin"]
    argv += [
        "--admin-email",
        "lee@example.org",
        "--prescriber",
        "dr.moss",
        "--prescriber-email",
        "moss@example.org",
    ]
    assert main([*argv, "--password-file", str(passwords)]) == 0
    clinic = Clinic.objects.get(slug="lakeside")
    assert clinic.staff_two_factor_required and clinic.invitation_valid_hours is None

    # The administrator: the password, then the set-up of an authenticator app before any page.
    sign_in(page, "lee.admin", ADMIN_PASSWORD)
    set_up(page, "lee.admin", shot, "whole-road-admin")
    expect(page.get_by_role("heading", level=1)).to_have_text("Clinic administrator dashboard")
    page.goto("/clinic/staff/")
    expect(page.locator("#invite")).to_contain_text("Invitations are off until you set")
    page.get_by_label("Invitation links stay valid for (hours)").fill("48")
    page.get_by_role("button", name="Save how long links stay valid").click()
    expect(page.locator(".messages")).to_contain_text("48 hours")
    page.get_by_label("First name").fill("Kim")
    page.get_by_label("Last name").fill("Rowe")
    page.get_by_label("User name").fill("kim.rowe")
    page.get_by_label("E-mail address").fill("kim@example.org")
    page.locator("#invite select#id_role").select_option("nurse:")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.locator(".messages")).to_contain_text("Invitation sent to kim@example.org")
    expect(page.locator("tr", has_text="kim.rowe")).to_contain_text("Invited: link valid until")
    shot(page, "whole-road-staff-invited")
    sign_out(page)

    # The nurse opens the link, chooses a password, sets up the app, and signs in with a code.
    nurse = new_context().new_page()
    nurse.goto(link_to("kim@example.org"))
    shot(nurse, "whole-road-nurse-choose-password")
    choose_password(nurse, NURSE_PASSWORD)
    set_up(nurse, "kim.rowe", shot, "whole-road-nurse")
    expect(nurse.get_by_role("heading", level=1)).to_have_text("Nurse dashboard")
    sign_out(nurse)
    sign_in(nurse, "kim.rowe", NURSE_PASSWORD)
    expect(nurse.get_by_role("heading", level=1)).to_have_text("Your sign-in code")
    nurse.get_by_role("textbox", name="Code").fill(app_code("kim.rowe", confirmed=True, later=1))
    nurse.get_by_role("button", name="Continue").click()
    expect(nurse.get_by_role("heading", level=1)).to_have_text("Nurse dashboard")

    # The nurse registers the first patient and invites them to the portal from the chart.
    nurse.goto("/patients/new/")
    nurse.get_by_label("MRN").fill("LS-0001")
    nurse.get_by_label("Given name").fill("Jo")
    nurse.get_by_label("Family name").fill("Marsh")
    nurse.get_by_label("Date of birth").fill("1979-05-14")
    nurse.get_by_label("Sex").select_option("female")
    nurse.get_by_label("Email").fill("jo.marsh@example.org")
    nurse.get_by_role("button", name="Register").click()
    nurse.wait_for_url("**/patients/LS-0001/")
    panel = nurse.locator("#portal-account")
    expect(panel).to_contain_text("No account yet")
    panel.get_by_role("button", name="Invite to the portal").click()
    expect(nurse.locator(".messages")).to_contain_text("Invitation sent to jo.marsh@example.org")
    expect(nurse.locator("#portal-account")).to_contain_text("Invited: the link sent to jo.marsh@example.org")
    shot(nurse, "whole-road-chart-invited")

    # The referral letter, a PDF, attached to the chart (its type is read from its content).
    nurse.get_by_role("link", name="Documents").click()
    nurse.get_by_label("Kind").select_option("referral")
    nurse.get_by_label("Title").fill("Referral from the GP")
    nurse.get_by_label("Date of the document").fill(date.today().isoformat())
    nurse.get_by_label("File").set_input_files(
        {"name": "referral.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}
    )
    nurse.get_by_role("button", name="Attach").click()
    expect(nurse.locator("table.rows")).to_contain_text("Referral from the GP")
    shot(nurse, "whole-road-documents")

    # The clinic's consent text, published by its prescriber (its own page is tested elsewhere).
    prescriber = User.objects.get(username="dr.moss")
    publish_consent_version(
        clinic,
        prescriber,
        title="Consent to treatment",
        body="What the treatment is.",
        sources=[],
        change_note="",
    )

    # The patient, on a phone: the link, a password, the portal.
    phone = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    phone.goto(link_to("jo.marsh@example.org"))
    expect(phone.locator("main")).to_contain_text("Lakeside Pain Clinic (test) invited you")
    shot(phone, "whole-road-patient-choose-password-phone")
    choose_password(phone, PATIENT_PASSWORD)
    phone.wait_for_url("**/portal/")
    expect(phone.locator("main")).to_contain_text("Jo")
    shot(phone, "whole-road-patient-portal-phone")
    phone.get_by_role("link", name="Read and sign").click()
    phone.get_by_label("I have read and understood this consent").check()
    phone.get_by_label("Type your full name to sign").fill("Jo Marsh")
    phone.get_by_role("button", name="Sign the consent").click()
    expect(phone.locator("#signed")).to_contain_text("You signed version 1")
    shot(phone, "whole-road-patient-consent-signed-phone")
    sign_out(phone)
    sign_in(phone, "jo.marsh@example.org", PATIENT_PASSWORD)
    assert urlsplit(phone.url).path == "/portal/"

    nurse.goto("/patients/LS-0001/")
    expect(nurse.locator("#portal-account")).to_contain_text("Active: signs in as jo.marsh@example.org")
    shot(nurse, "whole-road-chart-account-active")
    assert Patient.objects.get(user__username="jo.marsh@example.org").mrn == "LS-0001"
    nurse.get_by_role("link", name="Consent").click()
    expect(nurse.locator("main")).to_contain_text("Jo Marsh")
    expect(nurse.locator("main")).to_contain_text("jo.marsh@example.org")
    shot(nurse, "whole-road-consent-on-the-chart")
