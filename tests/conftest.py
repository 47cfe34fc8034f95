"""Named personas at every access level (healthchecks' ``hc/test.py`` habit).

clinic A: ``prescriber``, ``nurse``, ``admin``; clinic B: ``nurse_b``; patients ``patient_one``
and ``patient_two`` of clinic A, each with their own login; ``patient_b`` of clinic B.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings as hypothesis_settings

from tests.flush import cheaper_flush
from tests.personas import Personas, build_personas, personas_from_database
from tests.shared_snapshot import shared
from tests.snapshot import Snapshot, take

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# Property tests check results, not speed: a loaded 2-core CI machine must not fail them on time.
hypothesis_settings.register_profile("ketapath", deadline=None, print_blob=True)
hypothesis_settings.load_profile("ketapath")


@pytest.fixture(scope="session", autouse=True)
def _cheaper_flush():
    """Transactional tests flush with DELETE, keeping content types (tests/flush.py)."""
    with cheaper_flush():
        yield


@pytest.fixture(scope="session")
def personas_snapshot(django_db_setup, django_db_blocker) -> Snapshot:
    """The personas' rows, built once per test process through the factories and the settings
    action (about 0.2 s of CPU, two hundred rows with their history), then copied into each test
    that asks for them: most of the suite's tests start from the personas."""
    with django_db_blocker.unblock():
        return take(build_personas)


@pytest.fixture
def personas(db, personas_snapshot) -> Personas:
    from ketapath.accounts.models import Clinic

    if Clinic.objects.exists():
        # Something (the demo copy, a test's own clinic) is already there: the copy keeps its
        # primary keys and could clash, so build the personas the slow way.
        return build_personas()
    personas_snapshot.restore()
    return personas_from_database()


@pytest.fixture(scope="session")
def demo_snapshot(django_db_setup, django_db_blocker, tmp_path_factory, worker_id) -> Snapshot:
    """The demo clinic's rows, built once per test run through ``load_demo`` (its actions), in a
    transaction rolled back at once, so that no other test ever sees them; the other xdist
    worker reads the same rows (tests/shared_snapshot.py)."""
    from ketapath.demo.load import load_demo

    run_folder = None if worker_id == "master" else tmp_path_factory.getbasetemp().parent
    with django_db_blocker.unblock():
        return shared("demo", lambda: take(load_demo), run_folder)


@pytest.fixture
def demo(db, demo_snapshot) -> Snapshot:
    """The demo clinic, in this test's own transaction (a copy: changes are rolled back).

    Request it before any fixture that creates rows: the copy keeps the demo's primary keys.
    A transactional test (the browser tests) gets the same with
    ``demo(transactional_db, demo_snapshot)``: ``demo_snapshot.restore()``.
    """
    demo_snapshot.restore()
    return demo_snapshot


@pytest.fixture
def login(client):
    """``login(user)`` signs the test client in as that user (bypassing the lock-out backend)."""

    def _login(user):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return _login


# The slowest tests (measured), run first. xdist's "worksteal" scheduler (pyproject.toml) hands each
# worker half of the run in order and lets a worker that runs dry take the untouched end of the
# other's half: the long tests start at once, and the many short ones even out the end. (The
# default "load" scheduler gave the first worker a quarter of its share up front, here every
# long test, and fed the rest to the other: one worker ran the browser tests alone.)
# Longest first; a test may appear under a prefix (a file or a folder).
SLOW_FIRST = (
    "tests/test_cli_hardening.py::test_every_readme_command_works_on_the_demo_data",
    "tests/test_infrastructure.py::test_migrations_build_the_schema_the_models_declare",
    "tests/test_cli_hardening.py::test_a_fresh_demo_database_has_the_schema_of_the_migrations",
    "tests/browser/test_infusion_browser.py",
    "tests/browser/test_consultation_browser.py",
    "tests/browser/",
    "tests/web/test_form_fuzz.py",
)


def _slowness(item: pytest.Item) -> int:
    for rank, prefix in enumerate(SLOW_FIRST):
        if item.nodeid.startswith(prefix):
            return rank
    return len(SLOW_FIRST)


# Fixtures through which a test reaches the database (pytest-django's).
DATABASE_FIXTURES = frozenset({"db", "transactional_db", "live_server", "django_db_reset_sequences"})


def uses_database(item: pytest.Item) -> bool:
    names = set(getattr(item, "fixturenames", ()))
    return bool(names & DATABASE_FIXTURES) or item.get_closest_marker("django_db") is not None


def on_postgresql() -> bool:
    from django.conf import settings

    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def pytest_addoption(parser):
    parser.addoption(
        "--database-free-too",
        action="store_true",
        help="on PostgreSQL, also run the tests that never open a database (CI runs them on SQLite)",
    )
    parser.addoption(
        "--browser-too",
        action="store_true",
        help="on PostgreSQL, also run the browser tests (CI runs them on SQLite)",
    )


def is_browser_test(item: pytest.Item) -> bool:
    return item.get_closest_marker("browser") is not None or "tests/browser/" in item.nodeid


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    # The PostgreSQL run is there to prove the database layer: a test that never opens a database
    # (the pure core, the command-line tests that start their own SQLite process) gives the same
    # result whatever the backend, and has run in the SQLite run of the same CI (`.ci/run`). It is
    # deselected (listed as such in the summary), not skipped; `--database-free-too` runs it.
    if on_postgresql() and not config.getoption("database_free_too"):
        free = [item for item in items if not uses_database(item)]
        if free:
            config.hook.pytest_deselected(items=free)
            items[:] = [item for item in items if uses_database(item)]
    # The browser tests drive Chromium through pages whose every query and action the view and
    # action tests run here on PostgreSQL; what they add (the browser: scripts, focus, layout,
    # axe-core) does not depend on the backend, and Chromium was a third of this run's CPU. They
    # run in the SQLite run of the same CI; `--browser-too` runs them here as well.
    if on_postgresql() and not config.getoption("browser_too"):
        browser = [item for item in items if is_browser_test(item)]
        if browser:
            config.hook.pytest_deselected(items=browser)
            items[:] = [item for item in items if not is_browser_test(item)]
    # After pytest-django's own order (database tests, then transactional, then the rest), which
    # stays as it is for the others. A transactional test may run first: its flush leaves the
    # same empty database (tests/flush.py) that a database test starts from.
    items.sort(key=_slowness)


def pytest_report_header(config):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    lines = [f"KetaPath test database: {engine}"]
    if on_postgresql() and not config.getoption("database_free_too"):
        lines.append("Tests that never open a database are deselected here (they run on SQLite).")
    if on_postgresql() and not config.getoption("browser_too"):
        lines.append("Browser tests are deselected here (they run on SQLite; --browser-too runs them).")
    for variable, what in (("KETAPATH_AXE", "axe-core checks"), ("KETAPATH_SCREENSHOTS", "screenshots")):
        if os.environ.get(variable) == "0":
            lines.append(f"Browser tests run without {what} ({variable}=0).")
    return lines
