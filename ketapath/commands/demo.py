"""``ketapath demo [--no-serve] [--port N]``: migrate, load the demo clinic, serve it.

The demo keeps its SQLite database and secret key in the data folder (``KETAPATH_DATA_DIR``,
default ``./ketapath-data/``). Loading is idempotent: running it again keeps what was entered.
"""

from __future__ import annotations

import argparse
import os

from ketapath.commands.serve import add_server_arguments


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help_text: str) -> None:
    parser = sub.add_parser(name, help=help_text, description=__doc__.splitlines()[0])
    parser.add_argument("--no-serve", action="store_true", help="only migrate and load, then exit")
    add_server_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ketapath.commands.serve import check_host

    if not args.no_serve:
        check_host(args.host, args.port)
    os.environ["KETAPATH_DEMO"] = "true"
    from ketapath.envconfig import data_dir

    data_dir().mkdir(parents=True, exist_ok=True)
    from ketapath.commands.django_setup import setup_django

    setup_django()
    server = None
    if not args.no_serve:
        from ketapath.commands.serve import make_server

        # Listen first: a port in use is said at once, not after the load.
        server = make_server(args.host, args.port, args.threads)
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from ketapath.demo.load import DEMO_PASSWORD, load_demo

    summary = load_demo()
    print(f"Demo clinic ready: {summary} (synthetic data only).")
    print(f"Data folder: {data_dir()}")
    print(f"Demo logins (password {DEMO_PASSWORD}):")
    print("  dr.demo       prescriber")
    print("  nurse.demo    nurse")
    print("  admin.demo    clinic administrator")
    print("  patient.demo  patient (DEMO-0001)")
    if server is None:
        return 0
    from ketapath.commands.serve import run_server

    run_server(server, args.host, args.port)
    return 0
