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

  // Keyboard-only charting: the first field of the card that is due now takes the focus when the
  // page opens and after each save, so a nurse types a round, presses Enter, and types the next.
  const FIELDS = "input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled])";

  function focusDue(force) {
    const card = document.getElementById("due-now");
    if (!card) return;
    const active = document.activeElement;
    const elsewhere = active && active !== document.body && !card.contains(active);
    if (elsewhere && !force) return;
    const field = card.querySelector(FIELDS) || card.querySelector("form button[type=submit]");
    if (field) field.focus();
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (!window.location.hash) focusDue(false);
  });

  // A card whose form the nurse has started to fill is not replaced by the live update (the
  // next step changed meanwhile); it is replaced by the answer to its own save.
  document.addEventListener("input", (event) => {
    const card = event.target.closest && event.target.closest("#due-now");
    if (card) card.dataset.dirty = "1";
  });
  document.addEventListener("htmx:oobBeforeSwap", (event) => {
    const target = event.detail.target;
    if (target && target.id === "due-now" && target.dataset.dirty === "1") event.detail.shouldSwap = false;
  });
  // After a save (or a live update) draws a new card, its first field takes the focus again,
  // unless the nurse is working elsewhere on the page (focus outside the card).
  let knownCard = null;
  document.addEventListener("DOMContentLoaded", () => {
    knownCard = document.getElementById("due-now");
  });
  document.addEventListener("htmx:afterSettle", () => {
    const card = document.getElementById("due-now");
    if (card && card !== knownCard) {
      knownCard = card;
      focusDue(false);
    }
  });

  // Enter on a scale's list saves the form, as it does in a number field.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.altKey || event.ctrlKey || event.shiftKey) return;
    const target = event.target;
    if (target.tagName !== "SELECT" || !target.form || !target.closest(".entry-form")) return;
    event.preventDefault();
    target.form.requestSubmit();
  });
})();
