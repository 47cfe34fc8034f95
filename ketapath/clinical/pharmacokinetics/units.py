"""Units: every conversion the PK core makes lives here.

Internally the core works in litres, minutes and milligrams: volumes in L, clearances in L/min,
rate constants in 1/min, times in min, amounts in mg and concentrations in mg/L. Concentrations
leave the core in ng/mL (1 mg/L = 1000 ng/mL).
"""

from __future__ import annotations

from typing import Final, NamedTuple


class UnitSpec(NamedTuple):
    """What a published unit measures and the factor to the internal unit."""

    kind: str
    factor: float
    per_kg: bool


# Published unit -> (quantity, factor to the internal unit, value is per kg of body weight).
UNITS: Final[dict[str, UnitSpec]] = {
    "L": UnitSpec("volume", 1.0, False),
    "L/kg": UnitSpec("volume", 1.0, True),
    "L/min": UnitSpec("clearance", 1.0, False),
    "L/h": UnitSpec("clearance", 1.0 / 60.0, False),
    "1/min": UnitSpec("rate", 1.0, False),
    "1/h": UnitSpec("rate", 1.0 / 60.0, False),
    "min": UnitSpec("time", 1.0, False),
    "h": UnitSpec("time", 60.0, False),
    "s": UnitSpec("time", 1.0 / 60.0, False),
    "fraction": UnitSpec("fraction", 1.0, False),
}

NG_PER_ML_PER_MG_PER_L: Final = 1000.0


def to_internal(value: float, unit: str) -> float:
    """Convert a published value to the internal unit of its quantity.

    >>> to_internal(90.0, "L/h")
    1.5
    >>> round(to_internal(11.0, "s"), 6)
    0.183333
    """
    return value * UNITS[unit].factor


def mg_per_l_to_ng_per_ml(conc_mg_per_l: float) -> float:
    """Convert mg/L to ng/mL.

    >>> mg_per_l_to_ng_per_ml(0.24)
    240.0
    """
    return conc_mg_per_l * NG_PER_ML_PER_MG_PER_L


def rate_mg_per_kg_per_h(rate_mg_per_min: float, weight_kg: float) -> float:
    """Convert a pump rate in mg/min to mg/kg/h for a patient.

    >>> rate_mg_per_kg_per_h(0.875, 70.0)
    0.75
    """
    return rate_mg_per_min * 60.0 / weight_kg
