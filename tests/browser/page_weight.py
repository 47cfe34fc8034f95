"""Bytes on the wire and load time of a page, as a phone opens it (Chrome DevTools Protocol).

``measure(page, url)`` opens ``url`` in ``page`` and sums, over every response the page loaded,
the bytes that crossed the network (``Network.loadingFinished``'s ``encodedDataLength``: headers
and the compressed body). A response served from the browser's cache without asking the server
counts nothing, and is listed in ``cached``; one revalidated with the server (304) counts its few
bytes and is listed in ``revalidated``.

Also runnable against any server, for the before/after figures:
``python tests/browser/page_weight.py http://127.0.0.1:8000 [--fast-4g]`` (the demo loaded there;
``--fast-4g`` emulates a phone's mobile network).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

PHONE = {"width": 390, "height": 844}
# The pages the issue measures, and who opens them (the demo's users).
PAGES = (
    ("journal", "patient.demo", "/portal/journal/"),
    ("outcomes", "dr.demo", "/patients/DEMO-0001/outcomes/"),
    ("plan", "dr.demo", "/patients/DEMO-0001/plan/"),
)


@dataclass
class Visit:
    url: str
    seconds: float = 0.0
    bytes: int = 0
    script_bytes: int = 0
    scripts: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    revalidated: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"{self.bytes / 1e6:7.3f} MB, scripts {self.script_bytes / 1e3:8.1f} kB, "
            f"{self.seconds:5.2f} s ({len(self.cached)} from cache, {len(self.revalidated)} revalidated)"
        )


# A phone on a good mobile network (DevTools' "Fast 4G"), for load times closer to a patient's.
FAST_4G = {
    "offline": False,
    "latency": 60,
    "downloadThroughput": 9_000_000 / 8,
    "uploadThroughput": 1_500_000 / 8,
}


def measure(page: Any, url: str, network: dict[str, Any] | None = None) -> Visit:
    """Open ``url`` in ``page`` (until the network is idle) and total what it transferred."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    if network is not None:
        cdp.send("Network.emulateNetworkConditions", network)
    visit = Visit(url)
    requests: dict[str, dict[str, Any]] = {}

    # Chromium says "served from cache" before the response arrives, so the flags are merged.
    def on_response(event: dict[str, Any]) -> None:
        response = event["response"]
        info = requests.setdefault(event["requestId"], {"from_cache": False})
        info["url"] = response["url"]
        info["type"] = event.get("type", "")
        info["status"] = response["status"]
        info["from_cache"] = info["from_cache"] or bool(response.get("fromDiskCache"))

    def on_cache(event: dict[str, Any]) -> None:
        requests.setdefault(event["requestId"], {"url": "?", "type": "", "status": 200})["from_cache"] = True

    def on_finished(event: dict[str, Any]) -> None:
        info = requests.get(event["requestId"])
        if info is None:
            return
        size = int(event.get("encodedDataLength", 0))
        if info.get("from_cache"):
            visit.cached.append(info["url"])
            return
        visit.bytes += size
        if info["status"] == 304:
            visit.revalidated.append(info["url"])
        if info["type"] == "Script":
            visit.script_bytes += size
            visit.scripts.append(info["url"])

    cdp.on("Network.responseReceived", on_response)
    cdp.on("Network.requestServedFromCache", on_cache)
    cdp.on("Network.loadingFinished", on_finished)
    started = time.perf_counter()
    page.goto(url, wait_until="load")
    visit.seconds = time.perf_counter() - started
    page.wait_for_load_state("networkidle")
    cdp.detach()
    return visit


def sign_in(page: Any, username: str, password: str = "ketapath-demo") -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)  # signed in, the next page loaded


def weigh_pages(
    browser: Any,
    base_url: str,
    network: dict[str, Any] | None = None,
    check: Callable[[Any], None] | None = None,
) -> dict[str, tuple[Visit, Visit]]:
    """Each page's first visit (empty cache) and second visit (same context, cache kept); then
    ``check(page)``, if given, on the page as the second visit left it."""
    results: dict[str, tuple[Visit, Visit]] = {}
    for name, username, path in PAGES:
        context = browser.new_context(viewport=PHONE, base_url=base_url, is_mobile=True, has_touch=True)
        page = context.new_page()
        sign_in(page, username)
        # Signing in loaded the site's shared files (style sheet, htmx): start from an empty cache
        # so the first visit is a newcomer's.
        cdp = context.new_cdp_session(page)
        cdp.send("Network.clearBrowserCache")
        cdp.detach()
        first = measure(page, path, network)
        second = measure(page, path, network)
        results[name] = (first, second)
        if check is not None:
            check(page)
        context.close()
    return results


def report(results: dict[str, tuple[Visit, Visit]]) -> str:
    lines = []
    for name, (first, second) in results.items():
        lines.append(f"{name:9} first  {first.line()}")
        lines.append(f"{'':9} second {second.line()}")
    return "\n".join(lines)


if __name__ == "__main__":
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import ARGS, CHROMIUM

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        network = FAST_4G if "--fast-4g" in sys.argv else None
        sys.stdout.write(report(weigh_pages(chromium, sys.argv[1], network)) + "\n")
        chromium.close()
