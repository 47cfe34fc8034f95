"""Browser tests: the Python ``playwright`` package driving Debian's Chromium.

They skip on a laptop without ``/usr/bin/chromium``; under ``CI=true`` a missing Chromium is a
failure. Screenshots go to ``test-artifacts/screenshots/`` for people to look at.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser import axe

# Playwright's sync API runs an event loop in this thread; the ORM calls made by fixtures here
# are ordinary blocking calls, which Django would otherwise refuse in such a thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
# Screenshots are for people to look at: a developer's run takes them. `.ci/run` sets
# KETAPATH_SCREENSHOTS=0, since a CI machine keeps none and a full-page capture of a long page costs
# Chromium a second or more. The pages are still visited, checked and measured; only the pictures
# are not taken.
SCREENSHOTS = os.environ.get("KETAPATH_SCREENSHOTS", "1") != "0"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1280, "height": 860}


class InFlight:
    """Counts the requests the test server is serving, to wait until none is.

    On in-memory SQLite the server's threads share the test's database connection. A request
    still being served when a test ends (a poll, a page's late load) would otherwise run inside the
    emptying of the database that follows, and a rollback of its own could bring deleted rows back
    into the next test's database."""

    def __init__(self) -> None:
        self.count = 0
        self.changed = threading.Condition()

    def wrap(self, app):
        def counted(environ, start_response):
            with self.changed:
                self.count += 1
            try:
                return Served(app(environ, start_response), self)
            except BaseException:
                self.done()
                raise

        return counted

    def done(self) -> None:
        with self.changed:
            self.count -= 1
            self.changed.notify_all()

    def wait_idle(self, timeout: float = 30) -> None:
        with self.changed:
            if not self.changed.wait_for(lambda: self.count == 0, timeout=timeout):
                raise AssertionError(f"the test server still serves {self.count} request(s) after {timeout}s")


class Served:
    """A response's body, counted as in flight until the server closes it."""

    def __init__(self, body, in_flight: InFlight) -> None:
        self.body = body
        self.in_flight = in_flight

    def __iter__(self):
        return iter(self.body)

    def close(self) -> None:
        try:
            if hasattr(self.body, "close"):
                self.body.close()
        finally:
            self.in_flight.done()


@pytest.fixture(scope="session")
def in_flight(live_server) -> InFlight:
    counter = InFlight()
    server = live_server.thread.httpd
    server.set_app(counter.wrap(server.get_app()))
    return counter


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def warm_context(live_server, tmp_path_factory) -> Iterator[object]:
    """One Chromium for the run, started with a profile of its own: its default context keeps the
    HTTP cache and V8's compiled-code cache from one test to the next, as a clinic's browser does.

    Measured: in a new context the first sign-in cost Chromium about 2 s of CPU and the first chart
    page 2.5 s more (parsing and compiling Plotly's 4.8 MB again); in the warm context, 0.6 s and
    1 s. The tests' first context uses it (``new_context``), emptied of cookies and pages between
    tests; a test's further contexts, and the page-weight test's empty-cache visits, are new ones
    from the same browser.
    """
    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail("Chromium is missing at /usr/bin/chromium (CI=true: browser tests must run)")
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=ARGS,
            viewport=VIEWPORT,
            base_url=live_server.url,
        )
        for page in context.pages:  # the blank page a new profile opens with
            page.close()
        yield context
        context.close()
    # Chromium kept its connections to the live server open from test to test; the server's
    # threads that served them end now, closing the database connection they share with the tests
    # (in-memory SQLite). They must be done before the live server stops sharing it.
    for thread in threading.enumerate():
        if "process_request_thread" in thread.name:
            thread.join(timeout=30)


@pytest.fixture(scope="session")
def browser(warm_context) -> object:
    return warm_context.browser


@pytest.fixture(scope="session")
def axe_source() -> str | None:
    return axe.axe_source()


@pytest.fixture
def new_context(transactional_db, browser, warm_context, live_server, axe_source, in_flight):
    """``new_context(**options)``: a browser context on the test server whose pages are watched.

    The first call without options gives the run's warm context (``warm_context``), emptied of the
    previous test's cookies and pages; any other call, a new context.
    A content-security-policy violation or a script error in the console, and a serious or
    critical accessibility violation (axe-core, see tests/browser/axe.py), fail the test.
    It asks for ``transactional_db`` so that its teardown (which waits until the server serves no
    request of the test) comes before the database is emptied.
    """
    opened: list[tuple[object, axe.Axe, list[str], object]] = []

    def _new_context(**options):
        if not options and all(context is not warm_context for context, *_ in opened):
            context = warm_context
        else:
            options = {"viewport": VIEWPORT, "base_url": live_server.url} | options
            context = browser.new_context(**options)
        checker = axe.Axe(axe_source)
        checker.watch(context)
        problems: list[str] = []

        def on_page(page) -> None:
            page.set_default_timeout(15_000)
            page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
            page.on("pageerror", lambda exc: problems.append(str(exc)))

        context.on("page", on_page)
        opened.append((context, checker, problems, on_page))
        return context

    yield _new_context
    for context, checker, _problems, on_page in opened:
        for page in context.pages:  # the page each test ends on
            checker.check(page)
        if context is warm_context:
            # Left as the next test expects to find it: no page, no cookie, no listener of this test.
            context.remove_listener("page", on_page)
            checker.unwatch(context)
            for page in context.pages:
                page.close()
            context.clear_cookies()
        else:
            context.close()
    # No request of this test is still being served when its database is emptied.
    in_flight.wait_idle()
    for _context, checker, problems, _on_page in opened:
        assert problems == [], f"browser console errors: {problems}"
        assert checker.problems() == [], "accessibility (axe-core, WCAG 2.2 AA):\n" + "\n".join(
            checker.problems()
        )


@pytest.fixture
def page(new_context):
    return new_context().new_page()


@pytest.fixture
def shot():
    SHOTS.mkdir(parents=True, exist_ok=True)

    def _shot(page, name: str) -> Path:
        # JPEG: encoding a tall page is a third quicker than PNG, and still sharp enough to read.
        path = SHOTS / f"{name}.jpg"
        if SCREENSHOTS:
            page.screenshot(path=str(path), full_page=True, type="jpeg", quality=80)
        return path

    return _shot


def part_shot(page, selector: str, name: str) -> None:
    """A close-up of one part of the page (a chart, a panel), to read at full size."""
    if SCREENSHOTS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.locator(selector).first.screenshot(path=str(SHOTS / f"{name}.png"))


@pytest.fixture
def demo(transactional_db, demo_snapshot):
    """The demo clinic for a browser test: the run's one demo load (tests/conftest.py), put back
    into the emptied database (the live server needs committed rows, hence transactional_db)."""
    demo_snapshot.restore()
    return demo_snapshot


def sign_in(page, username: str, password: str = "ketapath-demo") -> None:
    if urlsplit(page.url).path != "/accounts/login/":  # not on the form already (as after sign_out)
        page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    # Signed in: the browser has left the sign-in page (for the dashboard, or a patient's own pages)
    # and the page it landed on has loaded. A refused sign-in stays on the form and times out here.
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/accounts/login/")
