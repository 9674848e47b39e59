// A [data-print] button prints the page (the print style sheet keeps the title, note, charts and tables).
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
