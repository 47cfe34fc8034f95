"""A consent text written as cited data (the demo clinic's), turned into the text a clinic publishes.

The file has a ``title``, ``intro`` and ``closing`` paragraphs and ``[[sections]]`` of
``[[sections.points]]``. Each point names a ``source`` (checked against the cited sources) and a
``locator``, except in a section marked ``clinic_policy = true``: the clinic's own rules, which the
text labels as such. The published body cites each point as "(Author year)".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ketapath.clinical.datafiles import DataFileError, read_toml
from ketapath.clinical.sources import require_source

DEMO_CONSENT = Path(__file__).resolve().parent / "data" / "demo_consent.toml"


@dataclass(frozen=True)
class ConsentText:
    title: str
    body: str
    sources: tuple[str, ...]


def _paragraphs(path: Path, raw: dict[str, Any], key: str) -> list[str]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(p, str) and p.strip() for p in value):
        raise DataFileError(path, f"{key} must be a list of paragraphs")
    return [p.strip() for p in value]


def load_consent_text(path: Path = DEMO_CONSENT) -> ConsentText:
    """Read and check a consent-text file; every cited point must name a known source."""
    raw = read_toml(path)
    title = raw.get("title")
    if not isinstance(title, str) or not title.strip():
        raise DataFileError(path, "title is missing")
    blocks = list(_paragraphs(path, raw, "intro"))
    sources: dict[str, None] = {}
    sections = raw.get("sections")
    if not isinstance(sections, list) or not sections:
        raise DataFileError(path, "[[sections]] is missing")
    for n, section in enumerate(sections, start=1):
        where = f"section {n}"
        if not isinstance(section, dict) or not isinstance(section.get("title"), str):
            raise DataFileError(path, f"{where} needs a title")
        policy = section.get("clinic_policy", False) is True
        points = section.get("points")
        if not isinstance(points, list) or not points:
            raise DataFileError(path, f"{where} ({section['title']}) has no points")
        lines = []
        for m, point in enumerate(points, start=1):
            text = point.get("text") if isinstance(point, dict) else None
            if not isinstance(text, str) or not text.strip():
                raise DataFileError(path, f"{where}, point {m} needs a text")
            if policy:
                if "source" in point:
                    raise DataFileError(path, f"{where}, point {m}: a clinic-policy point cites no source")
                lines.append(f"- {text.strip()}")
                continue
            source = require_source(path, f"{where}, point {m}.source", point.get("source"))
            sources[source.id] = None
            lines.append(f"- {text.strip()} ({source.short})")
        blocks.append(f"## {section['title'].strip()}")
        blocks.append("\n".join(lines))
    blocks += _paragraphs(path, raw, "closing")
    return ConsentText(title=title.strip(), body="\n\n".join(blocks), sources=tuple(sources))
