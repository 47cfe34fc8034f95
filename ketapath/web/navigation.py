"""The navigation each role sees: every entry names the permission that shows it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from ketapath.accounts.policy import allowed


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    permission: str


ITEMS = [
    NavItem("Dashboard", "dashboard", "dashboard.view"),
    NavItem("Patients", "patients:list", "patients.list"),
    NavItem("My care", "portal:home", "portal.view"),
    NavItem("Access log", "audit:access_log", "audit.access_log"),
]


def items_for(user: Any) -> list[dict[str, str]]:
    return [
        {"label": item.label, "url": reverse(item.url_name), "name": item.url_name}
        for item in ITEMS
        if allowed(user, item.permission)
    ]
