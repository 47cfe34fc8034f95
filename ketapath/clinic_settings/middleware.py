"""The signed-in user's clinic's date and time display and time zone, set once per request.

Placed after the authentication middleware: it reads ``request.user``'s clinic (its id, without
loading the clinic), that clinic's settings and its time zone in one query
(``values_and_zone``), holds the display choice in ``display.CURRENT`` for the request, so the
``day``, ``clock`` and ``moment`` filters follow it, and activates the clinic's time zone, so every
time on every page (flowsheet, alerts, history, calendar), "today" (``timezone.localdate()``) and
a time typed into a form are the clinic's wall-clock time. An anonymous user, or one of no clinic,
gets the defaults (the server's ``TIME_ZONE``).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from ketapath.clinic_settings.display import CURRENT, display_and_zone_for


class ClinicDisplayMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        clinic_id = getattr(user, "clinic_id", None) if user is not None and user.is_authenticated else None
        display, zone = display_and_zone_for(clinic_id)
        token = CURRENT.set(display)
        timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
            CURRENT.reset(token)
