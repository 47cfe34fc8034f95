"""``ketapath check``: Django's deployment checks and KetaPath's own, one line per problem, exit 1
if any (a deployment fit for production answers "No problems found", exit 0).

A good production configuration is simulated with the ``settings`` fixture; the database engine
and the migration plan (the test database is SQLite, built without migrations) are monkeypatched.
"""

from __future__ import annotations

import json

import pytest
from django.core import checks as django_checks
from django.db import DatabaseError

from ketapath.cli import main
from ketapath.clinic_settings.values import set_values
from ketapath.commands import check
from tests.factories import ClinicFactory

STRONG_KEY = "q7V-Kp2xR9mZt4LwB8nYc3HdJ6sF0gQaUe5iOo1rTy-ZvXbNmLkJhGfDsAp_W2E3R4T5Y6U7"
PRODUCTION = {
    "SECRET_KEY": STRONG_KEY,
    "ALLOWED_HOSTS": ["ketapath.example.org"],
    "DEBUG": False,
    "DEMO": False,
    # What KETAPATH_HTTPS=true and KETAPATH_TRUSTED_PROXY=127.0.0.1 set (ketapath/settings.py).
    "SECURE_SSL_REDIRECT": True,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "SECURE_HSTS_SECONDS": 31536000,
    "TRUSTED_PROXY": "127.0.0.1",
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
}


@pytest.fixture
def production(settings, monkeypatch):
    """A deployment configured for production: PostgreSQL, every migration applied."""
    # The browser tests' conftest sets it for Playwright's event loop in this process; a deployment
    # never has it (Django's async.E001).
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)
    for name, value in PRODUCTION.items():
        setattr(settings, name, value)
    monkeypatch.setattr(check, "database_vendor", lambda: "postgresql")
    monkeypatch.setattr(check, "pending_migrations", lambda: [])
    return settings


def run_check(capsys, *args: str) -> tuple[int, list[str]]:
    status = main(["check", *args])
    out = capsys.readouterr().out
    return status, out.splitlines()


def test_a_well_configured_deployment_with_ready_clinics_has_no_problems(production, personas, capsys):
    status, lines = run_check(capsys)
    assert (status, lines) == (0, ["No problems found"]), lines


BAD_SETTINGS = [
    ({"SECRET_KEY": ""}, "ketapath.secret_key", "SECRET_KEY is not set"),
    ({"SECRET_KEY": "test-only-key-not-secret-" + "x" * 40}, "ketapath.secret_key", "the test suite's key"),
    ({"SECRET_KEY": "replace-with-64-random-characters"}, "ketapath.secret_key", "placeholder"),
    ({"SECRET_KEY": "django-insecure-" + STRONG_KEY}, "ketapath.secret_key", "development key"),
    ({"SECRET_KEY": STRONG_KEY[:40]}, "ketapath.secret_key", "too short (40 characters"),
    ({"SECRET_KEY": "ab" * 40}, "ketapath.secret_key", "weak (only 2 different characters)"),
    ({"ALLOWED_HOSTS": []}, "ketapath.allowed_hosts", "ALLOWED_HOSTS is empty"),
    ({"ALLOWED_HOSTS": ["ketapath.example.org", "*"]}, "ketapath.allowed_hosts", "contains '*'"),
    ({"SECURE_SSL_REDIRECT": False}, "ketapath.https", "(SECURE_SSL_REDIRECT not set)"),
    ({"SESSION_COOKIE_SECURE": False}, "ketapath.https", "(SESSION_COOKIE_SECURE not set)"),
    ({"CSRF_COOKIE_SECURE": False}, "ketapath.https", "(CSRF_COOKIE_SECURE not set)"),
    ({"SECURE_HSTS_SECONDS": 0}, "ketapath.https", "(SECURE_HSTS_SECONDS not set)"),
    ({"TRUSTED_PROXY": None}, "ketapath.https", "KETAPATH_TRUSTED_PROXY is not set"),
    ({"DEBUG": True}, "ketapath.debug", "DEBUG is on: set DEBUG=false"),
    (
        {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"},
        "ketapath.email",
        "the console backend",
    ),
    ({"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}, "ketapath.email", "in-memory"),
    ({"EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend"}, "ketapath.email", "dummy"),
    ({"DEMO": True}, "ketapath.demo", "unset KETAPATH_DEMO"),
    ({"SECURE_CONTENT_TYPE_NOSNIFF": False}, "security.W006", "NOSNIFF"),
]


@pytest.mark.parametrize(("overrides", "check_id", "fragment"), BAD_SETTINGS)
def test_each_bad_setting_is_one_line_and_exit_1(overrides, check_id, fragment, production, personas, capsys):
    for name, value in overrides.items():
        setattr(production, name, value)
    status, lines = run_check(capsys)
    assert status == 1
    # One problem, printed once (Django's warning on the same setting is not repeated).
    assert lines[-1] == "1 problem", lines
    assert len(lines) == 2 and lines[0].startswith(f"{check_id}: ") and fragment in lines[0], lines


def test_https_off_as_by_default_is_one_line_naming_the_variable(production, personas, capsys):
    for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
        setattr(production, name, False)
    production.SECURE_HSTS_SECONDS = 0
    production.TRUSTED_PROXY = None
    status, lines = run_check(capsys)
    assert status == 1 and lines[-1] == "1 problem"
    assert lines[0].startswith("ketapath.https: HTTPS is not enforced") and "KETAPATH_HTTPS=true" in lines[0]


def test_the_key_the_demo_left_in_the_data_folder_is_refused(production, tmp_path):
    demo_key = "d" + STRONG_KEY
    (tmp_path / "secret_key").write_text(demo_key)
    production.DATA_DIR = tmp_path
    production.SECRET_KEY = demo_key
    [problem] = check.check_secret_key()
    assert "the key the demo generated" in problem.message


def test_a_strong_key_passes(production):
    assert check.check_secret_key() == []


def test_sqlite_is_a_warning_to_use_postgresql(production, personas, monkeypatch, capsys):
    monkeypatch.setattr(check, "database_vendor", lambda: "sqlite")
    status, lines = run_check(capsys)
    assert status == 1 and lines[-1] == "1 problem"
    assert lines[0].startswith("ketapath.database: the database is SQLite")
    assert "PostgreSQL" in lines[0] and "DATABASE_URL" in lines[0]


def test_the_engine_check_reads_the_real_connection(production, monkeypatch):
    monkeypatch.undo()  # the real vendor of the test database (SQLite, or PostgreSQL in CI)
    from django.db import connection

    assert (check.check_database_engine() == []) == (connection.vendor == "postgresql")


def test_pending_migrations_are_counted_with_the_command_to_apply_them(
    production, personas, monkeypatch, capsys
):
    monkeypatch.setattr(check, "pending_migrations", lambda: ["plans.0009_x", "infusions.0004_y"])
    status, lines = run_check(capsys)
    assert status == 1
    assert lines == [
        "ketapath.migrations: 2 migration(s) not applied: run `ketapath manage migrate`",
        "1 problem",
    ]


@pytest.mark.django_db
def test_the_migration_plan_names_app_and_migration():
    # The test database is built from the models, without migrations: all are "pending" here.
    pending = check.pending_migrations()
    assert pending and all(name.count(".") == 1 for name in pending)
    assert any(name.startswith("accounts.0001_") for name in pending)


def test_an_unreachable_database_is_one_line_and_skips_the_checks_that_need_it(
    production, monkeypatch, capsys
):
    # No django_db mark: any query would fail the test, so the database checks really are skipped.
    monkeypatch.setattr(check, "database_error", lambda: "connection to server failed: Connection refused")
    status, lines = run_check(capsys)
    assert status == 1
    assert lines == [
        "ketapath.database: the database cannot be reached: connection to server failed: Connection refused",
        "not checked, the database being unreachable: ketapath.migrations, ketapath.demo, ketapath.clinics",
        "1 problem",
    ]


def test_the_real_connection_check_reports_the_first_line_of_the_error(monkeypatch):
    from django.db import connection

    def refuse():
        raise DatabaseError("could not connect\nDETAIL: more")

    monkeypatch.setattr(connection, "ensure_connection", refuse)
    assert check.database_error() == "could not connect"


@pytest.mark.django_db
def test_the_real_connection_check_passes_on_the_test_database():
    assert check.database_error() is None


@pytest.mark.django_db
def test_no_clinic_at_all_is_a_problem(production, capsys):
    status, lines = run_check(capsys)
    assert status == 1
    assert lines == ["ketapath.clinics: no clinic exists yet: create one with `ketapath setup`", "1 problem"]


def test_a_clinic_not_ready_is_named_with_its_count_and_the_readiness_command(production, personas, capsys):
    set_values(
        personas.clinic_b,
        personas.prescriber,
        {"dosing.iv.max_rate_mg_per_h": None, "alerts.escalate_after_min": None},
    )
    status, lines = run_check(capsys)
    assert status == 1
    assert lines == [
        "ketapath.clinics: clinic 'clinic-b' is not ready for its first infusion: 2 safety setting(s) "
        "not set (the list: `ketapath readiness --clinic clinic-b`)",
        "1 problem",
    ]


@pytest.mark.django_db
def test_a_new_clinic_with_nothing_set_is_not_ready(production):
    ClinicFactory(slug="fresh")
    [problem] = check.check_clinics()
    assert "clinic 'fresh' is not ready" in problem.message


def test_the_demo_clinic_in_the_database_is_a_problem(production, personas):
    ClinicFactory(slug="demo", name="Demo clinic", is_synthetic=True)
    assert check.check_demo_data() == [
        check.Problem(
            "ketapath.demo",
            "the demo's synthetic clinic (demo) is in this database: production needs a database of "
            "its own, not the demo's",
        )
    ]


def test_a_database_check_that_fails_says_so_instead_of_crashing(production, personas, monkeypatch, capsys):
    def missing_table():
        raise DatabaseError("no such table: accounts_clinic")

    monkeypatch.setitem(check.DATABASE_CHECKS, "ketapath.clinics", missing_table)
    status, lines = run_check(capsys)
    assert status == 1
    assert lines == [
        "ketapath.clinics: could not be checked (database error: no such table: accounts_clinic)",
        "1 problem",
    ]


def test_django_checks_keep_warnings_and_errors_one_line_each(monkeypatch):
    messages = [
        django_checks.Warning("First line.\nSecond line.", hint="Do this.", id="app.W001"),
        django_checks.Error("Broken.", hint="x" * 200, id="app.E002", obj="app.Model"),
        django_checks.Info("Just so you know.", id="app.I001"),
        django_checks.Debug("Noise.", id="app.D001"),
        django_checks.Warning("DEBUG on.", id="security.W018"),  # said by ketapath.debug
    ]
    monkeypatch.setattr(django_checks, "run_checks", lambda **kwargs: messages)
    assert check.check_django() == [
        check.Problem("app.W001", "First line. (Do this.)"),
        check.Problem("app.E002", "app.Model: Broken."),
    ]


def test_django_deployment_checks_really_run(production):
    production.X_FRAME_OPTIONS = "SAMEORIGIN"
    assert [p.check for p in check.check_django()] == ["security.W019"]


def test_hsts_for_subdomains_and_preload_is_left_to_the_domains_owner(production):
    """settings.py silences the two HSTS warnings that would commit a whole domain (W005, W021)."""
    assert not production.SECURE_HSTS_INCLUDE_SUBDOMAINS and not production.SECURE_HSTS_PRELOAD
    assert check.check_django() == []


def test_json_when_all_is_well(production, personas, capsys):
    status, lines = run_check(capsys, "--json")
    assert status == 0
    assert json.loads("\n".join(lines)) == {"ok": True, "problems": [], "skipped": []}


def test_json_lists_each_problem_and_the_skipped_checks(production, monkeypatch, capsys):
    production.DEBUG = True
    monkeypatch.setattr(check, "database_error", lambda: "connection refused")
    status, lines = run_check(capsys, "--json")
    assert status == 1
    report = json.loads("\n".join(lines))
    assert report["ok"] is False
    assert [p["check"] for p in report["problems"]] == ["ketapath.debug", "ketapath.database"]
    assert all(set(p) == {"check", "message"} and p["message"] for p in report["problems"])
    assert report["skipped"] == ["ketapath.migrations", "ketapath.demo", "ketapath.clinics"]


@pytest.mark.parametrize(("count", "text"), [(0, "No problems found"), (1, "1 problem"), (3, "3 problems")])
def test_summary_line(count, text):
    assert check.summary(count) == text
