"""Every clinic setting the clinical core reads, gathered from the modules that declare them.

A provider is a zero-argument function returning objects with ``name``, ``kind`` and ``label``
(and optionally ``unit``, ``minimum``, ``maximum``, ``choices``, ``group``, ``help``, ``gates``).
``gates`` names what the setting is a safety setting for: while it is unset, each gated step stops
(``"plan"``: a plan cannot be approved; ``"infusion"``: an infusion cannot start;
``"escalation"``: critical alerts cannot be escalated). A gate may be limited to one route with
``"plan@iv"``. See :mod:`ketapath.clinic_settings.readiness`. Kinds:

- ``days``: a whole number of days, 0 or more, at most ``maximum`` (or :data:`DAYS_CEILING`);
- ``integer`` / ``decimal``: a number in ``unit`` within ``minimum``..``maximum``. A provider must
  give every ``integer`` and ``decimal`` setting a finite ``maximum``: one without is refused when
  the registry loads (issue 13: an unbounded setting let ``1e308`` or a lead of 99999999999 days
  through and crashed the reminder run). A ``decimal`` is finite (no NaN, sNaN or infinity) with at
  most :data:`MAX_DIGITS` digits, :data:`MAX_PLACES` of them after the point;
- ``policy``: what the clinic does when a rule applies: blocks, caution or info;
- ``choice``: one of ``choices``;
- ``email``: an e-mail address (for example the on-call prescriber's).
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

PROVIDERS: list[tuple[str, str]] = [
    ("Eligibility", "ketapath.clinical.eligibility.setting_specs"),
    ("Treatment plans", "ketapath.plans.limits.setting_specs"),
    ("Infusion sessions", "ketapath.infusions.settings_specs.setting_specs"),
    ("Follow-up and reminders", "ketapath.outcomes.clinic_choices.setting_specs"),
    ("Critical alerts", "ketapath.alerts.settings_specs.setting_specs"),
]

# A ``days`` setting with no maximum of its own (the eligibility rule book's recency settings) is
# capped at ten years: every ``days`` setting here is an age, a gap or a lead time within a course
# of care. A typing-error guard, no source.
DAYS_CEILING = Decimal(3650)
MAX_DIGITS = 12  # digits in a setting's number; far more than any clinical setting needs
MAX_PLACES = 4  # digits after the point; the smallest step any setting uses is 0.001
_INTEGER = re.compile(r"-?[0-9]{1,12}")  # ASCII digits only: int() would also take "1_0" or "٣"
_DECIMAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")  # plain notation: no NaN, inf or 1e308
NUMERIC_KINDS = frozenset({"days", "integer", "decimal"})

POLICY_CHOICES = (
    ("blocks", "Not eligible now"),
    ("caution", "Eligible with a caution"),
    ("info", "Note only"),
)


@dataclass(frozen=True)
class Spec:
    key: str
    kind: str
    label: str
    group: str
    unit: str = ""
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    choices: tuple[tuple[str, str], ...] = ()
    help: str = ""
    gates: tuple[str, ...] = ()

    def parse(self, raw: str) -> int | Decimal | str:
        """The stored text as a value of this kind; ValueError with a sentence when it is not."""
        text = raw.strip()
        if self.kind in {"days", "integer"}:
            if not _INTEGER.fullmatch(text):
                raise ValueError(f"{self.label}: give a whole number.")
            value: int | Decimal = int(text)
            if self.kind == "days" and value < 0:
                raise ValueError(f"{self.label}: give 0 or more days.")
        elif self.kind == "decimal":
            if not _DECIMAL.fullmatch(text):
                raise ValueError(f"{self.label}: give a number, like 12.5.")
            try:
                value = Decimal(text)
            except InvalidOperation:  # pragma: no cover - the pattern admits only plain numbers
                raise ValueError(f"{self.label}: give a number.") from None
            digits, _, places = text.lstrip("-").partition(".")
            if not value.is_finite() or len((digits + places).lstrip("0")) > MAX_DIGITS:
                raise ValueError(f"{self.label}: give a number of at most {MAX_DIGITS} digits.")
            if len(places) > MAX_PLACES:
                raise ValueError(f"{self.label}: give at most {MAX_PLACES} digits after the point.")
        elif self.kind == "email":
            try:
                validate_email(text)
            except ValidationError:
                raise ValueError(f"{self.label}: give an e-mail address.") from None
            return text
        else:
            allowed = {c for c, _ in (POLICY_CHOICES if self.kind == "policy" else self.choices)}
            if text not in allowed:
                raise ValueError(f"{self.label}: choose one of the options.")
            return text
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"{self.label}: at least {self.minimum} {self.unit}".rstrip() + ".")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"{self.label}: at most {self.maximum} {self.unit}".rstrip() + ".")
        return value


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
    specs: dict[str, Spec] = {}
    for group, path in PROVIDERS:
        module, _, name = path.rpartition(".")
        for raw in getattr(importlib.import_module(module), name)():
            key = str(raw.name)
            if key in specs:
                raise ValueError(f"clinic setting {key!r} is declared twice")
            kind = str(raw.kind)
            specs[key] = Spec(
                key=key,
                kind=kind,
                label=str(raw.label),
                group=getattr(raw, "group", "") or group,
                unit=getattr(raw, "unit", ""),
                minimum=_decimal(getattr(raw, "minimum", None)),
                maximum=_maximum(key, kind, raw),
                choices=tuple(getattr(raw, "choices", ()) or ()),
                help=getattr(raw, "help", ""),
                gates=tuple(getattr(raw, "gates", ()) or ()),
            )
    return specs
