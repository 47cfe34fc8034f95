"""The outcome charts' numbers as a table (issue 15): every row is a point the chart plots, with
the band it is shaded in, and the table sits in the chart's partial in clinicians' or plain words."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

from django.template.loader import render_to_string

from ketapath.clinical.instruments import get_instrument
from ketapath.outcomes.charts import band_of, journal_chart, score_chart, session_markers
from ketapath.outcomes.schedule import SessionEvent
from ketapath.outcomes.series import StoredScore

START = date(2026, 1, 5)


def scores(*values: float) -> list[StoredScore]:
    return [StoredScore(n, START + timedelta(days=7 * n), v) for n, v in enumerate(values)]


SESSIONS = [SessionEvent(f"s{n}", START + timedelta(days=n + 1), n) for n in (1, 2, 3)]


def plotted(chart: dict) -> set[tuple[str, str, float]]:
    return {(x, s["name"], y) for s in chart["series"] for x, y in zip(s["x"], s["y"], strict=True)}


def test_phq9_rows_are_the_plotted_points_with_their_severity_band():
    chart = score_chart("phq-9", scores(22, 16, 12, 7, 3), SESSIONS, baseline=22)
    rows = chart["table"]
    assert {(r[0], r[1], r[2]) for r in rows} == plotted(chart)
    assert len(rows) == sum(len(s["x"]) for s in chart["series"]) == 5
    assert [r[0] for r in rows] == sorted((r[0] for r in rows), reverse=True)  # newest first
    scale = get_instrument("phq-9").primary_scale
    for _, _, value, band, plain in rows:
        assert band == scale.band_for(value).label  # the instrument's own band, as shaded
        assert plain == band.replace("-", " to ").lower()
    assert [r[3] for r in rows] == ["None-minimal", "Mild", "Moderate", "Moderately severe", "Severe"]
    assert chart["table_band"] == "Band"
    # Every shaded band has a short label for the chart's margin.
    assert all(b["short"] for b in chart["bands"])


def test_pain_rows_name_the_narrowest_response_band_and_the_extra_series_has_none():
    pain = scores(8, 6, 5, 3)
    peg = scores(7.5, 6.25)
    chart = score_chart("nrs-pain", pain, SESSIONS, baseline=8, extra=[("PEG (mean)", peg)])
    rows = chart["table"]
    assert {(r[0], r[1], r[2]) for r in rows} == plotted(chart)
    assert len(rows) == 6
    by_value = {r[2]: r[3] for r in rows if r[1] == "Pain NRS"}
    # Baseline 8: 30 % below is 5.6 or less, 50 % below is 4 or less (the shaded ranges).
    assert by_value == {
        8.0: "",
        6.0: "",
        5.0: "30 % or more below baseline",
        3.0: "50 % or more below baseline",
    }
    assert all(r[3] == "" for r in rows if r[1] == "PEG (mean)")
    assert chart["lines"] == [{"y": 8, "label": "baseline 8"}]


def test_band_of_takes_the_drawn_edges_and_the_narrowest_band():
    bands = [{"from": 0, "to": 5.6, "label": "wide"}, {"from": 0, "to": 4, "label": "narrow"}]
    assert band_of(5.6, bands) == "wide" and band_of(4, bands) == "narrow" and band_of(6, bands) == ""
    assert band_of(1, []) == ""


def test_journal_rows_are_every_rating_plotted():
    entries = [
        SimpleNamespace(
            entry_on=START + timedelta(days=n), pain_nrs=5 - n, mood=n, activity=None, sleep_hours=7.5
        )
        for n in range(3)
    ]
    chart = journal_chart(entries, SESSIONS)
    rows = chart["table"]
    assert {(r[0], r[1], r[2]) for r in rows} == plotted(chart)
    assert len(rows) == 9  # pain, mood and sleep on three days; activity never rated
    assert all(r[3] == "" for r in rows) and chart["table_band"] == ""


def test_session_markers_name_each_session_for_the_table():
    assert session_markers(SESSIONS[:1]) == [{"x": "2026-01-07", "label": "S1", "name": "session 1"}]


def _render(chart: dict, namespace: str) -> str:
    request = SimpleNamespace(resolver_match=SimpleNamespace(namespace=namespace))
    return render_to_string("outcomes/_chart.html", {"chart": chart, "chart_id": "c", "request": request})


def test_the_partial_puts_the_table_right_after_the_chart():
    chart = score_chart("phq-9", scores(22, 7), SESSIONS)
    html = _render(chart, "outcomes")
    assert html.index("data-outcomes-chart") < html.index('<details class="chart-table">')
    assert "<summary>The numbers in this chart</summary>" in html
    assert "<caption>PHQ-9: the numbers in this chart, newest first</caption>" in html
    for heading in ("Date", "Score", "Band"):
        assert f'<th scope="col">{heading}</th>' in html
    assert "Measure" not in html  # one series: the caption names it
    assert html.count("<tr><td>") == 2
    assert "<td>2026-01-12</td><td>7</td><td>Mild</td>" in html
    sessions = "<li>Session 1: 2026-01-07</li><li>Session 2: 2026-01-08</li><li>Session 3: 2026-01-09</li>"
    assert sessions in html


def test_on_the_patients_pages_the_headings_are_plain():
    chart = score_chart("phq-9", scores(22, 3), SESSIONS)
    html = _render(chart, "portal")
    for heading in ("Date", "Your score", "Where it falls"):
        assert f'<th scope="col">{heading}</th>' in html
    assert "<td>none to minimal</td>" in html and "None-minimal</td>" not in html
    assert "<p>Your sessions:</p>" in html and "<li>Session 1: 2026-01-07</li>" in html
    journal = journal_chart(
        [SimpleNamespace(entry_on=START, pain_nrs=4, mood=6, activity=5, sleep_hours=None)], []
    )
    html = _render(journal, "portal")
    assert '<th scope="col">Your answer</th>' in html and html.count("<tr><td>") == 3
    assert '<th scope="col">What</th>' in html and "<td>Mood</td><td>6</td>" in html


def test_liver_chart_rows_are_its_results_judged_against_the_limit_drawn(personas):
    from django.utils import timezone

    from ketapath.clinic_settings.values import set_values
    from ketapath.outcomes.labs import liver_panel, record_liver_result

    set_values(personas.clinic_a, personas.prescriber, {"labs.alt.upper_limit": "40"})
    patient = personas.patient_one
    today = timezone.localdate()
    for days, value in ((14, "35"), (7, "52.5"), (0, "40")):
        record_liver_result(
            patient, personas.nurse, test_id="alt", value=value, sampled_on=today - timedelta(days=days)
        )
    (_, chart), *_ = liver_panel(patient).charts
    rows = chart["table"]
    assert {(r[0], r[1], r[2]) for r in rows} == plotted(chart)
    assert [r[2] for r in rows] == [40.0, 52.5, 35.0]  # newest first
    assert [r[3] for r in rows] == [
        "within the reference limit",
        "above the upper reference limit",
        "within the reference limit",
    ]
    assert chart["lines"][0]["y"] == 40.0 and chart["table_band"] == "Against the limit"
    assert chart["table_value"] == "Result (U/L)"
