// Follows a bulk migration running in the background: the bar and the count, then the report.
(function () {
  "use strict";
  var run = document.getElementById("migration-run");
  if (!run || run.dataset.status === "done") { return; }
  var bar = document.getElementById("migration-bar");
  var count = document.getElementById("migration-count");
  function poll() {
    fetch(run.dataset.progressUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (p) {
        bar.max = p.total; bar.value = p.done;
        count.textContent = p.done + " / " + p.total;
        run.dataset.status = p.status;
        if (p.status === "done" || p.status === "failed") { window.location.reload(); } else { setTimeout(poll, 1000); }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
