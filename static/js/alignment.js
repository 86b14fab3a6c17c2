// The alignment matrix: announce aligning and unaligning to screen readers, and keep
// focus somewhere sensible once the dialog closes. Hooked on events, no inline script (CSP).
(function () {
  "use strict";

  function announce(message) {
    var status = document.getElementById("alignment-status");
    if (!status) return;
    status.textContent = "";
    window.setTimeout(function () { status.textContent = message; }, 50);
  }

  // The control that opened the picker may have been swapped away: keep focus on the page.
  function keepFocus() {
    window.setTimeout(function () {
      var active = document.activeElement;
      if (active && active !== document.body && document.body.contains(active)) return;
      var heading = document.getElementById("alignment-unaligned-title");
      if (heading) heading.focus();
    }, 150);
  }

  document.body.addEventListener("itemAligned", function () {
    announce("Item aligned. The matrix, scores and unaligned list are up to date.");
    keepFocus();
  });
  document.body.addEventListener("itemUnaligned", function () {
    announce("Alignment removed. The matrix, scores and unaligned list are up to date.");
    keepFocus();
  });

  // Mark the cell whose items are shown, so the table says which number is open.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var link = event.detail.elt;
    if (!link || !link.classList || !link.classList.contains("cell")) return;
    document.querySelectorAll(".matrix .cell[aria-current]").forEach(function (cell) {
      cell.removeAttribute("aria-current");
    });
    link.setAttribute("aria-current", "true");
  });
})();
