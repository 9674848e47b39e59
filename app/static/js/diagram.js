// Draws the instance's BPMN diagram with bpmn-js and marks completed and current elements. The diagram pans
// (drag with the mouse or one finger) and zooms (the buttons, Ctrl + wheel, or two fingers on a phone).
(function () {
  "use strict";
  var el = document.getElementById("diagram");
  if (!el || !window.BpmnJS) { return; }
  var viewer = new window.BpmnJS({ container: el });

  function tools(canvas) {
    var bar = document.createElement("div");
    bar.className = "diagram-tools";
    [["+", el.dataset.zoomIn || "Zoom in", function () { canvas.zoom(canvas.zoom() * 1.25); }],
     ["−", el.dataset.zoomOut || "Zoom out", function () { canvas.zoom(canvas.zoom() / 1.25); }],
     ["⤢", el.dataset.zoomFit || "Fit", function () { canvas.zoom("fit-viewport", "auto"); }]
    ].forEach(function (t) {
      var b = document.createElement("button");
      b.type = "button"; b.textContent = t[0]; b.title = t[1]; b.setAttribute("aria-label", t[1]);
      b.addEventListener("click", t[2]);
      bar.appendChild(b);
    });
    el.appendChild(bar);
  }

  function touch(canvas) {  // diagram-js moves the canvas with a mouse only
    var last = null;
    function points(e) { return Array.prototype.map.call(e.touches, function (t) { return { x: t.clientX, y: t.clientY }; }); }
    function spread(p) { return Math.hypot(p[0].x - p[1].x, p[0].y - p[1].y); }
    el.addEventListener("touchstart", function (e) { last = points(e); }, { passive: true });
    el.addEventListener("touchmove", function (e) {
      var now = points(e);
      if (!last || now.length !== last.length) { last = now; return; }
      e.preventDefault();
      if (now.length === 1) {
        canvas.scroll({ dx: now[0].x - last[0].x, dy: now[0].y - last[0].y });
      } else if (now.length === 2) {
        var box = el.getBoundingClientRect();
        var mid = { x: (now[0].x + now[1].x) / 2 - box.left, y: (now[0].y + now[1].y) / 2 - box.top };
        canvas.zoom(canvas.zoom() * spread(now) / Math.max(1, spread(last)), mid);
      }
      last = now;
    }, { passive: false });
    el.addEventListener("touchend", function (e) { last = points(e); }, { passive: true });
  }

  fetch(el.dataset.src, { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      canvas.zoom("fit-viewport");
      function mark(ids, cls) {
        ids.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, cls); } });
      }
      mark(JSON.parse(el.dataset.completed || "[]"), "hl-completed");
      mark(JSON.parse(el.dataset.active || "[]"), "hl-active");
      tools(canvas);
      touch(canvas);
      el.dataset.ready = "true";
    })
    .catch(function () { el.classList.add("diagram-error"); el.dataset.ready = "error"; });
})();
