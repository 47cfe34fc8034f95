"""Issue 16: two-factor sign-in (django-otp's TOTP and recovery codes).

Enrolment, sign-in with a code and with a recovery code (used once, logged), the clinic's
requirement enforced at the next page, an administrator's reset (logged, own clinic only), and the
requirement switched by the administrator with the clinic's history.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketapath.accounts import two_factor
from ketapath.accounts.models import Clinic, User

PASSWORD = "correct horse battery"


def code_for(device: TOTPDevice, *, offset: int = 0) -> str:
    """The code the user's app shows now (``offset``: that many 30-second steps later)."""
    value = totp(device.bin_key, device.step, device.t0 - offset * device.step, device.digits)
    return f"{value:0{device.digits}d}"


def sign_in(client: Client, user) -> object:
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:400]
    return response


def require(clinic, on: bool = True) -> None:
    Clinic.objects.filter(pk=clinic.pk).update(staff_two_factor_required=on)


def enrol(client: Client, user) -> list[str]:
    """Set up the app through the page; returns the recovery codes shown."""
    page = client.get("/accounts/two-factor/set-up/")
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    done = client.post("/accounts/two-factor/set-up/", {"code": code_for(device), "next": "/"})
    assert done.status_code == 200
    return re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", done.content.decode())


@pytest.fixture
def no_code_wait(settings):
    """No wait after a wrong code (test_wrong_codes_are_throttled has it)."""
    settings.OTP_TOTP_THROTTLE_FACTOR = settings.OTP_STATIC_THROTTLE_FACTOR = 0


def required_and_signed_in(personas, client):
    """The clinic requires a second factor; its nurse has typed the password. Returns the nurse."""
    require(personas.clinic_a)
    sign_in(client, personas.nurse)
    return personas.nurse


def reasons(user) -> list[str]:
    return list(
        User.history.filter(id=user.pk)
        .order_by("history_date")
        .values_list("history_change_reason", flat=True)
    )


@pytest.mark.django_db
def test_staff_of_a_clinic_that_requires_it_enrol_before_any_other_page(personas, client, no_code_wait):
    nurse = required_and_signed_in(personas, client)
    # Every page leads to the set-up page, coming back afterwards.
    for url in ("/", "/patients/", f"/patients/{personas.patient_one.mrn}/", "/accounts/me/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/two-factor/set-up/?next="), (
            url,
            response["Location"],
        )
    htmx = client.get(
        "/patients/", headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/patients/"}
    )
    assert htmx.status_code == 401 and htmx["HX-Redirect"].startswith("/accounts/two-factor/set-up/")
    page = client.get("/accounts/two-factor/set-up/")
    html = page.content.decode()
    assert "<svg" in html and 'class="qr"' in html and "otp-key" in html
    assert "<script" not in html.split("<main", 1)[-1]  # no inline script on the page (the CSP)
    # A wrong code: a message at the field, nothing turned on.
    wrong = client.post("/accounts/two-factor/set-up/", {"code": "000000"})
    assert wrong.status_code == 200 and "That code is not right" in wrong.content.decode()
    assert not two_factor.has_second_factor(nurse)
    codes = enrol(client, nurse)
    assert len(codes) == two_factor.RECOVERY_CODES and len(set(codes)) == len(codes)
    assert two_factor.has_second_factor(nurse)
    assert client.get("/patients/").status_code == 200
    assert "Second factor set up: authenticator app and recovery codes" in reasons(nurse)
    # The codes are shown once: the set-up page now goes to the account, which shows no code.
    assert client.get("/accounts/two-factor/set-up/")["Location"] == "/accounts/me/"
    account = client.get("/accounts/me/").content.decode()
    assert not any(code in account for code in codes)
    assert "10 recovery codes left" in account


@pytest.mark.django_db
def test_sign_in_with_a_code_after_the_password(personas, client, no_code_wait):
    nurse = required_and_signed_in(personas, client)
    enrol(client, nurse)
    client.post("/accounts/logout/")
    signed = sign_in(client, nurse)
    page = client.get(signed["Location"])
    assert page["Location"].startswith("/accounts/two-factor/?next=")
    assert client.get("/patients/")["Location"].startswith("/accounts/two-factor/?next=%2Fpatients%2F")
    wrong = client.post("/accounts/two-factor/", {"code": "123456", "next": "/patients/"})
    assert wrong.status_code == 200 and 'role="alert"' in wrong.content.decode()
    assert client.get("/patients/").status_code == 302
    device = TOTPDevice.objects.get(user=nurse)
    # A code already used (at enrolment) is not taken twice: the next step's code is.
    device.refresh_from_db()
    later = code_for(device, offset=1)
    ok = client.post("/accounts/two-factor/", {"code": later, "next": "/patients/"})
    assert ok.status_code == 302 and ok["Location"] == "/patients/"
    assert client.get("/patients/").status_code == 200
    # Another site's address is never followed.
    client.post("/accounts/logout/")
    sign_in(client, nurse)
    device.refresh_from_db()
    off_site = client.post(
        "/accounts/two-factor/", {"code": code_for(device, offset=2), "next": "https://evil.example/"}
    )
    assert off_site["Location"] == "/"


@pytest.mark.django_db
def test_a_recovery_code_signs_in_once_and_is_logged(personas, client, no_code_wait):
    nurse = required_and_signed_in(personas, client)
    codes = enrol(client, nurse)
    client.post("/accounts/logout/")
    sign_in(client, nurse)
    used = codes[3].upper().replace("-", " - ")  # typed in capitals with spaces: still the code
    ok = client.post("/accounts/two-factor/", {"code": used, "next": "/patients/"})
    assert ok.status_code == 302 and ok["Location"] == "/patients/"
    assert "Signed in with a recovery code (9 left)" in reasons(nurse)
    assert StaticToken.objects.filter(device__user=nurse).count() == 9
    # Kept only as a keyed hash: no stored value is a code, nor works when typed as one.
    stored = set(StaticToken.objects.filter(device__user=nurse).values_list("token", flat=True))
    plain = {c.replace("-", "") for c in codes}
    assert not stored & plain and all(len(t) == 16 for t in stored)
    client.post("/accounts/logout/")
    sign_in(client, nurse)
    typed_hash = client.post("/accounts/two-factor/", {"code": sorted(stored)[0]})
    assert typed_hash.status_code == 200, "the stored value is not a code"
    client.post("/accounts/logout/")
    sign_in(client, nurse)
    again = client.post("/accounts/two-factor/", {"code": codes[3], "next": "/patients/"})
    assert again.status_code == 200, "a recovery code works once"
    # New codes replace the old ones, shown once, logged.
    other = client.post("/accounts/two-factor/", {"code": codes[4]})
    assert other.status_code == 302
    fresh = client.post("/accounts/two-factor/recovery-codes/")
    new_codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", fresh.content.decode())
    assert len(new_codes) == 10 and not set(new_codes) & set(codes)
    assert "New recovery codes made (the old ones no longer work)" in reasons(nurse)
    client.post("/accounts/logout/")
    sign_in(client, nurse)
    assert client.post("/accounts/two-factor/", {"code": codes[5]}).status_code == 200


@pytest.mark.django_db
def test_the_requirement_is_enforced_at_the_next_page_and_not_in_a_clinic_without_it(personas, client):
    nurse = personas.nurse
    sign_in(client, nurse)
    assert client.get("/patients/").status_code == 200  # the tests' clinics have it off
    require(personas.clinic_a)
    response = client.get("/patients/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/two-factor/set-up/")
    # Patients are never required to, but may.
    patient = Client()
    patient.force_login(personas.patient_one.user, backend="django.contrib.auth.backends.ModelBackend")
    assert patient.get("/portal/").status_code == 200
    assert patient.get("/accounts/two-factor/set-up/").status_code == 200
    # A clinic made by `ketapath setup` (the model's default) requires it.
    assert Clinic(name="New", slug="new").staff_two_factor_required is True


@pytest.mark.django_db
def test_the_administrator_switches_the_requirement_with_history(personas, client, login):
    login(personas.admin)
    page = client.get("/clinic/staff/")
    assert page.status_code == 200
    html = page.content.decode()
    assert personas.nurse.username in html and personas.nurse_b.username not in html
    assert client.post("/clinic/staff/two-factor/", {"staff_two_factor_required": "on"}).status_code == 302
    clinic = Clinic.objects.get(pk=personas.clinic_a.pk)
    assert clinic.staff_two_factor_required
    last = clinic.history.order_by("-history_date").first()
    assert last.history_change_reason == "Two-factor sign-in for staff turned on"
    assert last.history_user_id == personas.admin.pk
    # The administrator, now required too, sets up before the page again.
    assert client.get("/clinic/staff/")["Location"].startswith("/accounts/two-factor/set-up/")
    # Other roles may not.
    nurse = Client()
    nurse.force_login(personas.prescriber, backend="django.contrib.auth.backends.ModelBackend")
    require(personas.clinic_a, on=False)
    assert nurse.post("/clinic/staff/two-factor/", {}).status_code == 403
    assert Clinic.objects.get(pk=personas.clinic_a.pk).staff_two_factor_required is False


@pytest.mark.django_db
def test_an_administrator_resets_another_accounts_second_factor_in_their_clinic_only(personas, client, login):
    nurse_client = Client()
    sign_in(nurse_client, personas.nurse)
    enrol(nurse_client, personas.nurse)
    other = Client()
    sign_in(other, personas.nurse_b)
    enrol(other, personas.nurse_b)
    login(personas.admin)
    listed = client.get("/clinic/staff/").content.decode()
    assert "Reset the second factor of" in listed
    response = client.post(f"/clinic/staff/{personas.nurse.pk}/reset-second-factor/")
    assert response.status_code == 302
    assert not two_factor.has_second_factor(personas.nurse)
    assert f"Second factor reset by {personas.admin.display_name}" in reasons(personas.nurse)
    assert (
        User.history.filter(id=personas.nurse.pk).latest("history_date").history_user_id == personas.admin.pk
    )
    # Another clinic's account: not found, nothing removed.
    assert client.post(f"/clinic/staff/{personas.nurse_b.pk}/reset-second-factor/").status_code == 404
    assert two_factor.has_second_factor(personas.nurse_b)
    # The nurse's session verified with the removed app is verified no longer: with the clinic's
    # requirement on, the next page is the set-up page.
    require(personas.clinic_a)
    assert nurse_client.get("/patients/")["Location"].startswith("/accounts/two-factor/set-up/")


@pytest.mark.django_db
def test_wrong_codes_are_throttled(personas, client, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 1  # django-otp's default: 1 s after a wrong code, then 2, 4 …
    require(personas.clinic_a)
    nurse = personas.nurse
    sign_in(client, nurse)
    enrol(client, nurse)
    client.post("/accounts/logout/")
    sign_in(client, nurse)
    wrong = client.post("/accounts/two-factor/", {"code": "999999"})
    assert "That code is not right" in wrong.content.decode()
    device = TOTPDevice.objects.get(user=nurse)
    assert device.throttling_failure_count == 1
    # Within the wait that follows, even the right code is refused, with the reason at the field.
    refused = client.post("/accounts/two-factor/", {"code": code_for(device, offset=1)})
    assert refused.status_code == 200 and "Too many wrong codes" in refused.content.decode()
    assert client.get("/patients/").status_code == 302


@pytest.mark.django_db
def test_codes_kept_as_typed_before_are_hashed_by_the_migration_and_still_work(personas):
    import importlib

    from django.apps import apps
    from django_otp.plugins.otp_static.models import StaticDevice

    migration = importlib.import_module("ketapath.accounts.migrations.0006_hash_recovery_codes")
    nurse = personas.nurse
    device = StaticDevice.objects.create(user=nurse, name=two_factor.RECOVERY_NAME, confirmed=True)
    old = two_factor.new_recovery_code()
    StaticToken.objects.create(device=device, token=old)  # as django-otp kept it before
    migration.hash_kept_codes(apps, None)
    migration.hash_kept_codes(apps, None)  # twice: a hash is not hashed again
    assert StaticToken.objects.get(device=device).token == two_factor.kept_form(old)
    assert two_factor.matching_device(nurse, old) == device
    assert not StaticToken.objects.filter(device=device).exists()  # used once
