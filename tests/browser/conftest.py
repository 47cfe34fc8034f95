"""Browser tests: the Python ``playwright`` package driving Debian's Chromium.

They skip on a laptop without ``/usr/bin/chromium``; under ``CI=true`` a missing Chromium is a
failure. Screenshots go to ``test-artifacts/screenshots/`` for people to look at.
"""

from __future__ import annotations

import os
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
# Screenshots are for people to look at. `.ci/run` keeps the SQLite run's and sets
# KETAPATH_SCREENSHOTS=0 for the PostgreSQL run, which would draw the same pages again for nobody:
# a full-page capture of a long page costs Chromium a second or more. The pages are still visited,
# checked and measured there; only the pictures are not taken.
SCREENSHOTS = os.environ.get("KETAPATH_SCREENSHOTS", "1") != "0"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail("Chromium is missing at /usr/bin/chromium (CI=true: browser tests must run)")
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def axe_source() -> str | None:
    return axe.axe_source()


@pytest.fixture
def new_context(browser, live_server, axe_source):
    """``new_context(**options)``: a browser context on the test server whose pages are watched.

    A content-security-policy violation or a script error in the console, and a serious or
    critical accessibility violation (axe-core, see tests/browser/axe.py), fail the test.
    """
    opened: list[tuple[object, axe.Axe, list[str]]] = []

    def _new_context(**options):
        options = {"viewport": {"width": 1280, "height": 860}, "base_url": live_server.url} | options
        context = browser.new_context(**options)
        checker = axe.Axe(axe_source)
        checker.watch(context)
        problems: list[str] = []

        def on_page(page) -> None:
            page.set_default_timeout(15_000)
            page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
            page.on("pageerror", lambda exc: problems.append(str(exc)))

        context.on("page", on_page)
        opened.append((context, checker, problems))
        return context

    yield _new_context
    for context, checker, problems in opened:
        for page in context.pages:  # the page each test ends on
            checker.check(page)
        context.close()
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
