"""``ketapath serve [--host --port]``: serve the application with Waitress.

Waitress is a pure-Python production WSGI server that runs the same on every platform a clinic
may have; behind a reverse proxy, ``gunicorn ketapath.wsgi`` works as well.
"""

from __future__ import annotations

import argparse


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    parser.add_argument("--threads", type=int, default=8, help="worker threads (default 8)")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help_text: str) -> None:
    parser = sub.add_parser(name, help=help_text, description=help_text)
    add_server_arguments(parser)
    parser.set_defaults(handler=run)


def serve_forever(host: str, port: int, threads: int) -> None:
    from waitress import serve

    from ketapath.wsgi import application

    serve(application, host=host, port=port, threads=threads, ident="KetaPath")


def run(args: argparse.Namespace) -> int:
    from ketapath.cli import CommandError

    if not 0 < args.port < 65536:
        raise CommandError(f"--port {args.port} is not a valid port number")
    from ketapath.commands.django_setup import setup_django

    setup_django()
    print(f"KetaPath serving on http://{args.host}:{args.port}/ (Ctrl-C to stop)", flush=True)
    serve_forever(args.host, args.port, args.threads)
    return 0
