"""The pages a patient reads, found by following links, and the words on them.

Shared by the plain-words tests (``test_plain_words.py``, Django's test client) and the phone
screenshots (``tests/browser/test_patient_pages_browser.py``, Chromium): both start from the
patient's navigation and follow every same-site link on each page they reach, so a new patient
page linked from an existing one is covered without being listed here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

# Not pages to read: signing out (a form, never a link, but guarded all the same), files to
# download, the static and media files, and the clinicians' admin.
SKIPPED_PREFIXES = ("/accounts/logout", "/static/", "/media/", "/admin/")
DOWNLOAD_SUFFIXES = (".csv", ".pdf", ".json", ".xml", ".zip", ".ics", ".png", ".jpg", ".svg", ".txt")

# Elements whose text ends a line: each is read as a sentence of its own (a heading, a label, a
# list item, a button); the rest (a link, <strong>) runs on inside its sentence.
BLOCKS = frozenset(
    {
        *("address", "article", "aside", "blockquote", "br", "button", "caption", "dd", "details"),
        *("div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3"),
        *("h4", "h5", "h6", "header", "hr", "label", "legend", "li", "nav", "ol", "option", "p"),
        *("section", "select", "summary", "table", "tbody", "td", "textarea", "tfoot", "th", "thead"),
        *("tr", "ul"),
    }
)
UNREAD = frozenset({"script", "style", "template", "noscript", "svg"})


@dataclass
class Page:
    url: str
    html: str


class _Links(HTMLParser):
    """The links in ``<main>``: the site header's own links (the brand, the account page shared by
    every role) are not the patient's pages; the header's menu is the start of the crawl."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.in_main = 0
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.in_main += tag == "main"
        if self.in_main and tag == "a" and found.get("href") and "download" not in found:
            self.hrefs.append(str(found["href"]))

    def handle_endtag(self, tag: str) -> None:
        self.in_main -= tag == "main"


def links(html: str, base: str) -> list[str]:
    """The same-site pages a page links to (path and query, fragment dropped)."""
    parser = _Links()
    parser.feed(html)
    found = []
    for href in parser.hrefs:
        if href.startswith(("#", "mailto:", "tel:", "javascript:")):
            continue
        url = urlsplit(urljoin(base, href))
        if url.netloc and url.netloc != urlsplit(base).netloc:
            continue
        if url.path.startswith(SKIPPED_PREFIXES) or url.path.lower().endswith(DOWNLOAD_SUFFIXES):
            continue
        found.append(url.path + (f"?{url.query}" if url.query else ""))
    return found


def crawl(fetch: Callable[[str], tuple[int, str, str]], start: Iterable[str], base: str) -> list[Page]:
    """Every page reachable from ``start``. ``fetch(url)`` returns (status, location, html).

    A page is visited once per path: the same path with another query (the journal's ``?day=``
    links, one per day written) is the same template with other numbers. A redirect is followed
    to where it leads; any other status than 200 on a link shown to the patient is an error.
    """
    queue = list(start)
    seen_paths: set[str] = set()
    pages = []
    while queue:
        url = queue.pop(0)
        path = urlsplit(url).path
        if path in seen_paths:
            continue
        seen_paths.add(path)
        status, location, html = fetch(url)
        if status in (301, 302, 303):
            queue.append(location)
            continue
        assert status == 200, f"{url} answered {status} to the patient"
        pages.append(Page(url, html))
        queue.extend(u for u in links(html, base + url) if urlsplit(u).path not in seen_paths)
    return pages


class _MainText(HTMLParser):
    """The visible text of ``<main>``, one line per block element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.in_main = 0
        self.skipping: list[str] = []
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "main":
            self.in_main += 1
        hidden = (
            tag in UNREAD
            or "hidden" in found
            or found.get("aria-hidden") == "true"
            or "demo-banner" in (found.get("class") or "").split()
        )
        if self.skipping or hidden:
            if tag not in {"br", "hr", "img", "input", "meta", "link", "wbr", "source"}:
                self.skipping.append(tag)
            return
        if tag in BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self.skipping:
            if self.skipping[-1] == tag:
                self.skipping.pop()
            return
        if tag in BLOCKS:
            self.parts.append("\n")
        if tag == "main":
            self.in_main -= 1

    def handle_data(self, data: str) -> None:
        if self.in_main and not self.skipping:
            self.parts.append(data)


def main_lines(html: str) -> list[str]:
    """The lines of visible text in the page's ``<main>`` (scripts, hidden parts left out)."""
    parser = _MainText()
    parser.feed(html)
    text = "".join(parser.parts)
    return [line for line in (re.sub(r"\s+", " ", raw).strip() for raw in text.split("\n")) if line]


def prose(html: str) -> str:
    """The page's words as sentences for a readability formula.

    Each line (a heading, a label, a list item, a paragraph) is one sentence at least; a line
    with no letter in it (a date, a number, a phone number, a row of the charts' number tables)
    is numbers, not words, and is left out; a line repeated (the answers under each question, the
    same advice after each session, the measure's name on each row of a chart's table) is read
    once, as the patient reads it once.
    """
    sentences = []
    for line in dict.fromkeys(main_lines(html)):
        if not re.search(r"[A-Za-z]", line):
            continue
        sentences.append(line if line[-1] in ".!?" else line + ".")
    return "\n".join(sentences)
