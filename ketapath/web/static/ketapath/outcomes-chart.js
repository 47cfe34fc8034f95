// Draws every outcome chart on the page: [data-outcomes-chart="ID"] reads the JSON in <script id="ID">.
// The JSON (ketapath.outcomes.charts): series (dated scores), bands (shaded ranges), events
// (sessions, as dotted vertical lines) and lines (baseline and thresholds). No label is drawn over
// another or over the axes: band labels in the right margin, session labels above the plot, the
// legend below the tick labels (tests/browser/test_chart_layout_browser.py measures them).
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

// A label in short lines (at most about 12 characters), broken at spaces.
function wrap(text) {
  const lines = [];
  String(text).split(" ").forEach((word) => {
    const last = lines.length - 1;
    if (last >= 0 && (lines[last] + " " + word).length <= 12) lines[last] += " " + word;
    else lines.push(word);
  });
  return lines;
}

// Which sessions get a label ("S3") above the chart: from the first, each one far enough (in
// pixels, at this chart's width) from the last one labelled not to touch it. The others keep their
// dotted line; every session is listed in the table of numbers.
function sessionLabels(data, events, range, plotWidth) {
  const inRange = (t) => !range || (t >= Date.parse(range[0]) && t <= Date.parse(range[1]));
  const times = events.map((e) => Date.parse(e.x));
  let from;
  let to;
  if (range) {
    from = Date.parse(range[0]);
    to = Date.parse(range[1]);
  } else {
    const all = data.series.flatMap((s) => s.x).map((d) => Date.parse(d)).concat(times);
    from = Math.min(...all);
    to = Math.max(...all);
    const pad = Math.max((to - from) * 0.06, 24 * 3600 * 1000); // Plotly pads its range a little
    from -= pad;
    to += pad;
  }
  const perMs = plotWidth / Math.max(to - from, 1);
  const chosen = new Set();
  let lastRight = -Infinity;
  events.forEach((e, n) => {
    if (!inRange(times[n])) return;
    const half = (String(e.label).length * 6 + 4) / 2;
    const centre = (times[n] - from) * perMs;
    if (centre - half < lastRight + 4) return;
    chosen.add(n);
    lastRight = centre + half;
  });
  return chosen;
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
  const height = narrow ? 280 : 340;
  const shapes = [];
  const annotations = [];
  const bands = data.bands || [];
  const lines = data.lines || [];
  // Band and line labels sit in the right margin, beside their band (level with its top) or line,
  // never over the plotted scores or the session lines; wrapped to short lines, the margin as wide
  // as the longest. On a phone there is no room for band labels: the shading stays, and the bands
  // are named in the table of numbers (and the patient's key); line labels go inside, on the left.
  const side = (narrow ? [] : bands.map((b) => ({ y: Math.max(b.from, b.to), anchor: "top", lines: wrap(b.short || b.label) })))
    .concat(narrow ? [] : lines.map((l) => ({ y: l.y, anchor: "middle", lines: wrap(l.label) })));
  const widest = Math.max(0, ...side.flatMap((l) => l.lines.map((t) => t.length)));
  const margin = { t: 28, r: side.length ? Math.ceil(widest * 6) + 14 : narrow ? 8 : 16, b: 40, l: narrow ? 36 : 56 };
  const plotHeight = height - margin.t - margin.b;
  const [low, high] = data.y_range;
  const perUnit = plotHeight / Math.max(high - low, 1e-9);
  bands.forEach((b) => {
    shapes.push({ type: "rect", xref: "paper", x0: 0, x1: 1, yref: "y", y0: b.from, y1: b.to,
      fillcolor: b.colour, line: { width: 0 }, layer: "below" });
  });
  lines.forEach((l) => {
    shapes.push({ type: "line", xref: "paper", x0: 0, x1: 1, yref: "y", y0: l.y, y1: l.y,
      line: { dash: "dash", color: "#55606e", width: 1 } });
    if (narrow) {
      annotations.push({ xref: "paper", x: 0, xanchor: "left", yref: "y", y: l.y, yanchor: "bottom",
        text: l.label, showarrow: false, bgcolor: "rgba(255,255,255,0.8)", font: { size: 10, color: "#55606e" } });
    }
  });
  // From the top down (in pixels): a label that would touch the one above it moves down just
  // below it, and is left out if it would then leave the plot's height (the band is still shaded
  // and named in the table of numbers).
  let lastBottom = -Infinity;
  side
    .map((l) => {
      const y = Math.min(Math.max(l.y, low), high);
      const tall = l.lines.length * 13;
      return { ...l, y: y, tall: tall, top: (high - y) * perUnit - (l.anchor === "middle" ? tall / 2 : 0) };
    })
    .sort((a, b) => a.top - b.top)
    .forEach((l) => {
      const shift = Math.max(0, lastBottom + 2 - l.top);
      if (l.top + shift + l.tall > plotHeight + 6) return;
      lastBottom = l.top + shift + l.tall;
      annotations.push({ xref: "paper", x: 1, xanchor: "left", xshift: 4, yref: "y", y: l.y, yshift: -shift,
        yanchor: l.anchor, align: "left", text: l.lines.join("<br>"), showarrow: false,
        font: { size: 10, color: "#55606e" } });
    });
  const events = data.events || [];
  const range = xRange(data, narrow);
  const plotWidth = (element.clientWidth || 320) - margin.l - margin.r;
  const labelled = sessionLabels(data, events, range, plotWidth);
  events.forEach((e, n) => {
    shapes.push({ type: "line", xref: "x", x0: e.x, x1: e.x, yref: "paper", y0: 0, y1: 1,
      line: { dash: "dot", color: "#1f5f8b", width: 1 } });
    if (labelled.has(n)) {
      annotations.push({ xref: "x", x: e.x, yref: "paper", y: 1, yanchor: "bottom", yshift: 2,
        text: e.label, showarrow: false, font: { size: 9, color: "#1f5f8b" } });
    }
  });
  const layout = {
    margin: margin,
    height: height,
    xaxis: { type: "date", tickformat: "%d %b", zeroline: false, range: range },
    yaxis: { title: { text: narrow ? "" : data.y_title }, range: data.y_range, zeroline: false },
    // Below the tick labels (the margin grows to hold it), never over them.
    legend: { orientation: "h", x: 0, xanchor: "left", y: -34 / plotHeight, yanchor: "top" },
    showlegend: traces.length > 1,
    shapes: shapes,
    annotations: annotations,
  };
  Plotly.react(element, traces, layout, { displaylogo: false, responsive: true,
    modeBarButtonsToRemove: ["select2d", "lasso2d"] });
  element.dataset.drawn = "1";
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-outcomes-chart]").forEach(drawOutcomesChart);
});
// Which labels fit depends on the chart's width: drawn again once a resize (or a phone turned on
// its side) has settled.
let outcomesResize;
window.addEventListener("resize", () => {
  clearTimeout(outcomesResize);
  outcomesResize = setTimeout(() => {
    document.querySelectorAll("[data-outcomes-chart][data-drawn]").forEach(drawOutcomesChart);
  }, 250);
});

// A print button: <button data-print> (the review note and the cohort report have print layouts).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
