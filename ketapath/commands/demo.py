"""``ketapath demo [--no-serve] [--port N]``: migrate, load the demo clinic, serve it.

The demo keeps its SQLite database and secret key in the data folder (``KETAPATH_DATA_DIR``,
default ``./ketapath-data/``). Loading is idempotent: running it again keeps what was entered.
Each step prints one line with its count and time as it ends.
"""

from __future__ import annotations

import argparse
import os
import time

from ketapath.commands.django_setup import setup_django
from ketapath.commands.serve import add_server_arguments, check_host, make_server, run_server
from ketapath.envconfig import data_dir


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help_text: str) -> None:
    parser = sub.add_parser(name, help=help_text, description=__doc__.splitlines()[0])
    parser.add_argument("--no-serve", action="store_true", help="only migrate and load, then exit")
    add_server_arguments(parser)
    parser.set_defaults(handler=run)


class StepPrinter:
    """Prints each step's line as it ends, with the time since the previous one (flushed, so a
    slow step is seen while it runs, also through a pipe)."""

    def __init__(self) -> None:
        self.since = time.monotonic()

    def __call__(self, line: str) -> None:
        now = time.monotonic()
        print(f"{line} ({now - self.since:.1f} s)", flush=True)
        self.since = now


def run(args: argparse.Namespace) -> int:
    if not args.no_serve:
        check_host(args.host, args.port)
    os.environ["KETAPATH_DEMO"] = "true"
    data_dir().mkdir(parents=True, exist_ok=True)
    setup_django()
    server = None
    if not args.no_serve:
        # Listen first: a port in use is said at once, not after the load.
        server = make_server(args.host, args.port, args.threads)
    # These need Django set up (the models load with them), which happens only in this command.
    from django.core.management import call_command

    from ketapath.commands.fresh_database import create_fresh_schema
    from ketapath.demo.load import DEMO_PASSWORD, load_demo

    print("Migrating the database…", end=" ", flush=True)
    started = time.monotonic()
    how = "created at once" if create_fresh_schema() else "done"
    if how == "done":
        call_command("migrate", interactive=False, verbosity=0)
    print(f"{how} ({time.monotonic() - started:.1f} s)", flush=True)
    summary = load_demo(StepPrinter())
    print(f"Demo clinic ready: {summary} (synthetic data only).")
    print(f"Data folder: {data_dir()}")
    print(f"Demo logins (password {DEMO_PASSWORD}):")
    print("  dr.demo       prescriber")
    print("  nurse.demo    nurse")
    print("  nurse2.demo   second nurse")
    print("  admin.demo    clinic administrator")
    print("  patient.demo  patient (DEMO-0001)")
    if server is None:
        return 0
    run_server(server, args.host, args.port)
    return 0
