/* Booking pages that follow their live events (app/bookings/live_events.py): when one of the event types
   named in this script's data-live-events arrives (or the stream resets), the page is read again and each
   element marked data-live-region (by id) is replaced; a region holding the focus is left as it is. */
(function () {
  "use strict";
  var me = document.currentScript;
  var types = ((me && me.dataset.liveEvents) || "").split(" ").filter(Boolean);
  if (!window.BPM || !BPM.live || !types.length) { return; }
  var pending = null;

  function refresh() {
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        Array.prototype.forEach.call(document.querySelectorAll("[data-live-region]"), function (region) {
          var next = region.id && fresh.getElementById(region.id);
          if (!next || region.contains(document.activeElement)) { return; }
          region.innerHTML = next.innerHTML;
        });
        document.documentElement.dataset.liveRefreshed = String(Date.now());
      })
      .catch(function () {});
  }

  function soon() {
    if (pending) { return; }
    pending = window.setTimeout(function () { pending = null; refresh(); }, 250);
  }
  types.concat(["reset"]).forEach(function (type) { BPM.live.on(type, soon); });
})();
