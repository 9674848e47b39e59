/* The student's queue page (his phone during a fair): "please come to booth X" with sound and vibration the
   moment a booth calls him (live event queue.called on his own channel), and his places kept current (the
   hall boards' events say a queue moved; the page then re-reads its own state). No inline script: CSP. */
(function () {
  "use strict";
  var root = document.getElementById("my-queue");
  if (!root || !window.BPM || !BPM.live) { return; }
  var audio = null;
  var alertBox = root.querySelector("[data-alert]");
  var enable = root.querySelector("[data-enable-alerts]");
  var enabledNote = root.querySelector("[data-alerts-on]");
  var refreshTimer = null;
  var labels = {};
  try { labels = JSON.parse(root.dataset.labels || "{}"); } catch (err) { labels = {}; }

  function text(name, values) {
    var s = root.dataset[name] || "";
    Object.keys(values).forEach(function (k) { s = s.split("__" + k + "__").join(values[k]); });
    return s;
  }

  function unlock() {
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (Ctx && !audio) { audio = new Ctx(); }
      if (audio && audio.state === "suspended") { audio.resume(); }
    } catch (err) { audio = null; }
    if (navigator.vibrate) { navigator.vibrate(30); }
    if (enable) { enable.hidden = true; }
    if (enabledNote) { enabledNote.hidden = false; }
    root.dataset.alerts = "on";
  }

  function beep() {
    if (!audio) { return; }
    var start = audio.currentTime;
    [0, 0.35, 0.7].forEach(function (offset) {
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.4, start + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.3);
      osc.connect(gain);
      gain.connect(audio.destination);
      osc.start(start + offset);
      osc.stop(start + offset + 0.32);
    });
  }

  function showCalled(data) {
    alertBox.querySelector("[data-alert-title]").textContent = text("textCalled", { BOOTH: data.booth });
    alertBox.querySelector("[data-alert-detail]").textContent = text("textCalledDetail", {
      EMPLOYER: data.employer, NUMBER: data.number, MINUTES: data.minutes });
    alertBox.hidden = false;
    root.dataset.called = data.booth;
    var card = root.querySelector('[data-ticket="' + data.ticket + '"]');
    if (card) { card.classList.add("called"); }
    beep();
    if (navigator.vibrate) { navigator.vibrate([400, 200, 400, 200, 400]); }
    window.scrollTo(0, 0);
  }

  function refresh() {
    fetch(root.dataset.json, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (state) {
        var shown = Array.prototype.map.call(root.querySelectorAll("[data-ticket]"), function (el) {
          return el.dataset.ticket; }).sort().join(",");
        var now = state.tickets.map(function (t) { return String(t.id); }).sort().join(",");
        if (shown !== now) { window.location.reload(); return; }
        state.tickets.forEach(function (t) {
          var card = root.querySelector('[data-ticket="' + t.id + '"]');
          if (!card) { return; }
          if (card.dataset.status !== t.status) {
            card.dataset.status = t.status;
            card.classList.toggle("called", t.status === "called");
            var badge = card.querySelector("[data-badge] .status");
            if (badge) { badge.className = "status status-" + t.status; badge.textContent = labels[t.status] || t.status; }
          }
          var standing = card.querySelector("[data-standing]");
          if (standing) { standing.hidden = !(t.status === "waiting" && t.position); }
          var pos = card.querySelector("[data-position]");
          if (pos && t.position) { pos.textContent = text("textPosition", { N: t.position }); }
          var wait = card.querySelector("[data-wait]");
          if (wait && t.wait_s !== null) { wait.textContent = text("textWait", { M: Math.round(t.wait_s / 60) }); }
          var held = card.querySelector("[data-held]");
          if (held) { held.hidden = !t.held_elsewhere; }
        });
      })
      .catch(function () { /* the next event tries again */ });
  }

  function soon() {
    if (refreshTimer) { return; }
    refreshTimer = window.setTimeout(function () { refreshTimer = null; refresh(); }, 500 + Math.random() * 1500);
  }

  if (enable) { enable.addEventListener("click", unlock); }
  document.addEventListener("click", function () { if (audio && audio.state === "suspended") { audio.resume(); } });
  BPM.live.on("queue.called", showCalled);
  BPM.live.on("queue.changed", soon);
  BPM.live.on("booth", soon);
  BPM.live.on("reset", function () { window.location.reload(); });
})();
