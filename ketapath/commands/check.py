"""``ketapath check [--json]``: is this deployment fit for production?

Runs Django's deployment checks and KetaPath's own (secret key, allowed hosts, HTTPS, DEBUG, the
database and its migrations, e-mail, the demo, clinic readiness) and prints one line per problem,
then a summary. Exit status 0 when there is none, 1 when there is one or more (the answer is "no").
When the database cannot be reached, the checks that need it are skipped (one line says so).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass

# Keys that must never run a production deployment: the test suite's (ketapath/settings_test.py)
# and the placeholder of .env.example.
TEST_KEY_PREFIX = "test-only-key-not-secret-"
PLACEHOLDER_KEYS = frozenset({"replace-with-64-random-characters"})
MIN_SECRET_KEY_LENGTH = 50
MIN_SECRET_KEY_CHARACTERS = 10
NEW_KEY_HINT = "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(64))'"

# Backends that deliver no e-mail: reminders and critical-alert escalations would reach no one.
UNSENT_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend": "the console backend (prints e-mail)",
    "django.core.mail.backends.locmem.EmailBackend": "the in-memory backend (the tests')",
    "django.core.mail.backends.dummy.EmailBackend": "the dummy backend (drops e-mail)",
    "django.core.mail.backends.filebased.EmailBackend": "the file backend (writes e-mail to files)",
}

# Django deployment warnings that KetaPath's own checks below report in plainer words (naming the
# variable to set): the same problem is printed once.
COVERED_BY_KETAPATH = frozenset(
    {
        "security.W004",  # SECURE_HSTS_SECONDS: ketapath.https
        "security.W008",  # SECURE_SSL_REDIRECT: ketapath.https
        "security.W009",  # SECRET_KEY: ketapath.secret_key
        "security.W010",  # SESSION_COOKIE_SECURE: ketapath.https
        "security.W011",  # SESSION_COOKIE_SECURE: ketapath.https
        "security.W012",  # SESSION_COOKIE_SECURE: ketapath.https
        "security.W016",  # CSRF_COOKIE_SECURE: ketapath.https
        "security.W018",  # DEBUG: ketapath.debug
        "security.W020",  # ALLOWED_HOSTS: ketapath.allowed_hosts
    }
)
HINT_MAX_LENGTH = 100


@dataclass(frozen=True)
class Problem:
    check: str
    message: str

    def line(self) -> str:
        return f"{self.check}: {self.message}"


Check = Callable[[], list[Problem]]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help_text: str) -> None:
    parser = sub.add_parser(name, help=help_text, description=__doc__.splitlines()[0])
    parser.add_argument(
        "--json",
        action="store_true",
        help='print {"ok", "problems": [{"check", "message"}], "skipped": [check, ...]}',
    )
    parser.set_defaults(handler=run)


def _first_line(text: object) -> str:
    lines = str(text).strip().splitlines()
    return lines[0].strip() if lines else ""


# Django's system checks -------------------------------------------------------------------------


def check_django() -> list[Problem]:
    """Django's system checks with the deployment checks: every warning and error."""
    from django.core import checks

    problems = []
    for message in checks.run_checks(include_deployment_checks=True):
        # SILENCED_SYSTEM_CHECKS is honoured by `manage.py check`, not by run_checks itself.
        if message.level < checks.WARNING or message.is_silenced() or message.id in COVERED_BY_KETAPATH:
            continue
        text = _first_line(message.msg)
        if message.obj is not None:
            text = f"{message.obj}: {text}"
        hint = _first_line(message.hint) if message.hint else ""
        if hint and len(hint) <= HINT_MAX_LENGTH:
            text = f"{text} ({hint})"
        problems.append(Problem(message.id or "django", text))
    return problems


# KetaPath's own checks on the settings -----------------------------------------------------------


def _demo_key() -> str | None:
    """The key the demo generated in the data folder, if there is one (never creates one)."""
    from django.conf import settings

    from ketapath.envconfig import data_folder_secret_key

    folder = getattr(settings, "DATA_DIR", None)
    return None if folder is None else data_folder_secret_key(folder)


def check_secret_key() -> list[Problem]:
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        key = str(settings.SECRET_KEY or "")
    except ImproperlyConfigured:  # Django refuses to read an empty key
        key = ""
    if not key:
        reason = "SECRET_KEY is not set"
    elif key.startswith(TEST_KEY_PREFIX):
        reason = "SECRET_KEY is the test suite's key"
    elif key in PLACEHOLDER_KEYS:
        reason = "SECRET_KEY is the placeholder of .env.example"
    elif key == _demo_key():
        reason = "SECRET_KEY is the key the demo generated in the data folder"
    elif key.startswith("django-insecure-"):
        reason = "SECRET_KEY is a Django development key (django-insecure-...)"
    elif len(key) < MIN_SECRET_KEY_LENGTH:
        reason = f"SECRET_KEY is too short ({len(key)} characters, use at least {MIN_SECRET_KEY_LENGTH})"
    elif len(set(key)) < MIN_SECRET_KEY_CHARACTERS:
        reason = f"SECRET_KEY is weak (only {len(set(key))} different characters)"
    else:
        return []
    return [Problem("ketapath.secret_key", f"{reason}: {NEW_KEY_HINT}")]


def check_allowed_hosts() -> list[Problem]:
    from django.conf import settings

    hosts = list(settings.ALLOWED_HOSTS)
    if not hosts:
        message = "ALLOWED_HOSTS is empty: set it to the host name users open KetaPath at"
    elif "*" in hosts:
        message = "ALLOWED_HOSTS contains '*' (any host): list only the host names users open KetaPath at"
    else:
        return []
    return [Problem("ketapath.allowed_hosts", message)]


def check_https() -> list[Problem]:
    from django.conf import settings

    off = [
        name
        for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE")
        if not getattr(settings, name, False)
    ]
    if not getattr(settings, "SECURE_HSTS_SECONDS", 0):
        off.append("SECURE_HSTS_SECONDS")
    problems = []
    if off:
        problems.append(
            Problem(
                "ketapath.https",
                f"HTTPS is not enforced ({', '.join(off)} not set): serve KetaPath behind a TLS "
                "proxy and set KETAPATH_HTTPS=true",
            )
        )
    if getattr(settings, "SECURE_SSL_REDIRECT", False) and not getattr(settings, "TRUSTED_PROXY", None):
        problems.append(
            Problem(
                "ketapath.https",
                "KETAPATH_HTTPS is on but KETAPATH_TRUSTED_PROXY is not set: `ketapath serve` refuses "
                "to start; set it to the IP address your TLS proxy connects from",
            )
        )
    return problems


def check_debug() -> list[Problem]:
    from django.conf import settings

    if not settings.DEBUG:
        return []
    return [
        Problem(
            "ketapath.debug",
            "DEBUG is on: set DEBUG=false (error pages would show internal details, patient data included)",
        )
    ]


def check_email_backend() -> list[Problem]:
    from django.conf import settings

    backend = str(settings.EMAIL_BACKEND)
    if backend not in UNSENT_EMAIL_BACKENDS:
        return []
    return [
        Problem(
            "ketapath.email",
            f"e-mail is never sent: EMAIL_BACKEND is {UNSENT_EMAIL_BACKENDS[backend]}, so reminders "
            "and critical-alert escalations reach no one; set "
            "EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and EMAIL_HOST",
        )
    ]


def check_demo_mode() -> list[Problem]:
    from django.conf import settings

    if not getattr(settings, "DEMO", False):
        return []
    return [Problem("ketapath.demo", "the demo mode is on: unset KETAPATH_DEMO (or set it to false)")]


def database_vendor() -> str:
    from django.db import connection

    return str(connection.vendor)


def check_database_engine() -> list[Problem]:
    vendor = database_vendor()
    if vendor == "postgresql":
        return []
    name = "SQLite (the demo's embedded default)" if vendor == "sqlite" else vendor
    return [
        Problem(
            "ketapath.database",
            f"the database is {name}: production should use PostgreSQL "
            "(set DATABASE_URL=postgres://user:password@host:5432/name)",
        )
    ]


# Checks that need the database ---------------------------------------------------------------------


def database_error() -> str | None:
    """None when the database answers; else the first line of the error."""
    from django.db import connection

    try:
        connection.ensure_connection()
    except Exception as exc:
        return _first_line(exc) or exc.__class__.__name__
    return None


def check_database_reachable() -> list[Problem]:
    error = database_error()
    if error is None:
        return []
    return [Problem("ketapath.database", f"the database cannot be reached: {error}")]


def pending_migrations() -> list[str]:
    """The migrations not applied yet, as ``app.name``."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def check_migrations() -> list[Problem]:
    pending = pending_migrations()
    if not pending:
        return []
    return [
        Problem(
            "ketapath.migrations",
            f"{len(pending)} migration(s) not applied: run `ketapath manage migrate`",
        )
    ]


def check_demo_data() -> list[Problem]:
    from ketapath.accounts.models import Clinic

    slugs = list(Clinic.objects.filter(is_synthetic=True).order_by("slug").values_list("slug", flat=True))
    if not slugs:
        return []
    return [
        Problem(
            "ketapath.demo",
            f"the demo's synthetic clinic ({', '.join(slugs)}) is in this database: production needs "
            "a database of its own, not the demo's",
        )
    ]


def check_clinics() -> list[Problem]:
    from ketapath.accounts.models import Clinic
    from ketapath.clinic_settings.readiness import first_infusion_missing

    clinics = list(Clinic.objects.order_by("slug"))
    if not clinics:
        return [Problem("ketapath.clinics", "no clinic exists yet: create one with `ketapath setup`")]
    problems = []
    for clinic in clinics:
        missing = first_infusion_missing(clinic.pk)
        if missing:
            problems.append(
                Problem(
                    "ketapath.clinics",
                    f"clinic {clinic.slug!r} is not ready for its first infusion: {len(missing)} safety "
                    f"setting(s) not set (the list: `ketapath readiness --clinic {clinic.slug}`)",
                )
            )
    return problems


SETTINGS_CHECKS: list[Check] = [
    check_django,
    check_secret_key,
    check_allowed_hosts,
    check_https,
    check_debug,
    check_email_backend,
    check_demo_mode,
    check_database_engine,
]
# Run only when the database answers, by the name of the problems each reports.
DATABASE_CHECKS: dict[str, Check] = {
    "ketapath.migrations": check_migrations,
    "ketapath.demo": check_demo_data,
    "ketapath.clinics": check_clinics,
}


def _run_database_check(name: str, check: Check) -> list[Problem]:
    from django.db import DatabaseError

    try:
        return check()
    except DatabaseError as exc:
        # A table missing (migrations not applied), a permission refused: the check could not run.
        error = _first_line(exc) or exc.__class__.__name__
        return [Problem(name, f"could not be checked (database error: {error})")]


def collect() -> tuple[list[Problem], list[str]]:
    """Every problem, and the checks skipped because the database is unreachable."""
    problems: list[Problem] = []
    for check in SETTINGS_CHECKS:
        problems += check()
    unreachable = check_database_reachable()
    problems += unreachable
    if unreachable:
        return problems, list(DATABASE_CHECKS)
    for name, check in DATABASE_CHECKS.items():
        problems += _run_database_check(name, check)
    return problems, []


def summary(count: int) -> str:
    if count == 0:
        return "No problems found"
    return "1 problem" if count == 1 else f"{count} problems"


def run(args: argparse.Namespace) -> int:
    from ketapath.commands.django_setup import setup_django

    setup_django()
    problems, skipped = collect()
    if args.json:
        print(
            json.dumps(
                {
                    "ok": not problems,
                    "problems": [{"check": p.check, "message": p.message} for p in problems],
                    "skipped": skipped,
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        for problem in problems:
            print(problem.line())
        if skipped:
            print(f"not checked, the database being unreachable: {', '.join(skipped)}")
        print(summary(len(problems)))
    return 1 if problems else 0
