// Draws every outcome chart on the page: [data-outcomes-chart="ID"] reads the JSON in <script id="ID">.
// The JSON (ketapath.outcomes.charts): series (dated scores), bands (shaded ranges), events
// (sessions, as dotted vertical lines) and lines (baseline and thresholds).
"use strict";

// On a phone a long daily series (the journal) opens on its last four weeks (the rest is a swipe
// away); follow-up scores, a few a month, are shown whole.
function xRange(data, narrow) {
  const dense = data.series.some((s) => s.x.length > 30);
  const days = data.series.flatMap((s) => s.x).sort();
  if (!narrow || !dense || days.length < 2) return undefined;
  const last = new Date(days[days.length - 1]);
  const first = new Date(days[0]);
  const month = 28 * 24 * 3600 * 1000;
  if (last - first <= month) return undefined;
  const from = new Date(last.getTime() - month);
  const to = new Date(last.getTime() + 24 * 3600 * 1000);
  return [from.toISOString().slice(0, 10), to.toISOString().slice(0, 10)];
}

function drawOutcomesChart(element) {
  const source = document.getElementById(element.dataset.outcomesChart);
  if (!source || typeof Plotly === "undefined") return;
  const data = JSON.parse(source.textContent);
  const narrow = window.matchMedia("(max-width: 40rem)").matches;
  const traces = data.series
    .filter((s) => s.x.length)
    .map((s) => ({
      // Many daily points read better as a line; a few follow-up scores as points on a line.
      x: s.x, y: s.y, name: s.name, mode: s.x.length > 30 ? "lines" : "lines+markers", type: "scatter",
      line: { color: s.colour, width: 2.5 }, marker: { size: 7, color: s.colour },
      hovertemplate: "%{x|%d %b %Y}: %{y}<extra>" + s.name + "</extra>",
    }));
  const shapes = [];
  const annotations = [];
  (data.bands || []).forEach((b) => {
    shapes.push({ type: "rect", xref: "paper", x0: 0, x1: 1, yref: "y", y0: b.from, y1: b.to,
      fillcolor: b.colour, line: { width: 0 }, layer: "below" });
    if (!narrow) {
      annotations.push({ xref: "paper", x: 1, xanchor: "right", yref: "y", y: (b.from + b.to) / 2,
        text: b.label, showarrow: false, font: { size: 10, color: "#55606e" } });
    }
  });
  const events = data.events || [];
  // Session labels only where they have room: on a wide screen, a handful of sessions, spaced
  // apart by at least a twentieth of the chart's time span.
  const times = data.series.flatMap((s) => s.x).concat(events.map((e) => e.x)).map((d) => Date.parse(d));
  const span = times.length ? Math.max(...times) - Math.min(...times) : 0;
  const gaps = events.slice(1).map((e, n) => Date.parse(e.x) - Date.parse(events[n].x));
  const spaced = gaps.every((g) => g >= span / 20);
  const labelled = !narrow && events.length <= 12 && spaced;
  events.forEach((e, n) => {
    shapes.push({ type: "line", xref: "x", x0: e.x, x1: e.x, yref: "paper", y0: 0, y1: 1,
      line: { dash: "dot", color: "#1f5f8b", width: 1 } });
    if (labelled || (n === 0 && events.length)) {
      annotations.push({ xref: "x", x: e.x, yref: "paper", y: 1, yanchor: "bottom",
        text: labelled ? e.label : "sessions", showarrow: false, font: { size: 9, color: "#1f5f8b" } });
    }
  });
  (data.lines || []).forEach((l) => {
    shapes.push({ type: "line", xref: "paper", x0: 0, x1: 1, yref: "y", y0: l.y, y1: l.y,
      line: { dash: "dash", color: "#55606e", width: 1 } });
    annotations.push({ xref: "paper", x: 0, xanchor: "left", yref: "y", y: l.y, yanchor: "bottom",
      text: l.label, showarrow: false, font: { size: 10, color: "#55606e" } });
  });
  const layout = {
    margin: { t: 28, r: narrow ? 8 : 16, b: 40, l: narrow ? 36 : 56 },
    height: narrow ? 280 : 340,
    xaxis: { type: "date", tickformat: "%d %b", zeroline: false, range: xRange(data, narrow) },
    yaxis: { title: { text: narrow ? "" : data.y_title }, range: data.y_range, zeroline: false },
    legend: { orientation: "h", y: -0.18 },
    showlegend: traces.length > 1,
    shapes: shapes,
    annotations: annotations,
  };
  Plotly.newPlot(element, traces, layout, { displaylogo: false, responsive: true,
    modeBarButtonsToRemove: ["select2d", "lasso2d"] });
  element.dataset.drawn = "1";
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-outcomes-chart]").forEach(drawOutcomesChart);
});

// A print button: <button data-print> (the review note and the cohort report have print layouts).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
