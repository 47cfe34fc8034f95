"""Pages with patient data must not be kept by shared browsers or proxies; idle users are signed out."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

from ketapath.accounts.policy import htmx_sign_in


class NoStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.user.is_authenticated and not request.path.startswith("/static/"):
            add_never_cache_headers(response)
        return response


# The session key that holds the time (seconds since the epoch) of the user's last real request.
LAST_ACTIVITY = "ketapath_last_activity"
# The header the live flowsheet's poller sends (``hx-headers`` on ``#live-poller``), and the
# element ids whose htmx requests are polls even without it (htmx names the element in HX-Trigger).
POLL_HEADER = "X-KetaPath-Poll"
POLLER_IDS = frozenset({"live-poller"})


def is_poll(request: HttpRequest) -> bool:
    """A background poll (a page refreshing itself), not something the user did.

    Only a GET or HEAD can be a poll: anything that writes is activity, whatever its headers say.
    """
    if request.method not in {"GET", "HEAD"}:
        return False
    if request.headers.get(POLL_HEADER) == "1":
        return True
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Trigger") in POLLER_IDS


class IdleSignOutMiddleware:
    """Signs a user out after ``KETAPATH_IDLE_SECONDS`` without a real request.

    The time of the last real request is kept in the session; each real request writes it (which
    also saves the session and so restarts its expiry). A poll (:func:`is_poll`) changes neither,
    so a flowsheet left open does not keep its user signed in. Past the limit the user is signed
    out; an htmx request gets 401 with ``HX-Redirect`` to the sign-in page (htmx then opens it); a
    page request goes on as an anonymous one, which every non-public view sends to sign in.
    ``SESSION_SAVE_EVERY_REQUEST`` stays off: it would let a poll restart the session's expiry.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        poll = is_poll(request)
        now = time.time()
        if request.user.is_authenticated:
            last = request.session.get(LAST_ACTIVITY)
            if isinstance(last, int | float) and now - last > settings.KETAPATH_IDLE_SECONDS:
                logout(request)
                if request.headers.get("HX-Request") == "true":
                    return htmx_sign_in(request)
                # Go on as an anonymous request: every non-public view sends it to sign in.
        response = self.get_response(request)
        if request.user.is_authenticated and (not poll or LAST_ACTIVITY not in request.session):
            # A real request, or a sign-in (the login view has just signed the user in), or the
            # first request this middleware sees of a session opened without it: the idle clock
            # starts again. Writing it saves the session, which restarts the session's expiry.
            request.session[LAST_ACTIVITY] = now
        return response
