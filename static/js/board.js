// The roadmap board: drag cards between and within Now / Next / Later (SortableJS), and
// return focus to a card moved with its keyboard "Move" menu. No inline script (CSP).
(function () {
  "use strict";

  // The service orders cards per product and column: the position sent is the card's
  // index among all the cards of its own product in the column it was dropped in. A
  // column shows a page of cards (and filters may hide some), so the index comes from
  // the neighbours' data-index (their place among all their product's cards), not from
  // counting what is on screen.
  function sameProductSibling(card, direction) {
    var sibling = card[direction];
    while (sibling) {
      if (sibling.dataset && sibling.dataset.product === card.dataset.product) return sibling;
      sibling = sibling[direction];
    }
    return null;
  }

  function positionAmongProduct(card, horizon) {
    var before = sameProductSibling(card, "previousElementSibling");
    var after = sameProductSibling(card, "nextElementSibling");
    var position = 0;
    if (before) position = Number(before.dataset.index) + 1;
    else if (after) position = Number(after.dataset.index);
    // Within its own column the card leaves its old place first.
    if (card.dataset.horizon === horizon && Number(card.dataset.index) < position) position -= 1;
    return position;
  }

  function onEnd(event) {
    var card = event.item;
    if (event.from === event.to && event.oldIndex === event.newIndex) return;
    var url = card.dataset.moveUrl;
    if (!url || !window.htmx) return;
    card.classList.add("board-card--saving");
    window.htmx.ajax("POST", url, {
      source: card,
      target: card,
      swap: "none",
      values: {
        horizon: event.to.dataset.horizon,
        position: positionAmongProduct(card, event.to.dataset.horizon),
      },
    });
  }

  function init(root) {
    if (!window.Sortable) return;
    root.querySelectorAll("[data-sortable]").forEach(function (list) {
      if (list.dataset.sortableReady) return;
      list.dataset.sortableReady = "1";
      window.Sortable.create(list, {
        group: "roadmap-board",
        animation: 150,
        draggable: ".board-card[data-move-url]",
        filter: "a, button, summary, input, select, .move-menu__panel",
        preventOnFilter: false,
        ghostClass: "board-card--ghost",
        chosenClass: "board-card--chosen",
        emptyInsertThreshold: 24,
        onEnd: onEnd,
      });
    });
  }

  function focusMovedCard() {
    var match = /^#item-(\d+)$/.exec(window.location.hash);
    if (!match) return;
    var card = document.getElementById("item-" + match[1]);
    if (!card) return;
    card.classList.add("board-card--moved");
    var control = card.querySelector(".move-menu summary") || card.querySelector("a");
    if (control) control.focus();
  }

  document.addEventListener("htmx:responseError", function (event) {
    if (event.detail.elt && event.detail.elt.classList.contains("board-card")) {
      window.location.reload();
    }
  });

  // "Show N more" swaps its button for the next cards: move focus to the first of them,
  // so a keyboard or screen-reader user carries on reading where the list grew.
  function focusNewPage(elt) {
    if (!elt.matches || !elt.matches(".board-card[data-page-start]")) return;
    var target = elt.querySelector(".board-card__title a");
    if (!target) {
      elt.setAttribute("tabindex", "-1");
      target = elt;
    }
    target.focus();
  }

  document.addEventListener("htmx:load", function (event) {
    init(event.detail.elt);
    focusNewPage(event.detail.elt);
  });
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  // After load, so that the browser's own scroll to the #item-N fragment is done.
  window.addEventListener("load", function () { window.setTimeout(focusMovedCard, 0); });

  // Close an open Move menu with Escape, or when focus or a click goes elsewhere.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.move-menu[open]").forEach(function (menu) {
      menu.removeAttribute("open");
      menu.querySelector("summary").focus();
    });
  });
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.move-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
})();
