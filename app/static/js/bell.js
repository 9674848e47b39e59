/* The bell in the site header: its unread count follows the live stream (live.js); a new notification
   shows for a moment at the bottom of the page. On the notification list, a hint offers to show new ones. */
(function () {
  "use strict";
  var bell = document.querySelector("[data-bell]");
  if (!bell || !window.BPM || !window.BPM.live) { return; }
  var badge = bell.querySelector("[data-unread]");
  var toast = document.querySelector("[data-live-toast]");
  var hint = document.querySelector("[data-live-hint]");
  var hideTimer = null;

  function setCount(n) {
    n = Math.max(0, parseInt(n, 10) || 0);
    badge.textContent = String(n);
    badge.hidden = n === 0;
    bell.setAttribute("aria-label", n ? bell.dataset.labelUnread.replace("__N__", String(n)) : bell.dataset.label);
    bell.dataset.count = String(n);
  }

  function show(data) {
    if (!toast || !data.title) { return; }
    toast.textContent = "";
    var link = document.createElement("a");
    link.href = bell.getAttribute("href");
    link.textContent = data.title;
    toast.appendChild(link);
    toast.hidden = false;
    window.clearTimeout(hideTimer);
    hideTimer = window.setTimeout(function () { toast.hidden = true; }, 8000);
  }

  window.BPM.live.on("notification", function (data) {
    setCount(data.unread);
    show(data);
    if (hint) { hint.hidden = false; }
  });
  window.BPM.live.on("notification_read", function (data) { setCount(data.unread); });
  window.BPM.live.on("reset", function () {
    fetch(bell.dataset.countUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) { if (body) { setCount(body.unread); } });
  });
})();
