"""Reading the eligibility rules from ``data/eligibility/*.toml``.

Each file may hold any of these sections; together they make one rule book:

``[[rules]]``
    ``code``, ``title``, ``when`` (see :mod:`.expressions`), ``text``, and either
    ``effect`` with ``source``/``locator``/``grade``/``certainty`` (a cited rule) or
    ``effect_setting`` (the clinic's policy decides the effect). ``kind = "test"`` rules name a
    ``test`` and the ``recency_setting`` that says how recent it must be. ``on_unknown`` is
    ``"missing"`` (default: an unrecorded fact is a missing-information reason) or ``"ignore"``;
    ``missing_text`` overrides the default missing-information sentence. Only a
    ``missing-information`` rule may go without a source. ``applies_if`` (a condition like
    ``when``) limits the rule to some treatments: unless it is known to hold (e.g. the planned drug
    is esketamine), the rule is skipped and asks nothing.
``[tests.<kind>]``
    ``label`` of a test kind.
``[settings.<name>]``
    a clinic setting: ``kind`` (``days`` or ``policy``) and ``label``; none has a default.
``[indication.<case>]``
    ``effect``, ``text`` and optional source for the engine's indication cases.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final, Literal

from ketapath.clinical.conditions import CERTAINTIES, GRADES
from ketapath.clinical.datafiles import DATA_DIR, DataFileError, read_toml, toml_files
from ketapath.clinical.eligibility.expressions import Expr, parse
from ketapath.clinical.eligibility.model import FIELDS, Effect
from ketapath.clinical.sources import Cited, require_source

SUBDIR: Final = "eligibility"
DATA_FOLDER: Final = DATA_DIR / SUBDIR
_CODE = re.compile(r"^[a-z0-9][a-z0-9.-]*$")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

#: The indication cases the engine needs, with the placeholders each text may use.
INDICATION_CASES: Final[dict[str, frozenset[str]]] = {
    "none-recorded": frozenset(),
    "unmapped-code": frozenset({"code"}),
    "excluded-code": frozenset({"code", "title", "reason"}),
    "onset-unknown": frozenset({"condition", "months"}),
    "not-chronic": frozenset({"condition", "duration", "chronic_from", "months"}),
    "ungraded": frozenset({"condition"}),
    "treatment-resistance-unknown": frozenset({"condition"}),
    "not-treatment-resistant": frozenset({"condition"}),
    "interaction": frozenset({"medicine", "message"}),
}


@dataclass(frozen=True, slots=True)
class SettingSpec:
    """A clinic setting: ``days`` (a whole number, 0 or more) or ``policy`` (an effect)."""

    name: str
    kind: Literal["days", "policy"]
    label: str


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule from the data files."""

    code: str
    title: str
    kind: Literal["flag", "test"]
    when: Expr
    text: str
    effect: Effect | None
    effect_setting: str
    cited: Cited | None
    grade: str
    certainty: str
    on_unknown: Literal["missing", "ignore"]
    missing_text: str
    test: str
    recency_setting: str
    origin: str
    applies_if: Expr | None = None


@dataclass(frozen=True, slots=True)
class IndicationCase:
    effect: Effect
    text: str
    cited: Cited | None


@dataclass(frozen=True, slots=True)
class RuleBook:
    rules: tuple[Rule, ...]
    tests: dict[str, str]
    settings: dict[str, SettingSpec]
    indication: dict[str, IndicationCase]


def _text(path: Path, where: str, raw: dict[str, Any], key: str, *, required: bool = True) -> str:
    value = raw.get(key, None if required else "")
    if not isinstance(value, str) or (required and not value):
        raise DataFileError(path, f"{where} needs a text {key!r}")
    return value


def _check_placeholders(path: Path, where: str, text: str, allowed: frozenset[str]) -> None:
    for _, name, _, _ in string.Formatter().parse(text):
        if name is not None and name not in allowed:
            raise DataFileError(path, f"{where} text uses unknown placeholder {{{name}}}")


def _effect(path: Path, where: str, value: object) -> Effect:
    try:
        return Effect(str(value))
    except ValueError:
        raise DataFileError(
            path, f"{where} effect {value!r} is not one of {[e.value for e in Effect]}"
        ) from None


def _citation(path: Path, where: str, raw: dict[str, Any]) -> tuple[Cited | None, str, str]:
    grade, certainty = raw.get("grade", ""), raw.get("certainty", "")
    if grade not in GRADES or certainty not in CERTAINTIES:
        raise DataFileError(path, f"{where} has an unknown grade or certainty")
    if "source" not in raw:
        if grade or certainty or "locator" in raw:
            raise DataFileError(path, f"{where} gives a grade or locator without a source")
        return None, "", ""
    source = require_source(path, f"{where}.source", raw["source"])
    return Cited(source, _text(path, where, raw, "locator", required=False)), grade, certainty


_RULE_KEYS: Final = frozenset(
    {
        "code", "title", "kind", "when", "text", "effect", "effect_setting", "source", "locator",
        "grade", "certainty", "on_unknown", "missing_text", "test", "recency_setting", "applies_if",
    }
)  # fmt: skip


def _rule(path: Path, raw: Any, tests: dict[str, str], settings: dict[str, SettingSpec]) -> Rule:
    if not isinstance(raw, dict):
        raise DataFileError(path, "each [[rules]] entry must be a table")
    code = raw.get("code")
    if not isinstance(code, str) or not _CODE.match(code):
        raise DataFileError(path, f"rule code {code!r} must be lower-case letters, digits, '.-'")
    where = f"rule {code!r}"
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise DataFileError(path, f"{where} has unknown keys {sorted(unknown)}")
    kind = raw.get("kind", "flag")
    on_unknown = raw.get("on_unknown", "missing")
    if kind not in ("flag", "test") or on_unknown not in ("missing", "ignore"):
        raise DataFileError(path, f"{where}: kind must be flag/test, on_unknown missing/ignore")
    text = _text(path, where, raw, "text")
    _check_placeholders(path, where, text, frozenset(FIELDS))
    cited, grade, certainty = _citation(path, where, raw)
    effect: Effect | None = None
    effect_setting, test, recency = "", "", ""
    if kind == "test":
        test, recency = str(raw.get("test")), str(raw.get("recency_setting"))
        if test not in tests:
            raise DataFileError(path, f"{where} names unknown test {test!r}")
        if recency not in settings or settings[recency].kind != "days":
            raise DataFileError(path, f"{where} recency_setting must name a 'days' setting")
        if cited is None or "effect" in raw or "effect_setting" in raw:
            raise DataFileError(path, f"{where}: a test rule needs a source and no effect")
    elif "effect_setting" in raw:
        effect_setting = raw["effect_setting"]
        if effect_setting not in settings or settings[effect_setting].kind != "policy":
            raise DataFileError(path, f"{where} effect_setting must name a 'policy' setting")
        if "effect" in raw or cited is not None:
            raise DataFileError(path, f"{where}: a clinic-policy rule has no effect or source")
    else:
        effect = _effect(path, where, raw.get("effect"))
        if cited is None and effect is not Effect.MISSING:
            raise DataFileError(path, f"{where} needs a source for effect {effect.value!r}")
    return Rule(
        code=code,
        title=_text(path, where, raw, "title"),
        kind="test" if kind == "test" else "flag",
        when=parse(path, f"{where}.when", raw.get("when")),
        text=text,
        effect=effect,
        effect_setting=str(effect_setting),
        cited=cited,
        grade=grade,
        certainty=certainty,
        on_unknown="ignore" if on_unknown == "ignore" else "missing",
        missing_text=_text(path, where, raw, "missing_text", required=False),
        test=test,
        recency_setting=recency,
        origin=path.name,
        applies_if=parse(path, f"{where}.applies_if", raw["applies_if"]) if "applies_if" in raw else None,
    )


def _settings(path: Path, raw: Any, into: dict[str, SettingSpec]) -> None:
    if not isinstance(raw, dict):
        raise DataFileError(path, "[settings] must be a table of tables")
    for name, entry in raw.items():
        where = f"[settings.{name}]"
        if not _NAME.match(name) or not isinstance(entry, dict) or name in into:
            raise DataFileError(path, f"{where} is malformed or defined twice")
        kind = entry.get("kind")
        if kind not in ("days", "policy"):
            raise DataFileError(path, f"{where} kind must be 'days' or 'policy'")
        label = _text(path, where, entry, "label")
        into[name] = SettingSpec(name, "days" if kind == "days" else "policy", label)


def _indication(path: Path, raw: Any, into: dict[str, IndicationCase]) -> None:
    if not isinstance(raw, dict):
        raise DataFileError(path, "[indication] must be a table of tables")
    for case, entry in raw.items():
        where = f"[indication.{case}]"
        if case not in INDICATION_CASES or not isinstance(entry, dict) or case in into:
            raise DataFileError(path, f"{where} is unknown, malformed or defined twice")
        text = _text(path, where, entry, "text")
        _check_placeholders(path, where, text, INDICATION_CASES[case])
        cited, _, _ = _citation(path, where, entry)
        into[case] = IndicationCase(_effect(path, where, entry.get("effect")), text, cited)


@cache
def rule_book() -> RuleBook:
    """Every rule, test kind, clinic setting and indication case, validated."""
    raws = [(path, read_toml(path)) for path in toml_files(SUBDIR)]
    tests: dict[str, str] = {}
    settings: dict[str, SettingSpec] = {}
    indication: dict[str, IndicationCase] = {}
    for path, raw in raws:
        unknown = set(raw) - {"rules", "tests", "settings", "indication"}
        if unknown:
            raise DataFileError(path, f"unknown sections {sorted(unknown)}")
        raw_tests = raw.get("tests", {})
        if not isinstance(raw_tests, dict):
            raise DataFileError(path, "[tests] must be a table of tables")
        for kind, entry in raw_tests.items():
            if kind in tests or not isinstance(entry, dict):
                raise DataFileError(path, f"[tests.{kind}] is malformed or defined twice")
            tests[kind] = _text(path, f"[tests.{kind}]", entry, "label")
        if "settings" in raw:
            _settings(path, raw["settings"], settings)
        if "indication" in raw:
            _indication(path, raw["indication"], indication)
    if "interaction" in indication and indication["interaction"].effect is not Effect.CAUTION:
        raise DataFileError(SUBDIR, "[indication.interaction] effect must be 'caution'")
    missing = set(INDICATION_CASES) - set(indication)
    if missing:
        raise DataFileError(SUBDIR, f"indication cases {sorted(missing)} are not defined")
    rules: list[Rule] = []
    for path, raw in raws:
        entries = raw.get("rules", [])
        if not isinstance(entries, list):
            raise DataFileError(path, "rules must be an array of tables ([[rules]])")
        rules.extend(_rule(path, entry, tests, settings) for entry in entries)
    codes = [r.code for r in rules]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise DataFileError(SUBDIR, f"rule codes {duplicates} are used twice")
    return RuleBook(tuple(rules), tests, settings, indication)
