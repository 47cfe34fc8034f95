"""Issue 16: the README's backup and restore commands (section "PostgreSQL (production)", "Backups")
work: a clinic made by ``ketapath setup`` on PostgreSQL, dumped with ``pg_dump --format=custom
--no-owner``, restored into an empty database with ``pg_restore --no-owner``, is the same clinic,
and the restored database needs no migration.

The test opens no Django test database: it makes two throw-away databases of its own on the
PostgreSQL server at 127.0.0.1:5432 (user ``postgres``), so it runs once, in the SQLite run of CI
(`.ci/run`; tests/conftest.py deselects it in the PostgreSQL run, where ``--database-free-too``
runs it too). Without that server, or without ``pg_dump`` and ``pg_restore``, it is skipped on a
laptop and fails in CI (``CI=true``).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess

import psycopg
import pytest

from tests.test_cli_hardening import clean_env, ketapath

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
SERVER = "postgres://postgres@127.0.0.1:5432"
ADMIN_PASSWORD = "correct horse battery staple 1"
PRESCRIBER_PASSWORD = "another long passphrase 42"


def _missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true)")
    pytest.skip(reason)


def _server() -> psycopg.Connection:
    try:
        return psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        _missing(f"no PostgreSQL server on 127.0.0.1:5432: {exc}")
        raise  # unreachable: _missing skips or fails


def _rows(url: str) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    with psycopg.connect(url) as conn:
        clinics = conn.execute("SELECT slug, name FROM accounts_clinic ORDER BY slug").fetchall()
        users = conn.execute("SELECT username, role FROM accounts_user ORDER BY username").fetchall()
    return clinics, users


def _ok(result: subprocess.CompletedProcess[str], what: str) -> None:
    assert result.returncode == 0, f"{what} -> {result.returncode}: {result.stderr[-2000:]}"


@pytest.mark.postgres
def test_a_pg_dump_backup_restores_into_an_empty_database(tmp_path):
    tools = {name: shutil.which(name) for name in ("pg_dump", "pg_restore")}
    if not all(tools.values()):
        _missing(f"pg_dump or pg_restore is not installed: {tools}")
    stem = f"ketapath_backup_{secrets.token_hex(6)}"
    original, restored = f"{stem}_a", f"{stem}_b"
    original_url, restored_url = f"{SERVER}/{original}", f"{SERVER}/{restored}"
    made: list[str] = []
    with _server() as admin:
        try:
            for name in (original, restored):
                admin.execute(f'CREATE DATABASE "{name}"')
                made.append(name)

            # The installation: migrate, then a clinic with its administrator and prescriber.
            env = clean_env(
                DATABASE_URL=original_url,
                SECRET_KEY="backup-test-key-not-secret-" + "x" * 40,
                KETAPATH_DATA_DIR=str(tmp_path / "data"),
            )
            _ok(ketapath("manage", "migrate", "--no-input", env=env, stdin=""), "ketapath manage migrate")
            passwords = tmp_path / "passwords.txt"
            passwords.write_text(f"{ADMIN_PASSWORD}\n{PRESCRIBER_PASSWORD}\n", encoding="utf-8")
            setup = ketapath(
                "setup",
                "--clinic",
                "Riverside Pain Clinic",
                "--slug",
                "riverside",
                "--admin",
                "alex.admin",
                "--admin-email",
                "alex@riverside.example",
                "--prescriber",
                "dr.lee",
                "--prescriber-email",
                "lee@riverside.example",
                "--prescriber-type",
                "physician",
                "--password-file",
                str(passwords),
                env=env,
                stdin="",
            )
            _ok(setup, "ketapath setup")

            # The README's backup, then its restore into an empty database.
            backup = tmp_path / "ketapath.dump"
            dumped = subprocess.run(
                [tools["pg_dump"], "--format=custom", "--no-owner", f"--file={backup}", original_url],
                env=clean_env(),
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            _ok(dumped, "pg_dump")
            assert backup.stat().st_size > 0
            loaded = subprocess.run(
                [tools["pg_restore"], "--no-owner", f"--dbname={restored_url}", str(backup)],
                env=clean_env(),
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            _ok(loaded, "pg_restore")

            clinics, users = _rows(original_url)
            assert clinics == [("riverside", "Riverside Pain Clinic")]
            assert [username for username, _ in users] == ["alex.admin", "dr.lee"]
            assert _rows(restored_url) == (clinics, users)

            # The restored database is up to date: no migration is pending.
            on_restored = env | {"DATABASE_URL": restored_url}
            checked = ketapath("manage", "migrate", "--check", env=on_restored, stdin="")
            _ok(checked, "ketapath manage migrate --check on the restored database")
        finally:
            for name in made:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
