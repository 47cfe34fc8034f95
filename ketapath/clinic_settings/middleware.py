"""The signed-in user's clinic's date and time display, set once per request.

Placed after the authentication middleware: it reads ``request.user``'s clinic (its id, without
loading the clinic) and that clinic's settings once (``values_for``), and holds the choice in
``display.CURRENT`` for the request, so the ``day``, ``clock`` and ``moment`` filters follow it.
An anonymous user, or one of no clinic, gets the default.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from ketapath.clinic_settings.display import CURRENT, display_for


class ClinicDisplayMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        clinic_id = getattr(user, "clinic_id", None) if user is not None and user.is_authenticated else None
        token = CURRENT.set(display_for(clinic_id))
        try:
            return self.get_response(request)
        finally:
            CURRENT.reset(token)
