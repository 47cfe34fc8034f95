"""Reading protocols from ``data/protocols/*.toml`` and from plain mappings (a clinic's own).

One protocol per file, its ``id`` equal to the file name. A clinic's protocol comes from the
database as a mapping of the same shape and is validated by the same code
(:func:`protocol_from_mapping`), with ``local = true`` and the ``author`` who wrote it instead of a
``source``.

A dose parameter is written as a number (fixed by the source), a table ``{min = .., max = ..}`` or
``{choices = [..]}``, or the word ``"prescriber"`` when the source leaves it open. Every parameter
the dose kind uses must be written, so that "the source does not say" is explicit.

A published protocol also says how its dose is given (``[dose] given = "infusion"`` or
``"at-once"``), which must match its kind: nothing is given at once unless its data says so. An
infusion may allow an optional bolus before it (``[dose.bolus]``, with the ceiling and the source
that states it). A stated salt basis (base or hydrochloride) needs its source
(``salt_basis_source``, ``salt_basis_locator``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any, Final, TypeVar

from ketapath.clinical.datafiles import DataFileError, read_toml, toml_files
from ketapath.clinical.protocols.model import (
    INFUSED_KINDS,
    MAX_EVERY_DAYS,
    MAX_PHASE_SESSIONS,
    MAX_PHASES,
    MAX_WEEKS,
    OPEN,
    Bolus,
    DoseKind,
    DoseRule,
    Drug,
    Evidence,
    Given,
    Param,
    Phase,
    Premedication,
    Protocol,
    ProtocolMonitoring,
    RateUnit,
    Route,
    SaltBasis,
    Schedule,
    SessionLimits,
    Setting,
    Titration,
    given_for,
)
from ketapath.clinical.sources import Cited, Source, require_source

PRESCRIBER: Final = "prescriber"
#: The longest text a protocol field may hold: typing-error guard, no source (the longest line of a
#: published protocol file is under 700 characters).
MAX_TEXT_LENGTH: Final = 5000

_KIND_PARAMS: Final[Mapping[DoseKind, tuple[str, ...]]] = {
    DoseKind.PER_KG_OVER_DURATION: ("dose_mg_per_kg", "duration_min"),
    DoseKind.PER_KG_RATE: ("rate_mg_per_kg_per_h", "duration_min"),
    DoseKind.FIXED_RATE: ("rate_mg_per_h", "duration_min"),
    DoseKind.FIXED_TOTAL: ("dose_mg", "duration_min"),
    DoseKind.TITRATION: ("duration_min",),
    DoseKind.FIXED_DOSE: ("dose_mg",),
    DoseKind.PER_KG_DOSE: ("dose_mg_per_kg",),
}
_ALL_PARAMS: Final = ("dose_mg_per_kg", "dose_mg", "rate_mg_per_kg_per_h", "rate_mg_per_h", "duration_min")
_TOP_KEYS: Final = frozenset(
    {
        "id",
        "name",
        "indication",
        "condition_group",
        "drug",
        "salt_basis",
        "salt_basis_source",
        "salt_basis_locator",
        "route",
        "setting",
        "source",
        "locator",
        "verified",
        "local",
        "author",
        "notes",
        "dose",
        "limits",
        "schedule",
        "premedication",
        "monitoring",
        "evidence",
    }
)

E = TypeVar("E", Drug, SaltBasis, Route, Setting, DoseKind, RateUnit, Given)


class ProtocolError(DataFileError):
    """A protocol (file or database row) does not validate."""


class _Reader:
    """Validation helpers that raise :class:`ProtocolError` naming the origin and the field."""

    def __init__(self, origin: Path | str) -> None:
        self.origin = origin

    def fail(self, message: str) -> ProtocolError:
        return ProtocolError(self.origin, message)

    def table(self, raw: Mapping[str, Any], key: str, *, required: bool = False) -> dict[str, Any]:
        value = raw.get(key)
        if value is None:
            if required:
                raise self.fail(f"[{key}] is missing")
            return {}
        if not isinstance(value, Mapping):
            raise self.fail(f"[{key}] must be a table")
        return dict(value)

    def text(self, raw: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str:
        value = raw.get(key, "")
        if not isinstance(value, str):
            raise self.fail(f"{where}{key} must be text")
        if required and not value.strip():
            raise self.fail(f"{where}{key} is missing")
        if len(value) > MAX_TEXT_LENGTH:
            raise self.fail(f"{where}{key} must be at most {MAX_TEXT_LENGTH} characters")
        return value.strip()

    def enum(self, kind: type[E], raw: Mapping[str, Any], key: str, where: str = "") -> E:
        value = raw.get(key)
        try:
            return kind(str(value))
        except ValueError:
            allowed = ", ".join(member.value for member in kind)
            raise self.fail(f"{where}{key} {value!r} must be one of: {allowed}") from None

    def number(self, value: object, where: str, *, positive: bool = True) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            raise self.fail(f"{where} must be a number, not {value!r}")
        try:
            number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        except InvalidOperation:
            raise self.fail(f"{where} must be a number, not {value!r}") from None
        if not number.is_finite():
            raise self.fail(f"{where} must be a finite number")
        if positive and number <= 0:
            raise self.fail(f"{where} must be more than 0, not {value!r}")
        if not positive and number < 0:
            raise self.fail(f"{where} must not be negative, not {value!r}")
        return number

    def optional_number(self, raw: Mapping[str, Any], key: str, where: str) -> Decimal | None:
        if key not in raw:
            return None
        return self.number(raw[key], f"{where}{key}")

    def integer(self, value: object, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise self.fail(f"{where} must be a whole number more than 0, not {value!r}")
        return value

    def optional_integer(self, raw: Mapping[str, Any], key: str, where: str) -> int | None:
        return None if key not in raw else self.integer(raw[key], f"{where}{key}")

    def cited(self, raw: Mapping[str, Any], where: str, *, required: bool) -> Cited | None:
        if "source" not in raw:
            if required:
                raise self.fail(f"{where}source is missing")
            return None
        source = self.source(raw["source"], f"{where}source")
        locator = raw.get("locator", "")
        if not isinstance(locator, str):
            raise self.fail(f"{where}locator must be text")
        return Cited(source, locator)

    def source(self, source_id: object, where: str) -> Source:
        try:
            return require_source(Path(str(self.origin)), where, source_id)
        except DataFileError as exc:
            raise self.fail(exc.message) from None

    def unknown(self, raw: Mapping[str, Any], allowed: Iterable[str], where: str) -> None:
        extra = sorted(set(raw) - set(allowed))
        if extra:
            raise self.fail(f"{where} has unknown fields {extra}")


def _param(reader: _Reader, raw: object, where: str) -> Param:
    if raw == PRESCRIBER:
        return OPEN
    if isinstance(raw, Mapping):
        reader.unknown(raw, ("min", "max", "min_exclusive", "choices"), where)
        if "choices" in raw:
            if set(raw) != {"choices"}:
                raise reader.fail(f"{where} gives choices and a range: give one")
            choices = raw["choices"]
            if not isinstance(choices, list) or not choices:
                raise reader.fail(f"{where}.choices must be a non-empty list of numbers")
            values = tuple(reader.number(c, f"{where}.choices") for c in choices)
            if len(set(values)) != len(values):
                raise reader.fail(f"{where}.choices repeats a value")
            return Param(choices=tuple(sorted(values)))
        minimum = reader.number(raw["min"], f"{where}.min") if "min" in raw else None
        maximum = reader.number(raw["max"], f"{where}.max") if "max" in raw else None
        if minimum is None and maximum is None:
            raise reader.fail(f"{where} needs min, max or choices")
        if minimum is not None and maximum is not None and minimum > maximum:
            raise reader.fail(f"{where}.min must not be above {where}.max")
        exclusive = raw.get("min_exclusive", False)
        if not isinstance(exclusive, bool):
            raise reader.fail(f"{where}.min_exclusive must be true or false")
        if exclusive and minimum is None:
            raise reader.fail(f"{where}.min_exclusive needs a min")
        return Param(minimum=minimum, maximum=maximum, minimum_exclusive=exclusive)
    return Param.fixed(reader.number(raw, where))


def _given(reader: _Reader, raw: Mapping[str, Any], kind: DoseKind, *, required: bool) -> Given | None:
    """How the dose is given, as written; it must agree with the kind."""
    if "given" not in raw:
        if required:
            expected = given_for(kind).value
            raise reader.fail(f'[dose].given is missing: write given = "{expected}" for kind {kind.value!r}')
        return None
    given = reader.enum(Given, raw, "given", "[dose].")
    if given is not given_for(kind):
        raise reader.fail(
            f"[dose].given {given.value!r} does not fit kind {kind.value!r}: "
            f"{kind.value!r} is given as {given_for(kind).value!r}"
        )
    return given


def _bolus(reader: _Reader, raw: object, kind: DoseKind) -> Bolus | None:
    if raw is None:
        return None
    where = "[dose.bolus]"
    if not isinstance(raw, Mapping):
        raise reader.fail(f"{where} must be a table")
    if kind not in INFUSED_KINDS:
        raise reader.fail(f"{where} is a bolus before an infusion: kind {kind.value!r} is not one")
    reader.unknown(raw, ("mg_per_kg", "source", "locator"), where)
    if "mg_per_kg" not in raw:
        raise reader.fail(f"{where}.mg_per_kg is missing")
    param = _param(reader, raw["mg_per_kg"], f"{where}.mg_per_kg")
    if param.upper is None:
        raise reader.fail(f"{where}.mg_per_kg needs the ceiling its source states (max)")
    return Bolus(param, reader.cited(raw, f"{where}.", required=True))


def _dose(reader: _Reader, raw: Mapping[str, Any], route: Route, *, local: bool = False) -> DoseRule:
    where = "[dose]"
    kind = reader.enum(DoseKind, raw, "kind", f"{where}.")
    used = _KIND_PARAMS[kind]
    extras: tuple[str, ...] = ("titration",) if kind is DoseKind.TITRATION else ()
    if kind is DoseKind.FIXED_DOSE:
        extras = ("first_dose_mg", "device_mg", "device_interval_min")
    reader.unknown(raw, ("kind", "reported", "given", "bolus", *used, *extras), where)
    given = _given(reader, raw, kind, required=not local)
    bolus = _bolus(reader, raw.get("bolus"), kind)
    for name in _ALL_PARAMS:
        if name in used and name not in raw:
            raise reader.fail(
                f'{where}.{name} is missing (write "{PRESCRIBER}" if the source leaves it open)'
            )
    params = {name: _param(reader, raw[name], f"{where}.{name}") for name in used}
    if kind in INFUSED_KINDS and route is not Route.IV:
        raise reader.fail(f"{where}.kind {kind.value!r} is an infusion: route must be 'iv'")
    if kind not in INFUSED_KINDS and route is Route.IV:
        raise reader.fail(f"{where}.kind {kind.value!r} is not an infusion: use an infusion kind")
    titration = None
    if kind is DoseKind.TITRATION:
        t = reader.table(raw, "titration", required=True)
        tw = f"{where}.titration"
        reader.unknown(t, ("unit", "start", "step", "interval_min", "ceiling"), tw)
        for name in ("start", "step", "interval_min", "ceiling"):
            if name not in t:
                raise reader.fail(
                    f'{tw}.{name} is missing (write "{PRESCRIBER}" if the source leaves it open)'
                )
        titration = Titration(
            unit=reader.enum(RateUnit, t, "unit", f"{tw}."),
            start=_param(reader, t["start"], f"{tw}.start"),
            step=_param(reader, t["step"], f"{tw}.step"),
            interval_min=_param(reader, t["interval_min"], f"{tw}.interval_min"),
            ceiling=_param(reader, t["ceiling"], f"{tw}.ceiling"),
        )
    first = reader.optional_number(raw, "first_dose_mg", f"{where}.")
    device = reader.optional_number(raw, "device_mg", f"{where}.")
    rest = reader.optional_number(raw, "device_interval_min", f"{where}.")
    if device is not None:
        offered = [*params["dose_mg"].choices, params["dose_mg"].value, first]
        for dose in offered:
            if dose is not None and dose % device != 0:
                raise reader.fail(f"{where}: {dose} mg is not a whole number of {device}-mg devices")
    reported = reader.text(raw, "reported", f"{where}.", required=False)
    return DoseRule(
        kind=kind,
        titration=titration,
        first_dose_mg=first,
        device_mg=device,
        device_interval_min=rest,
        reported=reported,
        given=given,
        bolus=bolus,
        **params,
    )


def _limits(reader: _Reader, raw: Mapping[str, Any]) -> SessionLimits:
    where = "[limits]."
    reader.unknown(
        raw,
        (
            "max_rate_mg_per_kg_per_h",
            "max_rate_mg_per_h",
            "max_dose_mg_per_session",
            "min_dose_mg_per_session",
            "source",
            "locator",
            "note",
        ),
        "[limits]",
    )
    limits = SessionLimits(
        max_rate_mg_per_kg_per_h=reader.optional_number(raw, "max_rate_mg_per_kg_per_h", where),
        max_rate_mg_per_h=reader.optional_number(raw, "max_rate_mg_per_h", where),
        max_dose_mg_per_session=reader.optional_number(raw, "max_dose_mg_per_session", where),
        min_dose_mg_per_session=reader.optional_number(raw, "min_dose_mg_per_session", where),
        citation=reader.cited(raw, where, required=False),
        note=reader.text(raw, "note", where, required=False),
    )
    lo, hi = limits.min_dose_mg_per_session, limits.max_dose_mg_per_session
    if lo is not None and hi is not None and lo > hi:
        raise reader.fail("[limits] minimum dose is above the maximum dose")
    return limits


def _schedule(reader: _Reader, raw: Mapping[str, Any]) -> Schedule:
    reader.unknown(raw, ("phase", "note"), "[schedule]")
    phases_raw = raw.get("phase")
    if not isinstance(phases_raw, list) or not phases_raw:
        raise reader.fail("[schedule] needs at least one [[schedule.phase]]")
    if len(phases_raw) > MAX_PHASES:
        raise reader.fail(f"[schedule] has at most {MAX_PHASES} phases, not {len(phases_raw)}")
    phases = []
    for index, item in enumerate(phases_raw, start=1):
        where = f"[[schedule.phase]] {index}"
        if not isinstance(item, Mapping):
            raise reader.fail(f"{where} must be a table")
        reader.unknown(item, ("label", "per_week", "weeks", "every_days", "sessions", "note"), where)
        per_week = None
        if "per_week" in item:
            pw = item["per_week"]
            if not isinstance(pw, list) or len(pw) != 2:
                raise reader.fail(f"{where}.per_week must be [min, max]")
            low, high = (reader.integer(v, f"{where}.per_week") for v in pw)
            if low > high or high > 7:
                raise reader.fail(f"{where}.per_week must be [min, max] with min ≤ max ≤ 7")
            per_week = (low, high)
        every: tuple[int, ...] = ()
        if "every_days" in item:
            ed = item["every_days"]
            if not isinstance(ed, list) or not ed:
                raise reader.fail(f"{where}.every_days must be a non-empty list of day counts")
            every = tuple(sorted({reader.integer(v, f"{where}.every_days") for v in ed}))
        if (per_week is None) == (not every):
            raise reader.fail(f"{where} needs exactly one of per_week or every_days")
        weeks = reader.optional_integer(item, "weeks", f"{where}.")
        sessions = reader.optional_integer(item, "sessions", f"{where}.")
        if per_week is not None and sessions is not None:
            raise reader.fail(f"{where}: a per_week phase is measured in weeks, not sessions")
        if every and weeks is not None:
            raise reader.fail(f"{where}: an every_days phase is measured in sessions, not weeks")
        for what, value, ceiling in (
            ("weeks", weeks, MAX_WEEKS),
            ("sessions", sessions, MAX_PHASE_SESSIONS),
            ("every_days", max(every, default=None), MAX_EVERY_DAYS),
        ):
            if value is not None and value > ceiling:
                raise reader.fail(f"{where}.{what} must be at most {ceiling}, not {value}")
        phases.append(
            Phase(
                label=reader.text(item, "label", f"{where}."),
                per_week=per_week,
                weeks=weeks,
                every_days=every,
                sessions=sessions,
                note=reader.text(item, "note", f"{where}.", required=False),
            )
        )
    return Schedule(tuple(phases), reader.text(raw, "note", "[schedule].", required=False))


def _premedication(reader: _Reader, raw: object) -> tuple[Premedication, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise reader.fail("[[premedication]] must be a list of tables")
    items = []
    for index, item in enumerate(raw, start=1):
        where = f"[[premedication]] {index}"
        if not isinstance(item, Mapping):
            raise reader.fail(f"{where} must be a table")
        reader.unknown(item, ("drug", "dose_mg", "route", "note"), where)
        items.append(
            Premedication(
                drug=reader.text(item, "drug", f"{where}."),
                dose_mg=reader.optional_number(item, "dose_mg", f"{where}."),
                route=reader.text(item, "route", f"{where}.", required=False),
                note=reader.text(item, "note", f"{where}.", required=False),
            )
        )
    return tuple(items)


def _monitoring(reader: _Reader, raw: Mapping[str, Any]) -> ProtocolMonitoring:
    where = "[monitoring]."
    reader.unknown(
        raw,
        (
            "vitals_interval_min",
            "bp_check_times_min",
            "min_observation_min",
            "requires_escort",
            "source",
            "locator",
            "note",
        ),
        "[monitoring]",
    )
    times: tuple[int, ...] = ()
    if "bp_check_times_min" in raw:
        value = raw["bp_check_times_min"]
        if not isinstance(value, list):
            raise reader.fail(f"{where}bp_check_times_min must be a list of minutes")
        times = tuple(sorted(reader.integer(v, f"{where}bp_check_times_min") for v in value))
    escort = raw.get("requires_escort")
    if escort is not None and not isinstance(escort, bool):
        raise reader.fail(f"{where}requires_escort must be true or false")
    monitoring = ProtocolMonitoring(
        vitals_interval_min=reader.optional_integer(raw, "vitals_interval_min", where),
        bp_check_times_min=times,
        min_observation_min=reader.optional_integer(raw, "min_observation_min", where),
        requires_escort=escort,
        citation=reader.cited(raw, where, required=False),
        note=reader.text(raw, "note", where, required=False),
    )
    has_fact = (
        monitoring.vitals_interval_min is not None
        or times
        or monitoring.min_observation_min is not None
        or escort is not None
    )
    if has_fact and monitoring.citation is None:
        raise reader.fail(f"{where}source is missing: monitoring facts need their source")
    return monitoring


def _evidence(reader: _Reader, raw: Mapping[str, Any]) -> Evidence:
    where = "[evidence]."
    reader.unknown(raw, ("design", "grade", "grade_source", "grade_locator", "note"), "[evidence]")
    grade = reader.text(raw, "grade", where, required=False)
    grade_citation = None
    if "grade_source" in raw:
        source = reader.source(raw["grade_source"], f"{where}grade_source")
        grade_citation = Cited(source, reader.text(raw, "grade_locator", where, required=False))
    if grade and grade_citation is None:
        raise reader.fail(f"{where}grade needs a grade_source")
    return Evidence(
        design=reader.text(raw, "design", where),
        grade=grade,
        grade_citation=grade_citation,
        note=reader.text(raw, "note", where, required=False),
    )


def protocol_from_mapping(raw: Mapping[str, Any], origin: Path | str = "database") -> Protocol:
    """Validate one protocol given as a mapping (a parsed TOML file or a clinic's database row).

    >>> protocol_from_mapping({"id": "x", "local": True}, "local protocol 'x'")
    Traceback (most recent call last):
    ...
    ketapath.clinical.protocols.loader.ProtocolError: local protocol 'x': author is missing
    """
    reader = _Reader(origin)
    reader.unknown(raw, _TOP_KEYS, "protocol")
    ident = reader.text(raw, "id", "")
    if not ident.replace("-", "").replace(".", "").isalnum() or ident.lower() != ident:
        raise reader.fail(f"id {ident!r} must be lower-case letters, digits, '-' or '.'")
    local = raw.get("local", False)
    if not isinstance(local, bool):
        raise reader.fail("local must be true or false")
    author = reader.text(raw, "author", "", required=local)
    if not local and author:
        raise reader.fail("author is for a clinic's local protocol; a published one has a source")
    citation = reader.cited(raw, "", required=not local)
    verified = reader.text(raw, "verified", "", required=not local)
    route = reader.enum(Route, raw, "route")
    salt_basis = reader.enum(SaltBasis, raw, "salt_basis")
    salt_citation = None
    if "salt_basis_source" in raw:
        salt_citation = Cited(
            reader.source(raw["salt_basis_source"], "salt_basis_source"),
            reader.text(raw, "salt_basis_locator", "", required=False),
        )
    elif "salt_basis_locator" in raw:
        raise reader.fail("salt_basis_locator needs a salt_basis_source")
    if salt_basis is not SaltBasis.UNSTATED and salt_citation is None and not local:
        raise reader.fail(
            f"salt_basis {salt_basis.value!r} needs salt_basis_source: where the source says so"
        )
    notes = raw.get("notes", [])
    if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
        raise reader.fail("notes must be a list of text")
    if sum(len(n) for n in notes) > MAX_TEXT_LENGTH:
        raise reader.fail(f"notes must be at most {MAX_TEXT_LENGTH} characters in all")
    schedule_raw = reader.table(raw, "schedule", required=True)
    evidence_raw = reader.table(raw, "evidence", required=not local)
    evidence = _evidence(reader, evidence_raw) if evidence_raw else Evidence(design="local clinic protocol")
    return Protocol(
        id=ident,
        name=reader.text(raw, "name", ""),
        indication=reader.text(raw, "indication", ""),
        condition_group=reader.text(raw, "condition_group", ""),
        drug=reader.enum(Drug, raw, "drug"),
        salt_basis=salt_basis,
        route=route,
        setting=reader.enum(Setting, raw, "setting"),
        dose=_dose(reader, reader.table(raw, "dose", required=True), route, local=local),
        limits=_limits(reader, reader.table(raw, "limits")),
        schedule=_schedule(reader, schedule_raw),
        premedication=_premedication(reader, raw.get("premedication")),
        monitoring=_monitoring(reader, reader.table(raw, "monitoring")),
        evidence=evidence,
        citation=citation,
        verified=verified,
        local=local,
        author=author,
        notes=tuple(n.strip() for n in notes),
        salt_citation=salt_citation,
    )


@cache
def published_protocols() -> dict[str, Protocol]:
    """Every protocol in ``data/protocols/*.toml``, by id; each file's id must equal its name."""
    found: dict[str, Protocol] = {}
    for path in toml_files("protocols"):
        protocol = protocol_from_mapping(read_toml(path), path)
        if protocol.id != path.stem:
            raise ProtocolError(path, f"id {protocol.id!r} must equal the file name {path.stem!r}")
        if protocol.local:
            raise ProtocolError(path, "a shipped protocol cannot be local")
        found[protocol.id] = protocol
    return found


def protocol_library(local: Iterable[Mapping[str, Any]] = ()) -> dict[str, Protocol]:
    """The published protocols plus a clinic's own (validated; must be ``local`` with a new id)."""
    library = dict(published_protocols())
    for row in local:
        ident = row.get("id", "?")
        protocol = protocol_from_mapping(row, f"local protocol {ident!r}")
        if not protocol.local:
            raise ProtocolError(f"local protocol {ident!r}", "a clinic's protocol must be local")
        if protocol.id in library:
            raise ProtocolError(f"local protocol {ident!r}", f"id {protocol.id!r} is already taken")
        library[protocol.id] = protocol
    return library
