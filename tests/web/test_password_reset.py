"""Password reset by e-mail, for staff and patients: Django's views, rate-limited, with no
disclosure of whether an address has an account, lock-out lifted and other sessions ended."""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from ketapath.accounts.models import User

OLD = "correct horse battery"
NEW = "a fresh long passphrase 42"
LINK = re.compile(r"^(https?://\S+/accounts/reset/\S+/)$", re.MULTILINE)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The rate-limit counters live in the cache, shared by the tests of one process."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def staff(personas):
    User.objects.filter(pk=personas.nurse.pk).update(email="nurse.a@example.org")
    return User.objects.get(pk=personas.nurse.pk)


@pytest.fixture
def patient(personas):
    user = personas.patient_one.user
    User.objects.filter(pk=user.pk).update(email="pt.one@example.org")
    return User.objects.get(pk=user.pk)


def ask(client: Client, email: str):
    return client.post(reverse("password_reset"), {"email": email}, follow=True)


def link_in(message) -> str:
    found = LINK.findall(message.body)
    assert len(found) == 1, message.body
    return found[0]


def path_of(link: str) -> str:
    return urlsplit(link).path


def set_password(client: Client, link: str, password: str, again: str | None = None):
    response = client.get(path_of(link))
    assert response.status_code == 302  # Django moves the token into the session
    form_url = response["Location"]
    return client.post(form_url, {"new_password1": password, "new_password2": again or password})


def assert_no_inline_script(html: str) -> None:
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert 'src="/static/' in tag, f"inline or foreign script: {tag}"
    assert "style=" not in html


def test_the_sign_in_page_links_to_the_reset(client):
    page = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("password_reset")}"' in page and "Forgot your password?" in page


@pytest.mark.parametrize("who", ["staff", "patient"])
def test_a_known_address_gets_one_email_with_a_link(who, request, client):
    user = request.getfixturevalue(who)
    response = ask(client, user.email.upper())  # the address is matched without regard to case
    assert response.redirect_chain == [(reverse("password_reset_done"), 302)]
    assert b"Check your e-mail" in response.content
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email]
    assert message.subject == "KetaPath: set a new password"
    link = link_in(message)
    assert link.startswith(settings.KETAPATH_SITE_URL + "/accounts/reset/")
    assert user.username in message.body and "60 minutes" in message.body


def test_the_link_ignores_the_requests_host(staff, client, settings):
    settings.ALLOWED_HOSTS = ["*"]
    settings.KETAPATH_SITE_URL = "https://clinic.example.org"
    client.post(reverse("password_reset"), {"email": staff.email}, HTTP_HOST="evil.example.com")
    assert link_in(mail.outbox[0]).startswith("https://clinic.example.org/accounts/reset/")
    assert "evil" not in mail.outbox[0].body


def test_the_email_carries_no_patient_details(personas, patient, client):
    from ketapath.patients.models import Patient

    Patient.objects.filter(pk=personas.patient_one.pk).update(
        given_name="Zenobia", family_name="Quillfeather"
    )
    ask(client, patient.email)
    body = mail.outbox[0].body
    record = Patient.objects.get(pk=personas.patient_one.pk)
    for detail in (record.given_name, record.family_name, record.mrn):
        assert detail not in body
    # Issue 16: every message a patient gets names the clinic (and links to its page).
    assert f"account at {record.clinic.name} with the user name" in body


def test_an_unknown_address_gets_the_same_page_and_nothing_is_sent(staff, client):
    known = ask(client, staff.email)
    mail.outbox.clear()
    unknown = ask(client, "nobody@example.org")
    assert unknown.redirect_chain == known.redirect_chain
    assert unknown.content == known.content
    assert mail.outbox == []


def test_an_inactive_user_or_one_without_a_password_gets_nothing(staff, patient, client):
    User.objects.filter(pk=staff.pk).update(is_active=False)
    patient.set_unusable_password()
    patient.save()
    for email in (staff.email, patient.email):
        assert b"Check your e-mail" in ask(client, email).content
    assert mail.outbox == []


def test_the_link_sets_a_new_password_through_the_validators(staff, client):
    ask(client, staff.email)
    weak = set_password(client, link_in(mail.outbox[0]), "short")
    assert weak.status_code == 200
    page = weak.content.decode()
    assert 'class="field has-error"' in page and "too short" in page
    # The token stays in the session: the same form takes a good password.
    done = client.post(weak.request["PATH_INFO"], {"new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")
    assert b"Your new password is saved" in client.get(done["Location"]).content
    signin = Client()
    refused = signin.post(reverse("login"), {"username": staff.username, "password": OLD})
    assert refused.status_code == 200 and b"did not match" in refused.content
    assert signin.post(reverse("login"), {"username": staff.username, "password": NEW}).status_code == 302
    assert signin.get(reverse("account")).status_code == 200


def test_the_reset_is_written_to_the_users_history(staff, client):
    before = staff.history.count()
    ask(client, staff.email)
    set_password(client, link_in(mail.outbox[0]), NEW)
    latest = staff.history.first()
    assert staff.history.count() == before + 1
    assert latest.history_change_reason == "Password changed by reset"
    assert latest.history_user_id == staff.pk


def test_a_used_link_is_refused_with_a_clear_page(staff, client):
    ask(client, staff.email)
    link = link_in(mail.outbox[0])
    assert set_password(client, link, NEW).status_code == 302
    again = Client().get(path_of(link))
    assert again.status_code == 200
    page = again.content.decode()
    assert "This link no longer works" in page and 'name="new_password1"' not in page
    assert_no_inline_script(page)


def test_an_expired_link_is_refused(staff, client, settings):
    uid = urlsafe_base64_encode(force_bytes(staff.pk))
    token = default_token_generator.make_token(staff)
    settings.PASSWORD_RESET_TIMEOUT = -1  # every token is already too old
    response = client.get(reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token}))
    assert response.status_code == 200 and b"This link no longer works" in response.content


def test_a_nonsense_link_is_refused(client):
    response = client.get(reverse("password_reset_confirm", kwargs={"uidb64": "zz", "token": "a-b"}))
    assert response.status_code == 200 and b"This link no longer works" in response.content


def test_other_sessions_end_after_a_reset(staff, client, login):
    other = Client()
    other.force_login(staff, backend="django.contrib.auth.backends.ModelBackend")
    assert other.get(reverse("account")).status_code == 200
    ask(client, staff.email)
    set_password(client, link_in(mail.outbox[0]), NEW)
    response = other.get(reverse("account"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    # The reset signs nobody in.
    assert client.get(reverse("account")).status_code == 302


def test_the_limit_per_address_sends_nothing_more_but_shows_the_same_page(staff, client, caplog):
    limit = settings.KETAPATH_PASSWORD_RESET_PER_ADDRESS
    pages = [ask(client, staff.email).content for _ in range(limit)]
    assert len(mail.outbox) == limit
    with caplog.at_level(logging.WARNING, logger="ketapath.web.password_reset"):
        over = ask(client, staff.email)
    assert over.content == pages[0]
    assert len(mail.outbox) == limit
    lines = [r for r in caplog.records if r.name == "ketapath.web.password_reset"]
    assert len(lines) == 1 and "over the limit (per address)" in lines[0].getMessage()
    assert "\n" not in lines[0].getMessage() and staff.email not in lines[0].getMessage()


def test_the_limit_per_client_address(staff, client, settings):
    settings.KETAPATH_PASSWORD_RESET_PER_IP = 3
    for n in range(3):
        ask(client, f"someone{n}@example.org")
    assert b"Check your e-mail" in ask(client, staff.email).content
    assert mail.outbox == []
    # Another client address is counted on its own.
    Client(REMOTE_ADDR="10.0.0.9").post(reverse("password_reset"), {"email": staff.email})
    assert len(mail.outbox) == 1


def test_a_locked_out_user_can_sign_in_after_a_reset(staff, client):
    signin = Client()
    url = reverse("login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        signin.post(url, {"username": staff.username, "password": "wrong password"})
    assert signin.post(url, {"username": staff.username, "password": OLD}).status_code == 429
    ask(client, staff.email)
    set_password(client, link_in(mail.outbox[0]), NEW)
    assert signin.post(url, {"username": staff.username, "password": NEW}).status_code == 302


def test_every_page_passes_the_csp_with_no_inline_script(staff, client):
    pages = [client.get(reverse("login")), client.get(reverse("password_reset"))]
    pages.append(ask(client, staff.email))
    link = link_in(mail.outbox[0])
    form = client.get(client.get(path_of(link))["Location"])
    pages += [form, client.get(reverse("password_reset_complete"))]
    pages.append(client.get(reverse("password_reset_confirm", kwargs={"uidb64": "zz", "token": "a-b"})))
    for response in pages:
        assert response.status_code == 200
        csp = response["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "script-src 'self'" in csp
        assert_no_inline_script(response.content.decode())


@pytest.mark.parametrize("password", ["x" * 3000, "Long-enough-but-" + "y" * 120])
def test_an_overlong_password_is_refused_by_the_validators(password):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        validate_password(password)
    assert any(error.code == "password_too_long" for error in refused.value.error_list)
    validate_password("A long passphrase of 128 chars " + "z" * 97)  # exactly 128: accepted
