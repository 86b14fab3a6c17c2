// Share links: a "Copy link" button that uses the Clipboard API when the browser has it.
// Without JavaScript (or the API) the button stays hidden and the link is selectable text.
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

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) return;
    var input = document.getElementById(button.getAttribute("data-copy-target"));
    var status = document.querySelector("[data-copy-status]");
    navigator.clipboard.writeText(input.value).then(
      function () {
        button.textContent = "Copied";
        if (status) status.textContent = "The link is on your clipboard.";
      },
      function () {
        input.select();
        if (status) status.textContent = "Copying was blocked: press Ctrl+C (⌘C) to copy the selected link.";
      }
    );
  });

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:afterSwap", function (event) { enhance(event.detail.target.parentNode || document); });
})();
