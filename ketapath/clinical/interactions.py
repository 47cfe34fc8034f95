"""Drug interactions with ketamine and esketamine, as cited rules read from ``data/interactions.toml``.

Each rule names an effect class (``blunts-effect``, ``raises-blood-pressure``, ``adds-sedation``,
``changes-exposure``), the drug it applies to (ketamine, esketamine or both), the medicines it
covers (generic names and common synonyms, in groups), a message for the clinician and its source.
A medicine on the patient's list matches a rule when one of the rule's names occurs in it as a
whole word, in any case: "Lorazepam 1 mg" and "Clarithromycin ER" match; "dextroamphetamine"
does not match the name "amphetamine" (it is listed on its own).

>>> [f.rule_id for f in check_interactions([Medicine("Lorazepam 1 mg")], drug="esketamine")]
['cns-depressants-sedation-esketamine']
>>> check_interactions([Medicine("sertraline")], drug="ketamine")
()
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Final

from ketapath.clinical.datafiles import DATA_DIR, DataFileError, read_toml
from ketapath.clinical.sources import Source, require_source

_PATH: Final = DATA_DIR / "interactions.toml"
EFFECTS: Final[tuple[str, ...]] = (
    "blunts-effect",
    "raises-blood-pressure",
    "adds-sedation",
    "changes-exposure",
)
DRUGS: Final[tuple[str, ...]] = ("ketamine", "esketamine")
#: Other spellings of the drug argument accepted by :func:`check_interactions`.
DRUG_ALIASES: Final[dict[str, str]] = {"racemic-ketamine": "ketamine", "s-ketamine": "esketamine"}
MAX_NAME_LENGTH: Final = 200
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9 '.-]*[a-z0-9]$")


@dataclass(frozen=True)
class Medicine:
    """One entry of the patient's medication list."""

    name: str
    dose: str = ""
    since: date | None = None


@dataclass(frozen=True)
class InteractionFinding:
    """A medicine on the list that a cited interaction rule covers."""

    rule_id: str
    effect: str
    medicine: str
    message: str
    source: Source
    locator: str = ""


@dataclass(frozen=True, slots=True)
class InteractionRule:
    id: str
    effect: str
    drugs: frozenset[str]
    names: tuple[str, ...]
    message: str
    source: Source
    locator: str
    pattern: re.Pattern[str]

    def matches(self, medicine_name: str) -> bool:
        return self.pattern.search(" ".join(medicine_name.casefold().split())) is not None


def _names(path: Path, where: str, raw: object) -> list[str]:
    if not isinstance(raw, list) or not raw or not all(isinstance(n, str) for n in raw):
        raise DataFileError(path, f"{where} must be a non-empty list of names")
    for name in raw:
        if not _NAME.match(name):
            raise DataFileError(path, f"{where} name {name!r} must be lower-case words")
    return list(raw)


def _text(path: Path, where: str, raw: dict[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise DataFileError(path, f"{where} needs a text {key!r}")
    return value


def _rule(path: Path, raw: Any, groups: dict[str, list[str]]) -> InteractionRule:
    if not isinstance(raw, dict):
        raise DataFileError(path, "each [[rules]] entry must be a table")
    rid = raw.get("id")
    if not isinstance(rid, str) or not _ID.match(rid):
        raise DataFileError(path, f"rule id {rid!r} must be lower-case letters, digits, '-'")
    where = f"rule {rid!r}"
    unknown = set(raw) - {"id", "effect", "drugs", "members", "message", "source", "locator"}
    if unknown:
        raise DataFileError(path, f"{where} has unknown keys {sorted(unknown)}")
    effect = raw.get("effect")
    if effect not in EFFECTS:
        raise DataFileError(path, f"{where} effect {effect!r} is not one of {list(EFFECTS)}")
    drugs = raw.get("drugs")
    if not isinstance(drugs, list) or not drugs or not set(drugs) <= set(DRUGS):
        raise DataFileError(path, f"{where} drugs must be a non-empty list of {list(DRUGS)}")
    members = raw.get("members")
    if not isinstance(members, list) or not members:
        raise DataFileError(path, f"{where} needs members")
    names: list[str] = []
    for member in members:
        if isinstance(member, str) and member.startswith("@"):
            if member[1:] not in groups:
                raise DataFileError(path, f"{where} names unknown group {member!r}")
            names.extend(groups[member[1:]])
        else:
            names.extend(_names(path, f"{where} members", [member]))
    names = list(dict.fromkeys(names))
    words = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    locator = raw.get("locator", "")
    if not isinstance(locator, str):
        raise DataFileError(path, f"{where} locator must be text")
    return InteractionRule(
        id=rid,
        effect=str(effect),
        drugs=frozenset(str(d) for d in drugs),
        names=tuple(names),
        message=_text(path, where, raw, "message"),
        source=require_source(path, f"{where}.source", raw.get("source")),
        locator=locator,
        pattern=re.compile(rf"(?<![a-z0-9])(?:{words})(?![a-z0-9])"),
    )


@cache
def interaction_rules() -> tuple[InteractionRule, ...]:
    """Every rule, in the data file's order, validated."""
    raw = read_toml(_PATH)
    unknown = set(raw) - {"groups", "rules"}
    if unknown:
        raise DataFileError(_PATH, f"unknown sections {sorted(unknown)}")
    raw_groups = raw.get("groups", {})
    if not isinstance(raw_groups, dict):
        raise DataFileError(_PATH, "[groups] must be a table of tables")
    groups: dict[str, list[str]] = {}
    for key, entry in raw_groups.items():
        if not isinstance(entry, dict) or set(entry) != {"names"}:
            raise DataFileError(_PATH, f"[groups.{key}] must hold only a names list")
        groups[key] = _names(_PATH, f"[groups.{key}]", entry["names"])
    entries = raw.get("rules")
    if not isinstance(entries, list) or not entries:
        raise DataFileError(_PATH, "[[rules]] is missing")
    rules = tuple(_rule(_PATH, entry, groups) for entry in entries)
    ids = [r.id for r in rules]
    if len(ids) != len(set(ids)):
        raise DataFileError(_PATH, "a rule id is used twice")
    return rules


def normalise_drug(drug: str) -> str:
    """``ketamine`` or ``esketamine`` (also ``racemic-ketamine``, ``s-ketamine``); else ValueError."""
    key = drug.strip().lower()
    key = DRUG_ALIASES.get(key, key)
    if key not in DRUGS:
        raise ValueError(f"drug {drug!r} must be one of {', '.join(DRUGS)}")
    return key


def check_medicine(medicine: Medicine) -> None:
    """ValueError if a medicine entry is unusable (empty or over-long name)."""
    if not isinstance(medicine.name, str) or not medicine.name.strip():
        raise ValueError("a medicine needs a name")
    if not isinstance(medicine.dose, str):
        raise ValueError(f"the dose of {medicine.name} must be text")
    if len(medicine.name) > MAX_NAME_LENGTH or len(medicine.dose) > MAX_NAME_LENGTH:
        raise ValueError(f"medicine name and dose are at most {MAX_NAME_LENGTH} characters")


def check_interactions(medicines: Sequence[Medicine], *, drug: str) -> tuple[InteractionFinding, ...]:
    """Every (rule, medicine) pair where a cited rule for ``drug`` covers a listed medicine.

    In rule order, then list order; a medicine listed twice under the same name counts once.
    ``drug`` is ``"ketamine"`` or ``"esketamine"``; ValueError for any other drug or a bad entry.
    """
    key = normalise_drug(drug)
    for medicine in medicines:
        check_medicine(medicine)
    names = list(dict.fromkeys(m.name.strip() for m in medicines))
    return tuple(
        InteractionFinding(rule.id, rule.effect, name, rule.message, rule.source, rule.locator)
        for rule in interaction_rules()
        if key in rule.drugs
        for name in names
        if rule.matches(name)
    )


__all__ = [
    "DRUGS",
    "EFFECTS",
    "InteractionFinding",
    "InteractionRule",
    "Medicine",
    "check_interactions",
    "check_medicine",
    "interaction_rules",
    "normalise_drug",
]
