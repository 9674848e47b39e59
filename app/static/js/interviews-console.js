/* A booth's console: the waiting list follows check-ins live (the booth's channel); the "not there" button
   comes alive once the minutes to come have passed; the offer fields show only for an offer. */
(function () {
  "use strict";
  var root = document.getElementById("console");
  if (!root) { return; }

  Array.prototype.forEach.call(root.querySelectorAll("[data-finish]"), function (form) {
    var fields = form.querySelector("[data-offer-fields]");
    function sync() {
      var chosen = form.querySelector("input[name=outcome]:checked");
      if (fields) {
        var offer = chosen && chosen.value === "offer";
        fields.hidden = !offer;
        Array.prototype.forEach.call(fields.querySelectorAll("select, input"), function (el) { el.disabled = !offer; });
      }
    }
    form.addEventListener("change", sync);
    sync();
  });

  function busyKey(list) {
    return list.map(function (t) { return t.id + ":" + t.status; }).sort().join(",");
  }
  var shownBusy = Array.prototype.map.call(root.querySelectorAll(".busy-ticket"), function (el) {
    return el.dataset.ticket + ":" + el.dataset.status; }).sort().join(",");
  var shownWaiting = Array.prototype.map.call(root.querySelectorAll("[data-waiting] tr[data-ticket]"), function (el) {
    return el.dataset.ticket; }).join(",");
  var pending = null;

  function editing() {
    var active = document.activeElement;
    return active && active.form && active.form.hasAttribute("data-finish");
  }

  function refresh() {
    fetch(root.dataset.json, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (state) {
        var waiting = state.waiting.map(function (t) { return String(t.id); }).join(",");
        var changed = busyKey(state.busy) !== shownBusy || waiting !== shownWaiting;
        var count = root.querySelector("[data-waiting-count]");
        if (count) { count.textContent = state.waiting.length; }
        if (changed && !editing()) { window.location.reload(); }
      })
      .catch(function () {});
  }

  function soon() {
    if (pending) { return; }
    pending = window.setTimeout(function () { pending = null; refresh(); }, 300);
  }
  if (window.BPM && BPM.live) {
    BPM.live.on("queue", soon);
    BPM.live.on("reset", soon);
  }
  // "not there" becomes possible by itself once the minutes have passed
  window.setInterval(function () {
    Array.prototype.forEach.call(root.querySelectorAll("button[disabled][title]"), function () { soon(); });
  }, 30000);
})();
