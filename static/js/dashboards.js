// Draws the dashboard charts from the JSON the page embeds (docsite/dashboards/charts.py):
// one Chart.js chart per <canvas id="chart-<id>">. No data fetching: the page holds it all.
(function () {
  "use strict";
  const source = document.getElementById("dashboard-charts");
  if (!source || typeof Chart === "undefined") return;
  const palette = ["#2563eb", "#16a34a", "#dc2626", "#d97706", "#7c3aed", "#0891b2",
    "#db2777", "#65a30d", "#475569", "#ea580c", "#0d9488", "#9333ea"];
  const percent = (v) => (v === null || v === undefined) ? "—" : (v * 100).toFixed(1) + "%";

  function dataset(chart, series, i) {
    const colour = series.colour || palette[i % palette.length];
    const kind = series.kind || (chart.kind === "line" || chart.kind === "scatter" ? "line" : "bar");
    const ds = {
      label: series.label,
      data: chart.kind === "scatter" ? series.points : series.values,
      borderColor: colour,
      backgroundColor: chart.kind === "doughnut" ? chart.labels.map((_, j) => palette[j % palette.length]) : colour + (kind === "line" ? "33" : "cc"),
      yAxisID: chart.kind === "doughnut" || chart.kind === "hbar" ? undefined : series.axis,
      spanGaps: true,
      tension: 0.2,
      pointRadius: chart.kind === "scatter" ? 4 : 2,
    };
    if (series.kind) ds.type = series.kind;
    if (series.dashed) ds.borderDash = [6, 4];
    if (chart.kind === "scatter") { ds.showLine = true; }
    if (chart.kind === "stacked-bar") ds.stack = "all";
    return ds;
  }

  function config(chart) {
    const type = { "stacked-bar": "bar", "hbar": "bar" }[chart.kind] || chart.kind;
    const options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        legend: { display: chart.series.length > 1 || chart.kind === "doughnut", position: "bottom" },
        tooltip: chart.percent ? { callbacks: { label: (c) => c.dataset.label + ": " + percent(c.parsed.y ?? c.parsed) } } : {},
      },
    };
    if (chart.kind !== "doughnut") {
      const y = { title: { display: !!chart.y_label, text: chart.y_label }, beginAtZero: true };
      if (chart.y_min !== null) y.min = chart.y_min;
      if (chart.y_max !== null) y.max = chart.y_max;
      if (chart.percent) {
        y.ticks = { callback: percent };
        // Shares run 0-100%; a chart of differences (negative values) scales to its data.
        const negative = chart.series.some((s) => s.values.some((v) => v !== null && v < 0));
        if (chart.y_max === null && !negative) y.max = 1;
      }
      const x = { title: { display: !!chart.x_label, text: chart.x_label } };
      if (chart.kind === "scatter") x.type = "linear";
      if (chart.kind === "stacked-bar") { x.stacked = true; y.stacked = true; }
      options.scales = { x: x, y: y };
      if (chart.series.some((s) => s.axis === "y2")) {
        options.scales.y2 = { position: "right", beginAtZero: true, grid: { drawOnChartArea: false },
          title: { display: !!chart.y2_label, text: chart.y2_label } };
      }
      if (chart.kind === "hbar") {
        options.indexAxis = "y";
        options.scales = { x: Object.assign({}, y, { title: { display: !!chart.y_label, text: chart.y_label } }),
          y: { title: { display: !!chart.x_label, text: chart.x_label } } };
      }
    }
    return { type: type, data: { labels: chart.labels, datasets: chart.series.map((s, i) => dataset(chart, s, i)) }, options: options };
  }

  for (const chart of JSON.parse(source.textContent)) {
    const canvas = document.getElementById("chart-" + chart.id);
    if (!canvas) continue;
    try {
      canvas.chart = new Chart(canvas, config(chart));
      canvas.dataset.drawn = "true";
    } catch (err) {
      canvas.dataset.drawn = "error";
      console.error("chart " + chart.id + " could not be drawn", err);
    }
  }
})();
