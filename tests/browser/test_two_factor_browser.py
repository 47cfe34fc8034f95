"""Issue 16: two-factor sign-in in the browser. The demo clinic's administrator turns the
requirement on; every member of staff, the administrator first, is taken to the set-up page, scans
(here: reads) the key, types the app's code, keeps the recovery codes, and signs in the next time
with a code. A nurse then signs in with a recovery code on a phone."""

from __future__ import annotations

import re

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.browser.conftest import sign_in, sign_out

PHONE = {"width": 390, "height": 844}


def app_code(username: str, *, confirmed: bool, later: int = 0) -> str:
    """What the user's authenticator app shows (``later``: that many 30-second steps on)."""
    device = TOTPDevice.objects.get(user__username=username, confirmed=confirmed)
    return f"{totp(device.bin_key, device.step, device.t0 - later * device.step, device.digits):06d}"


def set_up(page, username: str, shot, name: str) -> list[str]:
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor sign-in")
    expect(page.locator("svg.qr")).to_be_visible()
    shot(page, f"two-factor-set-up-{name}")
    page.get_by_role("textbox", name="Code").fill(app_code(username, confirmed=False))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    shot(page, f"two-factor-recovery-codes-{name}")
    codes = [c.strip() for c in page.locator("ul.recovery-codes code").all_inner_texts()]
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z0-9]{5}-[a-z0-9]{5}", c) for c in codes)
    page.get_by_role("link", name="I have kept them: continue").click()
    return codes


def test_the_administrator_requires_two_factor_and_staff_set_it_up(demo, page, new_context, shot, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # no wait after the wrong code below (its own test)
    sign_in(page, "admin.demo")
    page.goto("/clinic/staff/")
    shot(page, "staff-accounts")
    page.get_by_label("Staff must use two-factor sign-in").check()
    page.get_by_role("button", name="Save", exact=True).click()
    # The requirement holds at once: the administrator sets up first, then is back on the page.
    page.wait_for_url(re.compile(r"/accounts/two-factor/set-up/"))
    set_up(page, "admin.demo", shot, "admin")
    page.wait_for_url(re.compile(r"/clinic/staff/$"))
    expect(page.locator("tr", has_text="admin.demo")).to_contain_text("On")
    sign_out(page)

    # The next sign-in asks for the app's code after the password.
    sign_in(page, "admin.demo")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your sign-in code")
    page.get_by_role("textbox", name="Code").fill("000000")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".field-error")).to_contain_text("That code is not right")
    shot(page, "two-factor-wrong-code")
    page.get_by_role("textbox", name="Code").fill(app_code("admin.demo", confirmed=True, later=1))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Clinic administrator dashboard")
    sign_out(page)

    # A nurse, on a phone: set up at the first sign-in, then a recovery code the next time.
    phone = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    sign_in(phone, "nurse.demo")
    codes = set_up(phone, "nurse.demo", shot, "nurse-phone")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Nurse dashboard")
    sign_out(phone)
    sign_in(phone, "nurse.demo")
    phone.get_by_text("No phone with you?").click()
    phone.get_by_role("textbox", name="Code").fill(codes[0].upper())
    phone.get_by_role("button", name="Continue").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Nurse dashboard")
    phone.goto("/accounts/me/")
    expect(phone.locator("main")).to_contain_text("9 recovery codes left")
    shot(phone, "two-factor-account-phone")
