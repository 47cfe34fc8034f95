"""Conditions a ketamine clinic treats: ICD-10-CM codes, evidence groups and chronicity.

The list lives in ``data/conditions.toml``. Each condition names the ICD-10-CM codes or categories
that identify it and, where a cited guideline grades it, the evidence group it falls in (for pain,
the indication statements of Cohen 2018).

Chronic means lasting **more than** three calendar months (the number and its source are data).
Months are calendar months: three months after 15 March is 15 June, and a month after 31 January
is the last day of February. Pain that began on 15 March has lasted exactly three months on
15 June, which is *not* more than three months; it is chronic from 16 June.

>>> c = chronicity(date(2025, 3, 15), date(2025, 6, 15))
>>> (c.whole_months, c.extra_days, c.chronic, c.chronic_from)
(3, 0, False, datetime.date(2025, 6, 16))
>>> chronicity(date(2025, 3, 15), date(2025, 6, 16)).chronic
True
>>> [c.id for c in match_icd10("g90.511")]
['crps-1']

Codes are matched by exact codes and explicit ranges, never by prefix: ``F32`` (a category) does
not stand for every depressive episode, because it holds premenstrual dysphoric disorder (F32.81),
episodes in remission (F32.4, F32.5) and depression, unspecified (F32.A). Codes a clinic may meet
that are *not* the condition they look like are listed as exclusions with the reason.

>>> match_icd10("F32.81")
()
>>> excluded_icd10("F32.81").title
'Premenstrual dysphoric disorder'
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Final, Literal

from ketapath.clinical.datafiles import DATA_DIR, DataFileError, read_toml
from ketapath.clinical.sources import Cited, require_source

_PATH: Final = DATA_DIR / "conditions.toml"

ConditionKind = Literal["pain", "mood", "anxiety"]
GroupEffect = Literal["supports", "caution"]
KINDS: Final[frozenset[str]] = frozenset({"pain", "mood", "anxiety"})
GRADES: Final[frozenset[str]] = frozenset({"", "A", "B", "C", "D", "I"})
CERTAINTIES: Final[frozenset[str]] = frozenset({"", "high", "moderate", "low"})
_ICD = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


# --------------------------------------------------------------------------------------------
# Calendar months and chronicity
# --------------------------------------------------------------------------------------------


def add_months(start: date, months: int) -> date:
    """The same day ``months`` calendar months later, or the month's last day if it is shorter.

    >>> add_months(date(2025, 1, 31), 1)
    datetime.date(2025, 2, 28)
    >>> add_months(date(2023, 11, 30), 3)
    datetime.date(2024, 2, 29)
    """
    index = start.year * 12 + (start.month - 1) + months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(start.day, last))


def whole_months_between(start: date, end: date) -> int:
    """The number of whole calendar months from ``start`` to ``end`` (``end`` not before it).

    >>> whole_months_between(date(2025, 1, 31), date(2025, 2, 28))
    1
    >>> whole_months_between(date(2025, 3, 15), date(2025, 6, 14))
    2
    """
    if end < start:
        raise ValueError(f"{end.isoformat()} is before {start.isoformat()}")
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if add_months(start, months) > end:
        months -= 1
    return months


@dataclass(frozen=True, slots=True)
class Chronicity:
    """How long a condition has lasted on a date, and whether that is chronic.

    ``whole_months`` calendar months plus ``extra_days`` days (``total_days`` in all);
    ``chronic`` is true when the duration is more than ``threshold_months`` months, which first
    happens on ``chronic_from``.
    """

    onset: date
    assessed_on: date
    whole_months: int
    extra_days: int
    total_days: int
    threshold_months: int
    chronic: bool
    chronic_from: date
    cited: Cited

    def describe(self) -> str:
        """E.g. ``3 months and 1 day``."""
        months = f"{self.whole_months} month{'s' if self.whole_months != 1 else ''}"
        days = f"{self.extra_days} day{'s' if self.extra_days != 1 else ''}"
        return f"{months} and {days}"


def chronicity(onset: date, assessed_on: date) -> Chronicity:
    """Duration from ``onset`` to ``assessed_on`` and whether it is chronic (see module doc)."""
    if onset > assessed_on:
        raise ValueError(f"onset {onset.isoformat()} is after the assessment date {assessed_on.isoformat()}")
    rule = _data().chronicity
    months = whole_months_between(onset, assessed_on)
    threshold_date = add_months(onset, rule.more_than_months)
    return Chronicity(
        onset=onset,
        assessed_on=assessed_on,
        whole_months=months,
        extra_days=(assessed_on - add_months(onset, months)).days,
        total_days=(assessed_on - onset).days,
        threshold_months=rule.more_than_months,
        chronic=assessed_on > threshold_date,
        chronic_from=threshold_date + timedelta(days=1),
        cited=rule.cited,
    )


# --------------------------------------------------------------------------------------------
# Conditions and evidence groups
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EvidenceGroup:
    """A graded evidence statement that covers one or more conditions."""

    id: str
    summary: str
    grade: str
    certainty: str
    effect: GroupEffect
    cited: Cited


@dataclass(frozen=True, slots=True)
class CodeRange:
    """The ICD-10-CM codes from ``first`` to ``last`` in the tabular order, both ends included.

    The tabular order is the order of the normalised codes as text (digits before letters:
    F32.9 < F32.A), with a code's subdivisions straight after it (F32.8 < F32.81 < F32.89 < F32.9).
    So ``F33.0-F33.3`` holds F33.0, F33.1, F33.2, F33.3 and their subdivisions, but not F33.4x;
    ``G90.50-G90.59`` holds G90.511 and G90.529 but not the category G90.5 itself.

    >>> r = CodeRange("F33.0", "F33.3")
    >>> [r.holds(c) for c in ("F33.0", "F33.2", "F33.3", "F33.40", "F33.9", "F33")]
    [True, True, True, False, False, False]
    """

    first: str
    last: str

    def holds(self, code: str) -> bool:
        return code >= self.first and code[: len(self.last)] <= self.last

    def overlaps(self, other: CodeRange) -> bool:
        return self.holds(other.first) or other.holds(self.first)

    def __str__(self) -> str:
        return f"{self.first}-{self.last}"


@dataclass(frozen=True, slots=True)
class CodeSet:
    """Exact codes and ranges (see :class:`CodeRange`); nothing is matched by prefix."""

    codes: frozenset[str]
    ranges: tuple[CodeRange, ...]

    def holds(self, code: str) -> bool:
        return code in self.codes or any(r.holds(code) for r in self.ranges)

    def overlaps(self, other: CodeSet) -> str | None:
        """A code or range the two sets share, or None."""
        for code in sorted(self.codes):
            if other.holds(code):
                return code
        for code in sorted(other.codes):
            if self.holds(code):
                return code
        for a in self.ranges:
            for b in other.ranges:
                if a.overlaps(b):
                    return f"{a} and {b}"
        return None

    def describe(self) -> tuple[str, ...]:
        """The exact codes and ranges as written, e.g. ``("G90.5", "G90.50-G90.59")``."""
        return (*sorted(self.codes), *(str(r) for r in self.ranges))


@dataclass(frozen=True, slots=True)
class Condition:
    """A treatable condition; ``group`` is None when no cited guideline grades it.

    ``needs_treatment_resistance``: the cited evidence covers the treatment-resistant form only,
    so the engine asks whether the patient's condition is treatment-resistant.
    """

    id: str
    name: str
    kind: ConditionKind
    icd10: CodeSet
    group: EvidenceGroup | None
    needs_treatment_resistance: bool = False

    @property
    def icd10cm(self) -> tuple[str, ...]:
        """The exact codes and ranges, for display."""
        return self.icd10.describe()

    def matches(self, code: str) -> bool:
        """Whether a normalised ICD-10-CM code is one of this condition's codes or in a range."""
        return self.icd10.holds(code)


@dataclass(frozen=True, slots=True)
class ExcludedCodes:
    """Codes that look like a condition but do not count as it (e.g. depression in remission)."""

    id: str
    title: str
    reason: str
    icd10: CodeSet
    cited: Cited


@dataclass(frozen=True, slots=True)
class ChronicityRule:
    more_than_months: int
    cited: Cited


@dataclass(frozen=True, slots=True)
class ConditionData:
    coding_system: str
    coding: Cited
    chronicity: ChronicityRule
    groups: dict[str, EvidenceGroup]
    conditions: dict[str, Condition]
    excluded: tuple[ExcludedCodes, ...] = ()


def normalise_icd10(code: str) -> str:
    """Upper-case, no spaces, a dot after the category: ``g905 1`` -> ``G90.51``.

    >>> normalise_icd10(" m54.50 ")
    'M54.50'
    >>> normalise_icd10("G9051")
    'G90.51'
    """
    text = code.strip().upper().replace(" ", "").replace(".", "")
    if len(text) > 3:
        text = f"{text[:3]}.{text[3:]}"
    if not _ICD.match(text):
        raise ValueError(f"{code!r} is not an ICD-10 code")
    return text


def _text(path: Path, where: str, raw: dict[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str):
        raise DataFileError(path, f"{where} needs a text {key!r}")
    return value


def _cited(path: Path, where: str, raw: dict[str, Any]) -> Cited:
    source = require_source(path, f"{where}.source", raw.get("source"))
    locator = raw.get("locator", "")
    if not isinstance(locator, str):
        raise DataFileError(path, f"{where}.locator must be text")
    return Cited(source, locator)


def _group(path: Path, key: str, raw: Any) -> EvidenceGroup:
    where = f"[groups.{key}]"
    if not isinstance(raw, dict):
        raise DataFileError(path, f"{where} must be a table")
    grade, certainty = raw.get("grade", ""), raw.get("certainty", "")
    if grade not in GRADES:
        raise DataFileError(path, f"{where} grade {grade!r} must be one of {sorted(GRADES)}")
    if certainty not in CERTAINTIES:
        raise DataFileError(path, f"{where} certainty {certainty!r} must be one of {sorted(CERTAINTIES)}")
    effect = raw.get("effect")
    if effect not in ("supports", "caution"):
        raise DataFileError(path, f"{where} effect must be 'supports' or 'caution'")
    return EvidenceGroup(
        id=key,
        summary=_text(path, where, raw, "summary"),
        grade=str(grade),
        certainty=str(certainty),
        effect="supports" if effect == "supports" else "caution",
        cited=_cited(path, where, raw),
    )


def _code_set(path: Path, where: str, raw: dict[str, Any]) -> CodeSet:
    """``codes`` (exact) and ``ranges`` (``"FIRST-LAST"``), each a list of text; ``prefix`` is gone."""
    if "icd10cm" in raw:
        raise DataFileError(path, f"{where}: 'icd10cm' prefixes are gone; list exact 'codes' and 'ranges'")
    codes, ranges = raw.get("codes", []), raw.get("ranges", [])
    if not isinstance(codes, list) or not isinstance(ranges, list):
        raise DataFileError(path, f"{where}: codes and ranges must be lists")
    for code in codes:
        if not isinstance(code, str) or not _ICD.match(code):
            raise DataFileError(path, f"{where} code {code!r} is not a normalised ICD-10-CM code")
    parsed: list[CodeRange] = []
    for text in ranges:
        first, sep, last = str(text).partition("-")
        if not sep or not _ICD.match(first) or not _ICD.match(last) or first[:3] != last[:3]:
            raise DataFileError(path, f"{where} range {text!r} must be FIRST-LAST in one category")
        if not first < last:
            raise DataFileError(path, f"{where} range {text!r} must run from a lower to a higher code")
        parsed.append(CodeRange(first, last))
    return CodeSet(frozenset(str(c) for c in codes), tuple(parsed))


def _condition(path: Path, raw: Any, groups: dict[str, EvidenceGroup]) -> Condition:
    if not isinstance(raw, dict):
        raise DataFileError(path, "each [[conditions]] entry must be a table")
    cid = raw.get("id")
    if not isinstance(cid, str) or not _ID.match(cid):
        raise DataFileError(path, f"condition id {cid!r} must be lower-case letters, digits, '-'")
    where = f"condition {cid!r}"
    kind = raw.get("kind")
    if kind not in KINDS:
        raise DataFileError(path, f"{where} kind must be one of {sorted(KINDS)}")
    icd10 = _code_set(path, where, raw)
    needs_tr = raw.get("needs_treatment_resistance", False)
    if not isinstance(needs_tr, bool):
        raise DataFileError(path, f"{where} needs_treatment_resistance must be true or false")
    group_id = raw.get("group")
    if group_id is not None and group_id not in groups:
        raise DataFileError(path, f"{where} names unknown group {group_id!r}")
    condition_kind: ConditionKind = "pain" if kind == "pain" else "mood" if kind == "mood" else "anxiety"
    return Condition(
        id=cid,
        name=_text(path, where, raw, "name"),
        kind=condition_kind,
        icd10=icd10,
        group=groups[group_id] if isinstance(group_id, str) else None,
        needs_treatment_resistance=needs_tr,
    )


def _excluded(path: Path, raw: Any) -> ExcludedCodes:
    if not isinstance(raw, dict):
        raise DataFileError(path, "each [[excluded]] entry must be a table")
    eid = raw.get("id")
    if not isinstance(eid, str) or not _ID.match(eid):
        raise DataFileError(path, f"excluded id {eid!r} must be lower-case letters, digits, '-'")
    where = f"excluded {eid!r}"
    return ExcludedCodes(
        id=eid,
        title=_text(path, where, raw, "title"),
        reason=_text(path, where, raw, "reason"),
        icd10=_code_set(path, where, raw),
        cited=_cited(path, where, raw),
    )


def _check_overlaps(path: Path, owners: list[tuple[str, CodeSet]]) -> None:
    """No code may belong to two conditions, or to a condition and an exclusion."""
    for i, (a_id, a) in enumerate(owners):
        for b_id, b in owners[i + 1 :]:
            shared = a.overlaps(b)
            if shared:
                raise DataFileError(path, f"{a_id} and {b_id} share {shared}")


@cache
def _data() -> ConditionData:
    raw = read_toml(_PATH)
    coding = raw.get("coding")
    if not isinstance(coding, dict):
        raise DataFileError(_PATH, "[coding] is missing")
    chronic = raw.get("chronicity")
    if not isinstance(chronic, dict):
        raise DataFileError(_PATH, "[chronicity] is missing")
    months = chronic.get("more_than_months")
    if not isinstance(months, int) or isinstance(months, bool) or not 1 <= months <= 24:
        raise DataFileError(_PATH, "[chronicity] more_than_months must be a whole number 1-24")
    raw_groups = raw.get("groups")
    if not isinstance(raw_groups, dict):
        raise DataFileError(_PATH, "[groups] is missing")
    groups = {key: _group(_PATH, key, value) for key, value in raw_groups.items()}
    raw_conditions = raw.get("conditions")
    if not isinstance(raw_conditions, list) or not raw_conditions:
        raise DataFileError(_PATH, "[[conditions]] is missing")
    conditions: dict[str, Condition] = {}
    for entry in raw_conditions:
        condition = _condition(_PATH, entry, groups)
        if condition.id in conditions:
            raise DataFileError(_PATH, f"condition {condition.id!r} is defined twice")
        conditions[condition.id] = condition
    raw_excluded = raw.get("excluded", [])
    if not isinstance(raw_excluded, list):
        raise DataFileError(_PATH, "[[excluded]] must be an array of tables")
    excluded = tuple(_excluded(_PATH, entry) for entry in raw_excluded)
    owners = [(c.id, c.icd10) for c in conditions.values()] + [
        (f"excluded {e.id}", e.icd10) for e in excluded
    ]
    _check_overlaps(_PATH, owners)
    return ConditionData(
        coding_system=_text(_PATH, "[coding]", coding, "system"),
        coding=_cited(_PATH, "[coding]", coding),
        chronicity=ChronicityRule(months, _cited(_PATH, "[chronicity]", chronic)),
        groups=groups,
        conditions=conditions,
        excluded=excluded,
    )


def all_conditions() -> tuple[Condition, ...]:
    """Every condition, in the data file's order."""
    return tuple(_data().conditions.values())


def get_condition(condition_id: str) -> Condition:
    """The condition with this id; :class:`KeyError` if there is none."""
    try:
        return _data().conditions[condition_id]
    except KeyError:
        raise KeyError(f"unknown condition {condition_id!r}") from None


def match_icd10(code: str) -> tuple[Condition, ...]:
    """The conditions with this exact code or a range holding it (at most one: no overlaps).

    >>> match_icd10("Z00.00")
    ()
    """
    normalised = normalise_icd10(code)
    return tuple(c for c in _data().conditions.values() if c.matches(normalised))


def excluded_icd10(code: str) -> ExcludedCodes | None:
    """The exclusion an ICD-10-CM code falls under (a code that is not the condition it looks
    like, e.g. F32.4, depression in partial remission), or None.

    >>> excluded_icd10("F33.41").id
    'depression-in-remission'
    >>> excluded_icd10("F33.1") is None
    True
    """
    normalised = normalise_icd10(code)
    return next((e for e in _data().excluded if e.icd10.holds(normalised)), None)


def all_excluded() -> tuple[ExcludedCodes, ...]:
    """Every exclusion, in the data file's order."""
    return _data().excluded


def coding_source() -> Cited:
    """The code set the conditions' codes come from."""
    return _data().coding


def chronic_after_months() -> int:
    """Pain lasting more than this many calendar months is chronic."""
    return _data().chronicity.more_than_months


def chronicity_source() -> Cited:
    """The source of the definition of chronic."""
    return _data().chronicity.cited
