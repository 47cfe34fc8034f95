// The flowsheet's small behaviours, loaded as a file (the content-security policy forbids inline
// scripts): print, and a tab title that says when vitals are due or an alert is open, so a nurse
// working in another tab sees it.
"use strict";

(() => {
  const baseTitle = document.title;
  // The content-security policy forbids style attributes, so htmx must never copy one across a
  // swap (a browser or a tool may leave an empty style="" on an input).
  if (window.htmx) window.htmx.config.attributesToSettle = ["class", "width", "height"];

  function updateTitle() {
    const summary = document.getElementById("summary");
    if (!summary) return;
    const alerts = Number(summary.dataset.alerts || "0");
    const marks = [];
    if (alerts > 0) marks.push(`${alerts} alert${alerts === 1 ? "" : "s"}`);
    if (summary.dataset.due === "1") marks.push("due");
    document.title = marks.length ? `(${marks.join(", ")}) ${baseTitle}` : baseTitle;
  }

  document.addEventListener("DOMContentLoaded", () => {
    updateTitle();
    document.body.addEventListener("click", (event) => {
      if (event.target.closest("[data-print]")) window.print();
    });
  });
  document.addEventListener("htmx:afterSettle", updateTitle);
})();
