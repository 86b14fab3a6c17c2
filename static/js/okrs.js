// OKR tree: expand/collapse rows, and the key result form's measure switch.
// Hooked on data-* attributes; no inline scripts (CSP).
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-okr-toggle]");
    if (!toggle) return;
    var region = document.getElementById(toggle.getAttribute("aria-controls"));
    if (!region) return;
    var expanded = toggle.getAttribute("aria-expanded") === "true";
    toggle.setAttribute("aria-expanded", expanded ? "false" : "true");
    region.hidden = expanded;
  });

  // A milestone is done or not done: it has no start or target to type.
  function syncMeasure(form) {
    var measure = form.querySelector("select[name=measure]");
    if (!measure) return;
    var milestone = measure.value === "milestone";
    form.querySelectorAll("[data-measure-value]").forEach(function (field) {
      field.hidden = milestone;
    });
  }
  function syncAll(root) {
    (root || document).querySelectorAll("form[data-measure-form]").forEach(syncMeasure);
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[name=measure]") && event.target.form) {
      syncMeasure(event.target.form);
    }
  });
  document.addEventListener("htmx:afterSettle", function (event) { syncAll(event.detail.elt); });
  document.addEventListener("DOMContentLoaded", function () { syncAll(document); });
})();
