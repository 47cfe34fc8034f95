"""Issue 16: invitations. A member of staff or a patient gets a one-time link by e-mail, valid for
the clinic's number of hours, to choose a password; the link expires, works once, stops when a
newer one is sent or the account is closed; another clinic's administrator cannot reach it; the
chart shows the patient's portal account, can close it, and tells a patient without an address
apart. The e-mails name the clinic, link to the page and carry no clinical detail."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from ketapath.accounts.invitations import EXPIRED, USED, WITHDRAWN
from ketapath.accounts.models import Invitation, Role, User
from ketapath.patients.models import Patient
from tests.factories import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a long new password 42"
LINK = re.compile(r"https?://[^\s]+/accounts/invitation/([^/\s]+)/")


def set_hours(clinic, hours=48):
    clinic.invitation_valid_hours = hours
    clinic.save(update_fields=["invitation_valid_hours"])


def link_in(message) -> str:
    match = LINK.search(message.body)
    assert match, message.body
    return urlsplit(match.group(0)).path


def can_sign_in(username: str, password: str) -> bool:
    browser = Client()
    browser.post("/accounts/login/", {"username": username, "password": password})
    return "_auth_user_id" in browser.session


def invite_nurse(client, **extra):
    data = {
        "first_name": "Ada",
        "last_name": "Byron",
        "username": "ada.byron",
        "email": "ada@example.org",
        "role": "nurse:",
        **extra,
    }
    return client.post("/clinic/staff/invite/", data)


def accept(client: Client, url: str, password: str = PASSWORD):
    return client.post(url, {"new_password1": password, "new_password2": password})


def test_staff_invitation_waits_for_the_clinics_hours_then_sets_a_password_once(personas, client, login):
    login(personas.admin)
    # No hours set: nobody is invited, nothing is made, the page says which setting is missing.
    page = client.get("/clinic/staff/")
    assert "Invitations are off until you set how long an invitation link stays valid" in page.text
    response = invite_nurse(client)
    assert not User.objects.filter(username="ada.byron").exists() and not mail.outbox
    # Out of bounds: refused at its field, nothing saved.
    response = client.post("/clinic/staff/invitation-hours/", {"invitation_valid_hours": "100000"})
    assert "Ensure this value is less than or equal to 168" in response.text
    personas.clinic_a.refresh_from_db()
    assert personas.clinic_a.invitation_valid_hours is None
    client.post("/clinic/staff/invitation-hours/", {"invitation_valid_hours": "48"})
    personas.clinic_a.refresh_from_db()
    assert personas.clinic_a.invitation_valid_hours == 48
    assert personas.clinic_a.history.first().history_change_reason == "Invitation links valid for 48 h"

    # A taken user name is refused at its field.
    taken = invite_nurse(client, username=personas.nurse.username.upper())
    assert "That user name is taken" in taken.text and not mail.outbox

    response = invite_nurse(client)
    assert response.status_code == 302
    ada = User.objects.get(username="ada.byron")
    assert (ada.role, ada.clinic_id, ada.has_usable_password()) == (Role.NURSE, personas.clinic_a.pk, False)
    assert "Invited: link valid until" in client.get("/clinic/staff/").text
    (message,) = mail.outbox
    assert message.to == ["ada@example.org"]
    assert personas.clinic_a.name in message.subject and personas.clinic_a.name in message.body
    assert "ada.byron" in message.body and "two-factor" in message.body
    invitation = Invitation.objects.get(user=ada)
    assert invitation.expires_at - invitation.created_at == timedelta(hours=48)
    url = link_in(message)
    assert invitation.token_hash not in message.body  # only the hash is stored, never the link

    # Ada cannot sign in before she has chosen a password.
    assert not can_sign_in("ada.byron", PASSWORD)

    new = Client()
    assert "Choose your password" in new.get(url).text
    weak = accept(new, url, "short")
    assert "This password is too short" in weak.text
    assert not User.objects.get(pk=ada.pk).has_usable_password()
    done = accept(new, url)
    assert done.status_code == 302 and done["Location"].startswith("/accounts/two-factor/set-up/")
    ada.refresh_from_db()
    assert ada.check_password(PASSWORD) and can_sign_in("ada.byron", PASSWORD)
    reasons = list(ada.history.values_list("history_change_reason", flat=True))
    assert "Invitation accepted: password chosen" in reasons
    # Used once: the same link now says so, and changes nothing.
    again = Client()
    assert USED in again.get(url).text
    accept(again, url, "another long password 7")
    ada.refresh_from_db()
    assert ada.check_password(PASSWORD)


def test_a_link_expires_and_a_newer_one_withdraws_the_older(personas, client, login):
    set_hours(personas.clinic_a, 1)
    login(personas.admin)
    invite_nurse(client)
    first = link_in(mail.outbox[0])
    ada = User.objects.get(username="ada.byron")
    Invitation.objects.filter(user=ada).update(
        created_at=timezone.now() - timedelta(hours=2), expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert EXPIRED in Client().get(first).text
    assert "Invitation expired" in client.get("/clinic/staff/").text
    client.post(f"/clinic/staff/{ada.pk}/invite-again/")
    second = link_in(mail.outbox[1])
    assert second != first
    client.post(f"/clinic/staff/{ada.pk}/invite-again/")
    third = link_in(mail.outbox[2])
    assert WITHDRAWN in Client().get(second).text
    # Deactivated before accepting: the link stops working.
    client.post(f"/clinic/staff/{ada.pk}/active/", {"active": "0"})
    refused = accept(Client(), third)
    assert WITHDRAWN in refused.text
    assert not User.objects.get(pk=ada.pk).has_usable_password()


def test_another_clinics_administrator_and_account_are_kept_apart(personas, client, login):
    set_hours(personas.clinic_a)
    login(personas.admin)
    invite_nurse(client)
    ada = User.objects.get(username="ada.byron")
    url = link_in(mail.outbox[0])
    admin_b = UserFactory(username="admin.b", clinic=personas.clinic_b, role=Role.ADMIN)
    set_hours(personas.clinic_b)
    other = Client()
    other.force_login(admin_b, backend="django.contrib.auth.backends.ModelBackend")
    assert other.post(f"/clinic/staff/{ada.pk}/invite-again/").status_code == 404
    assert "ada.byron" not in other.get("/clinic/staff/").text
    assert len(mail.outbox) == 1
    # Opened while signed in as someone else: refused, the link kept for its owner.
    page = other.get(url)
    assert "Sign out first" in page.text
    accept(other, url)
    assert not User.objects.get(pk=ada.pk).has_usable_password()
    # The account it opens is clinic A's: clinic B's patients are out of its reach.
    owner = Client()
    accept(owner, url)
    owner.force_login(User.objects.get(pk=ada.pk), backend="django.contrib.auth.backends.ModelBackend")
    assert owner.get(f"/patients/{personas.patient_b.mrn}/").status_code == 404
    assert owner.get(f"/patients/{personas.patient_one.mrn}/").status_code == 200


def test_a_patient_is_invited_from_the_chart_and_access_can_be_closed(personas, client, login):
    patient = PatientFactory(clinic=personas.clinic_a, email="", given_name="Noor", family_name="Reed")
    login(personas.nurse)
    chart = f"/patients/{patient.mrn}/"
    page = client.get(chart).text
    assert "no e-mail address on record to invite them" in page
    client.post(f"{chart}portal-account/invite/")
    assert not mail.outbox and Patient.objects.get(pk=patient.pk).user is None

    Patient.objects.filter(pk=patient.pk).update(email="noor@example.org")
    page = client.get(chart).text
    assert "Invitations wait for the clinic administrator" in page
    client.post(f"{chart}portal-account/invite/")
    assert not mail.outbox

    set_hours(personas.clinic_a)
    client.post(f"{chart}portal-account/invite/")
    (message,) = mail.outbox
    patient.refresh_from_db()
    account = patient.user
    assert account.role == Role.PATIENT and account.username == "noor@example.org"
    assert personas.clinic_a.name in message.subject and personas.clinic_a.name in message.body
    # Nothing clinical, nothing that identifies the record, in a message someone else may read.
    for detail in (patient.mrn, str(patient.date_of_birth.year), "ketamine", "infusion", "pain", "dose"):
        assert detail not in message.body
    assert "Invited: the link sent to noor@example.org" in client.get(chart).text
    assert patient.history.first().history_change_reason == "Portal account opened; invitation sent"

    browser = Client()
    done = accept(browser, link_in(message))
    assert done["Location"] == "/portal/"
    assert browser.get("/portal/").status_code == 200
    page = client.get(chart).text
    assert (
        "Active: signs in as" in page
        and "Last used" in page
        and "never" not in page.split("Last used")[1][:80]
    )

    # Closed: the open session ends at the next request and the password no longer works.
    client.post(f"{chart}portal-account/close/")
    assert browser.get("/portal/").status_code == 302
    assert not can_sign_in("noor@example.org", PASSWORD)
    assert "Closed: the patient cannot sign in" in client.get(chart).text
    # Invited again: a new link reopens it.
    client.post(f"{chart}portal-account/invite/")
    assert len(mail.outbox) == 2
    accept(Client(), link_in(mail.outbox[1]), "the second long password 9")
    assert User.objects.get(pk=account.pk).is_active


def test_an_account_that_is_in_use_is_not_invited_again(personas, client, login):
    set_hours(personas.clinic_a)
    login(personas.nurse)
    patient = personas.patient_one
    Patient.objects.filter(pk=patient.pk).update(email="one@example.org")
    response = client.post(f"/patients/{patient.mrn}/portal-account/invite/", follow=True)
    assert "already has a portal account" in response.text
    assert not mail.outbox


REFUSING = "tests.refusing_mail.RefusingBackend"


def test_a_mail_server_that_refuses_leaves_the_account_to_be_sent_a_new_link(
    personas, client, login, settings
):
    set_hours(personas.clinic_a)
    login(personas.admin)
    settings.EMAIL_BACKEND = REFUSING
    response = invite_nurse(client)
    assert response.status_code == 302  # back to the staff page with a message, not a server error
    text = client.get(response["Location"]).text
    assert "The invitation for ada@example.org was saved, but the e-mail could not be sent" in text
    assert "Send a new link" in text and "relay not permitted" in text
    ada = User.objects.get(username="ada.byron")
    assert not ada.has_usable_password() and Invitation.objects.filter(user=ada).count() == 1
    # Again while the server still refuses: said the same way.
    again = client.post(f"/clinic/staff/{ada.pk}/invite-again/", follow=True)
    assert "could not be sent" in again.text
    # Once the e-mail settings work, a new link goes out and can be used.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client.post(f"/clinic/staff/{ada.pk}/invite-again/")
    (message,) = mail.outbox
    accept(Client(), link_in(message))
    assert can_sign_in("ada.byron", PASSWORD)


def test_a_patient_invitation_the_mail_server_refuses_says_so_on_the_chart(personas, client, login, settings):
    set_hours(personas.clinic_a)
    patient = PatientFactory(clinic=personas.clinic_a, email="pat@example.org")
    login(personas.nurse)
    settings.EMAIL_BACKEND = REFUSING
    response = client.post(f"/patients/{patient.mrn}/portal-account/invite/", follow=True)
    assert response.status_code == 200
    assert "The invitation for pat@example.org was saved, but the e-mail could not be sent" in response.text
    assert Patient.objects.get(pk=patient.pk).user is not None
