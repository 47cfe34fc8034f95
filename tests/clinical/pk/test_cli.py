"""``ketapath pk``: the command-line contract (outputs, warnings on stderr, error exits)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from ketapath.cli import main

INFUSION = '{"steps": [{"start_min": 0, "duration_min": 40, "dose_mg": 35}]}'


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["pk", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_models_lists_id_drug_population_site_citation(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "models")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out), delimiter="\t"))
    assert rows[0] == ["id", "drug", "population", "sampling_site", "citation"]
    ids = {r[0] for r in rows[1:]}
    assert {"domino-1984", "herd-2007", "simons-2022"} <= ids
    simons = next(r for r in rows if r[0] == "simons-2022")
    assert simons[3] == "arterial" and "10.3389/fpain.2022.946486" in simons[4]
    code, out, _ = run(capsys, "models", "--json")
    assert {m["id"] for m in json.loads(out)} == ids


def test_simulate_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys,
        "simulate",
        "--model",
        "domino-1984",
        "--weight",
        "70",
        "--regimen",
        INFUSION,
        "--until",
        "60",
        "--format",
        "json",
    )
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"time_min", "plasma_ng_per_ml", "effect_site_ng_per_ml"}
    assert len(data["time_min"]) == 61 and data["time_min"][40] == 40
    assert abs(data["plasma_ng_per_ml"][40] / 240 - 1) < 0.005
    assert "not known" in err  # Domino's population is not known: a warning, on stderr


def test_simulate_csv_with_metabolite(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    regimen = tmp_path / "r.json"
    regimen.write_text('{"steps": [{"start_min": 0, "duration_min": 20, "dose_mg": 20, "route": "iv"}]}')
    code, out, err = run(
        capsys,
        "simulate",
        "--model",
        "simons-2022",
        "--weight",
        "70",
        "--age",
        "25",
        "--sex",
        "female",
        "--height",
        "170",
        "--regimen",
        str(regimen),
        "--until",
        "30",
        "--step",
        "10",
    )
    assert code == 0 and err == ""
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["time_min", "plasma_ng_per_ml", "metabolite_ng_per_ml"]
    assert [float(r["time_min"]) for r in rows] == [0, 10, 20, 30]
    assert float(rows[3]["metabolite_ng_per_ml"]) > 0


def test_population_json_and_csv(capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "population",
        "--model",
        "simons-2022",
        "--n",
        "500",
        "--seed",
        "2",
        "--weight",
        "70",
        "--regimen",
        INFUSION,
        "--until",
        "120",
        "--step",
        "30",
    ]
    code, out, _ = run(capsys, *args, "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["variability_assumed"] is False and data["n"] == 500
    assert data["plasma_p5_ng_per_ml"][1] < data["plasma_p50_ng_per_ml"][1] < data["plasma_p95_ng_per_ml"][1]
    code, out2, _ = run(capsys, *args)
    rows = list(csv.DictReader(io.StringIO(out2)))
    assert list(rows[0]) == [
        "time_min",
        "plasma_p5_ng_per_ml",
        "plasma_p50_ng_per_ml",
        "plasma_p95_ng_per_ml",
    ]
    assert float(rows[2]["plasma_p50_ng_per_ml"]) == pytest.approx(data["plasma_p50_ng_per_ml"][2])


def test_population_without_published_variability(capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "population",
        "--model",
        "domino-1984",
        "--n",
        "200",
        "--weight",
        "70",
        "--regimen",
        INFUSION,
        "--until",
        "60",
        "--format",
        "json",
    ]
    code, out, err = run(capsys, *args)
    assert code == 2 and out == "" and "no inter-individual variability" in err
    code, out, err = run(capsys, *args, "--assume-cv", "V1=30,k10=25")
    assert code == 0 and json.loads(out)["variability_assumed"] is True
    assert "assumed" in err


def test_tci(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "tci",
        "--model",
        "herd-2007",
        "--target",
        "500",
        "--duration",
        "5",
        "--weight",
        "30",
        "--age",
        "8",
        "--max-rate",
        "50",
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 30
    assert float(rows[-1]["plasma_ng_per_ml"]) == pytest.approx(500, rel=1e-6)
    assert all(float(r["rate_mg_per_min"]) <= 50 for r in rows)
    code, out, _ = run(
        capsys,
        "tci",
        "--model",
        "domino-1984",
        "--target",
        "200",
        "--duration",
        "20",
        "--weight",
        "70",
        "--site",
        "effect",
        "--format",
        "json",
    )
    data = json.loads(out)
    assert code == 0 and data["site"] == "effect_site" and max(data["effect_site_ng_per_ml"]) <= 200.5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["simulate", "--model", "nope", "--weight", "70", "--regimen", INFUSION, "--until", "5"],
            "unknown model 'nope'",
        ),
        (
            ["simulate", "--model", "domino-1984", "--weight", "0", "--regimen", INFUSION, "--until", "5"],
            "weight_kg",
        ),
        (
            [
                "simulate",
                "--model",
                "domino-1984",
                "--weight",
                "70",
                "--until",
                "5",
                "--regimen",
                '{"steps": [{"start_min": 0, "duration_min": 1, "dose_mg": -3}]}',
            ],
            "dose_mg",
        ),
        (
            [
                "simulate",
                "--model",
                "domino-1984",
                "--weight",
                "70",
                "--until",
                "5",
                "--regimen",
                '{"steps": [{"start_min": 0, "duration_min": 10, "dose_mg": 3},'
                ' {"start_min": 5, "duration_min": 10, "dose_mg": 3}]}',
            ],
            "overlap",
        ),
        (
            ["simulate", "--model", "domino-1984", "--weight", "70", "--until", "5", "--regimen", "{oops"],
            "not valid JSON",
        ),
        (
            [
                "simulate",
                "--model",
                "domino-1984",
                "--weight",
                "70",
                "--until",
                "5",
                "--regimen",
                "missing.json",
            ],
            "cannot read regimen file",
        ),
        (
            ["simulate", "--model", "domino-1984", "--weight", "70", "--until", "-5", "--regimen", INFUSION],
            "until",
        ),
        (
            [
                "population",
                "--model",
                "herd-2007",
                "--n",
                "1",
                "--weight",
                "30",
                "--regimen",
                INFUSION,
                "--until",
                "5",
            ],
            "number of patients",
        ),
        (
            [
                "population",
                "--model",
                "domino-1984",
                "--n",
                "10",
                "--weight",
                "30",
                "--regimen",
                INFUSION,
                "--until",
                "5",
                "--assume-cv",
                "V1",
            ],
            "PARAM=PERCENT",
        ),
        (
            [
                "tci",
                "--model",
                "simons-2022",
                "--target",
                "100",
                "--duration",
                "5",
                "--weight",
                "70",
                "--site",
                "effect",
            ],
            "no ke0",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run(capsys, *args)
    assert code == 2 and out == ""
    assert err.startswith("ketapath pk: ") and message in err and err.count("\n") == 1


def test_command_runs_as_a_process_without_django() -> None:
    code = (
        "import sys; from ketapath.cli import main; rc = main(sys.argv[1:]); "
        "assert 'django' not in sys.modules, 'django imported'; sys.exit(rc)"
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "pk",
            "simulate",
            "--model",
            "herd-2007",
            "--weight",
            "30",
            "--regimen",
            INFUSION,
            "--until",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == "time_min,plasma_ng_per_ml,effect_site_ng_per_ml"
    assert proc.stderr == ""
