"""Molar masses of the dosed and measured substances, and the salt-to-base dose conversion.

Masses are computed from each substance's molecular formula in ``data/pk_models/substances.toml``
with the cited atomic weights; a substance that states a reference molar mass must agree with the
computed one to 0.1 g/mol, or loading stops.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ketapath.clinical.datafiles import DATA_DIR, DataFileError, read_toml
from ketapath.clinical.sources import Cited, require_source

from .errors import PKInputError

SUBSTANCES_FILE = DATA_DIR / "pk_models" / "substances.toml"
_TERM = re.compile(r"([A-Z][a-z]?)(\d*)")


@dataclass(frozen=True, slots=True)
class Substance:
    """One substance: its formula and molar mass (g/mol)."""

    id: str
    name: str
    formula: str
    molar_mass_g_per_mol: float
    cited: Cited


def formula_mass(formula: str, atomic_weights: dict[str, float]) -> float:
    """Molar mass (g/mol) of a formula such as ``C13H16ClNO.HCl``.

    >>> round(formula_mass("C13H16ClNO", {"C": 12.011, "H": 1.008, "Cl": 35.45,
    ...                                    "N": 14.007, "O": 15.999}), 2)
    237.73
    """
    total = 0.0
    for part in formula.split("."):
        if not part or "".join(a + b for a, b in _TERM.findall(part)) != part:
            raise ValueError(f"formula {formula!r} is not a plain molecular formula")
        for element, count in _TERM.findall(part):
            if element not in atomic_weights:
                raise ValueError(f"formula {formula!r} uses {element}, which has no atomic weight")
            total += atomic_weights[element] * (int(count) if count else 1)
    return total


def _number(path: Path, where: str, raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw) or raw <= 0:
        raise DataFileError(path, f"{where} must be a positive number")
    return float(raw)


def load_substances(path: Path = SUBSTANCES_FILE) -> dict[str, Substance]:
    """Read and validate the substances file."""
    data = read_toml(path)
    weights_raw = data.get("atomic_weights")
    if not isinstance(weights_raw, dict):
        raise DataFileError(path, "lacks an [atomic_weights] table")
    require_source(path, "[atomic_weights]", weights_raw.get("source"))
    weights = {
        key: _number(path, f"atomic weight of {key}", value)
        for key, value in weights_raw.items()
        if key not in ("source", "locator")
    }
    found: dict[str, Substance] = {}
    for key, raw in dict(data.get("substances", {})).items():
        where = f"substance {key!r}"
        if not isinstance(raw, dict) or not isinstance(raw.get("formula"), str):
            raise DataFileError(path, f"{where} needs a formula")
        source = require_source(path, where, raw.get("source"))
        try:
            mass = formula_mass(raw["formula"], weights)
        except ValueError as exc:
            raise DataFileError(path, f"{where}: {exc}") from None
        if "reference_molar_mass_g_per_mol" in raw:
            reference = _number(path, f"{where} reference molar mass", raw["reference_molar_mass_g_per_mol"])
            if abs(reference - mass) > 0.1:
                raise DataFileError(
                    path, f"{where} formula gives {mass:.2f} g/mol, not the cited {reference} g/mol"
                )
        found[key] = Substance(
            key, str(raw.get("name", key)), raw["formula"], mass, Cited(source, str(raw.get("locator", "")))
        )
    if "ketamine" not in found or "ketamine-hydrochloride" not in found:
        raise DataFileError(path, "must define ketamine and ketamine-hydrochloride")
    return found


@cache
def substances() -> dict[str, Substance]:
    """Every substance, by id (cached)."""
    return load_substances()


def base_mg_from_hydrochloride_mg(hydrochloride_mg: float) -> float:
    """Milligrams of ketamine base in a dose labelled as ketamine hydrochloride.

    >>> round(base_mg_from_hydrochloride_mg(100.0), 2)
    86.7
    """
    if not math.isfinite(hydrochloride_mg) or hydrochloride_mg < 0:
        raise PKInputError("a hydrochloride dose must be a non-negative number of mg")
    table = substances()
    ratio = table["ketamine"].molar_mass_g_per_mol / table["ketamine-hydrochloride"].molar_mass_g_per_mol
    return hydrochloride_mg * ratio
