"""The catalogue of symptoms a patient can report after a session (``data/symptoms.toml``).

Loaded and validated once: an unknown source, severity or field stops start-up with a clear
message, as the clinical data files do.

>>> symptoms()["urinary"].severity, symptoms()["urinary"].sources[0].source.id
('high', 'shahani-2007')
>>> [s.code for s in symptoms().values() if s.urgent]
['heart', 'mood']
>>> sorted(journal_reportable())
['hallucinations', 'urinary']
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

from ketapath.clinical.datafiles import DataFileError, read_toml
from ketapath.clinical.sources import Cited, require_source

PATH: Final = Path(__file__).parent / "data" / "symptoms.toml"
SEVERITIES: Final = ("critical", "high", "moderate", "low")
FIELDS: Final = {
    "label",
    "help",
    "severity",
    "routing",
    "source",
    "locator",
    "why",
    "also",
    "urgent",
    "journal",
    "patient_label",
}


@dataclass(frozen=True)
class Symptom:
    code: str
    label: str
    help: str
    severity: str
    routing: str
    why: str = ""
    urgent: bool = False
    sources: tuple[Cited, ...] = ()
    journal: bool = False  # ticked in the journal, the journal offers this report
    patient_label: str = ""  # the label in plain words, on the patient's form

    @property
    def for_patient(self) -> str:
        return self.patient_label or self.label

    @property
    def source_label(self) -> str:
        return "; ".join(c.label() for c in self.sources)


def _cited(where: str, raw: dict[str, Any]) -> Cited:
    return Cited(require_source(PATH, f"{where}.source", raw.get("source")), str(raw.get("locator", "")))


def _load() -> dict[str, Symptom]:
    raw = read_toml(PATH)
    if set(raw) != {"symptom"} or not isinstance(raw["symptom"], dict):
        raise DataFileError(PATH, "must hold only [symptom.<code>] tables")
    found = {}
    for code, item in raw["symptom"].items():
        where = f"[symptom.{code}]"
        if not isinstance(item, dict) or not {"label", "help", "severity", "routing"} <= set(item):
            raise DataFileError(PATH, f"{where} needs label, help, severity and routing")
        if set(item) - FIELDS:
            raise DataFileError(PATH, f"{where} has unknown fields {sorted(set(item) - FIELDS)}")
        if item["severity"] not in SEVERITIES:
            raise DataFileError(PATH, f"{where}.severity must be one of {', '.join(SEVERITIES)}")
        sources = []
        if "source" in item:
            sources.append(_cited(where, item))
        for extra in item.get("also", []):
            sources.append(_cited(f"{where}.also", extra))
        found[code] = Symptom(
            code=code,
            label=str(item["label"]),
            help=str(item["help"]),
            severity=str(item["severity"]),
            routing=str(item["routing"]),
            why=str(item.get("why", "")),
            urgent=bool(item.get("urgent", False)),
            sources=tuple(sources),
            journal=bool(item.get("journal", False)),
            patient_label=str(item.get("patient_label", "")),
        )
    return found


@cache
def symptoms() -> dict[str, Symptom]:
    """Every reportable symptom, by code, in file order."""
    return _load()


def journal_reportable() -> frozenset[str]:
    """The codes the clinic treats as reportable when ticked in the journal (``journal = true``)."""
    return frozenset(code for code, s in symptoms().items() if s.journal)
