"""Rule conditions (``when``) and their three-valued evaluation.

A condition is read from TOML as a table:

- ``{ field = "pregnant", is = true }``: a yes/no fact;
- ``{ field = "hepatic_disease", in = ["moderate", "severe"] }``: a choice;
- ``{ field = "phq9_item9", at_least = 1 }``: a number;
- ``{ field = "active_substance_misuse", known = false }``: whether a fact is recorded;
- ``{ any = [...] }`` and ``{ all = [...] }``.

Evaluation is Kleene's three-valued logic: an unrecorded fact (``None``) makes a test *unknown*;
``any`` is true if one part is true, false if all are false, otherwise unknown; ``all`` the
reverse. ``known`` is never unknown.

>>> e = AnyOf((Is("pregnant", True), AtLeast("phq9_item9", 1)))
>>> evaluate(e, {"pregnant": False, "phq9_item9": None}) is None
True
>>> evaluate(e, {"pregnant": None, "phq9_item9": 2})
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ketapath.clinical.datafiles import DataFileError
from ketapath.clinical.eligibility.model import FIELDS, FieldSpec


@dataclass(frozen=True, slots=True)
class Is:
    field: str
    value: bool


@dataclass(frozen=True, slots=True)
class In:
    field: str
    values: frozenset[str]


@dataclass(frozen=True, slots=True)
class AtLeast:
    field: str
    minimum: int


@dataclass(frozen=True, slots=True)
class Known:
    field: str
    known: bool


@dataclass(frozen=True, slots=True)
class AnyOf:
    parts: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class AllOf:
    parts: tuple[Expr, ...]


Expr = Is | In | AtLeast | Known | AnyOf | AllOf


def evaluate(expr: Expr, values: Mapping[str, object]) -> bool | None:
    """True, False, or None (unknown) for the facts in ``values``."""
    if isinstance(expr, Known):
        return (values.get(expr.field) is not None) == expr.known
    if isinstance(expr, AnyOf | AllOf):
        results = [evaluate(part, values) for part in expr.parts]
        decisive = isinstance(expr, AnyOf)  # the value that settles the whole
        if decisive in results:
            return decisive
        return None if None in results else not decisive
    value = values.get(expr.field)
    if value is None:
        return None
    if isinstance(expr, Is):
        return value is expr.value
    if isinstance(expr, In):
        return value in expr.values
    return isinstance(value, int) and value >= expr.minimum


def unknown_fields(expr: Expr, values: Mapping[str, object]) -> tuple[str, ...]:
    """The fields the condition tests whose value is not recorded (``known`` tests excepted)."""
    if isinstance(expr, Known):
        return ()
    if isinstance(expr, AnyOf | AllOf):
        seen: dict[str, None] = {}
        for part in expr.parts:
            seen.update(dict.fromkeys(unknown_fields(part, values)))
        return tuple(seen)
    return (expr.field,) if values.get(expr.field) is None else ()


def _spec(path: Path, where: str, name: object) -> FieldSpec:
    if not isinstance(name, str) or name not in FIELDS:
        raise DataFileError(path, f"{where} names unknown field {name!r}")
    return FIELDS[name]


def parse(path: Path, where: str, raw: Any) -> Expr:
    """Read and check a condition table (see the module doc); :class:`DataFileError` if bad."""
    if not isinstance(raw, dict):
        raise DataFileError(path, f"{where} must be a table")
    for key, cls in (("any", AnyOf), ("all", AllOf)):
        if key in raw:
            parts = raw[key]
            if set(raw) != {key} or not isinstance(parts, list) or not parts:
                raise DataFileError(path, f"{where}.{key} must be the only key, a non-empty list")
            return cls(tuple(parse(path, f"{where}.{key}[{i}]", p) for i, p in enumerate(parts)))
    spec = _spec(path, where, raw.get("field"))
    tests = set(raw) - {"field"}
    if len(tests) != 1:
        raise DataFileError(path, f"{where} needs exactly one of is, in, at_least, known")
    test = tests.pop()
    arg = raw[test]
    if test == "known" and isinstance(arg, bool):
        return Known(spec.name, arg)
    if test == "is" and spec.kind == "bool" and isinstance(arg, bool):
        return Is(spec.name, arg)
    if test == "in" and spec.kind == "choice" and isinstance(arg, list) and arg:
        unknown = [v for v in arg if v not in spec.choices]
        if unknown:
            raise DataFileError(path, f"{where}: {unknown} not among {list(spec.choices)}")
        return In(spec.name, frozenset(str(v) for v in arg))
    if (
        test == "at_least"
        and spec.kind == "int"
        and isinstance(arg, int)
        and not isinstance(arg, bool)
        and spec.minimum <= arg <= spec.maximum
    ):
        return AtLeast(spec.name, arg)
    raise DataFileError(path, f"{where}: {test} = {arg!r} does not fit field {spec.name!r}")
