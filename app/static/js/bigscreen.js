// The hall's big screen: reads its figures again when a watched process moved (live event "changed") and
// once a minute besides, and updates the numbers, the fair list and the chart in place.
(function () {
  "use strict";
  var root = document.getElementById("bigscreen");
  if (!root) { return; }
  var pending = false;

  function setField(name, value) {
    document.querySelectorAll('[data-field="' + name + '"]').forEach(function (el) {
      var text = value === null || value === undefined ? "—" : String(value);
      if (el.textContent !== text) {
        el.textContent = text;
        el.classList.remove("flash-update");
        void el.offsetWidth;
        el.classList.add("flash-update");
      }
    });
  }

  function render(f) {
    ["at", "agreements_signed", "agreements_offered", "rate", "placed", "graduates", "rate_last_year",
     "devices_in_use"]
      .forEach(function (name) { setField(name, f[name]); });
    var list = document.getElementById("fairs");
    list.textContent = "";
    if (!f.fairs.length) {
      var none = document.createElement("li");
      none.className = "none";
      none.textContent = root.dataset.textNone;
      list.appendChild(none);
    }
    f.fairs.forEach(function (fair) {
      var li = document.createElement("li");
      var b = document.createElement("b");
      b.textContent = fair.title;
      li.appendChild(b);
      [[fair.waiting, root.dataset.textWaiting], [fair.in_interview, root.dataset.textInterview],
       [fair.checked_in, root.dataset.textCheckedIn]].forEach(function (pair) {
        var span = document.createElement("span");
        span.textContent = pair[0] + " " + pair[1];
        li.appendChild(span);
      });
      list.appendChild(li);
    });
    var chart = document.getElementById("college-chart");
    if (chart && window.echarts && window.echarts.getInstanceByDom(chart)) {
      window.echarts.getInstanceByDom(chart).setOption({
        yAxis: { data: f.colleges.map(function (c) { return c.name; }) },
        series: [{ data: f.colleges.map(function (c) { return c.rate; }) }]
      });
    }
    root.dataset.updated = String(Date.now());
  }

  function refresh() {
    if (pending) { return; }
    pending = true;
    fetch(root.dataset.json, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(render)
      .catch(function () { root.dataset.updated = "error"; })
      .then(function () { pending = false; });
  }

  if (window.BPM && window.BPM.live) {
    window.BPM.live.on("changed", refresh);
    window.BPM.live.on("reset", refresh);
  }
  setInterval(refresh, 60000);
})();
