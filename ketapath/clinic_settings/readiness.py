"""Which safety settings a clinic has not set yet, and so what cannot happen until it does.

A clinic setting declares the steps it gates (``Spec.gates``). Safety fails closed: while one
is unset, the gated step stops and names it — a plan is not approved, an infusion does not start,
a critical alert is not escalated — and an unset limit is never read as "no limit". This module
is the one place that answers "what is missing", for the plan and infusion actions, the
readiness page and ``ketapath readiness``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from ketapath.clinic_settings.forms import field_name
from ketapath.clinic_settings.registry import all_specs
from ketapath.clinic_settings.specs import Spec
from ketapath.clinic_settings.values import values_for

PLAN = "plan"
INFUSION = "infusion"
ESCALATION = "escalation"
GATE_LABELS = {
    PLAN: "approving a plan",
    INFUSION: "starting an infusion",
    ESCALATION: "escalating a critical alert",
}
# The route a clinic's first infusion uses: readiness for it needs that route's limits.
FIRST_INFUSION_ROUTE = "iv"
# How the readiness page and command name a route (the protocols' route values).
ROUTE_NAMES = {
    "iv": "intravenous",
    "intranasal": "intranasal",
    "im": "intramuscular",
    "oral": "oral",
    "sublingual": "sublingual",
    "rectal": "rectal",
}


def route_name(route: str) -> str:
    return ROUTE_NAMES.get(route, route)


def setting_url(key: str) -> str:
    """The clinic settings page, scrolled to one setting's field."""
    return f"{reverse('clinic_settings:page')}#id_{field_name(key)}"


@dataclass(frozen=True)
class MissingSetting:
    key: str
    label: str
    group: str
    unit: str
    stops: tuple[str, ...]

    @property
    def anchor(self) -> str:
        return f"id_{field_name(self.key)}"

    @property
    def url(self) -> str:
        """The settings page, scrolled to this setting's field."""
        return setting_url(self.key)

    @property
    def label_with_unit(self) -> str:
        return f"{self.label} ({self.unit})" if self.unit else self.label

    @property
    def stops_text(self) -> str:
        return ", ".join(GATE_LABELS.get(g, g) for g in self.stops)

    def sentence(self) -> str:
        unit = f" ({self.unit})" if self.unit else ""
        return f"Clinic setting not set: {self.group} — {self.label}{unit}."


def _applies(spec: Spec, gate: str, route: str | None) -> bool:
    return gate in spec.gates or (route is not None and f"{gate}@{route}" in spec.gates)


def _stops(spec: Spec) -> tuple[str, ...]:
    return tuple(dict.fromkeys(g.partition("@")[0] for g in spec.gates))


def missing_settings(
    clinic_id: int, gate: str, *, route: str | None = None, values: dict[str, object] | None = None
) -> list[MissingSetting]:
    """The unset settings that stop ``gate`` (for ``route``, when the step has one)."""
    current = values_for(clinic_id) if values is None else values
    return [
        MissingSetting(spec.key, spec.label, spec.group, spec.unit, _stops(spec))
        for spec in all_specs().values()
        if _applies(spec, gate, route) and current.get(spec.key) is None
    ]


def first_infusion_missing(
    clinic_id: int, *, values: dict[str, object] | None = None
) -> list[MissingSetting]:
    """Everything a clinic must set before its first infusion: plan approval and the infusion on
    its first route, and the escalation of critical alerts (one query, none with ``values``)."""
    current = values_for(clinic_id) if values is None else values
    seen: dict[str, MissingSetting] = {}
    for gate in (PLAN, INFUSION, ESCALATION):
        for item in missing_settings(clinic_id, gate, route=FIRST_INFUSION_ROUTE, values=current):
            seen.setdefault(item.key, item)
    return list(seen.values())


def route_missing(
    clinic_id: int, *, values: dict[str, object] | None = None
) -> dict[str, list[MissingSetting]]:
    """Per route other than the first: the settings a plan on that route still needs."""
    current = values_for(clinic_id) if values is None else values
    routes = sorted(
        {g.partition("@")[2] for s in all_specs().values() for g in s.gates if "@" in g}
        - {FIRST_INFUSION_ROUTE}
    )
    return {r: missing_settings(clinic_id, PLAN, route=r, values=current) for r in routes}
