"""``ketapath serve [--host --port --threads]``: serve the application with Waitress.

Waitress is a pure-Python production WSGI server that runs the same on every platform a clinic
may have; behind a reverse proxy, ``gunicorn ketapath.wsgi`` works as well. Waitress does not speak
TLS: in production a TLS proxy (nginx, Caddy, ...) sits in front of it, and
``KETAPATH_TRUSTED_PROXY`` names the address that proxy connects from, the only client whose
``X-Forwarded-Proto`` (and ``X-Forwarded-For``) Waitress believes.
"""

from __future__ import annotations

import argparse
import errno
import socket
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

# Worker threads: each holds a database connection; PostgreSQL's default max_connections is 100,
# so 64 leaves room for cron, the shell and a second process (typing-error guard, no source).
MAX_THREADS = 64
# The headers a trusted proxy may set: the scheme the client used, and the client's address
# (lock-outs after failed logins count per client address, not per proxy).
TRUSTED_PROXY_HEADERS = frozenset({"x-forwarded-proto", "x-forwarded-for"})


def _whole_number(minimum: int, maximum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not minimum <= value <= maximum:
            raise argparse.ArgumentTypeError(f"{value} is outside {minimum}..{maximum}")
        return value

    return parse


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=_whole_number(1, 65535), default=8000, help="port to listen on, 1-65535 (default 8000)"
    )
    parser.add_argument(
        "--threads",
        type=_whole_number(1, MAX_THREADS),
        default=8,
        help=f"worker threads, 1-{MAX_THREADS} (default 8)",
    )


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help_text: str) -> None:
    parser = sub.add_parser(name, help=help_text, description=__doc__.splitlines()[0])
    add_server_arguments(parser)
    parser.set_defaults(handler=run)


def check_host(host: str, port: int) -> None:
    """A usage error (status 2) unless ``host`` names an address to listen on."""
    from ketapath.cli import CommandError

    if not host.strip():
        raise CommandError("--host is empty (give an address such as 127.0.0.1)")
    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError):
        raise CommandError(
            f"--host {host!r} is not an address or a host name this machine can resolve"
        ) from None


def proxy_options() -> dict[str, Any]:
    """Waitress's proxy settings from ``KETAPATH_TRUSTED_PROXY``; refuses https with no proxy named."""
    from django.conf import settings

    from ketapath.envconfig import SettingError

    if not settings.TRUSTED_PROXY:
        if settings.HTTPS:
            raise SettingError(
                "KETAPATH_HTTPS=true needs KETAPATH_TRUSTED_PROXY: Waitress does not speak TLS, so "
                "without the address of your TLS proxy every request would be redirected to https forever."
            )
        return {}
    return {
        "trusted_proxy": settings.TRUSTED_PROXY,
        "trusted_proxy_count": 1,
        "trusted_proxy_headers": set(TRUSTED_PROXY_HEADERS),
        "clear_untrusted_proxy_headers": True,
    }


def make_server(host: str, port: int, threads: int) -> Any:
    """A Waitress server listening on ``host:port``; one-line errors for a bad host or a port in use."""
    from waitress import create_server

    from ketapath.cli import CommandError, CommandFailure
    from ketapath.web.static_files import collect_static

    options = proxy_options()
    check_host(host, port)
    # Hashed, compressed static files in STATIC_ROOT before WhiteNoise (loaded with the WSGI
    # application) lists them: ~10 s the first time, under one when up to date.
    collect_static()
    from ketapath.wsgi import application

    try:
        return create_server(application, host=host, port=port, threads=threads, ident="KetaPath", **options)
    except ValueError as exc:  # Waitress: "Invalid host/port specified."
        raise CommandError(f"--host {host!r} --port {port}: {exc}") from None
    except OSError as exc:
        if exc.errno == errno.EADDRNOTAVAIL:
            raise CommandError(f"--host {host!r} is not an address of this machine") from None
        reason = "the port is in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
        raise CommandFailure(f"cannot listen on {host}:{port}: {reason}") from None


def serve_forever(host: str, port: int, threads: int) -> None:
    server = make_server(host, port, threads)
    run_server(server, host, port)


def run_server(server: Any, host: str, port: int) -> None:
    shown = f"[{host}]" if ":" in host else host
    print(f"KetaPath serving on http://{shown}:{port}/ (Ctrl-C to stop)", flush=True)
    try:
        server.run()
    finally:
        server.close()


def run(args: argparse.Namespace) -> int:
    from ketapath.commands.django_setup import setup_django

    check_host(args.host, args.port)
    setup_django()
    serve_forever(args.host, args.port, args.threads)
    return 0
