// A process diagram with figures on its elements: open tasks and incidents (operations) or the average time
// spent in each task as a heat colour (analytics). Figures come as JSON in data-badges / data-heat.
(function () {
  "use strict";
  var el = document.getElementById("report-diagram");
  if (!el || !window.BpmnJS) { return; }
  var viewer = new window.BpmnJS({ container: el });
  function badge(text, cls, title) {
    var span = document.createElement("span");
    span.className = "diagram-badge " + cls;
    span.textContent = text;
    if (title) { span.title = title; }
    return span;
  }
  fetch(el.dataset.src, { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () {
      var canvas = viewer.get("canvas");
      var overlays = viewer.get("overlays");
      var registry = viewer.get("elementRegistry");
      canvas.zoom("fit-viewport");
      var badges = JSON.parse(el.dataset.badges || "{}");
      Object.keys(badges).forEach(function (id) {
        if (!registry.get(id)) { return; }
        var b = badges[id];
        if (b.tasks) {
          overlays.add(id, { position: { bottom: 8, left: -8 }, html: badge(b.tasks, "tasks", el.dataset.labelTasks) });
        }
        if (b.incidents) {
          overlays.add(id, { position: { top: -8, right: 8 }, html: badge(b.incidents, "incidents", el.dataset.labelIncidents) });
        }
      });
      var heat = JSON.parse(el.dataset.heat || "{}");
      Object.keys(heat).forEach(function (id) {
        if (!registry.get(id)) { return; }
        canvas.addMarker(id, "heat-" + heat[id].level);
        overlays.add(id, { position: { bottom: -6, left: 0 }, html: badge(heat[id].label, "heat", heat[id].title) });
      });
      el.dataset.ready = "true";
    })
    .catch(function () { el.classList.add("diagram-error"); el.dataset.ready = "error"; });
})();
