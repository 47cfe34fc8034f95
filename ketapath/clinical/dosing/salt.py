"""Converting milligrams between ketamine base and ketamine hydrochloride.

The molar masses come from one place, the PK substances table (``data/pk_models/substances.toml``,
computed from the formulas with cited atomic weights): hydrochloride mg x 237.7 / 274.2 = base mg.

>>> round(convert_mg(Decimal(100), SaltBasis.HYDROCHLORIDE, SaltBasis.BASE), 2)
Decimal('86.70')
>>> convert_mg(Decimal(10), SaltBasis.BASE, SaltBasis.BASE)
Decimal('10')
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache

from ketapath.clinical.pharmacokinetics.substances import substances
from ketapath.clinical.protocols.model import SaltBasis, as_decimal


class SaltBasisUnknownError(ValueError):
    """A conversion needs to know whether the milligrams are of base or of hydrochloride."""


@cache
def base_per_hydrochloride() -> Decimal:
    """Mass of ketamine base in one unit mass of ketamine hydrochloride (about 0.867)."""
    table = substances()
    base = as_decimal(table["ketamine"].molar_mass_g_per_mol)
    salt = as_decimal(table["ketamine-hydrochloride"].molar_mass_g_per_mol)
    return base / salt


def convert_mg(mg: Decimal, from_basis: SaltBasis, to_basis: SaltBasis) -> Decimal:
    """``mg`` stated as ``from_basis`` expressed as ``to_basis``.

    Raises :class:`SaltBasisUnknownError` when the two differ and either is unstated.
    """
    if from_basis is to_basis:
        return mg
    if SaltBasis.UNSTATED in (from_basis, to_basis):
        raise SaltBasisUnknownError(
            "cannot convert: whether the milligrams are of ketamine base or hydrochloride is not stated"
        )
    factor = base_per_hydrochloride()
    return mg * factor if from_basis is SaltBasis.HYDROCHLORIDE else mg / factor


def comparable(mg: Decimal, from_basis: SaltBasis, to_basis: SaltBasis) -> tuple[Decimal, bool]:
    """``mg`` in ``to_basis`` when convertible, else unchanged; the flag says it was convertible."""
    try:
        return convert_mg(mg, from_basis, to_basis), True
    except SaltBasisUnknownError:
        return mg, False
