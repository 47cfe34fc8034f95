"""Issue 13, the command line and production behind TLS.

Exit status rule (``ketapath --help``, README): 0 done; 2 a usage or input error (a bad argument,
file or name given on the command line); 1 the command could not run or its result is negative
(a configuration error, a runtime failure such as a port in use, or ``readiness``: not ready).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import selectors
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import migrations, models

from ketapath.cli import main
from ketapath.commands.fresh_database import blockers

ROOT = Path(__file__).resolve().parent.parent
# Variables the test process sets (pytest-django, settings_test) that a real shell would not have.
_STRIP = {"SECRET_KEY", "DATABASE_URL", "DEBUG", "KETAPATH_DEMO", "DJANGO_SETTINGS_MODULE", "KETAPATH_HTTPS"}


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _STRIP and not k.startswith("KETAPATH_")}
    return env | extra


def ketapath(*args: str, env: dict[str, str], timeout: float = 120, stdin: str | None = None):
    return subprocess.run(
        [sys.executable, "-m", "ketapath", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=stdin,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------------------------------------
# export --out: never clobber, never follow a link, never an empty path


@pytest.fixture
def no_serve(monkeypatch):
    """A test that reaches a real server by mistake fails at once instead of hanging."""

    def refuse(*args, **kwargs):
        raise AssertionError("the server was started")

    monkeypatch.setattr("waitress.serve", refuse)
    monkeypatch.setattr("waitress.create_server", refuse)


@pytest.fixture(autouse=True)
def small_bundle(request, monkeypatch):
    """The export tests are about the file, not the bundle (tests/web/test_fhir_export.py is)."""
    if request.node.name.startswith("test_export"):
        monkeypatch.setattr(
            "ketapath.web.fhir_export.patient_bundle",
            lambda patient: {"resourceType": "Bundle", "type": "collection"},
        )


def _export(out: str, *more: str) -> int:
    return main(["export", "fhir", "--patient", "A-0001", "--clinic", "clinic-a", "--out", out, *more])


@pytest.mark.django_db(transaction=True)
def test_export_refuses_to_overwrite_a_file_unless_forced(personas, tmp_path, capsys):
    out = tmp_path / "bundle.json"
    out.write_text("keep me")
    assert _export(str(out)) == 2
    assert out.read_text() == "keep me"
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "exists" in err[0] and "--force" in err[0]
    assert _export(str(out), "--force") == 0
    assert json.loads(out.read_text())["resourceType"] == "Bundle"
    assert out.stat().st_mode & 0o077 == 0  # a patient's record: readable by its owner only


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("force", [[], ["--force"]])
def test_export_never_follows_a_symlink(personas, tmp_path, capsys, force):
    target = tmp_path / "victim.txt"
    target.write_text("do not touch")
    link = tmp_path / "bundle.json"
    link.symlink_to(target)
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to(tmp_path / "nowhere.txt")
    assert _export(str(link), *force) == 2
    assert _export(str(dangling), *force) == 2
    assert target.read_text() == "do not touch"
    assert not (tmp_path / "nowhere.txt").exists()
    assert link.is_symlink() and dangling.is_symlink()
    assert "symbolic link" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle.json", "dangling.json", "victim.txt"]


@pytest.mark.django_db(transaction=True)
def test_export_to_a_new_file_leaves_no_temporary_file(personas, tmp_path):
    out = tmp_path / "new.json"
    assert _export(str(out)) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["new.json"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("bad", ["", "   "])
def test_export_an_empty_out_path_is_a_usage_error(personas, bad, capsys):
    assert _export(bad) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing went to standard output instead
    assert len(captured.err.strip().splitlines()) == 1


@pytest.mark.django_db(transaction=True)
def test_export_to_a_directory_or_a_missing_folder_is_one_line(personas, tmp_path, capsys):
    assert _export(str(tmp_path)) == 2
    assert _export(str(tmp_path / "no" / "such" / "b.json")) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("ketapath export:") for line in err)


# ---------------------------------------------------------------------------------------------
# serve: bounds on its arguments, one line for a bad host or a port in use


@pytest.mark.parametrize(
    "args",
    [["--threads", "0"], ["--threads", "-3"], ["--threads", "100000"], ["--port", "0"], ["--port", "70000"]],
)
@pytest.mark.parametrize("command", ["serve", "demo"])
def test_server_arguments_out_of_bounds_are_usage_errors(command, args, no_serve, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, *args])
    assert exc.value.code == 2
    assert "ketapath" in capsys.readouterr().err


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["not a host!", "999.1.1.1", "no-such-host.invalid", ""])
def test_serve_a_bad_host_is_one_line_and_exit_2(host, capsys):
    assert main(["serve", "--host", host, "--port", str(free_port())]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("ketapath serve:"), err


@pytest.mark.django_db
def test_serve_a_port_in_use_is_one_line_and_exit_1(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--host", "127.0.0.1", "--port", str(port)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("ketapath serve:") and str(port) in err[0], err


# ---------------------------------------------------------------------------------------------
# configuration errors: caught at start, one line, exit 1 (for every command that loads Django)


@pytest.mark.parametrize(
    "url",
    ["postgres://%%%", "postgres://", "postgres://user@host/", "postgres://u@bad host/db", "sqlite://"],
)
def test_a_malformed_database_url_stops_start_up(url, tmp_path):
    result = ketapath(
        "readiness", env=clean_env(SECRET_KEY="k" * 50, DATABASE_URL=url, KETAPATH_DATA_DIR=str(tmp_path))
    )
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "DATABASE_URL" in lines[0]


def test_help_states_the_exit_status_rule(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert "exit status" in text.lower()
    assert "2" in text and "usage" in text and "configuration" in text


def test_readme_states_the_exit_status_rule():
    readme = (ROOT / "README.md").read_text()
    assert "Exit status" in readme


# ---------------------------------------------------------------------------------------------
# production behind TLS: the trusted proxy


def _settings(
    env: dict[str, str], code: str = "import ketapath.settings as s"
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("value", ["not-an-ip", "*", "10.0.0.0/8", "1.2.3"])
def test_a_bad_trusted_proxy_stops_start_up(value, tmp_path):
    env = clean_env(SECRET_KEY="k" * 50, KETAPATH_DATA_DIR=str(tmp_path), KETAPATH_TRUSTED_PROXY=value)
    result = _settings(env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "KETAPATH_TRUSTED_PROXY" in lines[0], result.stderr


def test_the_forwarded_proto_header_is_believed_only_from_a_trusted_proxy(tmp_path):
    code = "import ketapath.settings as s; print(s.SECURE_PROXY_SSL_HEADER, s.TRUSTED_PROXY)"
    base = clean_env(SECRET_KEY="k" * 50, KETAPATH_DATA_DIR=str(tmp_path), KETAPATH_HTTPS="true")
    alone = _settings(base, code)
    assert alone.returncode == 0, alone.stderr
    assert alone.stdout.split() == ["None", "None"]
    proxied = _settings(base | {"KETAPATH_TRUSTED_PROXY": "127.0.0.1"}, code)
    assert proxied.returncode == 0, proxied.stderr
    assert "HTTP_X_FORWARDED_PROTO" in proxied.stdout and "127.0.0.1" in proxied.stdout


def test_serve_with_https_and_no_trusted_proxy_refuses_to_start(tmp_path):
    env = clean_env(SECRET_KEY="k" * 50, KETAPATH_DATA_DIR=str(tmp_path), KETAPATH_HTTPS="true")
    result = ketapath("serve", "--port", str(free_port()), env=env, timeout=60)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "KETAPATH_TRUSTED_PROXY" in lines[0], result.stderr


def _get(
    port: int, path: str, headers: dict[str, str], source: str = "127.0.0.1"
) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    conn.request("GET", path, headers={"Host": "localhost"} | headers)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def test_serve_behind_a_tls_proxy_does_not_redirect_forever(tmp_path):
    """A real request through Waitress: https from the trusted proxy is served, plain http redirects."""
    port = free_port()
    env = clean_env(
        SECRET_KEY="k" * 50,
        KETAPATH_DATA_DIR=str(tmp_path),
        KETAPATH_HTTPS="true",
        KETAPATH_TRUSTED_PROXY="127.0.0.1",
        ALLOWED_HOSTS="localhost",
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
            "2",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # The server prints its address once it is listening: wait for that line, with a deadline.
        assert server.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(server.stdout, selectors.EVENT_READ)
            if not selector.select(timeout=60):
                pytest.fail("the server did not start within 60 s")
        line = server.stdout.readline()
        if "serving on" not in line:
            server.kill()
            pytest.fail(f"the server did not start: {line}{server.communicate(timeout=10)[1]}")
        # A static file needs no database: the answer shows only the TLS decision.
        path = "/static/plotly/plotly.min.js"
        secure = _get(port, path, {"X-Forwarded-Proto": "https"})
        assert secure.status == 200
        assert "max-age" in (secure.getheader("Strict-Transport-Security") or "")
        plain = _get(port, path, {})
        assert plain.status == 301
        assert plain.getheader("Location") == f"https://localhost{path}"
        http_from_proxy = _get(port, path, {"X-Forwarded-Proto": "http"})
        assert http_from_proxy.status == 301
        # Any other client (here 127.0.0.2, still on loopback) cannot claim https.
        spoofed = _get(port, path, {"X-Forwarded-Proto": "https"}, source="127.0.0.2")
        assert spoofed.status == 301
    finally:
        server.terminate()
        server.communicate(timeout=20)


# ---------------------------------------------------------------------------------------------
# after `ketapath demo`, every command the README shows works with no further variable

DEMO_STEPS = [
    "Clinic and staff",
    "Clinic settings",
    "Patients",
    "Questionnaire history",
    "Completed courses",
    "Evaluations",
    "Plans",
    "Sessions",
    "Calendar",
    "Follow-up",
    "Journal",
]
README_COMMANDS: list[tuple[list[str], int]] = [
    (["export", "fhir", "--patient", "DEMO-0001"], 0),
    (["readiness", "--clinic", "demo"], 0),
    (["readiness", "--clinic", "demo", "--json"], 0),
    (["remind"], 0),
    (["sources"], 0),
    (["score", "phq-9", "1", "2", "1", "0", "3", "1", "2", "0", "0"], 0),
    (["pk", "models"], 0),
    (["eligibility", "ketapath/clinical/data/examples/eligibility-case.json"], 0),
    (["manage", "check"], 0),
    (["manage", "showmigrations", "--plan"], 0),
    # The demo is no production installation: SQLite, the demo mode, its synthetic clinic.
    (["check"], 1),
]


def test_every_readme_command_works_on_the_demo_data(tmp_path_factory):
    """One demo load from a fresh folder, then each README command, with only KETAPATH_DATA_DIR set."""
    data = tmp_path_factory.mktemp("demo-data")
    env = clean_env(KETAPATH_DATA_DIR=str(data))
    loaded = ketapath("demo", "--no-serve", env=env, timeout=600)
    assert loaded.returncode == 0, loaded.stderr
    assert (data / "secret_key").exists()
    # Its progress: the database made at once (a fresh folder), then a line per step with its count.
    lines = loaded.stdout.splitlines()
    assert re.fullmatch(r"Migrating the database… created at once \(\d+\.\d s\)", lines[0]), lines[0]
    steps = lines[1 : lines.index(next(line for line in lines if line.startswith("Demo clinic ready")))]
    assert [line.split(":")[0] for line in steps] == DEMO_STEPS, steps
    assert all(re.search(r": \d+.* \(\d+\.\d s\)$", line) for line in steps), steps
    assert "Patients: 20 (20 added now)" in loaded.stdout
    failures = []
    for args, status in README_COMMANDS:
        result = ketapath(*args, env=env)
        if result.returncode != status:
            failures.append(
                f"ketapath {' '.join(args)} -> {result.returncode}: {result.stderr.strip()[-400:]}"
            )
        elif args[0] == "export":
            assert json.loads(result.stdout)["entry"][0]["resource"]["identifier"][0]["value"] == "DEMO-0001"
    out = data / "bundle.json"
    written = ketapath("export", "fhir", "--patient", "DEMO-0001", "--out", str(out), env=env)
    if written.returncode != 0 or not out.exists():
        failures.append(f"export --out -> {written.returncode}: {written.stderr.strip()}")
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_demo_on_a_port_in_use_says_so_before_loading(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KETAPATH_DEMO", "false")  # the command sets it; restored afterwards
    monkeypatch.setenv("KETAPATH_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("ketapath.demo.load.load_demo", lambda: pytest.fail("loaded before listening"))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["demo", "--host", "127.0.0.1", "--port", str(port)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "in use" in err[0], err


def test_commands_find_the_key_the_demo_left_in_the_data_folder(tmp_path):
    (tmp_path / "secret_key").write_text("d" * 86)
    code = "import ketapath.settings as s; print(s.SECRET_KEY)"
    found = _settings(clean_env(KETAPATH_DATA_DIR=str(tmp_path)), code)
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == "d" * 86
    # Production (a database elsewhere) never falls back to a key lying in a folder.
    production = _settings(
        clean_env(KETAPATH_DATA_DIR=str(tmp_path), DATABASE_URL="postgres://u@127.0.0.1:5432/k"), code
    )
    assert production.returncode == 1
    assert "SECRET_KEY is not set" in production.stderr
    # A key file that is a link, or too short to be one the demo made, is not used.
    empty = tmp_path / "other"
    empty.mkdir()
    (empty / "secret_key").write_text("short")
    assert _settings(clean_env(KETAPATH_DATA_DIR=str(empty)), code).returncode == 1


# ---------------------------------------------------------------------------------------------
# the demo's fresh database: made at once from the migrations' end state, the same schema

FRESH_SCHEMAS = """
import json, os
from ketapath.commands.django_setup import setup_django
setup_django()
from django.apps import apps
from django.db import connection, connections
from ketapath.commands.fresh_database import create_fresh_schema
from tests.schema import schema
made = create_fresh_schema()
fresh = schema(connection)
again = create_fresh_schema()  # a database with tables is left to migrate
settings = {**connection.settings_dict, "NAME": os.environ["MODELS_DB"]}
connections.settings["models"] = settings
models = connections["models"]
with models.schema_editor() as editor:  # as the test databases are built: from the models
    for model in apps.get_models():
        if model._meta.managed and not model._meta.proxy and not model._meta.swapped:
            editor.create_model(model)
print(json.dumps({"made": made, "again": again, "fresh": fresh, "models": schema(models)}))
"""


def test_a_fresh_demo_database_has_the_schema_of_the_migrations(tmp_path):
    """The demo's one-pass build gives the schema the models declare (which
    tests/test_infrastructure.py proves the migrations build), and only on an empty database."""
    env = clean_env(
        KETAPATH_DATA_DIR=str(tmp_path / "data"),
        MODELS_DB=str(tmp_path / "models.sqlite3"),
        DJANGO_SETTINGS_MODULE="ketapath.settings",
        SECRET_KEY="fresh-schema-test-key-not-secret-" + "x" * 30,
    )
    (tmp_path / "data").mkdir()
    done = subprocess.run(
        [sys.executable, "-c", FRESH_SCHEMAS], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert result["made"] is True and result["again"] is False
    assert len(result["fresh"]) > 60
    assert sorted(result["fresh"]) == sorted(result["models"])
    differ = [t for t in result["fresh"] if result["fresh"][t] != result["models"][t]]
    assert differ == [], {t: (result["fresh"][t], result["models"][t]) for t in differ[:3]}


def test_a_data_migration_that_may_seed_rows_falls_back_to_migrate():
    """Data code is skipped on a fresh database only when Django's ``elidable`` or the reviewed
    list says it changes existing rows only; any other is a reason to replay the migrations."""

    def seed(apps, schema_editor):  # pragma: no cover - never run
        pass

    class Seeds(migrations.Migration):
        operations = [migrations.RunPython(seed), migrations.RunPython(seed, elidable=True)]

    class Reviewed(migrations.Migration):
        operations = [migrations.RunPython(seed)]

    class Mixed(migrations.Migration):
        operations = [
            migrations.SeparateDatabaseAndState(state_operations=[], database_operations=[]),
            migrations.AddIndex("patient", models.Index(fields=["mrn"], name="patient_mrn_test")),
        ]

    found = blockers(
        [
            Seeds("0099_seed", "patients"),
            Reviewed("0002_registry_bounds", "patients"),
            Mixed("0100_mixed", "plans"),
        ]
    )
    assert found == [
        "patients.0099_seed: Raw Python operation",
        "plans.0100_mixed: Custom state/database change combination",
    ]


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path):
    """``ketapath sources | head``: the reader closes the pipe before the command has written;
    the command stops with status 1 and no traceback (it printed a BrokenPipeError's)."""
    env = clean_env(KETAPATH_DATA_DIR=str(tmp_path))
    proc = subprocess.Popen(
        [sys.executable, "-m", "ketapath", "sources"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # before the interpreter has even started: every write meets a closed pipe
    _, err = proc.communicate(timeout=120)
    assert b"Traceback" not in err and b"BrokenPipeError" not in err, err.decode()
    assert proc.returncode == 1
