"""The one type a clinic setting is declared with.

Every app declares the clinic settings it reads as :class:`Spec` values, returned by a provider
function the registry lists (``ketapath.clinic_settings.registry``); the registry fills in the
group and the numeric bounds and keeps the same type. ``parse`` turns stored text into a value of
the setting's kind, refusing what does not fit with a sentence for the user.

Kinds: ``days``, ``integer``, ``decimal``, ``policy``, ``choice`` and ``email`` (see the registry).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

MAX_DIGITS = 12  # digits in a setting's number; far more than any clinical setting needs
MAX_PLACES = 4  # digits after the point; the smallest step any setting uses is 0.001
_INTEGER = re.compile(r"-?[0-9]{1,12}")  # ASCII digits only: int() would also take "1_0" or "٣"
_DECIMAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")  # plain notation: no NaN, inf or 1e308

POLICY_CHOICES = (
    ("blocks", "Not eligible now"),
    ("caution", "Eligible with a caution"),
    ("info", "Note only"),
)


@dataclass(frozen=True)
class Spec:
    """One clinic setting: its key (``name``), kind, label and bounds.

    ``group`` is the heading it is listed under on the settings page (empty: the provider's group).
    ``gates`` names what the setting is a safety setting for (see the registry).
    """

    name: str
    kind: str
    label: str
    unit: str = ""
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    choices: tuple[tuple[str, str], ...] = ()
    group: str = ""
    help: str = ""
    gates: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The key the clinic's value is stored under (the same as ``name``)."""
        return self.name

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
