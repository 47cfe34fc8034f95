from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from ketapath.web.navigation import items_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    nav = items_for(user) if user is not None and user.is_authenticated else []
    clinic = getattr(user, "clinic", None) if user is not None and user.is_authenticated else None
    return {"nav_items": nav, "current_clinic": clinic, "demo_mode": settings.DEMO}
