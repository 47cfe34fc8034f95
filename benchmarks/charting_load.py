"""Load check: many nurses charting vital signs at once against PostgreSQL.

It creates a throw-away PostgreSQL database, migrates it and loads the demo clinic (today's
sessions of the demo patients), adds ``--nurses`` nurse logins, starts ``ketapath serve`` on
127.0.0.1 with ``DATABASE_URL`` pointing at that database, and then every simulated nurse, each in
its own thread with its own login, charts ``--entries`` sets of vitals through the flowsheet's
form (an htmx POST with a fresh idempotency key), followed by the live fragment's GET as the page
would. Several nurses share each session, so entries for one session arrive at the same moment.

Afterwards every entry the server acknowledged ("Saved") is looked up in the database: each must
be there exactly once. It prints entries per second and the median and 95th-percentile response
times, and exits 1 if an acknowledged entry is missing or duplicated, or a request failed.
Only loopback traffic; the database is dropped at the end (``--keep`` keeps it). Run with:

    python benchmarks/charting_load.py --admin-url postgres://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

PASSWORD = "load-check-password-1"  # noqa: S105 - synthetic users of a throw-away database
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CURSOR = re.compile(r'id="live-poller" hx-get="[^"?]*\?after=([^"&]*)')


@dataclass
class Result:
    acknowledged: list[str] = field(default_factory=list)
    post_seconds: list[float] = field(default_factory=list)
    live_seconds: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def database_urls(admin_url: str) -> tuple[str, str, str]:
    """(admin URL, the throw-away database's URL, its name)."""
    parts = urllib.parse.urlsplit(admin_url)
    name = f"ketapath_load_{secrets.token_hex(4)}"
    return admin_url, urllib.parse.urlunsplit(parts._replace(path=f"/{name}")), name


def admin(admin_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(env: dict[str, str], nurses: int) -> list[tuple[str, str]]:
    """Migrate, load the demo, add the nurses; return (patient MRN, session id) of open sessions."""
    script = f"""
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from ketapath.demo.load import load_demo
load_demo()
from ketapath.accounts.models import Clinic, Role, User
from ketapath.infusions.models import InfusionSession
clinic = Clinic.objects.get(slug="demo")
for n in range({nurses}):
    user, _ = User.objects.get_or_create(
        username=f"load.nurse.{{n:03d}}", defaults={{"clinic": clinic, "role": Role.NURSE}}
    )
    user.set_password({PASSWORD!r})
    user.save()
for s in InfusionSession.objects.filter(patient__clinic=clinic, nurse_signed_at__isnull=True):
    print(f"SESSION {{s.patient.mrn}} {{s.pk}}")
"""
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, check=True, capture_output=True, text=True, timeout=600
    ).stdout
    return [tuple(line.split()[1:3]) for line in out.splitlines() if line.startswith("SESSION ")]  # type: ignore[misc]


def wait_for(base: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/health/", timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise SystemExit("the server did not answer on /health/")


class Nurse:
    """One browser: a cookie jar, a login, and the flowsheet's form posts."""

    def __init__(self, base: str, username: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        page = self.get("/accounts/login/")
        token = CSRF.search(page).group(1)  # type: ignore[union-attr]
        self.post(
            "/accounts/login/", {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token}
        )

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def get(self, path: str, headers: dict[str, str] | None = None) -> str:
        request = urllib.request.Request(self.base + path, headers=headers or {})  # noqa: S310
        with self.opener.open(request, timeout=30) as response:
            return response.read().decode()

    def post(self, path: str, data: dict[str, str], headers: dict[str, str] | None = None) -> str:
        body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(  # noqa: S310 - loopback only
            self.base + path,
            data=body,
            headers={"Referer": self.base + path, **(headers or {})},
        )
        with self.opener.open(request, timeout=30) as response:
            return response.read().decode()


def chart(
    base: str,
    username: str,
    mrn: str,
    session_id: str,
    entries: int,
    deadline: float,
    out: Result,
    lock: threading.Lock,
    start: threading.Barrier,
) -> None:
    try:
        nurse = Nurse(base, username)
    except Exception as exc:  # reported, not raised: the thread's result is what counts
        with lock:
            out.failures.append(f"{username}: login failed: {exc}")
        start.wait()
        return
    start.wait()
    flowsheet = f"/patients/{mrn}/sessions/{session_id}/"
    # Open the page as a browser would: its live poller carries the cursor to ask from.
    page = nurse.get(flowsheet)
    cursor = urllib.parse.unquote(m.group(1)) if (m := CURSOR.search(page)) else ""
    for n in range(entries):
        if time.monotonic() > deadline:
            with lock:
                out.failures.append(f"{username}: stopped at the time limit")
            return
        key = str(uuid.uuid4())
        form = {
            "csrfmiddlewaretoken": nurse.csrf(),
            "client_key": key,
            "systolic_mmhg": str(110 + (n * 7) % 50),
            "diastolic_mmhg": str(70 + (n * 3) % 20),
            "heart_rate_bpm": str(60 + n % 30),
            "spo2_percent": "97",
            "resp_rate_per_min": "14",
        }
        began = time.perf_counter()
        try:
            body = nurse.post(f"{flowsheet}vitals/", form, {"HX-Request": "true"})
            took = time.perf_counter() - began
            live_began = time.perf_counter()
            live = nurse.get(f"{flowsheet}live/?after={urllib.parse.quote(cursor)}", {"HX-Request": "true"})
            live_took = time.perf_counter() - live_began
            if m := CURSOR.search(live):
                cursor = urllib.parse.unquote(m.group(1))
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            with lock:
                out.failures.append(f"{username}: {exc}")
            continue
        with lock:
            out.post_seconds.append(took)
            out.live_seconds.append(live_took)
            if "Saved at" in body:
                out.acknowledged.append(key)
            else:
                out.failures.append(f"{username}: entry {n} not acknowledged")


def verify(env: dict[str, str], keys: list[str]) -> tuple[int, int]:
    """(found exactly once, missing or duplicated) among the acknowledged keys."""
    path = Path(tempfile.mkstemp(prefix="ketapath-load-keys-")[1])
    path.write_text("\n".join(keys))
    script = f"""
import django
django.setup()
from collections import Counter
from ketapath.infusions.models import VitalsEntry
keys = open({str(path)!r}).read().split()
rows = VitalsEntry.objects.filter(client_key__in=keys).values_list("client_key", flat=True)
counts = Counter(str(k) for k in rows)
print("FOUND", sum(1 for k in keys if counts.get(k) == 1), sum(1 for k in keys if counts.get(k) != 1))
"""
    try:
        out = subprocess.run(
            [sys.executable, "-c", script], env=env, check=True, capture_output=True, text=True, timeout=300
        ).stdout
    finally:
        path.unlink(missing_ok=True)
    found, bad = next(line.split()[1:3] for line in out.splitlines() if line.startswith("FOUND"))
    return int(found), int(bad)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("KETAPATH_LOAD_ADMIN_URL", ""),
        help="PostgreSQL URL of a database to connect to while creating the throw-away one",
    )
    parser.add_argument("--nurses", type=int, default=24, help="simulated nurses (default 24)")
    parser.add_argument("--entries", type=int, default=15, help="vitals each nurse charts (default 15)")
    parser.add_argument("--threads", type=int, default=8, help="server worker threads (default 8)")
    parser.add_argument(
        "--time-limit", type=float, default=300, help="seconds for the charting (default 300)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the throw-away database")
    args = parser.parse_args(argv)
    if not args.admin_url.startswith("postgres"):
        parser.error("give --admin-url postgres://user@127.0.0.1:5432/postgres (or KETAPATH_LOAD_ADMIN_URL)")
    if not 1 <= args.nurses <= 200 or not 1 <= args.entries <= 500:
        parser.error("--nurses 1-200 and --entries 1-500 keep the check bounded")
    admin_url, url, name = database_urls(args.admin_url)
    host = urllib.parse.urlsplit(url).hostname
    if host not in {"127.0.0.1", "localhost", "::1"}:
        parser.error("the load check only runs against a database on this machine")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "ketapath.settings",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "KETAPATH_LOGIN_FAILURE_LIMIT": "100",
    }
    admin(admin_url, f'CREATE DATABASE "{name}"')
    server = None
    log = tempfile.TemporaryFile()  # noqa: SIM115 - the server's output, kept until the end
    try:
        started = time.perf_counter()
        sessions = prepare(env, args.nurses)
        if not sessions:
            raise SystemExit("the demo has no open session today")
        print(
            f"Prepared {name}: demo clinic, {args.nurses} nurses, {len(sessions)} open sessions "
            f"({time.perf_counter() - started:.1f} s)"
        )
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ketapath",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--threads",
                str(args.threads),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for(base, 60)
        result = Result()
        lock = threading.Lock()
        barrier = threading.Barrier(args.nurses)
        deadline = time.monotonic() + args.time_limit
        threads = [
            threading.Thread(
                target=chart,
                args=(
                    base,
                    f"load.nurse.{n:03d}",
                    *sessions[n % len(sessions)],
                    args.entries,
                    deadline,
                    result,
                    lock,
                    barrier,
                ),
            )
            for n in range(args.nurses)
        ]
        began = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(args.time_limit + 60)
        wall = time.perf_counter() - began
        found, bad = verify(env, result.acknowledged)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if not args.keep:
            admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    asked = args.nurses * args.entries
    print(f"Nurses: {args.nurses} at once on {len(sessions)} sessions; server threads: {args.threads}")
    print(
        f"Entries: {asked} sent, {len(result.acknowledged)} acknowledged, {found} found exactly once, "
        f"{bad} missing or duplicated"
    )
    print(
        f"Throughput: {len(result.acknowledged) / wall:.1f} entries/s over {wall:.1f} s "
        "(each entry followed by the live GET)"
    )
    print(
        f"Entry response time: median {statistics.median(result.post_seconds) * 1000:.0f} ms, "
        f"95th percentile {percentile(result.post_seconds, 95) * 1000:.0f} ms, "
        f"max {max(result.post_seconds) * 1000:.0f} ms"
    )
    print(
        f"Live fragment response time: median {statistics.median(result.live_seconds) * 1000:.0f} ms, "
        f"95th percentile {percentile(result.live_seconds, 95) * 1000:.0f} ms"
    )
    if result.failures:
        print(f"Failures ({len(result.failures)}): " + "; ".join(result.failures[:5]))
    ok = not result.failures and bad == 0 and found == len(result.acknowledged) == asked
    print("Every acknowledged entry was found once." if ok else "FAILED: see above.")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
