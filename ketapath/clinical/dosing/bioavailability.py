"""Bioavailability by route, from ``data/bioavailability.toml``, shown next to non-IV doses.

>>> [(e.fraction, e.citation.source.short) for e in bioavailability(Drug.RACEMIC_KETAMINE,
...                                                                  Route.INTRANASAL)]
[(Decimal('0.45'), 'Yanagihara 2003')]
>>> bioavailability(Drug.RACEMIC_KETAMINE, Route.IM)
()
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from ketapath.clinical.datafiles import DATA_DIR, DataFileError, read_toml
from ketapath.clinical.protocols.model import Drug, Route, fmt
from ketapath.clinical.sources import Cited, require_source

BIOAVAILABILITY_FILE = DATA_DIR / "bioavailability.toml"


@dataclass(frozen=True, slots=True)
class Bioavailability:
    drug: Drug
    route: Route
    fraction: Decimal
    approximate: bool
    formulation: str
    population: str
    citation: Cited

    def systemic_mg(self, dose_mg: Decimal) -> Decimal:
        """The part of ``dose_mg`` expected to reach the circulation with this fraction."""
        return dose_mg * self.fraction

    def describe(self) -> str:
        """E.g. ``about 45% (nasal spray, 25 mg; 3 healthy volunteers; Yanagihara 2003, Abstract)``."""
        percent = fmt(self.fraction * 100)
        about = "about " if self.approximate else ""
        return f"{about}{percent}% ({self.formulation}; {self.population}; {self.citation.label()})"


@cache
def _entries() -> tuple[Bioavailability, ...]:
    path = BIOAVAILABILITY_FILE
    raw = read_toml(path)
    items = raw.get("entry")
    if set(raw) != {"entry"} or not isinstance(items, list):
        raise DataFileError(path, "must hold only [[entry]] tables")
    entries = []
    for number, item in enumerate(items, start=1):
        where = f"[[entry]] {number}"
        if not isinstance(item, dict):
            raise DataFileError(path, f"{where} must be a table")
        allowed = {
            "drug",
            "route",
            "fraction",
            "approximate",
            "formulation",
            "population",
            "source",
            "locator",
        }
        if set(item) != allowed:
            raise DataFileError(path, f"{where} needs exactly the fields {sorted(allowed)}")
        try:
            drug, route = Drug(item["drug"]), Route(item["route"])
        except ValueError as exc:
            raise DataFileError(path, f"{where}: {exc}") from None
        if route is Route.IV:
            raise DataFileError(path, f"{where}: IV is the reference (1 by definition)")
        fraction = item["fraction"]
        if isinstance(fraction, bool) or not isinstance(fraction, int | float) or not (0 < fraction <= 1):
            raise DataFileError(path, f"{where}.fraction must be a number in (0, 1]")
        if not isinstance(item["approximate"], bool):
            raise DataFileError(path, f"{where}.approximate must be true or false")
        source = require_source(path, f"{where}.source", item["source"])
        entries.append(
            Bioavailability(
                drug=drug,
                route=route,
                fraction=Decimal(repr(fraction)) if isinstance(fraction, float) else Decimal(fraction),
                approximate=item["approximate"],
                formulation=str(item["formulation"]),
                population=str(item["population"]),
                citation=Cited(source, str(item["locator"])),
            )
        )
    return tuple(entries)


def bioavailability(drug: Drug, route: Route) -> tuple[Bioavailability, ...]:
    """Every verified value for this drug and route (empty when none was verified)."""
    return tuple(e for e in _entries() if e.drug is drug and e.route is route)
