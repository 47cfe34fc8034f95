// Site-wide behaviour, loaded as a file (the content-security policy forbids inline scripts).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Move focus to the error summary so keyboard and screen-reader users hear what is wrong.
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();

  // Buttons that need a confirmation say so with data-confirm="question". Signing and approving
  // do not: their form is checked by the server first, which then shows what will be locked.
  // The form's own checks (a required reason, say) run before the question: a form that would be
  // refused is not confirmed first.
  document.body.addEventListener("click", (event) => {
    const target = event.target.closest("[data-confirm]");
    if (!target) return;
    if (target.form && !target.form.checkValidity()) {
      event.preventDefault();
      target.form.reportValidity();
      return;
    }
    if (!window.confirm(target.dataset.confirm)) event.preventDefault();
  });

  // The main navigation's menus (<details data-nav-menu>): one open at a time; a click elsewhere
  // or Escape closes them (Escape returns the focus to the menu's name). They open without this.
  const menus = Array.from(document.querySelectorAll("details[data-nav-menu]"));
  menus.forEach((menu) => {
    menu.addEventListener("toggle", () => {
      if (menu.open) menus.forEach((other) => { if (other !== menu) other.open = false; });
    });
  });
  document.addEventListener("click", (event) => {
    menus.forEach((menu) => { if (menu.open && !menu.contains(event.target)) menu.open = false; });
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    menus.forEach((menu) => {
      if (!menu.open) return;
      menu.open = false;
      if (menu.contains(document.activeElement)) menu.querySelector("summary").focus();
    });
  });

  // A form submits once: a second click while the first is on its way does nothing.
  document.body.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.dataset.submitted === "1") { event.preventDefault(); return; }
    form.dataset.submitted = "1";
    window.setTimeout(() => { form.dataset.submitted = ""; }, 5000);
  });
});
