"""Laboratory tests recorded as structured results (``data/labs/*.toml``), and how one result reads
against the clinic's reference limit.

Each test has its LOINC code and display (checked against the cited value sets), its unit (UCUM),
how many decimals it is recorded with, and entry bounds that catch typing errors (not clinical
thresholds). The reference range is not data: it is the clinic's laboratory's own, a clinic setting
with no default. :func:`judge` never calls a value "normal" when the limit is not set.

>>> alt = get_lab_test("alt")
>>> alt.loinc, alt.unit
('1742-6', 'U/L')
>>> judge(Decimal("80"), Decimal("40")).above, judge(Decimal("80"), None).status
(True, 'not-set')
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any, Final

from ketapath.clinical.datafiles import DataFileError, read_toml, toml_files
from ketapath.clinical.instruments.loinc import is_valid_code
from ketapath.clinical.sources import Cited, require_source

ABOVE: Final = "above"
WITHIN: Final = "within"
NOT_SET: Final = "not-set"


@dataclass(frozen=True, slots=True)
class LabTest:
    """One laboratory test KetaPath records."""

    id: str
    label: str
    short: str
    loinc: str
    display: str
    unit: str
    ucum: str
    decimals: int
    entry_min: Decimal
    entry_max: Decimal
    cited: Cited
    unit_cited: Cited
    group: str  # the data file it comes from, e.g. "liver"

    def in_bounds(self, value: Decimal) -> bool:
        return value.is_finite() and self.entry_min <= value <= self.entry_max


@dataclass(frozen=True, slots=True)
class Judgement:
    """A value against the clinic's upper reference limit."""

    status: str  # ABOVE, WITHIN or NOT_SET
    upper: Decimal | None

    @property
    def above(self) -> bool:
        return self.status == ABOVE

    @property
    def text(self) -> str:
        if self.status == NOT_SET:
            return "reference range not set"
        return "above the upper reference limit" if self.above else "within the reference limit"


def judge(value: Decimal, upper: Decimal | None) -> Judgement:
    """``value`` against ``upper`` (the clinic's upper reference limit); unset is never normal.

    >>> judge(Decimal("40"), Decimal("40")).status, judge(Decimal("40.1"), Decimal("40")).text
    ('within', 'above the upper reference limit')
    """
    if upper is None:
        return Judgement(NOT_SET, None)
    return Judgement(ABOVE if value > upper else WITHIN, upper)


def _decimal(path: Path, where: str, raw: object) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise DataFileError(path, f"{where} must be a number")
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise DataFileError(path, f"{where} must be a number") from None
    if not value.is_finite():
        raise DataFileError(path, f"{where} must be a finite number")
    return value


def _text(path: Path, where: str, raw: dict[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise DataFileError(path, f"{where} needs {key!r}")
    return value.strip()


def _parse_test(path: Path, n: int, raw: object) -> LabTest:
    where = f"test {n + 1}"
    if not isinstance(raw, dict):
        raise DataFileError(path, f"{where} must be a table")
    allowed = {
        "id",
        "label",
        "short",
        "loinc",
        "display",
        "unit",
        "ucum",
        "decimals",
        "entry_min",
        "entry_max",
        "source",
        "locator",
        "unit_source",
    }
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise DataFileError(path, f"{where} has unknown fields {unknown}")
    test_id = _text(path, where, raw, "id")
    loinc = _text(path, where, raw, "loinc")
    if not is_valid_code(loinc) or not loinc[0].isdigit():
        raise DataFileError(path, f"{where}: {loinc!r} is not a LOINC code with a correct check digit")
    decimals = raw.get("decimals")
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 3:
        raise DataFileError(path, f"{where}: decimals must be a whole number from 0 to 3")
    low = _decimal(path, f"{where} entry_min", raw.get("entry_min"))
    high = _decimal(path, f"{where} entry_max", raw.get("entry_max"))
    if low < 0 or high <= low:
        raise DataFileError(path, f"{where}: entry bounds must satisfy 0 <= entry_min < entry_max")
    locator = raw.get("locator", "")
    return LabTest(
        id=test_id,
        label=_text(path, where, raw, "label"),
        short=_text(path, where, raw, "short"),
        loinc=loinc,
        display=_text(path, where, raw, "display"),
        unit=_text(path, where, raw, "unit"),
        ucum=_text(path, where, raw, "ucum"),
        decimals=decimals,
        entry_min=low,
        entry_max=high,
        cited=Cited(
            require_source(path, f"{where} source", raw.get("source")),
            locator if isinstance(locator, str) else "",
        ),
        unit_cited=Cited(require_source(path, f"{where} unit_source", raw.get("unit_source"))),
        group=path.stem,
    )


def load_file(path: Path) -> tuple[Cited, tuple[LabTest, ...]]:
    """One data file: why its tests are followed, and the tests."""
    raw = read_toml(path)
    unknown = sorted(set(raw) - {"why", "tests"})
    if unknown:
        raise DataFileError(path, f"unknown top-level fields {unknown}")
    why = raw.get("why")
    if not isinstance(why, dict):
        raise DataFileError(path, "'why' must be a table naming the source")
    locator = why.get("locator", "")
    cited_why = Cited(
        require_source(path, "why", why.get("source")), locator if isinstance(locator, str) else ""
    )
    entries = raw.get("tests")
    if not isinstance(entries, list) or not entries:
        raise DataFileError(path, "'tests' must list at least one test")
    tests = tuple(_parse_test(path, n, entry) for n, entry in enumerate(entries))
    ids = [t.id for t in tests]
    if len(set(ids)) != len(ids):
        raise DataFileError(path, "a test id is listed twice")
    return cited_why, tests


@cache
def lab_groups() -> dict[str, tuple[Cited, tuple[LabTest, ...]]]:
    """Every data file by its name (``liver``): why it is followed and its tests."""
    found: dict[str, tuple[Cited, tuple[LabTest, ...]]] = {}
    seen: set[str] = set()
    for path in toml_files("labs"):
        why, tests = load_file(path)
        for test in tests:
            if test.id in seen:
                raise DataFileError(path, f"test id {test.id!r} is defined in another file too")
            seen.add(test.id)
        found[path.stem] = (why, tests)
    return found


def lab_tests(group: str | None = None) -> tuple[LabTest, ...]:
    """Every test (of one group), in data-file order.

    >>> [t.id for t in lab_tests("liver")]
    ['alt', 'ast', 'ggt', 'bilirubin-total']
    """
    return tuple(t for name, (_, tests) in lab_groups().items() if group in (None, name) for t in tests)


class UnknownLabTestError(KeyError):
    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown lab test"


def get_lab_test(test_id: str) -> LabTest:
    for test in lab_tests():
        if test.id == test_id:
            return test
    raise UnknownLabTestError(f"unknown lab test {test_id!r}")
