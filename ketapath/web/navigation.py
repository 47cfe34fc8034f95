"""The navigation each role sees: every entry names the permission that shows it.

Staff see their entries in four groups, in this order: *today* (the day's work), *patients*,
*reports* and *clinic*. The first two are shown as links on the bar; *reports* and *clinic* open
as a disclosure (``<details>``), so that the bar stays on one line at 1366 px for every role. A
group with a single entry is shown as that link, never as a menu of one. A patient's entries
form one group of their own pages, each named once, as the page's own heading names it (the
home page, whose heading greets the patient, is "My care"; the brand links there too).
"""

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
    group: str
    #: Hidden from a user who holds this permission too (a patient's own home page replaces the
    #: staff dashboard: the dashboard address sends them there, so the menu names it once).
    unless: str = ""


@dataclass(frozen=True)
class NavGroup:
    key: str
    label: str
    #: Shown as links on the bar (True) or as a disclosure that opens the group's links (False).
    on_bar: bool


GROUPS = [
    NavGroup("today", "Today", on_bar=True),
    NavGroup("patients", "Patients", on_bar=True),
    NavGroup("reports", "Reports", on_bar=False),
    NavGroup("clinic", "Clinic", on_bar=False),
    NavGroup("portal", "My pages", on_bar=True),
]

ITEMS = [
    # Today: the day's work.
    NavItem("Dashboard", "dashboard", "dashboard.view", "today", unless="portal.view"),
    NavItem("Today's sessions", "infusion_day:today", "infusions.view", "today"),
    NavItem("Alerts", "alerts:list", "clinical.view", "today"),
    NavItem("Calendar", "calendar:page", "calendar.view", "today"),
    # Patients.
    NavItem("Patients", "patients:list", "patients.list", "patients"),
    # Reports.
    NavItem("Cohort report", "cohort:report", "outcomes.report", "reports"),
    NavItem("Access log", "audit:access_log", "audit.access_log", "reports"),
    # The clinic: its settings, texts, library and tools.
    NavItem("Clinic settings", "clinic_settings:page", "clinic.settings.view", "clinic"),
    NavItem("Clinic readiness", "clinic_settings:readiness", "clinic.readiness.view", "clinic"),
    NavItem("Opening hours and chairs", "calendar_settings:page", "calendar.settings", "clinic"),
    NavItem("Staff accounts", "staff:list", "staff.manage", "clinic"),
    NavItem("Consent text", "consent_texts:list", "consent.text.view", "clinic"),
    NavItem("Protocols", "protocols:list", "plans.view", "clinic"),
    NavItem("Instruments", "instruments:list", "instruments.view", "clinic"),
    NavItem("Patient tips", "clinic_tips:list", "tips.view", "clinic"),
    NavItem("Pharmacokinetics", "pk:page", "pk.simulate", "clinic"),
    # A patient's own pages: one name per page.
    NavItem("My care", "portal:home", "portal.view", "portal"),
    NavItem("My appointments", "portal:appointments", "portal.view", "portal"),
    NavItem("After my sessions", "infusion_portal:sessions", "portal.view", "portal"),
    NavItem("My pain journal", "portal:journal", "portal.write", "portal"),
    NavItem("Questionnaires", "portal:questionnaires", "portal.view", "portal"),
]


def _shown(user: Any, item: NavItem) -> bool:
    return allowed(user, item.permission) and not (item.unless and allowed(user, item.unless))


def items_for(user: Any) -> list[dict[str, str]]:
    """Every entry this user may see, in the groups' order (a flat list)."""
    return [item for group in groups_for(user) for item in group["items"]]


def groups_for(user: Any) -> list[dict[str, Any]]:
    """The groups this user sees (a group none of whose entries they may see is left out), each
    with ``key``, ``label``, ``on_bar`` (a single entry is always on the bar) and ``items``."""
    groups = []
    for group in GROUPS:
        items = [
            {"label": item.label, "url": reverse(item.url_name), "name": item.url_name}
            for item in ITEMS
            if item.group == group.key and _shown(user, item)
        ]
        if items:
            groups.append(
                {
                    "key": group.key,
                    "label": group.label,
                    "on_bar": group.on_bar or len(items) == 1,
                    "items": items,
                }
            )
    return groups


@dataclass(frozen=True)
class ChartSection:
    """A tab of a patient's chart: every step of the pathway adds its own here."""

    label: str
    url_name: str
    permission: str


CHART_SECTIONS = [
    ChartSection("Overview", "patients:detail", "patients.view"),
    ChartSection("Questionnaires", "questionnaires:patient", "clinical.view"),
    ChartSection("Intake", "consultations:intake", "consultations.intake"),
    ChartSection("Evaluation", "consultations:evaluation", "clinical.view"),
    ChartSection("Consent", "consultations:consent", "clinical.view"),
    ChartSection("Treatment plan", "plans:plan", "plans.view"),
    ChartSection("Appointments", "appointments:patient", "appointments.view"),
    ChartSection("Sessions", "infusions:patient", "infusions.view"),
    ChartSection("Outcomes", "outcomes:patient", "clinical.view"),
    ChartSection("Documents", "documents:list", "documents.view"),
    ChartSection("Record history", "patients:history", "patients.history"),
]


def chart_sections_for(user: Any, mrn: str) -> list[dict[str, str]]:
    return [
        {"label": s.label, "url": reverse(s.url_name, kwargs={"mrn": mrn}), "name": s.url_name}
        for s in CHART_SECTIONS
        if allowed(user, s.permission)
    ]
