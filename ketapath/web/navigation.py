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
    NavItem("Alerts", "alerts:list", "clinical.view"),
    NavItem("Today's sessions", "infusion_day:today", "infusions.view"),
    NavItem("Questionnaires", "portal:questionnaires", "portal.view"),
    NavItem("Instruments", "instruments:list", "instruments.view"),
    NavItem("Pharmacokinetics", "pk:page", "pk.simulate"),
    NavItem("My care", "portal:home", "portal.view"),
    NavItem("Appointments", "portal:appointments", "portal.view"),
    NavItem("After my sessions", "infusion_portal:sessions", "portal.view"),
    NavItem("Journal", "portal:journal", "portal.write"),
    NavItem("Cohort report", "cohort:report", "outcomes.report"),
    NavItem("Patient tips", "clinic_tips:list", "tips.view"),
    NavItem("Access log", "audit:access_log", "audit.access_log"),
    NavItem("Clinic settings", "clinic_settings:page", "clinic.settings.view"),
    NavItem("Clinic readiness", "clinic_settings:readiness", "clinic.readiness.view"),
    NavItem("Consent text", "consent_texts:list", "consent.text.view"),
    NavItem("Protocols", "protocols:list", "plans.view"),
]


def items_for(user: Any) -> list[dict[str, str]]:
    return [
        {"label": item.label, "url": reverse(item.url_name), "name": item.url_name}
        for item in ITEMS
        if allowed(user, item.permission)
    ]


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
    ChartSection("Sessions", "infusions:patient", "infusions.view"),
    ChartSection("Outcomes", "outcomes:patient", "clinical.view"),
    ChartSection("Record history", "patients:history", "patients.history"),
]


def chart_sections_for(user: Any, mrn: str) -> list[dict[str, str]]:
    return [
        {"label": s.label, "url": reverse(s.url_name, kwargs={"mrn": mrn}), "name": s.url_name}
        for s in CHART_SECTIONS
        if allowed(user, s.permission)
    ]
