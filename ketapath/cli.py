"""The ``ketapath`` command line.

Each subcommand lives in ``ketapath/commands/<name>.py`` with ``register(subparsers)``; modules
are imported lazily so that the pure-core commands (``pk``, ``score``, ``sources``) start without
loading Django.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Sequence

# name -> (module, one-line help). Order is the order of ``ketapath --help``.
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("ketapath.commands.demo", "migrate, load the demo clinic and serve it"),
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


class CommandError(Exception):
    """A user error: printed as one line on standard error, exit status 2."""


def _available() -> dict[str, tuple[str, str]]:
    return {name: spec for name, spec in COMMANDS.items() if importlib.util.find_spec(spec[0]) is not None}


def main(argv: Sequence[str] | None = None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    commands = _available()
    # ``manage`` passes everything after it to Django untouched.
    if args_in[:1] == ["manage"] and "manage" in commands:
        module = importlib.import_module(commands["manage"][0])
        return int(module.run(args_in[1:]))
    parser = argparse.ArgumentParser(prog="ketapath", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, (module_name, help_text) in commands.items():
        if args_in[:1] == [name]:
            importlib.import_module(module_name).register(sub, name, help_text)
        else:
            sub.add_parser(name, help=help_text)
    args = parser.parse_args(args_in)
    try:
        return int(args.handler(args) or 0)
    except CommandError as exc:
        print(f"ketapath {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
