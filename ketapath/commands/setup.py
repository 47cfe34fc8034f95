"""``ketapath setup``: create a clinic, its first clinic administrator and its first prescriber.

Migrates an empty (or not yet up-to-date) database first. Asks for what the flags did not give
when standard input is a terminal (passwords typed twice, never echoed); without a terminal, or
with ``--no-input``, every value comes from the flags and the passwords from ``--password-file``
(one password a line: the administrator's first, then the prescriber's). Everything is checked
before anything is written; each problem is one line on standard error and the exit status is 2,
with nothing created. The clinic starts with no safety settings: it sets its own
(``ketapath readiness --clinic SLUG`` lists them).
"""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Passwords typed twice: how many tries before giving up.
PASSWORD_TRIES = 3

#: The flags every value comes from without a terminal, in the order they are asked for.
VALUE_FLAGS: dict[str, str] = {
    "clinic": "--clinic",
    "slug": "--slug",
    "admin": "--admin",
    "admin_email": "--admin-email",
    "prescriber": "--prescriber",
    "prescriber_email": "--prescriber-email",
}
PRESCRIBER_TYPES = ("physician", "nurse_practitioner")
DEFAULT_PRESCRIBER_TYPE = "physician"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help_text: str) -> None:
    parser = sub.add_parser(name, help=help_text, description=__doc__.splitlines()[0])
    parser.add_argument("--clinic", metavar="NAME", help="the clinic's name")
    parser.add_argument("--slug", metavar="SLUG", help="the clinic's short name (letters, digits, - and _)")
    parser.add_argument("--admin", metavar="USERNAME", help="the clinic administrator's username")
    parser.add_argument("--admin-email", metavar="EMAIL", help="the clinic administrator's e-mail address")
    parser.add_argument("--prescriber", metavar="USERNAME", help="the prescriber's username")
    parser.add_argument("--prescriber-email", metavar="EMAIL", help="the prescriber's e-mail address")
    parser.add_argument(
        "--prescriber-type",
        choices=PRESCRIBER_TYPES,
        help=f"the prescriber's profession (default: {DEFAULT_PRESCRIBER_TYPE})",
    )
    parser.add_argument(
        "--password-file",
        metavar="FILE",
        type=Path,
        help="a file with one password a line: the administrator's first, then the prescriber's",
    )
    parser.add_argument(
        "--no-input",
        action="store_true",
        help="never ask: every value from the flags, as without a terminal",
    )
    parser.set_defaults(handler=run)


@dataclass
class Answers:
    """What the new clinic is made of: from the flags, the prompts and the password file."""

    clinic: str = ""
    slug: str = ""
    admin: str = ""
    admin_email: str = ""
    prescriber: str = ""
    prescriber_email: str = ""
    prescriber_type: str = DEFAULT_PRESCRIBER_TYPE
    admin_password: str = ""
    prescriber_password: str = ""


class Refused(Exception):
    """Input that cannot be used: every problem, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems[-1])
        self.problems = problems


# ----------------------------------------------------------------------------------------------
# Gathering the values: flags, then prompts (a terminal only), then the password file
# ----------------------------------------------------------------------------------------------


def _from_flags(args: argparse.Namespace) -> Answers:
    answers = Answers()
    for name in VALUE_FLAGS:
        value = getattr(args, name, None)
        setattr(answers, name, (value or "").strip())
    answers.prescriber_type = args.prescriber_type or DEFAULT_PRESCRIBER_TYPE
    return answers


def missing_flags(args: argparse.Namespace) -> list[str]:
    """The flags a run without prompts needs and did not get."""
    missing = [flag for name, flag in VALUE_FLAGS.items() if not (getattr(args, name, None) or "").strip()]
    if args.password_file is None:
        missing.append("--password-file")
    return missing


def _ask(prompt: str, default: str = "") -> str:
    """One line from the terminal (``default`` when left empty); the end of input is a usage error."""
    from ketapath.cli import CommandError

    shown = f"{prompt} [{default}]: " if default else f"{prompt}: "
    try:
        value = input(shown).strip()
    except EOFError:
        raise CommandError("input ended before every value was given") from None
    return value or default


def ask_password(whose: str, read: Callable[[str], str] | None = None) -> str:
    """A password typed twice, never echoed (``getpass``); asked again when the two differ or it
    is empty, up to :data:`PASSWORD_TRIES` times."""
    from ketapath.cli import CommandError

    read = read or getpass.getpass
    for _ in range(PASSWORD_TRIES):
        try:
            first = read(f"Password for {whose}: ")
            second = read(f"Password for {whose} (again): ")
        except EOFError:
            raise CommandError("input ended before every value was given") from None
        if not first:
            print("The password is empty: type it again.", file=sys.stderr)
        elif first != second:
            print("The two passwords differ: type them again.", file=sys.stderr)
        else:
            return first
    raise CommandError(f"no matching password for {whose} after {PASSWORD_TRIES} tries")


def ask_missing(answers: Answers, args: argparse.Namespace) -> None:
    """Ask, at the terminal, for every value the flags did not give."""
    if not answers.clinic:
        answers.clinic = _ask("Clinic name")
    if not answers.slug:
        from django.utils.text import slugify

        answers.slug = _ask("Clinic slug (its short name, as in --clinic SLUG)", slugify(answers.clinic))
    if not answers.admin:
        answers.admin = _ask("Clinic administrator's username")
    if not answers.admin_email:
        answers.admin_email = _ask("Clinic administrator's e-mail address")
    if args.password_file is None:
        answers.admin_password = ask_password(f"the administrator {answers.admin}")
    if not answers.prescriber:
        answers.prescriber = _ask("Prescriber's username")
    if not answers.prescriber_email:
        answers.prescriber_email = _ask("Prescriber's e-mail address")
    if args.prescriber_type is None:
        typed = _ask(f"Prescriber type ({' or '.join(PRESCRIBER_TYPES)})", DEFAULT_PRESCRIBER_TYPE)
        answers.prescriber_type = "_".join(typed.lower().split())
    if args.password_file is None:
        answers.prescriber_password = ask_password(f"the prescriber {answers.prescriber}")


def read_password_file(path: Path) -> tuple[list[str], list[str]]:
    """(passwords, problems): the file's first two non-empty lines, administrator first."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return [], [f"password file {str(path)!r} does not exist"]
    except IsADirectoryError:
        return [], [f"password file {str(path)!r} is a folder"]
    except UnicodeDecodeError:
        return [], [f"password file {str(path)!r} is not UTF-8 text"]
    except OSError as exc:
        return [], [f"password file {str(path)!r} cannot be read ({exc.strerror or exc})"]
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        return [], [
            f"password file {str(path)!r} has {len(lines)} password line(s), needs 2 "
            "(the administrator's, then the prescriber's)"
        ]
    return lines[:2], []


# ----------------------------------------------------------------------------------------------
# Checking, before anything is written
# ----------------------------------------------------------------------------------------------


def _max_length(model: Any, name: str) -> int:
    length = model._meta.get_field(name).max_length
    return int(length)


def _messages(error: Any) -> str:
    return " ".join(str(message) for message in error.messages)


def input_problems(answers: Answers) -> list[str]:
    """Everything wrong with the values that needs no database, one line each."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email, validate_slug

    from ketapath.accounts.models import Clinic, PrescriberType, Role, User

    problems: list[str] = []
    name_max = _max_length(Clinic, "name")
    if not answers.clinic:
        problems.append("the clinic name is empty")
    elif len(answers.clinic) > name_max:
        problems.append(f"the clinic name has {len(answers.clinic)} characters, at most {name_max} allowed")
    slug_max = _max_length(Clinic, "slug")
    if not answers.slug:
        problems.append("the clinic slug is empty")
    elif len(answers.slug) > slug_max:
        problems.append(
            f"slug {answers.slug!r} has {len(answers.slug)} characters, at most {slug_max} allowed"
        )
    else:
        try:
            validate_slug(answers.slug)
        except ValidationError:
            problems.append(f"slug {answers.slug!r} is not a slug (letters, digits, hyphens, underscores)")
    username_max = _max_length(User, "username")
    email_max = _max_length(User, "email")
    people = (
        ("administrator", answers.admin, answers.admin_email, answers.admin_password, Role.ADMIN),
        (
            "prescriber",
            answers.prescriber,
            answers.prescriber_email,
            answers.prescriber_password,
            Role.PRESCRIBER,
        ),
    )
    for who, username, email, password, role in people:
        if not username:
            problems.append(f"the {who}'s username is empty")
        elif len(username) > username_max:
            problems.append(f"username {username!r} has {len(username)} characters, at most {username_max}")
        else:
            try:
                User.username_validator(username)
            except ValidationError as exc:
                problems.append(f"username {username!r} ({who}): {_messages(exc)}")
        if not email:
            problems.append(f"the {who}'s e-mail address is empty")
        elif len(email) > email_max:
            problems.append(f"e-mail address {email!r} ({who}) is longer than {email_max} characters")
        else:
            try:
                validate_email(email)
            except ValidationError:
                problems.append(f"{email!r} ({who}) is not an e-mail address")
        if password:
            try:
                validate_password(password, user=User(username=username, email=email, role=role))
            except ValidationError as exc:
                problems.append(f"the {who}'s password is refused: {_messages(exc)}")
    if answers.admin and answers.admin.casefold() == answers.prescriber.casefold():
        problems.append(f"the administrator and the prescriber have the same username {answers.admin!r}")
    if answers.prescriber_type not in PrescriberType.values:
        problems.append(
            f"prescriber type {answers.prescriber_type!r} is not one of {', '.join(PrescriberType.values)}"
        )
    return problems


def taken_problems(answers: Answers) -> list[str]:
    """The slug and usernames already in use (compared without regard to case), one line each."""
    from ketapath.accounts.models import Clinic, User

    problems: list[str] = []
    if answers.slug and Clinic.objects.filter(slug__iexact=answers.slug).exists():
        problems.append(f"a clinic with slug {answers.slug!r} exists already")
    for username in dict.fromkeys(u for u in (answers.admin, answers.prescriber) if u):
        if User.objects.filter(username__iexact=username).exists():
            problems.append(f"username {username!r} is taken")
    return problems


def refuse(problems: list[str]) -> None:
    """Stop with every problem, one line each on standard error (the last through the CLI)."""
    if problems:
        raise Refused(problems)


# ----------------------------------------------------------------------------------------------
# The database: migrated first when it needs it
# ----------------------------------------------------------------------------------------------


def database_needs_migrating(alias: str = "default") -> bool:
    """Whether migrations remain to apply.

    A database whose every model table exists with no migration recorded was built straight from
    the models (the test suite's database is): it is left as it is, as ``migrate`` would only
    fail on it."""
    from django.db import connections
    from django.db.migrations.executor import MigrationExecutor

    connection = connections[alias]
    executor = MigrationExecutor(connection)
    if not executor.migration_plan(executor.loader.graph.leaf_nodes()):
        return False
    if executor.recorder.applied_migrations():
        return True
    existing = set(connection.introspection.table_names())
    expected = set(connection.introspection.django_table_names(include_views=False))
    return not expected <= existing


def migrate(alias: str = "default") -> str:
    """Bring the database up to date: an empty SQLite database at once, any other by ``migrate``."""
    from django.core.management import call_command

    from ketapath.commands.fresh_database import create_fresh_schema

    if create_fresh_schema(alias):
        return "created at once"
    call_command("migrate", interactive=False, verbosity=0, database=alias)
    return "done"


def _make_data_folder() -> None:
    """The default SQLite database lives in the data folder: make the folder if it is missing."""
    from django.db import connections

    from ketapath.envconfig import data_dir

    settings_dict = connections["default"].settings_dict
    name = str(settings_dict.get("NAME") or "")
    if settings_dict.get("ENGINE", "").endswith("sqlite3") and Path(name).parent == data_dir():
        data_dir().mkdir(parents=True, exist_ok=True)


# ----------------------------------------------------------------------------------------------
# Writing
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Created:
    clinic: Any
    admin: Any
    prescriber: Any


def create(answers: Answers) -> Created:
    """The clinic and its two staff, in one transaction. The clinic's settings stay unset."""
    from django.db import transaction

    from ketapath.accounts.models import Clinic, Role, User
    from ketapath.audit.history import note_change

    reason = "Created by ketapath setup"
    with transaction.atomic():
        clinic = Clinic(name=answers.clinic, slug=answers.slug)
        note_change(clinic, reason).save()
        admin = User(username=answers.admin, email=answers.admin_email, clinic=clinic, role=Role.ADMIN)
        admin.set_password(answers.admin_password)
        note_change(admin, reason).save()
        prescriber = User(
            username=answers.prescriber,
            email=answers.prescriber_email,
            clinic=clinic,
            role=Role.PRESCRIBER,
            prescriber_type=answers.prescriber_type,
        )
        prescriber.set_password(answers.prescriber_password)
        note_change(prescriber, reason).save()
    return Created(clinic, admin, prescriber)


def report(created: Created) -> None:
    """What was created, then the next steps."""
    from django.conf import settings
    from django.urls import reverse

    from ketapath.accounts.models import PrescriberType
    from ketapath.clinic_settings.readiness import first_infusion_missing

    clinic, admin, prescriber = created.clinic, created.admin, created.prescriber
    site = str(getattr(settings, "KETAPATH_SITE_URL", "")).rstrip("/")
    missing = len(first_infusion_missing(clinic.pk))
    print(f"Created clinic {clinic.name!r} (slug {clinic.slug}).")
    print(f"Created clinic administrator {admin.username} <{admin.email}>.")
    print(
        f"Created prescriber {prescriber.username} <{prescriber.email}>, "
        f"{PrescriberType(prescriber.prescriber_type).label.lower()}."
    )
    print("Next steps:")
    print(
        f"  1. Sign in as the administrator {admin.username}: {site}{reverse('login')} "
        "(each member of staff sets up two-factor sign-in, an authenticator app, at the first sign-in)"
    )
    print(
        f"  2. Open the readiness page, {site}{reverse('clinic_settings:readiness')}: "
        f"{missing} safety setting(s) are not set yet, and until they are no plan is approved "
        "and no infusion starts."
    )
    print(
        f"  3. Set the clinic's safety settings, as the prescriber {prescriber.username}: "
        f"{site}{reverse('clinic_settings:page')}"
    )
    print(
        "  4. Invite the rest of the staff (nurses, other prescribers) by e-mail, as the administrator, "
        "once you have set how many hours an invitation link stays valid: "
        f"{site}{reverse('staff:list')}"
    )
    print(f"  5. Check from here at any time: ketapath readiness --clinic {clinic.slug}")


# ----------------------------------------------------------------------------------------------
# The command
# ----------------------------------------------------------------------------------------------


def gather(args: argparse.Namespace, interactive: bool) -> tuple[Answers, list[str]]:
    """The values (asked for at a terminal when missing) and the password file's problems."""
    answers = _from_flags(args)
    if interactive:
        ask_missing(answers, args)
    problems: list[str] = []
    if args.password_file is not None:
        passwords, problems = read_password_file(args.password_file)
        if passwords:
            answers.admin_password, answers.prescriber_password = passwords
    return answers, problems


def run(args: argparse.Namespace) -> int:
    from ketapath.cli import CommandError

    interactive = not args.no_input and sys.stdin.isatty()
    if not interactive:
        missing = missing_flags(args)
        if missing:
            raise CommandError(
                f"missing {', '.join(missing)} (without a terminal, or with --no-input, every value "
                "comes from the flags)"
            )
    from ketapath.commands.django_setup import setup_django

    setup_django()
    try:
        answers, problems = gather(args, interactive)
        problems += input_problems(answers)
        _make_data_folder()
        needs_migrating = database_needs_migrating()
        if not needs_migrating:
            problems += taken_problems(answers)
        refuse(problems)
        if needs_migrating:
            print("Migrating the database…", end=" ", flush=True)
            started = time.monotonic()
            print(f"{migrate()} ({time.monotonic() - started:.1f} s)", flush=True)
            refuse(taken_problems(answers))
    except Refused as exc:
        for problem in exc.problems[:-1]:
            print(f"ketapath {args.command}: {problem}", file=sys.stderr)
        raise CommandError(exc.problems[-1]) from None
    report(create(answers))
    return 0
