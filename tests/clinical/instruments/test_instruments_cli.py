"""``ketapath score ID ANSWER... [--json]``."""

from __future__ import annotations

import json

import pytest

from ketapath.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["score", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_output_of_the_phq9_manual_example(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "phq-9", "1", "1", "1", "2", "2", "3", "3", "3", "0", "--json")
    payload = json.loads(out)
    assert code == 0
    assert payload["instrument"] == "phq-9" and payload["version"]
    assert (payload["total"], payload["band"], payload["positive"]) == (16, "Moderately severe", True)
    assert payload["alerts"] == [] and payload["subscales"] == {}
    assert payload["source"]["id"] == "kroenke-2001"


def test_json_alert_and_null_total(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "phq-9", "-", "-", "-", "-", "-", "-", "-", "-", "2", "--json")
    payload = json.loads(out)
    assert code == 0 and payload["total"] is None and payload["band"] is None
    assert [a["routing"] for a in payload["alerts"]] == ["same-day clinician review"]


def test_subscales_in_json(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "bpi-sf", "8", "3", "6", "5", "7", "6", "5", "8", "4", "6", "7", "--json")
    payload = json.loads(out)
    assert payload["total"] == 5.5 and payload["subscales"]["interference"]["value"] == 6.14


def test_negative_answers_and_human_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rass", "-2")
    assert code == 0 and "-2" in out and "Light sedation" in out and "Sessler 2002" in out


def test_covariate(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "audit-c", "1", "1", "1", "--covariate", "sex=female", "--json")
    assert json.loads(out)["positive"] is True
    _, out, _ = run(capsys, "audit-c", "1", "1", "1", "--covariate", "sex=male", "--json")
    assert json.loads(out)["positive"] is False


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nope", "1"], "unknown instrument 'nope'"),
        (["gad-7", "4", "0", "0", "0", "0", "0", "0"], "4 is not an answer option"),
        (["gad-7", "1", "1"], "takes 7 answers"),
        (["phq-2", "1", "x"], "not a whole number"),
        (["audit-c", "1", "1", "1", "--covariate", "sex"], "KEY=VALUE"),
    ],
)
def test_user_errors_exit_non_zero_with_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1
