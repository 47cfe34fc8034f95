"""Physical plausibility of entered body measurements (catching typing errors).

The limits come from ``data/plausibility.toml``, each with its source.

>>> weight_problem(0)
'Weight must be more than 0 kg.'
>>> weight_problem(700)
'Weight must be at most 650 kg (the heaviest human recorded was about 635 kg).'
>>> weight_problem(72.5) is None
True
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from ketapath.clinical.datafiles import DATA_DIR, DataFileError, read_toml
from ketapath.clinical.sources import Source, require_source

_PATH = DATA_DIR / "plausibility.toml"


@dataclass(frozen=True, slots=True)
class Range:
    lower: float
    lower_inclusive: bool
    upper: float
    source: Source


@cache
def _ranges() -> dict[str, Range]:
    raw = read_toml(_PATH)
    ranges: dict[str, Range] = {}
    for key in ("weight_kg", "height_cm"):
        entry = raw.get(key)
        if not isinstance(entry, dict):
            raise DataFileError(_PATH, f"[{key}] is missing")
        if "minimum_exclusive" in entry:
            lower, inclusive = float(entry["minimum_exclusive"]), False
        else:
            lower, inclusive = float(entry["minimum"]), True
        upper = float(entry["maximum"])
        if not lower < upper:
            raise DataFileError(_PATH, f"[{key}] minimum must be below maximum")
        source = require_source(_PATH, f"[{key}].source", entry.get("source"))
        ranges[key] = Range(lower, inclusive, upper, source)
    return ranges


def _problem(key: str, value: float | Decimal, label: str, unit: str, why: str) -> str | None:
    r = _ranges()[key]
    v = float(value)
    if (v < r.lower) if r.lower_inclusive else (v <= r.lower):
        word = "at least" if r.lower_inclusive else "more than"
        return f"{label} must be {word} {r.lower:g} {unit}."
    if v > r.upper:
        return f"{label} must be at most {r.upper:g} {unit} ({why})."
    return None


def weight_problem(weight_kg: float | Decimal) -> str | None:
    """A one-sentence reason the weight cannot be right, or None."""
    return _problem("weight_kg", weight_kg, "Weight", "kg", "the heaviest human recorded was about 635 kg")


def height_problem(height_cm: float | Decimal) -> str | None:
    """A one-sentence reason the height cannot be right, or None."""
    return _problem("height_cm", height_cm, "Height", "cm", "the tallest human recorded was 272 cm")


def limits_source(key: str) -> Source:
    """The source behind a measurement's limits (``weight_kg`` or ``height_cm``)."""
    return _ranges()[key].source
