"""The rule book: what the data files hold, and how bad data is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ketapath.clinical import conditions
from ketapath.clinical.datafiles import DataFileError
from ketapath.clinical.eligibility import Effect, rules, setting_specs
from ketapath.clinical.eligibility import expressions as ex
from ketapath.clinical.eligibility import rulebook as rules_module

PATH = Path("eligibility/example.toml")


def test_rule_book_loads_with_every_rule_cited_or_a_clinic_setting() -> None:
    book = rules()
    # issue 12: the esketamine label (4 contraindications, 8.2 lactation, pre-dose BP, drug not planned)
    # and the Ketalar SmPC's hypersensitivity
    assert len(book) == 27
    for rule in book:
        if rule.effect_setting:
            assert rule.cited is None and rule.effect is None
        elif rule.effect is Effect.MISSING:
            assert rule.cited is None
        else:
            assert rule.cited is not None, rule.code


def test_clinic_settings_have_no_defaults() -> None:
    specs = {s.name: s.kind for s in setting_specs()}
    assert specs == {
        "ecg_max_age_days": "days",
        "lft_max_age_days": "days",
        "breastfeeding_policy": "policy",
        "psychosis_history_policy": "policy",
        "mania_history_policy": "policy",
    }


@pytest.mark.parametrize(
    ("code", "source", "grade"),
    [
        ("contraindication.cardiovascular", "cohen-2018", "B"),
        ("contraindication.pregnancy", "cohen-2018", "B"),
        ("contraindication.active-psychosis", "cohen-2018", "B"),
        ("contraindication.severe-hepatic", "cohen-2018", "C"),
        ("contraindication.moderate-hepatic", "cohen-2018", "C"),
        ("contraindication.raised-icp", "cohen-2018", "C"),
        ("contraindication.raised-iop", "cohen-2018", "C"),
        ("contraindication.substance-misuse-serial", "cohen-2018", "C"),
        ("work-up.ecg", "cohen-2018", "C"),
        ("work-up.lft", "cohen-2018", ""),  # grade cut off in the summary: left blank
        ("safety.asq-positive", "nimh-asq-toolkit", ""),
        ("safety.phq9-item9", "louzon-2016", ""),
    ],
)
def test_rule_sources_and_grades(code: str, source: str, grade: str) -> None:
    (rule,) = [r for r in rules() if r.code == code]
    assert rule.cited is not None
    assert (rule.cited.source.id, rule.grade) == (source, grade)


# --- three-valued conditions -------------------------------------------------------------------

T, F, U = True, False, None


@pytest.mark.parametrize(
    ("a", "b", "any_", "all_"),
    [
        (T, T, T, T),
        (T, F, T, F),
        (F, F, F, F),
        (T, U, T, U),
        (F, U, U, F),
        (U, U, U, U),
    ],
)
def test_kleene_truth_table(a: bool | None, b: bool | None, any_: bool | None, all_: bool | None) -> None:
    values = {"pregnant": a, "breastfeeding": b}
    parts = (ex.Is("pregnant", True), ex.Is("breastfeeding", True))
    assert ex.evaluate(ex.AnyOf(parts), values) is any_
    assert ex.evaluate(ex.AllOf(parts), values) is all_


@pytest.mark.parametrize(
    ("expr", "values", "expected"),
    [
        (ex.In("hepatic_disease", frozenset({"moderate"})), {"hepatic_disease": "moderate"}, True),
        (ex.In("hepatic_disease", frozenset({"moderate"})), {"hepatic_disease": "severe"}, False),
        (ex.AtLeast("phq9_item9", 1), {"phq9_item9": 0}, False),
        (ex.AtLeast("phq9_item9", 1), {"phq9_item9": 1}, True),
        (ex.AtLeast("phq9_item9", 1), {"phq9_item9": None}, None),
        (ex.Known("pregnant", False), {"pregnant": None}, True),
        (ex.Known("pregnant", False), {"pregnant": False}, False),
        (ex.Is("pregnant", False), {"pregnant": False}, True),
    ],
)
def test_single_tests(expr: ex.Expr, values: dict[str, object], expected: bool | None) -> None:
    assert ex.evaluate(expr, values) is expected


def test_unknown_fields_skip_known_tests() -> None:
    expr = ex.AllOf((ex.Is("pregnant", True), ex.Known("breastfeeding", False), ex.AtLeast("phq9_item9", 1)))
    assert ex.unknown_fields(expr, {"pregnant": None, "breastfeeding": None, "phq9_item9": 2}) == (
        "pregnant",
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"field": "shoe_size", "is": True}, "unknown field"),
        ({"field": "pregnant", "is": "yes"}, "does not fit"),
        ({"field": "pregnant", "in": ["yes"]}, "does not fit"),
        ({"field": "hepatic_disease", "in": ["terminal"]}, "not among"),
        ({"field": "phq9_item9", "at_least": 4}, "does not fit"),
        ({"field": "pregnant", "is": True, "known": True}, "exactly one"),
        ({"any": []}, "non-empty list"),
        ({"any": [{"field": "pregnant", "is": True}], "field": "x"}, "only key"),
        ("pregnant", "must be a table"),
    ],
)
def test_bad_conditions_are_refused(raw: Any, message: str) -> None:
    with pytest.raises(DataFileError, match=message):
        ex.parse(PATH, "rule 'x'.when", raw)


# --- bad rules -------------------------------------------------------------------------------

GOOD: dict[str, Any] = {
    "code": "contraindication.example",
    "title": "Example",
    "when": {"field": "pregnant", "is": True},
    "effect": "blocks",
    "text": "Example.",
    "source": "cohen-2018",
    "locator": "somewhere",
    "grade": "B",
    "certainty": "low",
}


def load(**changes: Any) -> rules_module.Rule:
    raw = {k: v for k, v in {**GOOD, **changes}.items() if v is not None}
    book = rules_module.rule_book()
    return rules_module._rule(PATH, raw, book.tests, book.settings)


def test_a_good_rule_loads() -> None:
    rule = load()
    assert (rule.effect, rule.grade, rule.cited and rule.cited.label()) == (
        Effect.BLOCKS,
        "B",
        "Cohen 2018, somewhere",
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"source": None, "locator": None, "grade": None, "certainty": None}, "needs a source"),
        ({"source": None}, "without a source"),
        ({"source": "nobody-1999"}, "unknown source"),
        ({"effect": "forbid"}, "is not one of"),
        ({"grade": "E"}, "unknown grade"),
        ({"code": "Bad Code"}, "lower-case"),
        ({"colour": "red"}, "unknown keys"),
        ({"text": "Score {shoe_size}."}, "unknown placeholder"),
        ({"effect": None, "effect_setting": "breastfeeding_policy"}, "no effect or source"),
        (
            {
                "effect": None,
                "source": None,
                "locator": None,
                "grade": None,
                "certainty": None,
                "effect_setting": "ecg_max_age_days",
            },
            "'policy' setting",
        ),
        (
            {"kind": "test", "effect": None, "test": "mri", "recency_setting": "ecg_max_age_days"},
            "unknown test",
        ),
        (
            {"kind": "test", "effect": None, "test": "ecg", "recency_setting": "breastfeeding_policy"},
            "'days'",
        ),
        ({"kind": "sometimes"}, "kind must be"),
    ],
)
def test_bad_rules_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(DataFileError, match=message):
        load(**changes)


def test_a_missing_information_rule_needs_no_source() -> None:
    rule = load(effect="missing-information", source=None, locator=None, grade=None, certainty=None)
    assert rule.cited is None


RULE_FILE = '[[rules]]\ncode = "x"\ntitle = "X"\ntext = "X"\neffect = "blocks"\n{extra}'
WHEN = 'when = {{ field = "pregnant", is = true }}\nsource = "cohen-2018"\n'


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            {"a.toml": RULE_FILE.format(extra="")},
            "eligibility/a.toml: rule 'x' needs a source for effect 'blocks'",
        ),
        (
            {
                "a.toml": RULE_FILE.format(extra=WHEN.format()),
                "b.toml": RULE_FILE.format(extra=WHEN.format()),
            },
            r"rule codes \['x'\] are used twice",
        ),
        ({"a.toml": "[rules]\n"}, "rules must be an array of tables"),
        ({"a.toml": "[colours]\n"}, "unknown sections"),
        ({"a.toml": "[[rules]\n"}, "invalid TOML"),
    ],
)
def test_bad_rule_file_stops_loading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str], message: str
) -> None:
    folder = tmp_path / "eligibility"
    folder.mkdir()
    for name in ("settings.toml", "indications.toml", "workup.toml"):
        (folder / name).write_text((rules_module.DATA_FOLDER / name).read_text())
    for name, text in files.items():
        (folder / name).write_text(text)
    monkeypatch.setattr("ketapath.clinical.datafiles.DATA_DIR", tmp_path)
    with pytest.raises(DataFileError, match=message):
        rules_module.rule_book.__wrapped__()


def test_a_missing_indication_case_stops_loading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "eligibility").mkdir()
    monkeypatch.setattr("ketapath.clinical.datafiles.DATA_DIR", tmp_path)
    with pytest.raises(DataFileError, match=r"indication cases .* are not defined"):
        rules_module.rule_book.__wrapped__()


def _codes(*codes: str, ranges: tuple[tuple[str, str], ...] = ()) -> conditions.CodeSet:
    return conditions.CodeSet(frozenset(codes), tuple(conditions.CodeRange(a, b) for a, b in ranges))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (_codes("G90.51"), _codes("G90.51")),  # the same exact code twice
        (_codes(ranges=(("G90.50", "G90.59"),)), _codes("G90.511")),  # a code inside a range
        (_codes(ranges=(("F33.0", "F33.3"),)), _codes(ranges=(("F33.2", "F33.9"),))),  # ranges overlap
    ],
)
def test_overlapping_condition_codes_are_refused(a: conditions.CodeSet, b: conditions.CodeSet) -> None:
    with pytest.raises(DataFileError, match="share"):
        conditions._check_overlaps(PATH, [("a", a), ("b", b)])


def test_separate_codes_and_ranges_are_accepted() -> None:
    conditions._check_overlaps(
        PATH,
        [("a", _codes("F32.9", ranges=(("F33.0", "F33.3"),))), ("b", _codes("F33.40", "F32.81"))],
    )


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"icd10cm": ["G90.5"]}, "prefixes are gone"),
        ({"ranges": ["F33.3-F33.0"]}, "lower to a higher"),
        ({"ranges": ["F32.0-F33.3"]}, "one category"),
        ({"ranges": ["F33.0"]}, "FIRST-LAST"),
        ({"codes": ["f33.1"]}, "not a normalised"),
    ],
)
def test_bad_code_lists_are_refused(entry: dict[str, Any], message: str) -> None:
    with pytest.raises(DataFileError, match=message):
        conditions._code_set(PATH, "condition 'x'", entry)
