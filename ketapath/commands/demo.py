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
    from ketapath.cli import CommandError

    if not 0 < args.port < 65536:
        raise CommandError(f"--port {args.port} is not a valid port number")
    os.environ["KETAPATH_DEMO"] = "true"
    from ketapath.envconfig import data_dir

    data_dir().mkdir(parents=True, exist_ok=True)
    from ketapath.commands.django_setup import setup_django

    setup_django()
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
    if args.no_serve:
        return 0
    from ketapath.commands.serve import serve_forever

    print(f"Open http://{args.host}:{args.port}/ (Ctrl-C to stop)", flush=True)
    serve_forever(args.host, args.port, args.threads)
    return 0
