"""Every instrument definition shipped in ``data/instruments``, loaded and validated once."""

from __future__ import annotations

from functools import cache

from ketapath.clinical.datafiles import toml_files
from ketapath.clinical.instruments.loader import load_definition
from ketapath.clinical.instruments.model import Instrument


class UnknownInstrumentError(KeyError):
    """No definition has this id."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown instrument"


@cache
def all_instruments() -> dict[str, Instrument]:
    """Every definition by id, in id order. A bad file raises ``DataFileError``.

    >>> "phq-9" in all_instruments()
    True
    """
    found = {}
    for path in toml_files("instruments"):
        definition = load_definition(path)
        found[definition.id] = definition
    return dict(sorted(found.items()))


def get_instrument(instrument_id: str) -> Instrument:
    """The definition with this id.

    >>> get_instrument("gad-7").name
    'GAD-7'
    >>> get_instrument("nope")
    Traceback (most recent call last):
    ...
    ketapath.clinical.instruments.registry.UnknownInstrumentError: unknown instrument 'nope'
    """
    try:
        return all_instruments()[instrument_id]
    except KeyError:
        raise UnknownInstrumentError(f"unknown instrument {instrument_id!r}") from None


def with_purpose(purpose: str) -> tuple[Instrument, ...]:
    """The definitions whose data file lists ``purpose`` (in id order): apps look instruments up
    by what they are for, never by id.

    >>> [d.id for d in with_purpose("misuse-rescreening")]
    ['audit-c', 'dast-10']
    >>> with_purpose("no-such-purpose")
    ()
    """
    return tuple(d for d in all_instruments().values() if purpose in d.purposes)
