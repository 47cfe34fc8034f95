"""Pre-dose checks a drug's source asks for, by drug and route (``data/monitoring/predose.toml``).

Each names the vital signs to record before dosing and a sentence for the clinician, with its
source. Whether a value is elevated is the clinic's pre-dose thresholds' call (:mod:`.vitals`).

>>> [g.id for g in predose_guidance("esketamine", "intranasal")]
['esketamine-blood-pressure']
>>> predose_guidance("ketamine", "iv")
()
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

from ketapath.clinical.datafiles import DATA_DIR, DataFileError, read_toml
from ketapath.clinical.monitoring.vitals import Vital
from ketapath.clinical.sources import Cited, require_source

PREDOSE_FILE: Final = DATA_DIR / "monitoring" / "predose.toml"
FIELDS: Final = {"drug", "route", "vitals", "text", "source", "locator"}


@dataclass(frozen=True, slots=True)
class PreDoseGuidance:
    id: str
    drug: str
    route: str
    vitals: tuple[Vital, ...]  # to record before dosing
    text: str
    citation: Cited


def _load(path: Path) -> dict[str, PreDoseGuidance]:
    raw = read_toml(path)
    if set(raw) != {"guidance"} or not isinstance(raw["guidance"], dict):
        raise DataFileError(path, "must hold only [guidance.<id>] tables")
    found: dict[str, PreDoseGuidance] = {}
    for key, item in raw["guidance"].items():
        where = f"[guidance.{key}]"
        if not isinstance(item, dict) or set(item) != FIELDS:
            raise DataFileError(path, f"{where} needs exactly {sorted(FIELDS)}")
        for name in ("drug", "route", "text", "locator"):
            if not isinstance(item[name], str) or not item[name].strip():
                raise DataFileError(path, f"{where}.{name} must be text")
        if not isinstance(item["vitals"], list) or not item["vitals"]:
            raise DataFileError(path, f"{where}.vitals must list vital signs")
        try:
            vitals = tuple(Vital(str(v)) for v in item["vitals"])
        except ValueError as exc:
            raise DataFileError(path, f"{where}.vitals: {exc}") from None
        source = require_source(path, f"{where}.source", item["source"])
        found[key] = PreDoseGuidance(
            key, item["drug"], item["route"], vitals, item["text"], Cited(source, item["locator"])
        )
    return found


@cache
def all_guidance() -> dict[str, PreDoseGuidance]:
    return _load(PREDOSE_FILE)


def predose_guidance(drug: str, route: str) -> tuple[PreDoseGuidance, ...]:
    """The cited pre-dose checks for a plan's drug and route."""
    return tuple(g for g in all_guidance().values() if g.drug == drug and g.route == route)
