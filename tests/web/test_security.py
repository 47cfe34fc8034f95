"""Authentication hardening: argon2, lock-out, idle expiry, CSRF, headers, CSP."""

from __future__ import annotations

import importlib

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse


def test_production_settings_hash_passwords_with_argon2():
    base = importlib.import_module("ketapath.settings")
    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_argon2_hasher_works():
    from django.contrib.auth.hashers import Argon2PasswordHasher

    hasher = Argon2PasswordHasher()
    encoded = hasher.encode("a long enough secret", hasher.salt())
    assert encoded.startswith("argon2$argon2id$")
    assert hasher.verify("a long enough secret", encoded)
    assert not hasher.verify("another secret", encoded)


def test_lock_out_after_repeated_failures(personas):
    client = Client()
    url = reverse("login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": "nurse.a", "password": "wrong password"})
    # Now even the right password is refused while locked out.
    response = client.post(url, {"username": "nurse.a", "password": "correct horse battery"})
    assert response.status_code == 429
    assert b"Too many failed sign-in attempts" in response.content


def test_right_password_signs_in_before_lock_out(personas):
    client = Client()
    response = client.post(reverse("login"), {"username": "nurse.a", "password": "correct horse battery"})
    assert response.status_code == 302
    assert client.get(reverse("patients:list")).status_code == 200


def test_session_expires_after_inactivity():
    # Inactivity is measured by IdleSignOutMiddleware (polls do not count: tests/web/test_idle_signout.py);
    # saving on every request would let the flowsheet's poll keep a session alive.
    assert "ketapath.accounts.middleware.IdleSignOutMiddleware" in settings.MIDDLEWARE
    assert settings.SESSION_SAVE_EVERY_REQUEST is False
    assert 5 * 60 <= settings.SESSION_COOKIE_AGE == settings.KETAPATH_IDLE_SECONDS <= 24 * 3600


def test_csrf_is_enforced(personas):
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.nurse, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(reverse("patients:create"), {"mrn": "X"})
    assert response.status_code == 403


def test_security_headers_and_csp(client):
    response = client.get(reverse("login"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("url_name", ["login", "dashboard", "patients:list"])
def test_pages_have_no_inline_or_foreign_scripts(url_name, personas, client, login):
    import re

    login(personas.nurse)
    body = client.get(reverse(url_name), follow=True).content.decode()
    for tag in re.findall(r"<script\b[^>]*>", body):
        assert 'src="/static/' in tag, f"inline or foreign script: {tag}"
    assert "http://" not in body.split("<body")[0] and "https://" not in body.split("<body")[0]


def test_logged_in_pages_are_not_cached(personas, client, login):
    login(personas.nurse)
    assert "no-store" in client.get(reverse("patients:list"))["Cache-Control"]
