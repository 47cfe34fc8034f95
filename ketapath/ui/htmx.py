"""Whether a request came from htmx, typed (django-htmx's ``request.htmx`` is not in the stubs)."""

from __future__ import annotations

from django.http import HttpRequest


def is_htmx(request: HttpRequest) -> bool:
    """The request came from htmx: it sends ``HX-Request: true`` (what ``request.htmx`` tells)."""
    return request.headers.get("HX-Request") == "true"
