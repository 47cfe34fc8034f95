"""Every clinic setting the clinical core reads, gathered from the apps that declare them.

Each app registers its provider in its ``AppConfig.ready()`` with :func:`register_settings` (this
base app never imports the apps above it): a zero-argument function returning
:class:`~ketapath.clinic_settings.specs.Spec` values (the pure core's eligibility rule book gives
its own name-kind-label records, read the same), the group they are listed under unless a spec
names its own, and a number that orders the groups on the settings page.
``gates`` names what the setting is a safety setting for: while it is unset, each gated step stops
(``"plan"``: a plan cannot be approved; ``"infusion"``: an infusion cannot start;
``"escalation"``: critical alerts cannot be escalated). A gate may be limited to one route with
``"plan@iv"``. See :mod:`ketapath.clinic_settings.readiness`. Kinds:

- ``days``: a whole number of days, 0 or more, at most ``maximum`` (or :data:`DAYS_CEILING`);
- ``integer`` / ``decimal``: a number in ``unit`` within ``minimum``..``maximum``. A provider must
  give every ``integer`` and ``decimal`` setting a finite ``maximum``: one without is refused when
  the registry loads (issue 13: an unbounded setting let ``1e308`` or a lead of 99999999999 days
  through and crashed the reminder run). A ``decimal`` is finite (no NaN, sNaN or infinity) with at
  most ``specs.MAX_DIGITS`` digits, ``specs.MAX_PLACES`` of them after the point;
- ``policy``: what the clinic does when a rule applies: blocks, caution or info;
- ``choice``: one of ``choices``;
- ``email``: an e-mail address (for example the on-call prescriber's).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import cache
from typing import Any

from django.apps import apps

from ketapath.clinic_settings.specs import Spec


@dataclass(frozen=True)
class Provider:
    """One app's clinic settings: listed in ``order``, under ``group`` unless a spec names one."""

    order: int
    group: str
    specs: Callable[[], Iterable[Any]]


# The registered providers by group (``register_settings``); ``all_specs`` reads them in order.
PROVIDERS: dict[str, Provider] = {}


def register_settings(order: int, group: str, specs: Callable[[], Iterable[Any]]) -> None:
    """Add (or replace: ``ready()`` may run twice) an app's provider of clinic settings."""
    PROVIDERS[group] = Provider(order, group, specs)
    all_specs.cache_clear()


# A ``days`` setting with no maximum of its own (the eligibility rule book's recency settings) is
# capped at ten years: every ``days`` setting here is an age, a gap or a lead time within a course
# of care. A typing-error guard, no source.
DAYS_CEILING = Decimal(3650)
NUMERIC_KINDS = frozenset({"days", "integer", "decimal"})


def _maximum(key: str, kind: str, raw: Any) -> Decimal | None:
    """The spec's maximum: required and finite for every number; ``days`` falls back to its ceiling."""
    maximum = _decimal(getattr(raw, "maximum", None))
    if kind not in NUMERIC_KINDS:
        return maximum
    if maximum is None and kind == "days":
        return DAYS_CEILING
    if maximum is None or not maximum.is_finite():
        raise ValueError(f"clinic setting {key!r} ({kind}) needs a finite maximum")
    if kind == "days":
        return min(maximum, DAYS_CEILING)
    return maximum


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


@cache
def all_specs() -> dict[str, Spec]:
    """Every provider's specs by key, in the providers' order; a key declared twice is refused.

    Read only once every app is ready (each registers its provider then): before, it would list
    too few settings and a safety setting could go unchecked, so it refuses.
    """
    apps.check_apps_ready()
    specs: dict[str, Spec] = {}
    for provider in sorted(PROVIDERS.values(), key=lambda p: (p.order, p.group)):
        for raw in provider.specs():
            key = str(raw.name)
            if key in specs:
                raise ValueError(f"clinic setting {key!r} is declared twice")
            specs[key] = _complete(raw if isinstance(raw, Spec) else _from_core(raw), provider.group)
    return specs


def _from_core(raw: Any) -> Spec:
    """A setting the pure core declares in its own record (the eligibility rule book's
    ``SettingSpec``: name, kind, label), as the one spec type."""
    return Spec(str(raw.name), str(raw.kind), str(raw.label))


def _complete(spec: Spec, group: str) -> Spec:
    """The spec with its provider's group when it names none, and its bounds checked."""
    return replace(
        spec,
        group=spec.group or group,
        minimum=_decimal(spec.minimum),
        maximum=_maximum(spec.name, spec.kind, spec),
        choices=tuple(spec.choices),
        gates=tuple(spec.gates),
    )
