// Small behaviours hooked on data-* attributes; no inline scripts (CSP).
(function () {
  "use strict";

  // Close an open <details> menu when clicking elsewhere or pressing Escape.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.switcher[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.switcher[open]").forEach(function (menu) {
      menu.removeAttribute("open");
      menu.querySelector("summary").focus();
    });
  });

  // Dialogs: content swapped into <dialog id="dialog"> by htmx opens it; an element with
  // data-dialog-close, or a `dialogClose` event (HX-Trigger), closes it.
  var opener = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail.target;
    if (target && target.id === "dialog") opener = event.detail.elt;
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var dialog = event.detail.target;
    if (dialog && dialog.id === "dialog" && !dialog.open) {
      dialog.showModal();
      var first = dialog.querySelector("[autofocus], input:not([type=hidden]), select, textarea, button");
      if (first) first.focus();
    }
  });
  function closeDialog() {
    var dialog = document.getElementById("dialog");
    if (dialog && dialog.open) dialog.close();
  }
  document.addEventListener("dialogClose", closeDialog);
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-dialog-close]")) {
      event.preventDefault();
      closeDialog();
    }
  });
  document.addEventListener("close", function (event) {
    if (event.target.id !== "dialog") return;
    event.target.innerHTML = "";
    if (opener && document.body.contains(opener)) opener.focus();
    opener = null;
  }, true);

  // <select data-autosubmit> submits its form on change (filters, cycle switcher).
  document.addEventListener("change", function (event) {
    var field = event.target.closest("[data-autosubmit]");
    if (field && field.form) field.form.requestSubmit();
  });
})();
