"""Light pages: the journal, outcomes and plan pages at phone size, served as in production.

The rest of the suite serves static files straight from the packages (plain storage, no
``collectstatic``); here the production storage is collected once into ``test-artifacts/static``
(compressing Plotly's bundle takes ~10 s the first time, nothing afterwards) and a server of its
own runs the real WSGI application, WhiteNoise included, over the test database.

A chart page's first visit (empty cache) transfers under 1.5 MB; its second visit fetches none of
its scripts again (served from the cache, not even revalidated). The figures are printed
(``pytest -s``) for the issue's note; ``python tests/browser/page_weight.py URL`` measures a running
server the same way.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import override_settings
from django.test.testcases import LiveServerThread

from tests.browser import axe
from tests.browser.page_weight import report, weigh_pages

STATIC_ROOT = Path(__file__).resolve().parents[2] / "test-artifacts" / "static"
FIRST_VISIT_LIMIT = 1_500_000
PRODUCTION_STATIC = {
    "STORAGES": {
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
        "staticfiles": {"BACKEND": "ketapath.web.static_files.StaticStorage"},
    },
    "STATIC_ROOT": str(STATIC_ROOT),
    "WHITENOISE_USE_FINDERS": False,
    "WHITENOISE_AUTOREFRESH": False,
}


@pytest.fixture(scope="module")
def production_static() -> Iterator[None]:
    with override_settings(**PRODUCTION_STATIC):
        call_command("collectstatic", interactive=False, verbosity=0)
        yield


@pytest.fixture
def production_server(production_static, transactional_db) -> Iterator[str]:
    """The WSGI application as ``ketapath serve`` runs it (no test static handler in front)."""
    # An in-memory SQLite test database is shared with the server's threads, as pytest-django does.
    shared = {c.alias: c for c in connections.all() if c.vendor == "sqlite" and c.is_in_memory_db()}
    for connection in shared.values():
        connection.inc_thread_sharing()
    server = LiveServerThread("127.0.0.1", lambda media: media.application, connections_override=shared)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    yield f"http://127.0.0.1:{server.port}"
    server.terminate()
    # Its request threads end once Chromium has closed their connections (the measuring contexts
    # are closed), and each closes the shared connection as it ends: they must be done before the
    # connection stops being shared, or a late one fails in a later test's time ("DatabaseWrapper
    # objects created in a thread can only be used in that same thread"). The run's other live
    # server keeps its threads (the warm context's connections): only this port's are joined.
    for thread in threading.enumerate():
        if "process_request_thread" in thread.name and serves_port(thread, server.port):
            thread.join(timeout=30)
    for connection in shared.values():
        connection.dec_thread_sharing()


def serves_port(thread: threading.Thread, port: int) -> bool:
    """Whether a server's request thread holds a connection to ``port`` (its first argument)."""
    request = next(iter(getattr(thread, "_args", ())), None)
    try:
        return request is not None and request.getsockname()[1] == port
    except OSError:  # already closed: nothing left to wait for
        return False


def test_chart_pages_are_light_on_a_phone(demo, browser, production_server, axe_source):
    # The same pages at phone size are checked for accessibility (axe-core) once measured.
    checker = axe.Axe(axe_source)
    results = weigh_pages(browser, production_server, check=checker.check)
    sys.stdout.write("\npage weight at 390x844 (production static files):\n" + report(results) + "\n")
    for name, (first, second) in results.items():
        assert any("/plotly.min." in url for url in first.scripts), f"{name}: no chart drawn?"
        assert first.bytes < FIRST_VISIT_LIMIT, f"{name}: first visit {first.bytes} bytes"
        assert second.scripts == [] and second.revalidated == [], (
            f"{name}: second visit fetched {second.scripts} and revalidated {second.revalidated}"
        )
    assert checker.problems() == [], "\n".join(checker.problems())
