// Pace charts of the quota dashboard: cumulative sessions by month against an even pace.
// The figures come from <script type="application/json" id="quota-charts">; every chart has
// a table underneath, so without JavaScript (or Chart.js) the page still reads.
(function () {
  "use strict";
  var source = document.getElementById("quota-charts");
  if (!source || typeof window.Chart === "undefined") return;
  var data = JSON.parse(source.textContent);

  function faded(hex) {
    return /^#[0-9a-fA-F]{6}$/.test(hex) ? hex + "55" : "rgba(31, 111, 235, 0.33)";
  }

  document.querySelectorAll("canvas[data-series]").forEach(function (canvas) {
    var s = data.series[canvas.dataset.series];
    if (!s) return;
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [
          {
            label: data.legend.counted,
            data: s.counted,
            borderColor: s.color,
            backgroundColor: "#ffffff",
            borderWidth: 3,
            stepped: true,
            fill: false,
          },
          {
            label: data.legend.held,
            data: s.held,
            borderColor: faded(s.color),
            backgroundColor: faded(s.color),
            borderWidth: 1,
            pointRadius: 0,
            stepped: true,
            fill: "origin",
          },
          {
            label: data.legend.pace,
            data: s.pace,
            borderColor: "#57606a",
            borderDash: [6, 4],
            pointRadius: 0,
            fill: false,
          },
        ],
      },
      options: {
        aspectRatio: 3.6,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { position: "bottom" } },
      },
    });
  });
})();
