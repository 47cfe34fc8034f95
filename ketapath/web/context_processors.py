from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from ketapath.web.navigation import groups_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    match = getattr(request, "resolver_match", None)
    here = match.view_name if match is not None else ""
    groups = []
    for group in groups_for(user) if signed_in else []:
        items = [item | {"current": item["name"] == here} for item in group["items"]]
        groups.append(group | {"items": items, "current": any(item["current"] for item in items)})
    clinic = getattr(user, "clinic", None) if signed_in else None
    return {
        "nav_groups": groups,
        "nav_items": [item for group in groups for item in group["items"]],
        "current_clinic": clinic,
        "demo_mode": settings.DEMO,
    }
