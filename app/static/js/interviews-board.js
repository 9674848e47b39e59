/* A hall's big-screen board (大屏): every booth's current and next numbers, kept current by the live events of
   the hall's channel (one `booth` event per change), read from across the room. */
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board) { return; }
  var clock = document.querySelector("[data-clock]");

  function tick() {
    if (clock) { clock.textContent = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }); }
  }
  tick();
  window.setInterval(tick, 10000);

  function show(data) {
    var el = board.querySelector('[data-booth="' + data.booth + '"]');
    if (!el) { return; }
    var current = el.querySelector("[data-current]");
    current.textContent = "";
    (data.current || []).forEach(function (c) {
      var span = document.createElement("span");
      span.className = c.state;
      span.textContent = c.number;
      current.appendChild(span);
      current.appendChild(document.createTextNode(" "));
    });
    el.querySelector("[data-next-numbers]").textContent = (data.next || []).join(" ") || "—";
    el.querySelector("[data-waiting]").textContent = (board.dataset.textWaiting || "__N__").replace("__N__", data.waiting);
    el.classList.add("flash");
    window.setTimeout(function () { el.classList.remove("flash"); }, 1500);
    document.documentElement.dataset.lastBooth = data.booth + ":" + (data.current || []).map(function (c) {
      return c.number; }).join(",");
  }

  function reload() {
    fetch(board.dataset.json, { headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (body) { body.booths.forEach(show); })
      .catch(function () {});
  }

  if (window.BPM && BPM.live) {
    BPM.live.on("booth", show);
    BPM.live.on("reset", reload);
  }
  window.setInterval(reload, 120000);  // a safety net for screens left on all day
})();
