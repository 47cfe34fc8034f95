"""``{% load plans %}``: decimals from a plan's snapshot, and a protocol described in sentences."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import template

from ketapath.clinical.protocols import Protocol, fmt
from ketapath.plans.display import q
from ketapath.plans.forms import DOSE_LABELS, KIND_FIELDS, TITRATION_LABELS
from ketapath.plans.limits import ROUTE_LABELS

register = template.Library()

DRUG_LABELS = {"racemic-ketamine": "Racemic ketamine", "esketamine": "Esketamine (S-ketamine)"}
KIND_LABELS = {
    "per-kg-over-duration": "a dose per kg infused over a duration",
    "per-kg-rate": "a rate per kg for a duration",
    "fixed-rate": "a fixed rate for a duration",
    "fixed-total": "a fixed total dose infused over a duration",
    "titration": "a starting rate raised in steps up to a ceiling",
    "fixed-dose": "a fixed dose given at once",
    "per-kg-dose": "a dose per kg given at once",
}


@register.filter
def dec(value: Any, places: str = "0.1") -> str:
    """A stored decimal rounded for display: ``{{ row.dose_mg|dec:"0.1" }}``."""
    return q(value, places)


@register.filter
def isoday(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


@register.filter
def drug_label(value: str) -> str:
    return DRUG_LABELS.get(value, value)


@register.filter
def route_label(value: Any) -> str:
    for route, label in ROUTE_LABELS.items():
        if route.value == str(value) or route == value:
            return label
    return str(value)


@register.filter
def sessions_text(numbers: list[int]) -> str:
    """[1, 2, 3, 5] -> "sessions 1-3, 5"."""
    if not numbers:
        return ""
    runs: list[list[int]] = []
    for n in sorted(numbers):
        if runs and runs[-1][-1] + 1 == n:
            runs[-1].append(n)
        else:
            runs.append([n])
    text = ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)
    return f"session{'s' if len(numbers) > 1 else ''} {text}"


@register.simple_tag
def protocol_facts(protocol: Protocol) -> list[tuple[str, str]]:
    """The protocol as label/sentence pairs: dose, limits, schedule, premedication, monitoring."""
    facts: list[tuple[str, str]] = [
        ("Drug and route", f"{DRUG_LABELS.get(protocol.drug.value)}, {ROUTE_LABELS[protocol.route]}"),
        (
            "Milligrams are of",
            protocol.salt_basis.value.replace("unstated", "not stated (base or hydrochloride)"),
        ),
        ("Dose found as", KIND_LABELS[protocol.dose.kind.value]),
    ]
    for name in KIND_FIELDS[protocol.dose.kind]:
        label, unit = DOSE_LABELS[name]
        facts.append((label, getattr(protocol.dose, name).describe(unit)))
    titration = protocol.dose.titration
    if titration is not None:
        for part, (label, unit) in TITRATION_LABELS.items():
            facts.append((label, getattr(titration, part).describe(unit or titration.unit.value)))
    if protocol.dose.first_dose_mg is not None:
        facts.append(("First session", f"{fmt(protocol.dose.first_dose_mg)} mg"))
    if protocol.dose.device_mg is not None:
        rest = protocol.dose.device_interval_min
        facts.append(
            (
                "Devices",
                f"{fmt(protocol.dose.device_mg)} mg each" + (f", {fmt(rest)} min apart" if rest else ""),
            )
        )
    if protocol.dose.reported:
        facts.append(("Reported by the source", protocol.dose.reported))
    limits = protocol.limits
    caps = []
    if limits.max_rate_mg_per_kg_per_h is not None:
        caps.append(f"{fmt(limits.max_rate_mg_per_kg_per_h)} mg/kg/h")
    if limits.max_rate_mg_per_h is not None:
        caps.append(f"{fmt(limits.max_rate_mg_per_h)} mg/h")
    if limits.max_dose_mg_per_session is not None:
        caps.append(f"{fmt(limits.max_dose_mg_per_session)} mg per session")
    if caps:
        cited = f" ({limits.citation.label()})" if limits.citation else ""
        facts.append(("Maximum", ", ".join(caps) + cited))
    if limits.min_dose_mg_per_session is not None:
        facts.append(("Minimum (advisory)", f"{fmt(limits.min_dose_mg_per_session)} mg per session"))
    if limits.note:
        facts.append(("On the limits", limits.note))
    for phase in protocol.schedule.phases:
        if phase.per_week is not None:
            low, high = phase.per_week
            often = f"{low}" if low == high else f"{low}-{high}"
            span = f" for {phase.weeks} weeks" if phase.weeks else " (open-ended)"
            text = f"{often} a week{span}"
        else:
            every = " or ".join(str(d) for d in phase.every_days)
            count = (
                f", {phase.sessions} session{'s' if phase.sessions != 1 else ''}"
                if phase.sessions
                else " (open-ended)"
            )
            text = f"every {every} day{'s' if phase.every_days != (1,) else ''}{count}"
        facts.append((f"Schedule: {phase.label}", text + (f". {phase.note}" if phase.note else "")))
    if protocol.schedule.note:
        facts.append(("On the schedule", protocol.schedule.note))
    for item in protocol.premedication:
        facts.append(("Premedication", item.describe()))
    monitoring = protocol.monitoring
    if monitoring.citation is not None:
        parts = []
        if monitoring.vitals_interval_min:
            parts.append(f"vital signs every {monitoring.vitals_interval_min} min")
        if monitoring.bp_check_times_min:
            parts.append("blood pressure at " + ", ".join(f"{t} min" for t in monitoring.bp_check_times_min))
        if monitoring.min_observation_min:
            parts.append(f"observation at least {monitoring.min_observation_min} min")
        if monitoring.requires_escort:
            parts.append("escort home required")
        facts.append(("Monitoring", "; ".join(parts) + f" ({monitoring.citation.label()})"))
    evidence = protocol.evidence
    grade = f"; {evidence.grade} ({evidence.grade_citation.label()})" if evidence.grade_citation else ""
    facts.append(("Evidence", evidence.design + grade))
    return facts


@register.filter
def bound(form: Any, name: str) -> Any:
    """``{% include "includes/field.html" with field=form|bound:name %}``."""
    return form[name]


@register.filter
def split(text: str) -> list[str]:
    return text.split()
