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

  // <button data-copy-target="id"> copies that element's value (an input) or text; where
  // the Clipboard API is refused, the text is selected for Ctrl+C instead. A
  // [data-copy-status] region, if any, says which happened.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy-target"));
    if (!source) return;
    var status = document.querySelector("[data-copy-status]");
    var text = ("value" in source ? source.value : source.textContent).trim();
    function say(message) { if (status) status.textContent = message; }
    function select() {
      if (typeof source.select === "function") {
        source.select();
      } else {
        var range = document.createRange();
        range.selectNodeContents(source);
        window.getSelection().removeAllRanges();
        window.getSelection().addRange(range);
      }
      say("Copying was blocked: press Ctrl+C (⌘C) to copy the selected text.");
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () {
        button.textContent = button.getAttribute("data-copied-label") || "Copied";
        say("Copied to your clipboard.");
      }, select);
    } else {
      select();
    }
  });

  // <select data-autosubmit> submits its form on change (filters, cycle switcher).
  document.addEventListener("change", function (event) {
    var field = event.target.closest("[data-autosubmit]");
    if (field && field.form) field.form.requestSubmit();
  });
})();
