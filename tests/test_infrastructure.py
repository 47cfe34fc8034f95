"""The components CI must prove: PostgreSQL answers, the suite runs on the database asked for,
and the migrations build the schema the models declare (the test databases skip them)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from ketapath.accounts.models import Clinic, User
from tests.schema import schema
from tests.snapshot import rows_of

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
ROOT = Path(__file__).resolve().parents[1]


def test_postgresql_server_answers():
    try:
        psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL is not reachable at 127.0.0.1:5432 (CI=true): {exc}")
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432")


@pytest.mark.django_db
def test_suite_runs_on_the_configured_database():
    wanted = "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    assert connection.vendor == wanted
    # Built from the models, not by replaying migrations (the test below proves those).
    assert connection.settings_dict["TEST"]["MIGRATE"] is False


def _postgres(settings: dict, dbname: str) -> psycopg.Connection:
    return psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        dbname=dbname,
        autocommit=True,
    )


@pytest.fixture
def empty_database_url(tmp_path):
    """An empty database of the suite's backend, next to the test database, dropped afterwards."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    name = f"{settings['NAME']}_migrated"[:63]
    with _postgres(settings, "postgres") as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    host = settings["HOST"] or "127.0.0.1"
    yield f"postgres://{settings['USER']}{password}@{host}:{settings['PORT'] or 5432}/{name}"
    with _postgres(settings, "postgres") as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.django_db
def test_migrations_build_the_schema_the_models_declare(empty_database_url, tmp_path):
    """Replaying every migration on an empty database gives the tables, columns and constraints
    of the test database (built from the models), and leaves no rows: no demo, no user."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("KETAPATH_", "DJANGO_"))}
    env = keep | {
        "DATABASE_URL": empty_database_url,
        "DJANGO_SETTINGS_MODULE": "ketapath.settings",
        "SECRET_KEY": "migration-test-key-not-secret-" + "x" * 30,
        "KETAPATH_DATA_DIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.schema"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    migrated = json.loads(done.stdout)
    assert migrated["rows"] == {}
    built = schema(connection)
    assert len(built) > 60  # every project table (with history tables) is compared, not a few
    assert sorted(migrated["schema"]) == sorted(built)
    differ = [t for t in built if migrated["schema"][t] != built[t]]
    assert differ == [], {t: (migrated["schema"][t], built[t]) for t in differ[:3]}


def test_the_demo_copy_is_the_demo_the_loader_wrote(demo):
    """The shared demo (tests/snapshot.py) restores every row exactly as ``load_demo`` stored it:
    timestamps, decimals and JSON included, so the demo checks read what the loader wrote."""
    assert demo.count() > 1000 and len(demo.tables) > 30
    for table in demo.tables:
        stored = rows_of(table.model)
        assert len(stored) == len(table.rows), table.model._meta.label
        assert sorted(stored.values(), key=repr) == sorted(table.rows, key=repr), table.model._meta.label
    # The sequences moved past the copy's keys: the next record is a new one.
    restored = max(rows_of(User))
    user = User.objects.create(username="after.the.demo", clinic=Clinic.objects.get(slug="demo"))
    assert user.pk > restored


class _Item:
    """What ``uses_database`` reads of a collected test: its fixtures and its markers."""

    def __init__(self, fixtures: tuple[str, ...], marked: bool = False) -> None:
        self.fixturenames = fixtures
        self.marked = marked

    def get_closest_marker(self, name: str) -> object | None:
        return object() if self.marked and name == "django_db" else None


@pytest.mark.parametrize(
    ("fixtures", "marked", "opens"),
    [
        (("tmp_path",), False, False),  # the pure core, a command-line subprocess
        (("personas", "db"), False, True),
        (("transactional_db",), False, True),
        (("live_server", "page"), False, True),
        (("tmp_path",), True, True),  # @pytest.mark.django_db
    ],
)
def test_only_tests_that_never_open_a_database_leave_the_postgresql_run(fixtures, marked, opens):
    from tests.conftest import uses_database

    assert uses_database(_Item(fixtures, marked)) is opens


@pytest.mark.django_db
def test_the_postgresql_run_holds_only_database_tests(request):
    """(A database test itself, so that it runs on PostgreSQL.)"""
    from tests.conftest import on_postgresql, uses_database

    collected = request.session.items
    assert request.node in collected
    if on_postgresql() and not request.config.getoption("database_free_too"):
        assert all(uses_database(item) for item in collected)


def test_whitenoise_scans_the_static_files_once_per_settings(settings):
    """tests/static_scan.py: the test client's middleware reuses the scan, and a change of the
    static settings (as the page-weight test makes) gets a scan of its own."""
    from tests.static_scan import WhiteNoiseScannedOnce

    first = WhiteNoiseScannedOnce(lambda request: None)
    again = WhiteNoiseScannedOnce(lambda request: None)
    assert again.files is first.files
    assert "/static/plotly/plotly.min.js" in first.files
    settings.STATIC_URL = "/elsewhere/"
    moved = WhiteNoiseScannedOnce(lambda request: None)
    assert moved.files is not first.files
    assert "/elsewhere/plotly/plotly.min.js" in moved.files
    assert "/static/plotly/plotly.min.js" not in moved.files
