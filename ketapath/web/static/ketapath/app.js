// Site-wide behaviour, loaded as a file (the content-security policy forbids inline scripts).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Move focus to the error summary so keyboard and screen-reader users hear what is wrong.
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();

  // Buttons that need a confirmation say so with data-confirm="question".
  document.body.addEventListener("click", (event) => {
    const target = event.target.closest("[data-confirm]");
    if (target && !window.confirm(target.dataset.confirm)) event.preventDefault();
  });

  // A form submits once: a second click while the first is on its way does nothing.
  document.body.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.dataset.submitted === "1") { event.preventDefault(); return; }
    form.dataset.submitted = "1";
    window.setTimeout(() => { form.dataset.submitted = ""; }, 5000);
  });
});
