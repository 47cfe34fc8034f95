"""The PK chart's numbers as a table (issue 15): the plotted points, every N-th of a long series,
and the partial puts them right after the chart."""

from __future__ import annotations

from django.template.loader import render_to_string

from ketapath.clinical.pharmacokinetics import Patient, Step
from ketapath.pk.preview import TABLE_ROWS, pk_preview


def test_rows_are_every_nth_plotted_point_at_most_sixty():
    preview = pk_preview("simons-2022", Patient(80), [Step(0, 40, 40)], 240)
    data = preview.chart_data()
    table = preview.chart_table()
    assert table.points == len(data["time_min"]) == 241
    assert table.every == 5 and len(table.rows) == 49 <= TABLE_ROWS
    for n, (time, typical, low, high) in enumerate(table.rows):
        i = n * table.every
        assert time == data["time_min"][i]
        assert typical == data["typical"][i]
        assert low == data["p5"][i] and high == data["p95"][i]
    assert table.rows[-1][0] == 240 and table.spacing_min == 5


def test_a_short_series_is_shown_whole_and_no_band_is_none():
    preview = pk_preview("domino-1984", Patient(70), [Step(0, 40, 35)], 30)
    table = preview.chart_table()
    assert table.every == 1 and len(table.rows) == len(preview.time_min) == 31
    assert [r[1] for r in table.rows] == preview.typical_ng_per_ml
    if preview.p5 is None:
        assert all(r[2] is None and r[3] is None for r in table.rows)


def test_the_partial_puts_the_table_right_after_the_chart():
    preview = pk_preview("simons-2022", Patient(80), [Step(0, 40, 40)], 240)
    html = render_to_string("pk/_chart.html", {"preview": preview, "chart_id": "pk"})
    assert html.index("data-pk-chart") < html.index('<details class="chart-table">')
    assert "<summary>The numbers in this chart</summary>" in html
    assert "one point in 5 of the chart's 241 points (every 5 min)" in html
    for heading in ("Time (min)", "Typical patient (ng/mL)", "Band low: 5th percentile (ng/mL)"):
        assert f'<th scope="col">{heading}</th>' in html
    assert html.count('<tr><th scope="row">') == 49
    first = preview.chart_table().rows[1]
    assert f'<tr><th scope="row">5</th><td>{first[1]:g}</td>' in html
