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
  const layout = {
    margin: { t: 30, r: 10, b: 50, l: 60 }, height: 360,
    xaxis: { title: { text: "Time (min)" }, zeroline: false },
    yaxis: { title: { text: "Plasma ketamine (ng/mL)" }, rangemode: "tozero" },
    legend: { orientation: "h", y: -0.25 },
    shapes: [{ type: "line", x0: data.end_of_infusion_min, x1: data.end_of_infusion_min, yref: "paper", y0: 0, y1: 1,
      line: { dash: "dot", color: "#55606e" } }],
    annotations: [{ x: data.end_of_infusion_min, yref: "paper", y: 1, text: "end of infusion", showarrow: false,
      xanchor: "left", font: { size: 11, color: "#55606e" } }],
  };
  Plotly.newPlot(element, traces, layout, { displaylogo: false, responsive: true });
  element.dataset.drawn = "1";
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-pk-chart]").forEach(drawPkChart);
});
document.addEventListener("htmx:afterSettle", (event) => {
  event.target.querySelectorAll("[data-pk-chart]").forEach(drawPkChart);
});
