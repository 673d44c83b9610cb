// Samverkanstorget: small enhancements on top of pages that work without JavaScript.
(function () {
  "use strict";
  // The header menu (<details>): Escape and a click outside close it.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.menu[open], details.filter-panel[open]").forEach(function (details) {
      if (details.classList.contains("filter-panel") && window.matchMedia("(min-width: 52rem)").matches) return;
      details.open = false;
      details.querySelector("summary").focus();
    });
  });
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.menu[open]").forEach(function (details) {
      if (!details.contains(event.target)) details.open = false;
    });
  });

  // The ad search: "Sök" and "Visa 47 annonser" land on the results (the filter panel folds on
  // a phone); typing and ticking update them where they are, and the focus stays put.
  var landOnResults = false;
  document.addEventListener("submit", function (event) {
    if (event.target.id === "search-form") landOnResults = true;
  }, true);
  document.addEventListener("htmx:afterSettle", function () {
    if (!landOnResults) return;
    landOnResults = false;
    var panel = document.getElementById("filters");
    if (panel && !window.matchMedia("(min-width: 52rem)").matches) panel.open = false;
    var heading = document.getElementById("results-heading");
    if (heading) {
      heading.focus({ preventScroll: true });
      heading.scrollIntoView({ block: "start" });
    }
  });
})();
