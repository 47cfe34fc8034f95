"""Replace human-readable ``|date:"…"`` / ``|time:"…"`` formats in templates with the clinic's
date and time filters (issue 15: one format everywhere, the clinic's clock and date order).

    python scripts/one_date_format.py              # ketapath/, except the directories deferred below
    python scripts/one_date_format.py --all        # ketapath/, the deferred directories too
    python scripts/one_date_format.py --dry-run    # print what would change, change nothing
    python scripts/one_date_format.py PATH ...     # only these files or directories

Each old format maps to one filter (``FILTERS``); with the clinic's default settings the output
is the same text as before ("3 Dec 2026", "14:05"). Machine-readable values stay as they are: an
ISO format (``"c"``, ``"Y-m-d"``…) is never in the map, and a human format inside an attribute
that a machine reads (``value=``, ``datetime=``, ``href=``, a ``?day=`` query…) is left and
reported. A human format the map does not know is reported, not guessed. Safe to run again: a
converted template has nothing left to replace. Prints every change as ``path:line: old -> new``
and exits 1 with ``--dry-run`` when something would change (usable as a check).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The old format -> the filter (with its variant) that shows the same with the default settings.
FILTERS = {
    "j M Y": "day",
    "D j M Y": 'day:"weekday"',
    "l j F Y": 'day:"long"',
    "j M": 'day:"short"',
    "D j M": 'day:"weekday short"',
    "H:i": "clock",
    "H:i:s": 'clock:"seconds"',
    "j M Y H:i": "moment",
    "j M Y H:i:s": 'moment:"seconds"',
    "j M H:i": 'moment:"short"',
}

# Directories left out of a run (none now: every template under ketapath/ is converted; --all
# runs over them anyway).
DEFERRED: tuple[str, ...] = ()

# Formats a machine reads: ISO 8601 dates and times (year first: "Y-m-d", "Y-m-d\\TH:i"), Unix
# time, RFC 5322. Never replaced. A bare "H:i" is a human format unless an attribute reads it.
MACHINE_FORMAT = re.compile(r"c|U|r|Y[YmdHisuTPO\\:+ -]*")
FORMAT = re.compile(r"""\|(?P<filter>date|time):(?P<q>["'])(?P<format>[^"']*)(?P=q)""")
# An attribute or URL query whose value a machine reads, just before the ``{{`` of the match.
MACHINE_CONTEXT = re.compile(
    r"""(?:\b(?:value|datetime|href|src|action|content|data-[\w-]+)=["']?|[?&][\w-]+=)[^"'<>\s]*$"""
)


def is_machine_format(fmt: str) -> bool:
    return MACHINE_FORMAT.fullmatch(fmt) is not None


def in_machine_context(text: str, start: int) -> bool:
    """The match at ``start`` is inside a ``{{ }}`` that fills an attribute a machine reads."""
    opening = text.rfind("{{", 0, start)
    if opening == -1 or text.rfind("}}", 0, start) > opening:
        return False
    return MACHINE_CONTEXT.search(text[max(0, opening - 80) : opening]) is not None


def convert(text: str, where: str) -> tuple[str, list[str]]:
    """The template with every human-readable format replaced, and a line per change or skip."""
    notes: list[str] = []
    out: list[str] = []
    last = 0
    for match in FORMAT.finditer(text):
        fmt = match["format"]
        line = text.count("\n", 0, match.start()) + 1
        if is_machine_format(fmt):
            continue
        if in_machine_context(text, match.start()):
            notes.append(f"{where}:{line}: left {match[0]} (a machine-readable attribute)")
            continue
        replacement = FILTERS.get(fmt)
        if replacement is None:
            notes.append(f"{where}:{line}: left {match[0]} (no filter for this format: add one)")
            continue
        out.append(text[last : match.start()] + "|" + replacement)
        last = match.end()
        notes.append(f"{where}:{line}: {match[0]} -> |{replacement}")
    out.append(text[last:])
    return "".join(out), notes


def templates(paths: list[Path], skip: tuple[Path, ...]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        found.extend([path] if path.is_file() else sorted(path.rglob("*.html")))
    return [p for p in found if not any(p == s or s in p.parents for s in skip)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help="files or directories (default: ketapath/)")
    parser.add_argument("--all", action="store_true", help="include the deferred directories")
    parser.add_argument("--dry-run", action="store_true", help="print the changes, write nothing")
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.paths] or [ROOT / "ketapath"]
    skip = () if args.all or args.paths else tuple(ROOT / d for d in DEFERRED)
    changed = replaced = 0
    for path in templates(paths, skip):
        where = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
        text = path.read_text(encoding="utf-8")
        new, notes = convert(text, where)
        for note in notes:
            print(note)
        if new != text:
            changed += 1
            replaced += sum(" -> " in n for n in notes)
            if not args.dry_run:
                path.write_text(new, encoding="utf-8")
    verb = "would replace" if args.dry_run else "replaced"
    print(f"{verb} {replaced} format(s) in {changed} template(s)")
    if skip:
        print("not converted yet (deferred): " + ", ".join(DEFERRED))
    return 1 if args.dry_run and changed else 0


if __name__ == "__main__":
    sys.exit(main())
