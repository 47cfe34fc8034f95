"""``{% load flowsheet %}``: numbers and durations as the flowsheet shows them."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import template

from ketapath.clinical.protocols import fmt

register = template.Library()


@register.filter
def num(value: Any, places: int = 2) -> str:
    """A number rounded to ``places`` without trailing zeros: 35.000 -> 35, 0.4966 -> 0.5."""
    if value is None or value == "":
        return ""
    quantum = Decimal(1).scaleb(-int(places))
    return fmt(Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP))


@register.filter
def duration(value: Any) -> str:
    """Minutes as ``41 min`` or ``2 h 05 min``."""
    if value is None:
        return ""
    total = int(Decimal(str(value)).to_integral_value(rounding=ROUND_HALF_UP))
    if total < 60:
        return f"{total} min"
    return f"{total // 60} h {total % 60:02d} min"


@register.filter
def percent(value: Any) -> str:
    if value is None:
        return ""
    return f"{Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP)} %"


@register.filter
def get(mapping: Any, key: Any) -> Any:
    return mapping.get(key) if hasattr(mapping, "get") else None
