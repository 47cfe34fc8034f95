"""The ``ketapath`` command line.

Each subcommand lives in ``ketapath/commands/<name>.py`` with ``register(subparsers)``; modules
are imported lazily so that the pure-core commands (``pk``, ``score``, ``sources``) start without
loading Django.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from collections.abc import Sequence

from ketapath.envconfig import SettingError

# name -> (module, one-line help). Order is the order of ``ketapath --help``.
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("ketapath.commands.demo", "migrate, load the demo clinic and serve it"),
    "setup": ("ketapath.commands.setup", "create a clinic, its first administrator and prescriber"),
    "check": ("ketapath.commands.check", "check a deployment: Django's checks and KetaPath's own"),
    "serve": ("ketapath.commands.serve", "serve the application"),
    "manage": ("ketapath.commands.manage", "run Django's manage.py commands"),
    "export": ("ketapath.commands.export", "export records (FHIR R4)"),
    "remind": ("ketapath.commands.remind", "send due reminders and escalate critical alerts (run from cron)"),
    "readiness": ("ketapath.commands.readiness", "list the safety settings a clinic has not set yet"),
    "score": ("ketapath.commands.score", "score a questionnaire from its answers"),
    "eligibility": ("ketapath.commands.eligibility", "run the eligibility rules on a case file"),
    "sources": ("ketapath.commands.sources", "list every source the clinical data cites"),
    "pk": ("ketapath.commands.pk", "pharmacokinetic models, simulation, populations, TCI"),
}


EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2

EPILOG = """\
exit status (every command):
  0  done
  1  the command could not run, or its answer is "no": a configuration error (a missing or
     malformed environment variable), a runtime failure (a port in use, the database
     unreachable); readiness: the clinic is not ready
  2  a usage or input error: a bad argument, or a file, patient, clinic or instrument named
     on the command line that is missing or invalid (nothing was done)
Errors are one line on standard error. `ketapath manage` keeps Django's own exit status."""


class CommandError(Exception):
    """A usage or input error: printed as one line on standard error, exit status 2."""

    status = EXIT_USAGE


class CommandFailure(CommandError):
    """The command could not run (runtime failure): one line on standard error, exit status 1."""

    status = EXIT_FAILURE


def _database_error() -> type[BaseException] | None:
    """Django's database error class when Django is loaded (the pure-core commands never load it)."""
    db = sys.modules.get("django.db")
    return getattr(db, "Error", None) if db is not None else None


def _available() -> dict[str, tuple[str, str]]:
    return {name: spec for name, spec in COMMANDS.items() if importlib.util.find_spec(spec[0]) is not None}


def main(argv: Sequence[str] | None = None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    commands = _available()
    # ``manage`` passes everything after it to Django untouched.
    if args_in[:1] == ["manage"] and "manage" in commands:
        module = importlib.import_module(commands["manage"][0])
        return int(module.run(args_in[1:]))
    parser = argparse.ArgumentParser(
        prog="ketapath",
        description=__doc__.splitlines()[0],
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, (module_name, help_text) in commands.items():
        if args_in[:1] == [name]:
            importlib.import_module(module_name).register(sub, name, help_text)
        else:
            sub.add_parser(name, help=help_text)
    args = parser.parse_args(args_in)
    try:
        status = int(args.handler(args) or 0)
        # Flushed here, not at exit: a reader that went away is met by the handler below.
        sys.stdout.flush()
        return status
    except CommandError as exc:
        print(f"ketapath {args.command}: {exc}", file=sys.stderr)
        return exc.status
    except SettingError as exc:
        # A configuration error (raised while Django loads the settings): one line, status 1.
        print(exc.code, file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (``ketapath readiness | head``): stop quietly, as a Unix tool does,
        # with what was not printed sent nowhere so that the flush at exit raises nothing more.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILURE
    except Exception as exc:
        db_error = _database_error()
        if db_error is None or not isinstance(exc, db_error):
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        print(f"ketapath {args.command}: database error: {first}", file=sys.stderr)
        return EXIT_FAILURE


if __name__ == "__main__":
    raise SystemExit(main())
