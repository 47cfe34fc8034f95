// Draws every PK preview on the page: [data-pk-chart="ID"] reads the JSON in <script id="ID">.
"use strict";

function drawPkChart(element) {
  const source = document.getElementById(element.dataset.pkChart);
  if (!source || typeof Plotly === "undefined") return;
  const data = JSON.parse(source.textContent);
  const traces = [];
  if (data.p5 && data.p95) {
    traces.push({ x: data.time_min, y: data.p95, mode: "lines", line: { width: 0 }, hoverinfo: "skip", showlegend: false });
    traces.push({ x: data.time_min, y: data.p5, mode: "lines", fill: "tonexty", fillcolor: "rgba(31,95,139,0.18)",
      line: { width: 0 }, name: "90 % band (5th–95th percentile)" });
  }
  traces.push({ x: data.time_min, y: data.typical, mode: "lines", line: { color: "#1f5f8b", width: 2.5 },
    name: "Typical patient" });
  // The end-of-infusion label above the plot (never over the curve or the ticks), turned to the
  // left of its line near the right edge; the legend under the axis title, the margin grown for it.
  const height = 360;
  const margin = { t: 34, r: 16, b: 56, l: 60 };
  const last = data.time_min.length ? data.time_min[data.time_min.length - 1] : 0;
  const late = last > 0 && data.end_of_infusion_min / last > 0.7;
  const layout = {
    margin: margin, height: height,
    xaxis: { title: { text: "Time (min)" }, zeroline: false },
    yaxis: { title: { text: "Plasma ketamine (ng/mL)" }, rangemode: "tozero" },
    legend: { orientation: "h", x: 0, xanchor: "left", y: -64 / (height - margin.t - margin.b), yanchor: "top" },
    shapes: [{ type: "line", x0: data.end_of_infusion_min, x1: data.end_of_infusion_min, yref: "paper", y0: 0, y1: 1,
      line: { dash: "dot", color: "#55606e" } }],
    annotations: [{ x: data.end_of_infusion_min, yref: "paper", y: 1, yanchor: "bottom", yshift: 2,
      text: "end of infusion", showarrow: false, xanchor: late ? "right" : "left",
      font: { size: 11, color: "#55606e" } }],
  };
  Plotly.react(element, traces, layout, { displaylogo: false, responsive: true });
  element.dataset.drawn = "1";
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-pk-chart]").forEach(drawPkChart);
});
document.addEventListener("htmx:afterSettle", (event) => {
  event.target.querySelectorAll("[data-pk-chart]").forEach(drawPkChart);
});
