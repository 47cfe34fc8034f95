"""The documents folder and size limit read from the environment (issue 16)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.test_cli_hardening import ROOT, clean_env

KEY = "ci-only-key-not-secret-" + "x" * 40
SHOW = "import ketapath.settings as s; print(s.KETAPATH_DOCUMENTS_DIR, s.KETAPATH_DOCUMENT_MAX_BYTES)"


def _settings(
    env: dict[str, str], code: str = "import ketapath.settings"
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_folder_defaults_to_the_data_folder_and_the_limit_to_20_mib(tmp_path):
    result = _settings(clean_env(SECRET_KEY=KEY, KETAPATH_DATA_DIR=str(tmp_path)), SHOW)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str((tmp_path / "documents").resolve()), str(20 * 1024 * 1024)]


def test_the_folder_and_the_limit_are_set_by_their_variables(tmp_path):
    env = clean_env(
        SECRET_KEY=KEY,
        KETAPATH_DATA_DIR=str(tmp_path),
        KETAPATH_DOCUMENTS_DIR=str(tmp_path / "elsewhere"),
        KETAPATH_DOCUMENT_MAX_BYTES="5000000",
    )
    result = _settings(env, SHOW)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str((tmp_path / "elsewhere").resolve()), "5000000"]


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"KETAPATH_DOCUMENTS_DIR": "{static}/documents"}, "must not lie inside STATIC_ROOT"),
        ({"KETAPATH_DOCUMENT_MAX_BYTES": "999999999999"}, "KETAPATH_DOCUMENT_MAX_BYTES"),
        ({"KETAPATH_DOCUMENT_MAX_BYTES": "lots"}, "is not a whole number"),
    ],
)
def test_a_bad_value_stops_start_up_with_one_sentence(variables, message, tmp_path):
    static = tmp_path / "static"
    values = {k: v.format(static=static) for k, v in variables.items()}
    env = clean_env(SECRET_KEY=KEY, KETAPATH_DATA_DIR=str(tmp_path), STATIC_ROOT=str(static), **values)
    result = _settings(env)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
