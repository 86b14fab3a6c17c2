// Share links: reveal the "Copy link" buttons (the copying itself is lodestar.js's
// data-copy-target behaviour) and focus a freshly created link. Without JavaScript (or
// the Clipboard API) the buttons stay hidden and the link is selectable text.
(function () {
  "use strict";

  function enhance(root) {
    if (!navigator.clipboard) return;
    root.querySelectorAll("[data-copy-target]").forEach(function (button) {
      button.hidden = false;
    });
    var fresh = root.querySelector("[data-share-new]");
    if (fresh) fresh.focus();
  }

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:afterSwap", function (event) { enhance(event.detail.target.parentNode || document); });
})();
