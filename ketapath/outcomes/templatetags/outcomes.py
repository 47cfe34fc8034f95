"""``{% load outcomes %}``: read the ISO dates a stored review snapshot keeps."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import template

from ketapath.outcomes.assessment import instrument_name

register = template.Library()


@register.filter
def isodate(value: Any) -> date | Any:
    """``"2025-03-04"|isodate|date:"j M Y"``; anything else passes through."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


@register.filter
def signed_number(value: Any) -> str:
    """A change with its sign: +2, -3.5, 0."""
    if value is None:
        return "—"
    number = float(value)
    text = f"{number:+.1f}".rstrip("0").rstrip(".")
    return "0" if text in {"+0", "-0"} else text


@register.filter
def instrument_names(ids: Any) -> str:
    """Instrument ids -> their names, comma separated (e.g. "Pain NRS, PHQ-9")."""
    return ", ".join(instrument_name(i) for i in ids)
