"""``ketapath eligibility CASE.json [--json]`` in-process (issue 12): the pure-core command."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from ketapath.cli import main
from ketapath.clinical.datafiles import DATA_DIR

EXAMPLE = DATA_DIR / "examples" / "eligibility-case.json"


def write(tmp_path: Path, case: Any, name: str = "case.json") -> str:
    path = tmp_path / name
    path.write_text(case if isinstance(case, str) else json.dumps(case), encoding="utf-8")
    return str(path)


def run_json(path: str, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    assert main(["eligibility", path, "--json"]) == 0
    payload: dict[str, Any] = json.loads(capsys.readouterr().out)
    return payload


def test_example_case_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eligibility", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Proposed decision: eligible with cautions")
    assert "planned treatment: esketamine, intranasal" in out
    # Each reason with its effect, grade and source.
    assert "[caution] Lorazepam: CNS depressant" in out
    assert "Source: Janssen 2026, 7.1 CNS depressants" in out
    assert "Grade: C (certainty low)" in out
    assert "Sertraline" not in out  # no cited interaction


def test_example_case_json(capsys: pytest.CaptureFixture[str]) -> None:
    payload = run_json(str(EXAMPLE), capsys)
    assert payload["decision"] == "eligible-with-cautions"
    assert payload["planned"] == {"drug": "esketamine", "route": "intranasal"}
    codes = [r["code"] for r in payload["reasons"]]
    assert codes == [
        "interaction.cns-depressants-sedation-esketamine.lorazepam",
        "esketamine-label.baseline-blood-pressure",
        "indication.major-depressive-disorder",
        "work-up.ecg",
    ]
    first = payload["reasons"][0]
    assert first["effect"] == "caution"
    assert first["source"]["id"] == "spravato-pi-2026"
    assert first["source"]["locator"] == "7.1 CNS depressants"
    assert first["source"]["link"].startswith("https://")
    assert payload["reasons"][3]["grade"] == "C"


def test_esketamine_contraindication_from_a_case(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    case["findings"]["intracerebral_haemorrhage_history"] = True
    payload = run_json(write(tmp_path, case), capsys)
    assert payload["decision"] == "not-eligible-now"
    assert payload["reasons"][0]["code"] == "esketamine-label.intracerebral-haemorrhage"
    assert payload["reasons"][0]["source"]["locator"] == "4 Contraindications"


def test_treatment_resistance_not_recorded_is_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    del case["findings"]["treatment_resistant"]
    payload = run_json(write(tmp_path, case), capsys)
    assert payload["decision"] == "work-up-needed"
    assert "indication.treatment-resistance-unknown.major-depressive-disorder" in [
        r["code"] for r in payload["reasons"]
    ]


def test_excluded_code_is_reported_not_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    payload = run_json(
        write(tmp_path, {"assessed_on": "2025-06-16", "conditions": [{"icd10": "F32.81"}]}), capsys
    )
    assert payload["decision"] == "work-up-needed"
    (reason,) = [r for r in payload["reasons"] if r["code"].startswith("indication.")]
    assert reason["code"] == "indication.excluded.F32.81"
    assert "Premenstrual dysphoric disorder" in reason["text"]


def test_pain_of_three_months_is_a_caution(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    case["conditions"] = [{"condition": "crps-1", "onset": "2025-03-16"}]
    case["planned"] = {"drug": "ketamine", "route": "iv"}
    case["medicines"] = []
    payload = run_json(write(tmp_path, case), capsys)
    reasons = {r["code"]: r for r in payload["reasons"]}
    assert reasons["indication.not-chronic.crps-1"]["effect"] == "caution"
    assert reasons["indication.not-chronic.crps-1"]["source"]["id"] == "treede-2019"
    assert payload["decision"] == "eligible-with-cautions"


def test_standard_input(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps({"assessed_on": "2025-06-16"})))
    assert main(["eligibility", "-", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["decision"] == "work-up-needed"


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "the case must be a JSON object"),
        ({"patient": "x"}, "unknown key 'patient'"),
        ({"findings": {"pregnnant": False}}, "unknown finding 'pregnnant'"),
        ({"findings": {"systolic_bp_mmhg": 120}}, 'use "vitals"'),
        ({"findings": {"pregnant": "no"}}, "findings.pregnant must be true, false or null"),
        ({"findings": {"hepatic_disease": "terminal"}}, "must be one of none, mild, moderate, severe"),
        ({"findings": {"phq9_item9": 4}}, "whole number 0-3"),
        ({"vitals": {"systolic_bp_mmhg": 1000}}, "whole number 40-300"),
        ({"vitals": {"heart_rate": 80}}, "unknown key 'heart_rate'"),
        ({"planned": {"drug": "arketamine"}}, "planned.drug must be one of ketamine, esketamine"),
        ({"conditions": [{"icd10": "not a code"}]}, "is not an ICD-10-CM code"),
        ({"conditions": [{"condition": "no-such"}]}, "unknown condition 'no-such'"),
        ({"conditions": [{"icd10": "F33.1", "condition": "crps-1"}]}, "exactly one of"),
        ({"conditions": {"icd10": "F33.1"}}, "conditions must be a JSON list"),
        ({"assessed_on": "16/06/2025"}, "assessed_on must be a date"),
        ({"medicines": [{"dose": "1 mg"}]}, "medicines[0].name must be non-empty text"),
        ({"medicines": [{"name": "x", "since": "yesterday"}]}, "medicines[0].since must be a date"),
        ({"tests": [{"kind": "mri", "done_on": "2025-01-01"}]}, "tests[0].kind must be one of"),
        ({"clinic_settings": {"ecg_max_age": 30}}, "unknown clinic setting"),
        (
            {"assessed_on": "2025-06-16", "conditions": [{"condition": "crps-1", "onset": "2025-07-01"}]},
            "after the assessment date",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: Any, message: str
) -> None:
    assert main(["eligibility", write(tmp_path, case)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("ketapath eligibility: ")
    assert message in lines[0]


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eligibility", str(tmp_path / "nope.json")]) == 2
    assert capsys.readouterr().err.strip().endswith("nope.json: no such file")


def test_help_documents_the_schema_with_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["eligibility", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    expected = [
        "conditions",
        "findings",
        "medicines",
        "vitals",
        "planned",
        "Example:",
        "treatment_resistant",
        "aneurysmal_vascular_disease: true/false",
        "hepatic_disease: none | mild | moderate | severe",
    ]
    for key in expected:
        assert key in out


def test_the_command_does_not_load_django(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import subprocess

    code = (
        "import sys; from ketapath.cli import main; "
        f"rc = main(['eligibility', {str(EXAMPLE)!r}]); "
        "assert 'django' not in sys.modules, 'django loaded'; sys.exit(rc)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
