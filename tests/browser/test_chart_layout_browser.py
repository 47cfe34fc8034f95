"""Charts (issue 15): the session markers, band labels and threshold labels drawn by Plotly do not
overlap one another or the axes' tick labels, and every chart has its numbers as a table beside it.

Checked on the demo patient's outcomes page (dr.demo, DEMO-0001; wide and on a phone) and on the
PK page; close-ups of the charts go to test-artifacts/screenshots/ for people to look at.
"""

from __future__ import annotations

import json

from tests.browser.conftest import part_shot, sign_in

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}
# Overlaps of at most this many pixels (anti-aliasing, a glyph's side bearing) are not overlaps.
SLACK = 1.0


def _boxes(plot, selector: str) -> list[tuple[str, dict[str, float]]]:
    found = []
    items = plot.locator(selector)
    for n in range(items.count()):
        item = items.nth(n)
        box = item.bounding_box()
        if box and box["width"] > 0 and box["height"] > 0:
            found.append((item.text_content() or "", box))
    return found


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] + SLACK < b["x"] + b["width"]
        and b["x"] + SLACK < a["x"] + a["width"]
        and a["y"] + SLACK < b["y"] + b["height"]
        and b["y"] + SLACK < a["y"] + a["height"]
    )


def assert_labels_apart(plot) -> int:
    """No annotation overlaps another annotation, a tick label, the legend or an axis title;
    returns the number of annotations checked."""
    notes = _boxes(plot, "g.annotation")
    ticks = _boxes(plot, "g.xtick text") + _boxes(plot, "g.ytick text")
    others = _boxes(plot, "g.legend") + _boxes(plot, "text.xtitle") + _boxes(plot, "text.ytitle")
    clashes = []
    for n, (text, box) in enumerate(notes):
        for other, other_box in notes[n + 1 :] + ticks + others:
            if _overlap(box, other_box):
                clashes.append(f"{text!r} overlaps {other!r}")
    assert clashes == [], clashes
    # Tick labels against the legend and axis titles too (the legend below the plot).
    clashes = [f"{t!r} overlaps {o!r}" for t, tb in ticks for o, ob in others if o and _overlap(tb, ob)]
    assert clashes == [], clashes
    return len(notes)


def plotted_points(plot) -> int:
    """The points of the chart's traces, as drawn (one path per point for markers)."""
    return plot.locator("g.trace.scatter g.points path.point").count()


def test_outcome_charts_keep_labels_apart_and_carry_their_numbers(demo, page):
    sign_in(page, "dr.demo")
    page.goto("/patients/DEMO-0001/outcomes/")
    figures = page.locator("figure.outcome-chart")
    figures.first.locator('[data-outcomes-chart][data-drawn="1"]').wait_for()
    count = figures.count()
    assert count >= 2
    for width, name in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page.set_viewport_size(width)
        page.reload()
        for n in range(count):
            figures.nth(n).locator('[data-outcomes-chart][data-drawn="1"] .main-svg').first.wait_for()
        annotations = 0
        for n in range(count):
            figure = figures.nth(n)
            figure.scroll_into_view_if_needed()
            annotations += assert_labels_apart(figure.locator("[data-outcomes-chart]"))
            part_shot(page, f"figure.outcome-chart >> nth={n}", f"chart-layout-{name}-outcomes-{n}")
        assert annotations > 0  # sessions and bands are labelled somewhere on the page

    page.set_viewport_size(DESKTOP)
    page.reload()
    for n in range(count):
        figure = figures.nth(n)
        figure.locator('[data-outcomes-chart][data-drawn="1"] .main-svg').first.wait_for()
        table = figure.locator("details.chart-table table")
        assert table.count() == 1
        caption = table.locator("caption").text_content() or ""  # closed: not rendered
        assert figure.locator("h3").inner_text() in caption
        headings = [t.strip() for t in table.locator("thead th").all_text_contents()]
        series = json.loads(figure.locator("script[type='application/json']").text_content() or "")["series"]
        # A measure column only when the chart has more than one series.
        expected = ["Date", "Measure"] if len(series) > 1 else ["Date"]
        assert headings[: len(expected)] == expected
        value = headings[len(expected)]
        assert value in {"Score", "Rating (sleep: hours)"} or value.startswith("Result (")
        rows = table.locator("tbody tr").count()
        # As many rows as the chart's points: the JSON the chart is drawn from, counted.
        assert rows == sum(len(s["x"]) for s in series)
        markers = figure.locator("[data-outcomes-chart] g.trace.scatter g.points path.point").count()
        if all(len(s["x"]) <= 30 for s in series):  # drawn with markers: one per point
            assert markers == rows
        figure.locator("details.chart-table > summary").click()
        assert table.is_visible()
    part_shot(page, "figure.outcome-chart >> nth=0", "chart-layout-desktop-outcomes-table")


def test_pk_chart_keeps_labels_apart_and_carries_sampled_numbers(demo, page):
    sign_in(page, "dr.demo")
    page.goto("/pk/?model_id=simons-2022&weight_kg=80&until_min=240&start_0=0&duration_0=40&dose_0=40")
    plot = page.locator("[data-pk-chart]")
    page.locator("[data-pk-chart][data-drawn='1'] .main-svg").first.wait_for()
    assert assert_labels_apart(plot) >= 1
    part_shot(page, "figure.pk-chart", "chart-layout-desktop-pk")
    page.set_viewport_size(PHONE)
    page.reload()
    page.locator("[data-pk-chart][data-drawn='1'] .main-svg").first.wait_for()
    assert_labels_apart(plot)
    part_shot(page, "figure.pk-chart", "chart-layout-phone-pk")
    page.set_viewport_size(DESKTOP)
    page.reload()
    page.locator("[data-pk-chart][data-drawn='1'] .main-svg").first.wait_for()

    table = page.locator("figure.pk-chart details.chart-table table")
    assert table.count() == 1
    caption = table.locator("caption").text_content() or ""  # closed: not rendered
    assert "every" in caption  # 241 points sampled: the caption says so
    headings = [t.strip() for t in table.locator("thead th").all_text_contents()]
    assert headings[0].startswith("Time") and "ng/mL" in headings[1]
    rows = table.locator("tbody tr")
    assert 2 <= rows.count() <= 61
    page.locator("figure.pk-chart details.chart-table > summary").click()
    first = rows.first.locator("th, td").all_inner_texts()
    assert first[0] == "0"
    part_shot(page, "figure.pk-chart", "chart-layout-desktop-pk-table")


def test_patients_progress_chart_keeps_labels_apart_and_its_table_is_in_plain_words(demo, page):
    page.set_viewport_size(PHONE)
    sign_in(page, "patient.demo")
    page.goto("/portal/progress/")
    figures = page.locator("figure.outcome-chart")
    figures.first.locator('[data-outcomes-chart][data-drawn="1"] .main-svg').first.wait_for()
    for n in range(figures.count()):
        figure = figures.nth(n)
        figure.locator('[data-outcomes-chart][data-drawn="1"] .main-svg').first.wait_for()
        part_shot(page, f"figure.outcome-chart >> nth={n}", f"chart-layout-phone-progress-{n}")
        assert_labels_apart(figure.locator("[data-outcomes-chart]"))
        table = figure.locator("details.chart-table table")
        headings = [t.strip() for t in table.locator("thead th").all_text_contents()]
        assert headings[:2] == ["Date", "Your score"]
        figure.locator("details.chart-table > summary").click()
        assert table.is_visible()
        series = json.loads(figure.locator("script[type='application/json']").text_content() or "")["series"]
        assert table.locator("tbody tr").count() == sum(len(s["x"]) for s in series)
    part_shot(page, "figure.outcome-chart >> nth=0", "chart-layout-phone-progress-table")
