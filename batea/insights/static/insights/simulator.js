/* Draw the simulator's charts with plotly.js (served by Batea from the plotly package). */
(function () {
  "use strict";
  var source = document.getElementById("simulator-charts");
  if (!source || !window.Plotly) {
    return;
  }
  var charts = JSON.parse(source.textContent);
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var spec = charts[element.getAttribute("data-chart")];
    if (!spec) {
      return;
    }
    element.textContent = "";
    var layout = spec.layout;
    if (window.innerWidth < 600) {
      // On a phone: a taller chart, so that the legend above it leaves room for the plot.
      layout.height = 380 + 18 * spec.data.filter(function (t) { return t.name; }).length;
      layout.legend.font = { size: 10 };
      layout.margin.l = 40;
    }
    window.Plotly.newPlot(element, spec.data, layout, {
      responsive: true,
      displaylogo: false,
      modeBarButtonsToRemove: ["select2d", "lasso2d"],
      toImageButtonOptions: {
        format: "png",
        filename: "batea-simulator-" + element.getAttribute("data-chart")
      }
    });
  });
})();
