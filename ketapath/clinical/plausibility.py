"""Physical plausibility of entered body measurements (catching typing errors).

The limits come from ``data/plausibility.toml``, each with its source.

>>> weight_problem(0)
'Weight must be more than 0 kg.'
>>> weight_problem(700)
'Weight must be at most 650 kg (the heaviest human recorded was about 635 kg).'
>>> weight_problem(72.5) is None
True
>>> weight_problem(0.1, age_years=40)
'Weight must be at least 2.1 kg from the age of 18 (the lightest adult recorded weighed about 2.1 kg).'
>>> birth_date_problem(date(1850, 1, 1), today=date(2026, 1, 1))
'The date of birth makes the patient older than 122 years (the longest verified human life).'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
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
    adult_lower: float | None = None
    adult_from_age: int | None = None


@cache
def _ranges() -> dict[str, Range]:
    raw = read_toml(_PATH)
    ranges: dict[str, Range] = {}
    for key in ("weight_kg", "height_cm", "age_years"):
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
        adult_lower: float | None = None
        adult_from: int | None = None
        if "adult_minimum" in entry:
            adult_lower = float(entry["adult_minimum"])
            adult_from = int(entry["adult_from_age_years"])
            require_source(_PATH, f"[{key}].adult_source", entry.get("adult_source"))
            if not (lower <= adult_lower < upper and 0 < adult_from < 30):
                raise DataFileError(_PATH, f"[{key}] adult_minimum/adult_from_age_years out of range")
        ranges[key] = Range(lower, inclusive, upper, source, adult_lower, adult_from)
    return ranges


def _problem(
    key: str, value: float | Decimal, label: str, unit: str, why: str, age_years: int | None, adult_why: str
) -> str | None:
    r = _ranges()[key]
    v = float(value)
    if v != v or v in (float("inf"), float("-inf")):
        return f"{label} must be a number."
    if (v < r.lower) if r.lower_inclusive else (v <= r.lower):
        word = "at least" if r.lower_inclusive else "more than"
        return f"{label} must be {word} {r.lower:g} {unit}."
    if v > r.upper:
        return f"{label} must be at most {r.upper:g} {unit} ({why})."
    adult = r.adult_from_age is not None and age_years is not None and age_years >= r.adult_from_age
    if adult and r.adult_lower is not None and v < r.adult_lower:
        return (
            f"{label} must be at least {r.adult_lower:g} {unit} from the age of {r.adult_from_age} "
            f"({adult_why})."
        )
    return None


def weight_problem(weight_kg: float | Decimal, age_years: int | None = None) -> str | None:
    """A one-sentence reason the weight cannot be right (at ``age_years``, if known), or None."""
    return _problem(
        "weight_kg",
        weight_kg,
        "Weight",
        "kg",
        "the heaviest human recorded was about 635 kg",
        age_years,
        "the lightest adult recorded weighed about 2.1 kg",
    )


def height_problem(height_cm: float | Decimal, age_years: int | None = None) -> str | None:
    """A one-sentence reason the height cannot be right (at ``age_years``, if known), or None."""
    return _problem(
        "height_cm",
        height_cm,
        "Height",
        "cm",
        "the tallest human recorded was 272 cm",
        age_years,
        "the shortest adult recorded was 54.6 cm",
    )


def max_age_years() -> int:
    """The longest verified human life, in whole years (the oldest a patient can be)."""
    return int(_ranges()["age_years"].upper)


def age_in_years(born: date, day: date) -> int:
    """Completed years from ``born`` to ``day``."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def birth_date_problem(born: date, today: date) -> str | None:
    """A one-sentence reason the date of birth cannot be right on ``today``, or None."""
    if born > today:
        return "Date of birth cannot be in the future."
    if age_in_years(born, today) > max_age_years():
        return (
            f"The date of birth makes the patient older than {max_age_years()} years "
            "(the longest verified human life)."
        )
    return None


def limits_source(key: str) -> Source:
    """The source behind a limit (``weight_kg``, ``height_cm`` or ``age_years``)."""
    return _ranges()[key].source
