"""Every clinic setting the clinical core reads, gathered from the modules that declare them.

A provider is a zero-argument function returning objects with ``name``, ``kind`` and ``label``
(and optionally ``unit``, ``minimum``, ``maximum``, ``choices``, ``group``, ``help``, ``gates``).
``gates`` names what the setting is a safety setting for: while it is unset, each gated step stops
(``"plan"``: a plan cannot be approved; ``"infusion"``: an infusion cannot start;
``"escalation"``: critical alerts cannot be escalated). A gate may be limited to one route with
``"plan@iv"``. See :mod:`ketapath.clinic_settings.readiness`. Kinds:

- ``days``: a whole number of days, 0 or more;
- ``integer`` / ``decimal``: a number in ``unit`` within ``minimum``..``maximum`` when given;
- ``policy``: what the clinic does when a rule applies: blocks, caution or info;
- ``choice``: one of ``choices``;
- ``email``: an e-mail address (for example the on-call prescriber's).
"""

from __future__ import annotations

import importlib
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
            try:
                value: int | Decimal = int(text)
            except ValueError:
                raise ValueError(f"{self.label}: give a whole number.") from None
            if self.kind == "days" and value < 0:
                raise ValueError(f"{self.label}: give 0 or more days.")
        elif self.kind == "decimal":
            try:
                value = Decimal(text)
            except InvalidOperation:
                raise ValueError(f"{self.label}: give a number.") from None
            if not value.is_finite():
                raise ValueError(f"{self.label}: give a number.")
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
            specs[key] = Spec(
                key=key,
                kind=str(raw.kind),
                label=str(raw.label),
                group=getattr(raw, "group", "") or group,
                unit=getattr(raw, "unit", ""),
                minimum=_decimal(getattr(raw, "minimum", None)),
                maximum=_decimal(getattr(raw, "maximum", None)),
                choices=tuple(getattr(raw, "choices", ()) or ()),
                help=getattr(raw, "help", ""),
                gates=tuple(getattr(raw, "gates", ()) or ()),
            )
    return specs
