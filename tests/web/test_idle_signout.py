"""Idle sign-out: the flowsheet's 5-second poll is not activity; charting is.

A user is signed out after ``KETAPATH_SESSION_IDLE_MINUTES`` (30) without a real request. The
live poller marks its requests (``X-KetaPath-Poll: 1`` through ``hx-headers``; htmx also names the
poller in ``HX-Trigger``); such a request neither extends the session nor counts as activity.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from tests.web.test_access_by_role import samples  # noqa: F401  (a fixture)

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
POLL = {"HTTP_X_KETAPATH_POLL": "1", "HTTP_HX_REQUEST": "true", "HTTP_HX_TRIGGER": "live-poller"}
HTMX_TRIGGER_ONLY = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TRIGGER": "live-poller"}


def _urls(samples_):
    kwargs = {"mrn": samples_["mrn"], "session_id": samples_["session_id"]}
    return reverse("infusions:flowsheet", kwargs=kwargs), reverse("infusions:live", kwargs=kwargs)


def _sign_in(client, user):
    """A real sign-in through the login form (so the middleware sees the first activity)."""
    user.set_password("walk-test-password-123")
    user.save()
    response = client.post(
        reverse("login"), {"username": user.username, "password": "walk-test-password-123"}
    )
    assert response.status_code == 302


def test_the_idle_limit_is_thirty_minutes_by_default():
    assert settings.KETAPATH_IDLE_SECONDS == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is False


@pytest.mark.parametrize("headers", [POLL, HTMX_TRIGGER_ONLY], ids=["poll-header", "hx-trigger"])
def test_polls_alone_for_31_minutes_sign_the_user_out(personas, samples, client, headers):  # noqa: F811
    page, live = _urls(samples)
    with time_machine.travel(START, tick=False) as clock:
        _sign_in(client, personas.nurse)
        assert client.get(page).status_code == 200
        # A poll every minute of the test's clock (the browser polls every 5 s: what matters is
        # that polls alone never extend the session, however many there are).
        for _ in range(31):
            clock.shift(dt.timedelta(minutes=1))
            response = client.get(live, **headers)
            if response.status_code != 200:
                break
        # The last poll, past the limit, is refused; htmx is told to open the sign-in page.
        assert response.status_code == 401
        assert response["HX-Redirect"].startswith(reverse("login"))
        # A full page afterwards goes to the sign-in page as well: the session is gone.
        after = client.get(page)
        assert after.status_code == 302
        assert after["Location"].startswith(reverse("login"))


def test_the_limit_is_reached_at_thirty_minutes_not_before(personas, samples, client):  # noqa: F811
    _, live = _urls(samples)
    with time_machine.travel(START, tick=False) as clock:
        _sign_in(client, personas.nurse)
        clock.shift(dt.timedelta(minutes=29, seconds=50))
        assert client.get(live, **POLL).status_code == 200
        clock.shift(dt.timedelta(seconds=20))  # 30 min 10 s after the sign-in
        assert client.get(live, **POLL).status_code == 401


def test_a_nurse_charting_every_few_minutes_stays_signed_in(personas, samples, client):  # noqa: F811
    """90 minutes of polls with a post every 10 minutes: never signed out."""
    page, live = _urls(samples)
    vitals = reverse("infusions:vitals", kwargs={"mrn": samples["mrn"], "session_id": samples["session_id"]})
    with time_machine.travel(START, tick=False) as clock:
        _sign_in(client, personas.nurse)
        for minute in range(2, 91, 2):  # an hour and a half of polls, with a post every 10 minutes
            clock.shift(dt.timedelta(minutes=2))
            assert client.get(live, **POLL).status_code == 200, f"signed out at minute {minute}"
            if minute % 10 == 0:
                response = client.post(vitals, {"systolic_mmhg": "abc"})  # even a refused entry is activity
                assert response.status_code == 200, f"signed out at minute {minute}"
        assert client.get(page).status_code == 200


def test_a_full_page_after_the_limit_goes_to_the_sign_in_page(personas, samples, client):  # noqa: F811
    page, _ = _urls(samples)
    with time_machine.travel(START, tick=False) as clock:
        _sign_in(client, personas.nurse)
        clock.shift(dt.timedelta(minutes=31))
        response = client.get(page)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        assert "_auth_user_id" not in client.session


def test_a_poll_does_not_save_the_session(personas, samples, client):  # noqa: F811
    """The session's expiry (database and cookie) is not extended by a poll."""
    from django.contrib.sessions.models import Session

    _, live = _urls(samples)
    with time_machine.travel(START, tick=False) as clock:
        _sign_in(client, personas.nurse)
        key = client.cookies[settings.SESSION_COOKIE_NAME].value
        expires = Session.objects.get(session_key=key).expire_date
        clock.shift(dt.timedelta(minutes=5))
        response = client.get(live, **POLL)
        assert response.status_code == 200
        assert settings.SESSION_COOKIE_NAME not in response.cookies
        assert Session.objects.get(session_key=key).expire_date == expires


def test_the_poller_marks_its_requests(personas, samples, client, login):  # noqa: F811
    page, live = _urls(samples)
    login(personas.nurse)
    for url in (page, live):
        body = client.get(url).content.decode()
        poller = body[body.index('id="live-poller"') :].split(">", 1)[0]
        assert "hx-headers=" in poller and "X-KetaPath-Poll" in poller, url


def test_an_htmx_request_of_a_signed_out_user_is_told_to_sign_in(personas, samples, client):  # noqa: F811
    """Not a redirect, which htmx would follow and swap the sign-in page into the fragment."""
    page, live = _urls(samples)
    response = client.get(live, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=f"http://testserver{page}")
    assert response.status_code == 401
    assert response["HX-Redirect"] == f"{reverse('login')}?next={page.replace('/', '%2F')}"
    # Another site's address never becomes the way back.
    response = client.get(live, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="//evil.example/x")
    assert response["HX-Redirect"] == reverse("login")
