/* Live events (docs/live.md). base.html puts the page's stream in
   <meta name="bpm-live" content="<stream url>" data-refresh="/live/token" data-channels="user:5 board:3">.
   One EventSource per page; handlers subscribe by event type:

     BPM.live.on("notification", function (data, channel) { ... });
     BPM.live.on("reset", function () { ...reload what the page shows... });

   The browser reconnects by itself and the server replays what was missed (Last-Event-ID). When the
   server refuses to reconnect (the token expired after a long time open), a fresh URL is fetched from
   data-refresh and the stream resumes from the last event seen. */
(function () {
  "use strict";
  var BPM = window.BPM = window.BPM || {};
  var handlers = {};
  var live = BPM.live = {
    state: "off",
    on: function (type, fn) { (handlers[type] = handlers[type] || []).push(fn); },
    emit: function (type, data, channel) {
      (handlers[type] || []).forEach(function (fn) {
        try { fn(data, channel); } catch (err) { if (window.console) { console.error(err); } }
      });
    }
  };
  var meta = document.querySelector('meta[name="bpm-live"]');
  if (!meta || !window.EventSource) { return; }

  var lastId = null;
  var failures = 0;
  var source = null;

  function withLast(url) {
    if (!lastId) { return url; }
    return url.replace(/([?&])last=[^&]*&?/, "$1").replace(/[?&]$/, "") +
      (url.indexOf("?") >= 0 ? "&" : "?") + "last=" + encodeURIComponent(lastId);
  }

  function open(url) {
    source = new EventSource(withLast(url));
    source.onmessage = function (msg) {
      var event;
      try { event = JSON.parse(msg.data); } catch (err) { return; }
      if (msg.lastEventId) { lastId = msg.lastEventId; }
      if (event.type === "ready") {
        failures = 0;
        live.state = "open";
        document.documentElement.dataset.live = "open";
      }
      live.emit(event.type, event.data, event.channel);
    };
    source.onerror = function () {
      live.state = "reconnecting";
      document.documentElement.dataset.live = "reconnecting";
      if (source.readyState !== EventSource.CLOSED) { return; }  // the browser retries by itself
      failures += 1;
      window.setTimeout(refresh, Math.min(60000, 1000 * Math.pow(2, failures)));
    };
  }

  function refresh() {
    var channels = (meta.dataset.channels || "").split(" ").filter(Boolean);
    var query = channels.map(function (c) { return "c=" + encodeURIComponent(c); }).join("&");
    fetch(meta.dataset.refresh + "?" + query, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (body) { open(body.url); })
      .catch(function () {
        failures += 1;
        window.setTimeout(refresh, Math.min(60000, 1000 * Math.pow(2, failures)));
      });
  }

  open(meta.content);
})();
