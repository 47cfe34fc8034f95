"""A missing or malformed setting stops start-up with one clear line, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CHECK = "import ketapath.settings"


def run_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DATABASE_URL", "DEBUG", "KETAPATH_DEMO"}
    }
    return subprocess.run(
        [sys.executable, "-c", CHECK],
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "SECRET_KEY is not set"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY is too short"),
        ({"SECRET_KEY": "k" * 50, "DEBUG": "maybe"}, "DEBUG='maybe' is not a yes/no value"),
        ({"SECRET_KEY": "k" * 50, "DATABASE_URL": "mysql://x@y/z"}, "DATABASE_URL"),
        ({"SECRET_KEY": "k" * 50, "KETAPATH_SESSION_IDLE_MINUTES": "abc"}, "is not a whole number"),
    ],
)
def test_bad_settings_give_one_line(env, message, tmp_path):
    result = run_settings(env | {"KETAPATH_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("KetaPath configuration error:")
    assert message in lines[0]


def test_good_settings_import(tmp_path):
    result = run_settings({"SECRET_KEY": "k" * 50, "KETAPATH_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr


def test_demo_generates_and_keeps_a_secret_key(tmp_path):
    env = {"KETAPATH_DEMO": "true", "KETAPATH_DATA_DIR": str(tmp_path)}
    assert run_settings(env).returncode == 0
    key = (tmp_path / "secret_key").read_text()
    assert len(key) >= 50
    assert run_settings(env).returncode == 0
    assert (tmp_path / "secret_key").read_text() == key
