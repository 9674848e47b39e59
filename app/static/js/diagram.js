// Draws the instance's BPMN diagram with bpmn-js and marks completed and current elements.
(function () {
  "use strict";
  var el = document.getElementById("diagram");
  if (!el || !window.BpmnJS) { return; }
  var viewer = new window.BpmnJS({ container: el });
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
      el.dataset.ready = "true";
    })
    .catch(function () { el.classList.add("diagram-error"); el.dataset.ready = "error"; });
})();
