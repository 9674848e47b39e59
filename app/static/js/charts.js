// Draws every [data-chart] element with ECharts; the option is JSON built by the server (app/reporting/charts.py).
(function () {
  "use strict";
  if (!window.echarts) { return; }
  var charts = [];
  function draw(el) {
    var option;
    try { option = JSON.parse(el.dataset.chart); } catch (e) { el.dataset.ready = "error"; return; }
    var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el, el.dataset.theme || null);
    option.animation = false;
    chart.setOption(option, true);
    el.dataset.ready = "true";
    if (charts.indexOf(chart) < 0) { charts.push(chart); }
  }
  document.querySelectorAll("[data-chart]").forEach(draw);
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  window.bpmCharts = { draw: draw };
})();
