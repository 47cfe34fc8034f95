"""The chart overview's panels: what the pathway apps add to a patient's first page.

The patients app is a base layer and knows no pathway app. Each app that has something a
clinician should see at once on opening a chart (open alerts, diagnosis and allergies, the
current plan and the next session, the latest scores) registers a panel from its
``AppConfig.ready()``::

    register_overview_panel(20, "consultations/_overview.html", diagnosis_context)

``context_fn(patient, user, today)`` returns the panel template's context, read from that app's own
public read module with a fixed number of queries (the chart page's query count does not grow
with the record). A panel is shown to the roles that hold its ``permission`` (clinical content:
clinicians only; administrators see the registry). Panels are shown by ``order``.

One *strip* runs across the top of the overview, above the panels: where the patient stands on
the whole pathway and the one next action. Only a layer that may read every pathway app can
compute it, so that layer registers it (:func:`register_chart_strip`; ``ketapath.web`` does).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ketapath.accounts.policy import PERMISSIONS, allowed

ContextFn = Callable[[Any, Any, date], Mapping[str, Any]]


@dataclass(frozen=True)
class OverviewPanel:
    order: int
    template: str
    context_fn: ContextFn
    permission: str


@dataclass(frozen=True)
class RenderedPanel:
    template: str
    context: Mapping[str, Any]


_PANELS: dict[str, OverviewPanel] = {}


def register_overview_panel(
    order: int, template: str, context_fn: ContextFn, *, permission: str = "clinical.view"
) -> None:
    """Add (or replace: ``ready()`` may run twice) the panel drawn with ``template``."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}: declare it in accounts.policy")
    _PANELS[template] = OverviewPanel(order, template, context_fn, permission)


def registered_panels() -> list[OverviewPanel]:
    return sorted(_PANELS.values(), key=lambda p: (p.order, p.template))


def overview_panels(user: Any, patient: Any, today: date) -> list[RenderedPanel]:
    """The panels this user may see on ``patient``'s chart, each with its context, in order."""
    return [
        RenderedPanel(panel.template, {**panel.context_fn(patient, user, today), "patient": patient})
        for panel in registered_panels()
        if allowed(user, panel.permission)
    ]


_STRIP: dict[str, OverviewPanel] = {}


def register_chart_strip(template: str, context_fn: ContextFn, *, permission: str = "clinical.view") -> None:
    """Set (or replace) the strip drawn across the top of the overview."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}: declare it in accounts.policy")
    _STRIP.clear()
    _STRIP[template] = OverviewPanel(0, template, context_fn, permission)


def chart_strip(user: Any, patient: Any, today: date) -> RenderedPanel | None:
    """The strip this user may see on ``patient``'s chart, with its context (None: no strip)."""
    for strip in _STRIP.values():
        if allowed(user, strip.permission):
            return RenderedPanel(
                strip.template, {**strip.context_fn(patient, user, today), "patient": patient}
            )
    return None
