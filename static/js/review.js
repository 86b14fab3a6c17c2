// Quarterly review: move between sections with ←/→, j/k or PageUp/PageDown.
// Without JavaScript the page is one long document; the hints and buttons stay useful.
(function () {
  "use strict";

  function sections() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-review-section]"));
  }

  function currentIndex(list) {
    var active = list.indexOf(document.activeElement && document.activeElement.closest("[data-review-section]"));
    if (active !== -1) return active;
    // Otherwise the last section whose top has scrolled past the upper third of the screen.
    var index = 0;
    list.forEach(function (section, i) {
      if (section.getBoundingClientRect().top <= window.innerHeight / 3) index = i;
    });
    return index;
  }

  function step(delta) {
    var list = sections();
    if (!list.length) return;
    var next = Math.min(Math.max(currentIndex(list) + delta, 0), list.length - 1);
    var reduce = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    list[next].focus({ preventScroll: true });
    list[next].scrollIntoView({ behavior: reduce ? "auto" : "smooth", block: "start" });
  }

  var KEYS = { ArrowRight: 1, ArrowLeft: -1, j: 1, k: -1, PageDown: 1, PageUp: -1 };

  document.addEventListener("keydown", function (event) {
    if (!document.querySelector("[data-review]")) return;
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    var target = event.target;
    if (target.closest("input, select, textarea, [contenteditable], details, dialog")) return;
    var delta = KEYS[event.key];
    if (!delta) return;
    event.preventDefault();
    step(delta);
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-review-step]");
    if (button) step(parseInt(button.getAttribute("data-review-step"), 10));
    var print = event.target.closest("[data-review-print]");
    if (print) {
      // Slides not loaded yet: open the review with every slide, which prints itself.
      var url = print.getAttribute("data-review-print-url");
      if (url && document.querySelector("[data-review-pending]")) window.location.href = url;
      else window.print();
    }
  });

  // A slide loads when it comes into view or gets focus (hx-trigger="revealed, focus");
  // the loaded slide replaces it, so give it the focus back.
  var refocus = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (target && target.matches("[data-review-pending]") && target === document.activeElement) {
      refocus = target.id;
    }
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!refocus) return;
    var slide = document.getElementById(refocus);
    refocus = null;
    if (slide) slide.focus({ preventScroll: true });
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-review-step], [data-review-print]").forEach(function (button) {
      button.hidden = false;
    });
    if (document.querySelector("[data-review-autoprint]")) window.print();
  });
})();
