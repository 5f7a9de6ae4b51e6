// Sites on a Leaflet map, each coloured as the insight page says (level or member risk).
// Works offline: without tiles the points are drawn on a plain background, and without
// Leaflet the table below the map remains.
(function () {
  "use strict";
  var element = document.getElementById("insights-map");
  var data = document.getElementById("insights-map-data");
  if (!element || !data || typeof L === "undefined") {
    return;
  }
  var collection = JSON.parse(data.textContent);
  element.innerHTML = "";
  var map = L.map(element, { scrollWheelZoom: false });
  var tiles = element.dataset.tiles;
  if (tiles) {
    L.tileLayer(tiles, { maxZoom: 18, attribution: "&copy; OpenStreetMap contributors" }).addTo(map);
  }
  var layer = L.geoJSON(collection, {
    pointToLayer: function (feature, latlng) {
      return L.circleMarker(latlng, {
        radius: 9,
        color: "#1f1a14",
        weight: 1.5,
        fillColor: feature.properties.colour,
        fillOpacity: 0.9
      });
    },
    onEachFeature: function (feature, item) {
      var p = feature.properties;
      var box = document.createElement("div");
      var link = document.createElement("a");
      link.href = p.url;
      link.textContent = p.name;
      box.appendChild(link);
      [p.organisation, p.label].forEach(function (line) {
        var detail = document.createElement("div");
        detail.textContent = line;
        box.appendChild(detail);
      });
      item.bindPopup(box);
      if (!tiles && collection.features.length <= 12) {
        item.bindTooltip(p.name, { permanent: true, direction: "right", className: "site-label" });
      }
    }
  }).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);
  var bounds = layer.getBounds();
  if (bounds.isValid()) {
    map.fitBounds(bounds, { padding: [24, 24], maxZoom: 13 });
  } else {
    map.setView([0, 0], 2);
  }
})();
