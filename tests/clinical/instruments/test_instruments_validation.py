"""A bad definition file is refused at load time with one clear sentence."""

from __future__ import annotations

from pathlib import Path

import pytest

from ketapath.clinical.datafiles import DataFileError
from ketapath.clinical.instruments.loader import load_definition

VALID = """
id = "demo"
name = "Demo"
title = "Demonstration scale"
version = "1"
kind = "patient-reported"
primary = "total"
citations = [{ source = "kroenke-2001" }]

[licence]
status = "free"
holder = "Nobody"
statement = "Free."
source = "kroenke-2001"

[option_sets.frequency]
options = [
  { value = 0, label = "Not at all", text = "Not at all" },
  { value = 1, label = "Several days", text = "Several days" },
  { value = 2, label = "Often", text = "Often" },
]

[[items]]
id = "q1"
label = "First"
text = "First question"
options = "frequency"
code = "44250-9"

[[items]]
id = "q2"
label = "Second"
text = "Second question"
options = "frequency"

[[scales]]
id = "total"
label = "Total"
method = "sum"
items = ["q1", "q2"]
source = "kroenke-2001"

[[scales.bands]]
min = 0
max = 1
label = "Low"
source = "kroenke-2001"

[[scales.bands]]
min = 2
max = 4
label = "High"
source = "kroenke-2001"

[[scales.cutoffs]]
min = 3
label = "Positive"
source = "kroenke-2001"

[[alerts]]
id = "second-item"
item = "q2"
min = 1
severity = "high"
routing = "same-day clinician review"
audience = "clinician"
message = "Second item endorsed."
source = "simon-2013"
"""


def write(tmp_path: Path, text: str, name: str = "demo") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_valid_file_loads(tmp_path: Path) -> None:
    definition = load_definition(write(tmp_path, VALID))
    assert definition.id == "demo" and definition.primary_scale.maximum == 4


BROKEN = [
    ("id does not match", VALID, "other", "must match the file name"),
    ("duplicate item id", VALID.replace('id = "q2"', 'id = "q1"'), "demo", "used twice"),
    (
        "duplicate option value",
        VALID.replace('{ value = 2, label = "Often"', '{ value = 1, label = "Often"'),
        "demo",
        "duplicate option values",
    ),
    ("band gap", VALID.replace("min = 2\nmax = 4", "min = 3\nmax = 4"), "demo", "gap"),
    ("band overlap", VALID.replace("min = 2\nmax = 4", "min = 1\nmax = 4"), "demo", "overlap"),
    ("band short of range", VALID.replace("min = 2\nmax = 4", "min = 2\nmax = 3"), "demo", "cover"),
    ("cut-off outside range", VALID.replace("min = 3\nlabel", "min = 9\nlabel"), "demo", "outside"),
    (
        "unknown source",
        VALID.replace('source = "simon-2013"', 'source = "nobody-1999"'),
        "demo",
        "unknown source",
    ),
    ("bad LOINC check digit", VALID.replace("44250-9", "44250-8"), "demo", "check digit"),
    (
        "licensed wording shipped",
        VALID.replace('status = "free"', 'status = "licensed"'),
        "demo",
        "ships wording",
    ),
    (
        "prorated sum",
        VALID.replace('items = ["q1", "q2"]', 'items = ["q1", "q2"]\nmin_answered = 1'),
        "demo",
        "prorating",
    ),
    ("alert on unknown item", VALID.replace('item = "q2"', 'item = "q9"'), "demo", "unknown item"),
    ("alert never met", VALID.replace("min = 1\nseverity", "min = 5\nseverity"), "demo", "never or always"),
    (
        "unknown field",
        VALID.replace('kind = "patient-reported"', 'kind = "patient-reported"\ncolour = "red"'),
        "demo",
        "unknown fields",
    ),
    ("bad severity", VALID.replace('severity = "high"', 'severity = "urgent"'), "demo", "severity"),
    ("primary missing", VALID.replace('primary = "total"', 'primary = "sum"'), "demo", "primary scale"),
    (
        "bands on a mean",
        VALID.replace('method = "sum"', 'method = "mean"'),
        "demo",
        "bands are only supported",
    ),
    (
        "scale with unscored item",
        VALID.replace(
            'options = "frequency"\n\n[[scales]]', 'options = "frequency"\nscored = false\n\n[[scales]]'
        ),
        "demo",
        "unscored",
    ),
    ("long label", VALID.replace('label = "First"', 'label = "' + "x" * 90 + '"'), "demo", "longer than"),
    (
        "no citation",
        VALID.replace('citations = [{ source = "kroenke-2001" }]', "citations = []"),
        "demo",
        "citation",
    ),
]


@pytest.mark.parametrize(("case", "text", "name", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_files_raise_one_clear_sentence(
    tmp_path: Path, case: str, text: str, name: str, message: str
) -> None:
    with pytest.raises(DataFileError) as caught:
        load_definition(write(tmp_path, text, name))
    assert message in str(caught.value), case
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith(f"{name}.toml: ")
