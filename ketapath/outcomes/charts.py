"""Chart data for the outcome charts (drawn by ``static/ketapath/outcomes-chart.js``).

Each chart is a plain dict put on the page with ``json_script``: the scores as dated series, the
sessions as vertical markers, shaded bands and threshold lines, each band or line with its source.

- PHQ-9 and GAD-7: the instruments' own severity bands (Kroenke 2001, Spitzer 2006);
- pain (0-10 NRS): no published severity bands are in the data, so the shading shows the response
  core's levels relative to the patient's baseline: at least 30 % and at least 50 % below it
  (Dworkin 2008), when there is a baseline;
- the journal: the patient's own daily ratings, with no bands.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from ketapath.clinical.instruments import get_instrument
from ketapath.clinical.response import get_measure
from ketapath.outcomes.schedule import SessionEvent
from ketapath.outcomes.series import MEASURE_INSTRUMENTS, PAIN_MEASURE, StoredScore, daily

# Shading from the lowest (best) band to the highest, whatever the number of bands.
BAND_COLOURS = (
    "rgba(29,107,58,0.10)",
    "rgba(120,160,40,0.12)",
    "rgba(230,180,40,0.14)",
    "rgba(220,120,30,0.15)",
    "rgba(164,22,26,0.14)",
)
RESPONSE_COLOURS = {"moderate": "rgba(29,107,58,0.08)", "substantial": "rgba(29,107,58,0.16)"}


def _iso(day: date) -> str:
    return day.isoformat()


def session_markers(sessions: Iterable[SessionEvent]) -> list[dict[str, Any]]:
    """The sessions as dotted lines: "S3" above the chart, "session 3" in the table of numbers."""
    return [
        {
            "x": _iso(s.on),
            "label": f"S{s.number}" if s.number else "S",
            "name": f"session {s.number}" if s.number else "session",
        }
        for s in sessions
    ]


def _series(name: str, scores: Sequence[StoredScore], colour: str) -> dict[str, Any]:
    points = daily(scores)
    return {
        "name": name,
        "x": [_iso(s.on) for s in points],
        "y": [float(s.value) for s in points],
        "colour": colour,
    }


def band_of(value: float, bands: Sequence[dict[str, Any]]) -> str:
    """The label of the narrowest shaded band the value lies in (as drawn: ``from`` to ``to``), or
    "" when it lies in none."""
    inside = [b for b in bands if min(b["from"], b["to"]) <= value <= max(b["from"], b["to"])]
    if not inside:
        return ""
    return str(min(inside, key=lambda b: abs(b["to"] - b["from"]))["label"])


def plain_band(label: str) -> str:
    """A band's label as the patient's pages word it ("None-minimal": "none to minimal")."""
    return label.replace("-", " to ").lower()


def chart_table(
    series: Sequence[dict[str, Any]], bands: Sequence[dict[str, Any]] = ()
) -> list[tuple[str, str, float, str, str]]:
    """Every plotted point as (date, measure, value, band, band in plain words), newest first: the
    chart's text alternative, from the very lists the chart plots. The bands are shaded behind the
    first series (the instrument's own score); a further series (a mean of another scale) has none.
    """
    rows = []
    for n, s in enumerate(series):
        for x, y in zip(s["x"], s["y"], strict=True):
            band = band_of(y, bands) if n == 0 else ""
            rows.append((x, s["name"], y, band, plain_band(band)))
    return sorted(rows, key=lambda r: (r[0], r[1]), reverse=True)


def instrument_bands(instrument_id: str) -> tuple[list[dict[str, Any]], str]:
    """The primary scale's bands as shaded ranges, and their source."""
    scale = get_instrument(instrument_id).primary_scale
    bands = []
    for n, band in enumerate(scale.bands):
        colour = BAND_COLOURS[min(round(n * (len(BAND_COLOURS) - 1) / max(len(scale.bands) - 1, 1)), 4)]
        bands.append(
            {
                "from": max(scale.minimum, band.min - 0.5),
                "to": min(scale.maximum, band.max + 0.5),
                "label": band.label,
                "short": band.label,
                "colour": colour,
            }
        )
    sources = dict.fromkeys(b.cited.source.short for b in scale.bands)
    return bands, "; ".join(sources)


def score_chart(
    instrument_id: str,
    scores: Sequence[StoredScore],
    sessions: Sequence[SessionEvent],
    *,
    baseline: float | None = None,
    extra: Sequence[tuple[str, Sequence[StoredScore]]] = (),
) -> dict[str, Any]:
    """One instrument's chart: its scores, sessions marked, bands shaded."""
    definition = get_instrument(instrument_id)
    scale = definition.primary_scale
    bands, source = instrument_bands(instrument_id)
    lines: list[dict[str, Any]] = []
    notes = []
    if source:
        notes.append(f"Bands: the severity bands of the scale ({source})")
    if instrument_id == MEASURE_INSTRUMENTS[PAIN_MEASURE] and baseline is not None:
        measure = get_measure(PAIN_MEASURE)
        for level in measure.levels:
            if level.min_reduction_percent is None:
                continue
            limit = baseline * (1 - float(level.min_reduction_percent) / 100)
            bands.append(
                {
                    "from": scale.minimum,
                    "to": limit,
                    "label": f"{level.min_reduction_percent} % or more below baseline",
                    "short": f"≥ {level.min_reduction_percent} % below baseline",
                    "colour": RESPONSE_COLOURS.get(level.code, BAND_COLOURS[0]),
                }
            )
        lines.append({"y": baseline, "label": f"baseline {baseline:g}"})
        shorts = dict.fromkeys(c.source.short for lv in measure.levels for c in lv.cited[:1])
        notes.append(
            "Shading: reductions from the baseline at each response level (" + "; ".join(shorts) + ")"
        )
    elif baseline is not None:
        lines.append({"y": baseline, "label": f"baseline {baseline:g}"})
    series = [_series(definition.name, scores, "#1f5f8b")]
    colours = ("#8a5300", "#55606e")
    for n, (name, more) in enumerate(extra):
        series.append(_series(name, more, colours[n % len(colours)]))
    table = chart_table(series, bands)
    return {
        "title": definition.name,
        "y_title": scale.label,
        "y_range": [scale.minimum - 0.5, scale.maximum + 0.5],
        "series": series,
        "bands": bands,
        "events": session_markers(sessions),
        "lines": lines,
        "notes": notes,
        "table": table,
        # The table's headings (the patient's pages have their own plain ones in the template);
        # a band column only when a point lies in a shaded band.
        "table_value": "Score",
        "table_band": "Band" if any(row[3] for row in table) else "",
    }


def journal_chart(entries: Sequence[Any], sessions: Sequence[SessionEvent]) -> dict[str, Any]:
    """The patient's own daily ratings (0-10) over time; entries are JournalEntry rows."""
    ordered = sorted(entries, key=lambda e: e.entry_on)

    def trace(name: str, attr: str, colour: str) -> dict[str, Any]:
        rows = [e for e in ordered if getattr(e, attr) is not None]
        return {
            "name": name,
            "x": [_iso(e.entry_on) for e in rows],
            "y": [float(getattr(e, attr)) for e in rows],
            "colour": colour,
        }

    series = [
        trace("Pain", "pain_nrs", "#a4161a"),
        trace("Mood", "mood", "#1f5f8b"),
        trace("What I could do", "activity", "#1d6b3a"),
        trace("Hours slept", "sleep_hours", "#8a5300"),
    ]
    top = max([10.0, *series[3]["y"]])
    return {
        "title": "My journal",
        "y_title": "Rating (0-10); sleep in hours",
        "y_range": [0, top + 0.5],
        "series": series,
        "bands": [],
        "events": session_markers(sessions),
        "lines": [],
        "notes": ["Your own daily ratings: pain, mood and what you could do from 0 to 10, and hours slept."],
        "table": chart_table(series),
        "table_value": "Rating (sleep: hours)",
        "table_plain_value": "Your answer",
        "table_band": "",
    }
