// OKR tree: expand/collapse rows (loading contents on demand), "Show more", and the
// key result form's measure switch.
// Hooked on data-* attributes; no inline scripts (CSP).
(function () {
  "use strict";

  // Expand/collapse. A collapsed objective's contents load once from the toggle's
  // hx-get (its href is the same view as a full page, for when JavaScript is off); after
  // that the toggle only shows and hides them.
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-okr-toggle]");
    if (!toggle) return;
    var region = document.getElementById(toggle.getAttribute("aria-controls"));
    if (!region) return;
    event.preventDefault();
    var expanded = toggle.getAttribute("aria-expanded") === "true";
    toggle.setAttribute("aria-expanded", expanded ? "false" : "true");
    region.hidden = expanded;
    if (!expanded && !region.hasAttribute("data-loaded")) {
      region.setAttribute("aria-busy", "true");
    }
  });
  document.addEventListener("htmx:confirm", function (event) {
    var toggle = event.detail.elt;
    if (!toggle.matches || !toggle.matches("[data-okr-toggle]")) return;
    var region = document.getElementById(toggle.getAttribute("aria-controls"));
    if (region && region.hasAttribute("data-loaded")) event.preventDefault();
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var region = event.detail.target;
    if (region && region.classList && region.classList.contains("okr-node__children")) {
      region.setAttribute("data-loaded", "");
      region.removeAttribute("aria-busy");
    }
  });

  // "Show more" replaces its own row with the next rows: focus moves to the first of
  // them, so keyboard users carry on where they were.
  var moreFocus = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (target && target.classList && target.classList.contains("okr-more")) {
      moreFocus = target.previousElementSibling;
    }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    if (moreFocus === null) return;
    var anchor = moreFocus;
    moreFocus = null;
    var list = event.detail.target && event.detail.target.parentNode;
    var first = anchor ? anchor.nextElementSibling : list && list.firstElementChild;
    var link = first && first.querySelector("a, button");
    if (link) link.focus();
  });

  // When the tree reloads itself after a save (okrsChanged), it keeps the objectives
  // that were open, plus those the save asks to show (HX-Trigger {"okrsChanged":
  // {"open": [ids]}}): `?open=1,2,3`.
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.elt.id !== "okr-tree" || event.detail.verb !== "get") return;
    var trigger = event.detail.triggeringEvent;
    if (!trigger || trigger.type !== "okrsChanged") return;
    var ids = [];
    event.detail.elt.querySelectorAll("[data-okr-toggle][aria-expanded=true]").forEach(function (toggle) {
      ids.push(toggle.getAttribute("data-okr-objective"));
    });
    var shown = trigger.detail && trigger.detail.open;
    if (shown) ids = ids.concat(shown);
    event.detail.parameters.open = ids.join(",");
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
