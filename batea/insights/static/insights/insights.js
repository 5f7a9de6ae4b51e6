/* Draw the inclusion insight charts with plotly.js (served by Batea from the plotly package). */
(function () {
  "use strict";
  // A link to something inside a closed <details> (e.g. "Save a segment") opens it.
  function reveal() {
    var target = window.location.hash && document.getElementById(window.location.hash.slice(1));
    for (var node = target; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") {
        node.open = true;
      }
    }
    if (target) {
      target.scrollIntoView();
    }
  }
  window.addEventListener("hashchange", reveal);
  reveal();

  var source = document.getElementById("insights-charts");
  if (!source || !window.Plotly) {
    return;
  }
  var charts = JSON.parse(source.textContent);
  var phone = window.innerWidth < 600;

  function wrap(label) {
    // "Selector (ore picker)" → "Selector (ore<br>picker)": lines of about 16 characters.
    if (typeof label !== "string" || label.length <= 16) {
      return label;
    }
    var lines = [], line = "";
    label.split(" ").forEach(function (word) {
      if (line && (line + " " + word).length > 16) {
        lines.push(line);
        line = word;
      } else {
        line = line ? line + " " + word : word;
      }
    });
    lines.push(line);
    return lines.join("<br>");
  }
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var name = element.getAttribute("data-chart");
    var spec = charts[name];
    if (!spec) {
      return;
    }
    element.textContent = "";
    var layout = spec.layout;
    if (phone) {
      // On a phone: smaller type, a tighter margin, and room for the legend above the plot.
      layout.font = { size: 11 };
      layout.margin = { l: 36, r: layout.yaxis2 ? 36 : 8, t: 10, b: 10 };
      if (layout.legend) {
        layout.legend.font = { size: 10 };
      }
      var horizontal = spec.data.some(function (t) { return t.orientation === "h"; });
      if (horizontal) {
        // Long category names take the width of the bars: wrap them, drop the axis title.
        layout.yaxis.title = { text: "" };
        spec.data.forEach(function (t) { t.y = t.y.map(wrap); });
        (layout.annotations || []).forEach(function (a) { a.y = wrap(a.y); });
        var lines = Math.max.apply(null, spec.data[0].y.map(function (label) {
          return String(label).split("<br>").length;
        }));
        var rows = spec.data[0].y.length;
        layout.height = Math.max(layout.height || 0, 90 + rows * (lines * 13 + 14));
      }
      var named = spec.data.filter(function (t) { return t.name; }).length;
      if (named > 1 && layout.height) {
        layout.height += 16 * named;
      }
    }
    window.Plotly.newPlot(element, spec.data, layout, {
      responsive: true,
      displaylogo: false,
      modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"],
      toImageButtonOptions: { format: "png", filename: "batea-" + name, scale: 2 }
    });
  });
})();
