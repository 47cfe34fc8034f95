"""axe-core on every page the browser tests open: no serious or critical WCAG 2.2 AA violation.

axe-core is a test-only tool, installed by ``npm ci`` from the repository's ``package.json`` (CI
does it in ``.ci/run``); it is never shipped. Under ``CI=true`` a missing axe-core is a failure;
on a laptop without it the checks are left out (the tests still run).

How: when a page has loaded, axe's source is evaluated in it through the DevTools protocol (the
content-security policy, which forbids inline scripts, does not apply there) and checks it, once
per kind of page and role (the path with its numbers blanked, the signed-in role, whether form
errors are on show): the same page for the same role says nothing new. A test that leaves a page
before axe is done (a few hundred milliseconds after its load) leaves that kind of page for a
later visit; the page a test ends on is always checked.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FAILING = {"serious", "critical"}

# What identifies a kind of page: the path with its numbers blanked, the role shown in the header,
# whether form errors are on show (an error state is a page of its own), phone or wide layout;
# and whether axe is loaded in the page already (one round trip for both).
_KEY = """() => document.contentType !== "text/html" ? null : [[
  location.pathname.replace(/[0-9]+/g, "#"),
  (document.querySelector(".who .role")?.textContent || "signed out").split("·")[0].trim(),
  Boolean(document.querySelector('[aria-invalid="true"], .error-summary, .field-error')),
  innerWidth < 640 ? "phone" : "wide",
].join(" | "), typeof axe !== "undefined"]"""
_RUN = """async (tags) => {
  if (typeof axe === "undefined") return null;
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(
      (n) => n.target.join(" ") + ": " + (n.failureSummary || "").replace(/\\s+/g, " ")),
  }));
}"""


# KETAPATH_AXE=0 leaves the checks out (a quick local run); `.ci/run` runs the browser tests once,
# in the SQLite run, with the checks on.
ENABLED = os.environ.get("KETAPATH_AXE", "1") != "0"


def axe_source() -> str | None:
    if not ENABLED:
        return None
    if AXE.is_file():
        return AXE.read_text(encoding="utf-8")
    if IN_CI:
        pytest.fail(f"axe-core is missing at {AXE} (CI=true: run `npm ci` first)")
    return None


@dataclass
class Checked:
    """The pages checked over the whole run, and the violations found on them."""

    seen: set[str] = field(default_factory=set)
    violations: list[str] = field(default_factory=list)


CHECKED = Checked()


class Axe:
    """Checks the pages of one browser context; ``problems()`` lists what failed in it."""

    def __init__(self, source: str | None) -> None:
        self.source = source
        self.found: list[str] = []

    def watch(self, context: Any) -> None:
        if self.source is None:
            return
        context.on("page", self.watch_page)
        for page in context.pages:
            self.watch_page(page)

    def unwatch(self, context: Any) -> None:
        """Stop watching ``context`` (the run's warm context outlives the test that watched it)."""
        if self.source is not None:
            context.remove_listener("page", self.watch_page)

    def watch_page(self, page: Any) -> None:
        page.on("load", self.check)

    def check(self, page: Any) -> None:
        """Run axe on ``page`` unless its kind was checked already; a page left meanwhile is skipped."""
        if self.source is None or page.is_closed() or not page.url.startswith("http"):
            return
        try:
            found = page.evaluate(_KEY)
            if found is None:  # not a page (a JSON or CSV download)
                return
            key, loaded = found
            if key in CHECKED.seen:
                return
            if not loaded:
                page.evaluate(self.source)
            violations = page.evaluate(_RUN, TAGS)
        except Exception as exc:  # the test moved on (navigation, closed page): check it next time
            # "Axe is already running": a load event came while this page's previous check still
            # ran (Playwright's handlers can nest); that check covers the page.
            message = str(exc)
            if any(s in message for s in ("context was destroyed", "closed", "navigat", "already running")):
                return
            raise
        if violations is None:
            return
        CHECKED.seen.add(key)
        for v in violations:
            if v["impact"] in FAILING:
                line = f"{key}: {v['impact']} {v['id']} ({v['help']}): {'; '.join(v['nodes'])}"
                self.found.append(line)
                CHECKED.violations.append(line)

    def problems(self) -> list[str]:
        return list(self.found)
