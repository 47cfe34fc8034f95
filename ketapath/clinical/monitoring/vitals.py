"""Vital-sign thresholds and the check that turns a set of vitals into alerts.

The thresholds are defined in ``data/monitoring/vitals.toml``: which vital, before dosing or during
treatment, above or below. Each is either cited (value, severity and source in the file) or a
clinic setting with no default (value and severity from :class:`ClinicVitalSettings`). An alert
says which threshold, whether it is cited or the clinic's choice, and how severe. A threshold the
clinic has not set is reported as "clinic setting not set", and the check is then incomplete.

Every phase checks every vital: the file's ``[fallback]`` table names, for a phase, the phase whose
threshold applies where it has none of its own for a vital and direction (observation after the
stop reuses the "during" thresholds; a pre-dose respiratory rate is checked against the "during"
limits). The reasons are in the data file. An alert from a borrowed threshold says so in its label.

>>> settings = ClinicVitalSettings({"pre-systolic-high": ClinicThreshold(Decimal(160),
...                                                                      Severity.WARNING)})
>>> check = check_vitals(VitalSigns(systolic_mmhg=172), MonitoringPhase.PRE_DOSE, settings)
>>> check.status, check.alerts[0].message
('alert', 'Systolic blood pressure before dosing: 172 mmHg is above 160 mmHg (clinic setting)')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Final

from ketapath.clinical.datafiles import DATA_DIR, DataFileError, read_toml
from ketapath.clinical.protocols.model import fmt
from ketapath.clinical.sources import Cited, require_source

VITALS_FILE: Final = DATA_DIR / "monitoring" / "vitals.toml"
NOT_SET: Final = "clinic setting not set"


class Vital(StrEnum):
    SYSTOLIC = "systolic_mmhg"
    DIASTOLIC = "diastolic_mmhg"
    HEART_RATE = "heart_rate_bpm"
    SPO2 = "spo2_percent"
    RESP_RATE = "resp_rate_per_min"


UNITS: Final[Mapping[Vital, str]] = {
    Vital.SYSTOLIC: "mmHg",
    Vital.DIASTOLIC: "mmHg",
    Vital.HEART_RATE: "/min",
    Vital.SPO2: "%",
    Vital.RESP_RATE: "/min",
}


class MonitoringPhase(StrEnum):
    PRE_DOSE = "pre-dose"
    DURING = "during"
    OBSERVATION = "observation"  # after the stop, until discharge


PHASE_WORDS: Final[Mapping[MonitoringPhase, str]] = {
    MonitoringPhase.PRE_DOSE: "before dosing",
    MonitoringPhase.DURING: "during treatment",
    MonitoringPhase.OBSERVATION: "in the observation after the infusion",
}


class Direction(StrEnum):
    ABOVE = "above"
    BELOW = "below"


class Basis(StrEnum):
    CITED = "cited"
    CLINIC = "clinic-setting"


class Severity(StrEnum):
    WARNING = "warning"  # tell the nurse, recheck
    URGENT = "urgent"  # stop or hold and call the prescriber


@dataclass(frozen=True, slots=True)
class Threshold:
    id: str
    vital: Vital
    phase: MonitoringPhase
    direction: Direction
    label: str
    basis: Basis
    value: Decimal | None = None  # cited thresholds only
    severity: Severity | None = None  # cited thresholds only
    citation: Cited | None = None


@dataclass(frozen=True, slots=True)
class ClinicThreshold:
    value: Decimal
    severity: Severity


@dataclass(frozen=True, slots=True)
class ClinicVitalSettings:
    """The clinic's values for the thresholds that are clinic settings, by threshold id."""

    values: Mapping[str, ClinicThreshold] = field(default_factory=dict)

    def __post_init__(self) -> None:
        slots = thresholds() if self.values else {}
        for key, item in self.values.items():
            if key not in slots:
                raise ValueError(f"no vital-sign threshold {key!r}")
            if slots[key].basis is not Basis.CLINIC:
                raise ValueError(f"threshold {key!r} is cited, not a clinic setting")
            if not item.value.is_finite() or item.value < 0:
                raise ValueError(f"threshold {key!r} must be a number of at least 0")


@dataclass(frozen=True, slots=True)
class VitalSigns:
    systolic_mmhg: int | Decimal | None = None
    diastolic_mmhg: int | Decimal | None = None
    heart_rate_bpm: int | Decimal | None = None
    spo2_percent: int | Decimal | None = None
    resp_rate_per_min: int | Decimal | None = None

    def get(self, vital: Vital) -> Decimal | None:
        value: int | Decimal | None = getattr(self, vital.value)
        return None if value is None else Decimal(value)


@dataclass(frozen=True, slots=True)
class Alert:
    threshold_id: str
    label: str
    vital: Vital
    value: Decimal
    limit: Decimal
    direction: Direction
    phase: MonitoringPhase
    basis: Basis
    severity: Severity
    source: str  # the citation label, or "clinic setting"

    @property
    def message(self) -> str:
        unit = UNITS[self.vital]
        space = "" if unit == "%" else " "
        return (
            f"{self.label}: {fmt(self.value)}{space}{unit} is {self.direction.value} "
            f"{fmt(self.limit)}{space}{unit} ({self.source})"
        )


@dataclass(frozen=True, slots=True)
class VitalsCheck:
    phase: MonitoringPhase
    alerts: tuple[Alert, ...]
    not_set: tuple[str, ...]  # "<threshold label>: clinic setting not set"

    @property
    def status(self) -> str:
        """``alert`` (at least one alert), ``incomplete`` (a relevant threshold not set) or
        ``ok``."""
        if self.alerts:
            return "alert"
        return "incomplete" if self.not_set else "ok"


def _load_fallback(path: Path, raw: object) -> dict[MonitoringPhase, MonitoringPhase]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise DataFileError(path, "[fallback] must be a table of phase = phase")
    found: dict[MonitoringPhase, MonitoringPhase] = {}
    for key, value in raw.items():
        try:
            phase, other = MonitoringPhase(str(key)), MonitoringPhase(str(value))
        except ValueError as exc:
            raise DataFileError(path, f"[fallback]: {exc}") from None
        if phase is other:
            raise DataFileError(path, f"[fallback]: {key} cannot fall back to itself")
        found[phase] = other
    for phase in found:
        seen = {phase}
        nxt = found.get(phase)
        while nxt is not None:
            if nxt in seen:
                raise DataFileError(path, "[fallback] must not loop")
            seen.add(nxt)
            nxt = found.get(nxt)
    return found


def _load(path: Path) -> dict[str, Threshold]:
    raw = read_toml(path)
    if not set(raw) <= {"threshold", "fallback"} or not isinstance(raw.get("threshold"), dict):
        raise DataFileError(path, "must hold [threshold.<id>] tables and an optional [fallback] table")
    found: dict[str, Threshold] = {}
    for key, item in raw["threshold"].items():
        where = f"[threshold.{key}]"
        if not isinstance(item, dict):
            raise DataFileError(path, f"{where} must be a table")
        try:
            vital = Vital(str(item.get("vital")))
            phase = MonitoringPhase(str(item.get("phase")))
            direction = Direction(str(item.get("direction")))
            basis = Basis(str(item.get("basis")))
        except ValueError as exc:
            raise DataFileError(path, f"{where}: {exc}") from None
        label = item.get("label")
        if not isinstance(label, str) or not label:
            raise DataFileError(path, f"{where} needs a label")
        common = {"vital", "phase", "direction", "label", "basis"}
        if basis is Basis.CLINIC:
            if set(item) != common:
                raise DataFileError(path, f"{where} is a clinic setting: it takes no value or source")
            found[key] = Threshold(key, vital, phase, direction, label, basis)
            continue
        if set(item) != common | {"value", "severity", "source", "locator"}:
            raise DataFileError(path, f"{where} is cited: it needs value, severity, source and locator")
        value = item["value"]
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise DataFileError(path, f"{where}.value must be a number of at least 0")
        try:
            severity = Severity(item["severity"])
        except ValueError as exc:
            raise DataFileError(path, f"{where}: {exc}") from None
        source = require_source(path, f"{where}.source", item["source"])
        found[key] = Threshold(
            key,
            vital,
            phase,
            direction,
            label,
            basis,
            Decimal(repr(value)) if isinstance(value, float) else Decimal(value),
            severity,
            Cited(source, str(item["locator"])),
        )
    return found


@cache
def thresholds() -> dict[str, Threshold]:
    """Every vital-sign threshold, by id."""
    return _load(VITALS_FILE)


@cache
def fallbacks() -> dict[MonitoringPhase, MonitoringPhase]:
    """For a phase, the phase whose thresholds apply where it has none of its own (data file)."""
    return _load_fallback(VITALS_FILE, read_toml(VITALS_FILE).get("fallback"))


def thresholds_for(
    phase: MonitoringPhase,
    *,
    table: Mapping[str, Threshold] | None = None,
    fallback: Mapping[MonitoringPhase, MonitoringPhase] | None = None,
) -> tuple[Threshold, ...]:
    """The thresholds that apply at ``phase``: its own, then for each vital and direction it
    lacks, the fallback phase's (following the chain)."""
    slots = thresholds() if table is None else table
    chain = (fallbacks() if table is None else {}) if fallback is None else fallback
    found: list[Threshold] = []
    covered: set[tuple[Vital, Direction]] = set()
    current: MonitoringPhase | None = phase
    while current is not None:
        added = [s for s in slots.values() if s.phase is current and (s.vital, s.direction) not in covered]
        found += added
        covered |= {(s.vital, s.direction) for s in added}
        current = chain.get(current)
    return tuple(found)


def check_vitals(
    vitals: VitalSigns,
    phase: MonitoringPhase,
    settings: ClinicVitalSettings = ClinicVitalSettings(),
    *,
    table: Mapping[str, Threshold] | None = None,
    fallback: Mapping[MonitoringPhase, MonitoringPhase] | None = None,
) -> VitalsCheck:
    """Alerts for the recorded vitals at this phase (its own thresholds and those it borrows, see
    :func:`thresholds_for`). Only thresholds for recorded vitals count; crossing means strictly
    above (or below) the limit. ``table`` replaces the shipped thresholds (tests, or a data file
    under review); with it, no fallback applies unless ``fallback`` is given."""
    alerts: list[Alert] = []
    not_set: list[str] = []
    for slot in thresholds_for(phase, table=table, fallback=fallback):
        value = vitals.get(slot.vital)
        if value is None:
            continue
        label = slot.label if slot.phase is phase else f"{slot.label} (applied {PHASE_WORDS[phase]})"
        if slot.basis is Basis.CITED:
            assert slot.value is not None and slot.severity is not None
            limit, severity = slot.value, slot.severity
            source = slot.citation.label() if slot.citation else ""
        else:
            chosen = settings.values.get(slot.id)
            if chosen is None:
                not_set.append(f"{label}: {NOT_SET}")
                continue
            limit, severity, source = chosen.value, chosen.severity, "clinic setting"
        crossed = value > limit if slot.direction is Direction.ABOVE else value < limit
        if crossed:
            alerts.append(
                Alert(
                    slot.id,
                    label,
                    slot.vital,
                    value,
                    limit,
                    slot.direction,
                    phase,
                    slot.basis,
                    severity,
                    source,
                )
            )
    alerts.sort(key=lambda a: (a.severity is not Severity.URGENT, a.threshold_id))
    return VitalsCheck(phase, tuple(alerts), tuple(not_set))
