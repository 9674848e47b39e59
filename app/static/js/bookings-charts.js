// Usage statistics: hours booked and used (bars) and the no-show rate (line, right axis) per row of the table.
document.querySelectorAll(".chart[data-chart]").forEach((node) => {
  if (typeof echarts === "undefined") return;
  const data = JSON.parse(node.dataset.chart);
  if (!data.labels.length) { node.hidden = true; return; }
  const chart = echarts.init(node, null, { renderer: "svg" });
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { data: data.names },
    grid: { left: 48, right: 48, bottom: 72, containLabel: true },
    xAxis: { type: "category", data: data.labels, axisLabel: { rotate: data.labels.length > 4 ? 30 : 0 } },
    yAxis: [{ type: "value", name: "h" }, { type: "value", min: 0, max: 1, axisLabel: { formatter: (v) => `${Math.round(v * 100)}%` } }],
    series: [
      { name: data.names[0], type: "bar", data: data.booked },
      { name: data.names[1], type: "bar", data: data.used },
      { name: data.names[2], type: "line", yAxisIndex: 1, data: data.no_show },
    ],
  });
  window.addEventListener("resize", () => chart.resize());
});
