/* The dashboard's charts (Chart.js, vendored). The figures come from the page as JSON
   (json_script #dashboard-charts): no inline script, no eval (CSP). A click on a bar opens the
   ledger filtered to exactly the hazards behind it (each dataset carries one URL per bar). */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-charts");
  if (!source || !window.Chart) { return; }
  var charts = JSON.parse(source.textContent);
  // No animation: a tablet shows the figures at once, and the browser tests see them settled.
  window.Chart.defaults.animation = false;
  window.Chart.defaults.maintainAspectRatio = false;

  charts.forEach(function (spec) {
    var canvas = document.getElementById(spec.id);
    if (!canvas) { return; }
    var datasets = spec.datasets.map(function (ds) {
      return { label: ds.label, data: ds.data, backgroundColor: ds.colour, borderColor: ds.colour };
    });
    var valueAxis = { beginAtZero: true, ticks: { precision: 0 } };
    if (spec.max !== null && spec.max !== undefined) { valueAxis.max = spec.max; }
    var scales = spec.horizontal ? { x: valueAxis, y: { ticks: { autoSkip: false } } } : { y: valueAxis };
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        responsive: true,
        scales: scales,
        plugins: { legend: { display: datasets.length > 1 } },
        onHover: function (event, elements) {
          canvas.style.cursor = elements.length ? "pointer" : "default";
        },
        onClick: function (event, elements) {
          if (!elements.length) { return; }
          var link = spec.datasets[elements[0].datasetIndex].links[elements[0].index];
          if (link) { window.location.assign(link); }
        }
      }
    });
    canvas.dataset.ready = "1";
  });
})();
