/* The staff overview of a fair: figures per booth, re-read when any hall's board changes (at most every 2 s). */
(function () {
  "use strict";
  var root = document.getElementById("overview");
  if (!root) { return; }
  var pending = null;

  function minutes(seconds) { return seconds === null || seconds === undefined ? "—" : Math.round(seconds / 60); }

  function refresh() {
    fetch(root.dataset.json, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (state) {
        Object.keys(state.counts).forEach(function (k) {
          var el = root.querySelector('[data-count="' + k + '"]');
          if (el) { el.textContent = state.counts[k]; }
        });
        var waiting = 0, idle = 0;
        state.booths.forEach(function (b) {
          waiting += b.waiting;
          if (b.idle) { idle += 1; }
          var row = root.querySelector('tr[data-booth="' + b.booth_id + '"]');
          if (!row) { return; }
          row.classList.toggle("overdue", b.idle);
          Array.prototype.forEach.call(row.querySelectorAll("[data-field]"), function (cell) {
            var value = b[cell.dataset.field];
            cell.textContent = cell.hasAttribute("data-minutes") ? minutes(value) : value;
          });
        });
        root.querySelector('[data-total="waiting"]').textContent = waiting;
        root.querySelector('[data-total="idle"]').textContent = idle;
      })
      .catch(function () {});
  }

  function soon() {
    if (pending) { return; }
    pending = window.setTimeout(function () { pending = null; refresh(); }, 2000);
  }
  if (window.BPM && BPM.live) {
    BPM.live.on("booth", soon);
    BPM.live.on("reset", soon);
  }
  window.setInterval(refresh, 30000);  // waiting times grow without events
})();
