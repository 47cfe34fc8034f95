"""Has the patient fasted long enough? Last intake times + planned start -> pass/fail with times.

Rule sets come from ``data/monitoring/fasting.toml`` (ASA 2017; the esketamine label's advice).
Which set applies to a ketamine infusion is the clinic's choice: no source read gives a
ketamine-specific rule. An intake not recorded counts as none taken, except the kinds the clinic's
checklist ``required`` to be asked about: one of those unrecorded makes the check ``incomplete``.

>>> from datetime import datetime
>>> start = datetime(2025, 3, 3, 10, 0)
>>> check = check_fasting([Intake(IntakeKind.CLEAR_LIQUIDS, datetime(2025, 3, 3, 8, 30)),
...                        Intake(IntakeKind.LIGHT_MEAL, datetime(2025, 3, 3, 3, 0))],
...                       start, "asa-2017")
>>> check.status, check.earliest_start
('fail', datetime.datetime(2025, 3, 3, 10, 30))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Final

from ketapath.clinical.datafiles import DATA_DIR, DataFileError, read_toml
from ketapath.clinical.protocols.model import fmt
from ketapath.clinical.sources import Cited, require_source

FASTING_FILE: Final = DATA_DIR / "monitoring" / "fasting.toml"


class IntakeKind(StrEnum):
    CLEAR_LIQUIDS = "clear-liquids"
    BREAST_MILK = "breast-milk"
    INFANT_FORMULA = "infant-formula"
    NONHUMAN_MILK = "nonhuman-milk"
    LIGHT_MEAL = "light-meal"
    FATTY_MEAL = "fatty-meal"


@dataclass(frozen=True, slots=True)
class FastingRule:
    label: str
    intakes: tuple[IntakeKind, ...]
    min_hours: Decimal
    note: str = ""
    patient_label: str = ""  # the same in plain words, for the patient's own pages
    patient_note: str = ""

    @property
    def for_patient(self) -> str:
        """The label as the patient reads it."""
        return self.patient_label or self.label

    @property
    def min_minutes(self) -> Decimal:
        return self.min_hours * 60


@dataclass(frozen=True, slots=True)
class RuleSet:
    id: str
    name: str
    rules: tuple[FastingRule, ...]
    citation: Cited
    patient_name: str = ""  # the rule set in plain words, for the patient's own pages


@dataclass(frozen=True, slots=True)
class Intake:
    kind: IntakeKind
    at: datetime  # the last time this kind was taken


@dataclass(frozen=True, slots=True)
class RuleResult:
    rule: FastingRule
    last_intake: datetime | None  # None: not recorded
    ready_at: datetime | None
    ok: bool | None  # None: not recorded

    @property
    def message(self) -> str:
        hours = fmt(self.rule.min_hours)
        if self.last_intake is None:
            return f"{self.rule.label}: last intake not recorded (minimum {hours} h)"
        assert self.ready_at is not None
        verdict = "fasted long enough" if self.ok else "not fasted long enough"
        return (
            f"{self.rule.label}: last at {self.last_intake:%H:%M}, minimum {hours} h, "
            f"ready from {self.ready_at:%H:%M} ({verdict})"
        )


@dataclass(frozen=True, slots=True)
class FastingCheck:
    ruleset: RuleSet
    planned_start: datetime
    results: tuple[RuleResult, ...]
    missing: tuple[IntakeKind, ...] = ()  # required kinds not recorded

    @property
    def status(self) -> str:
        """``fail`` if any rule is not met, ``incomplete`` if a required intake is unrecorded,
        else ``pass``."""
        if any(r.ok is False for r in self.results):
            return "fail"
        return "incomplete" if self.missing else "pass"

    @property
    def earliest_start(self) -> datetime | None:
        """The earliest time every recorded intake allows (None when nothing was recorded)."""
        times = [r.ready_at for r in self.results if r.ready_at is not None]
        return max(times) if times else None


def _load(path: Path) -> dict[str, RuleSet]:
    raw = read_toml(path)
    if set(raw) != {"ruleset"} or not isinstance(raw["ruleset"], dict):
        raise DataFileError(path, "must hold only [ruleset.<id>] tables")
    sets: dict[str, RuleSet] = {}
    for key, item in raw["ruleset"].items():
        where = f"[ruleset.{key}]"
        if not isinstance(item, dict) or not {"name", "source", "locator", "rule"} <= set(item):
            raise DataFileError(path, f"{where} needs name, source, locator and [[rule]]s")
        if set(item) - {"name", "patient_name", "source", "locator", "rule"}:
            raise DataFileError(path, f"{where} has unknown fields")
        source = require_source(path, f"{where}.source", item["source"])
        rules = []
        for number, rule in enumerate(item["rule"], start=1):
            rw = f"{where} rule {number}"
            if not isinstance(rule, dict) or not {"label", "intakes", "min_hours"} <= set(rule):
                raise DataFileError(path, f"{rw} needs label, intakes and min_hours")
            if set(rule) - {"label", "intakes", "min_hours", "note", "patient_label", "patient_note"}:
                raise DataFileError(path, f"{rw} has unknown fields")
            try:
                kinds = tuple(IntakeKind(k) for k in rule["intakes"])
            except ValueError as exc:
                raise DataFileError(path, f"{rw}: {exc}") from None
            hours = rule["min_hours"]
            if isinstance(hours, bool) or not isinstance(hours, int | float) or hours <= 0:
                raise DataFileError(path, f"{rw}.min_hours must be more than 0")
            rules.append(
                FastingRule(
                    str(rule["label"]),
                    kinds,
                    Decimal(repr(hours)) if isinstance(hours, float) else Decimal(hours),
                    str(rule.get("note", "")),
                    str(rule.get("patient_label", "")),
                    str(rule.get("patient_note", "")),
                )
            )
        sets[key] = RuleSet(
            key,
            str(item["name"]),
            tuple(rules),
            Cited(source, str(item["locator"])),
            str(item.get("patient_name", "")),
        )
    return sets


@cache
def rulesets() -> dict[str, RuleSet]:
    """Every fasting rule set, by id."""
    return _load(FASTING_FILE)


def check_fasting(
    intakes: Sequence[Intake],
    planned_start: datetime,
    ruleset: str | RuleSet,
    *,
    required: Sequence[IntakeKind] = (),
) -> FastingCheck:
    """Each rule met or not, with the time from which it is met, for a planned start.

    ``required``: the intake kinds the clinic's checklist asks about; unrecorded, they make the
    check incomplete (other unrecorded kinds count as none taken).
    """
    chosen = rulesets()[ruleset] if isinstance(ruleset, str) else ruleset
    for intake in intakes:
        if intake.at > planned_start:
            raise ValueError(f"the {intake.kind.value} intake is after the planned start")
    results = []
    for rule in chosen.rules:
        times = [i.at for i in intakes if i.kind in rule.intakes]
        if not times:
            results.append(RuleResult(rule, None, None, None))
            continue
        last = max(times)
        ready = last + timedelta(minutes=float(rule.min_minutes))
        results.append(RuleResult(rule, last, ready, ready <= planned_start))
    recorded = {i.kind for i in intakes}
    missing = tuple(k for k in dict.fromkeys(required) if k not in recorded)
    return FastingCheck(chosen, planned_start, tuple(results), missing)
