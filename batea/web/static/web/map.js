// Draws the sites of a page on a Leaflet map. Works offline: without tiles the sites are
// drawn on a plain background, and without Leaflet the table below the map remains.
(function () {
  "use strict";
  var element = document.getElementById("site-map");
  var data = document.getElementById("site-map-data");
  if (!element || !data || typeof L === "undefined") {
    return;
  }
  var collection = JSON.parse(data.textContent);
  element.innerHTML = "";
  var map = L.map(element, { scrollWheelZoom: false });
  var tiles = element.dataset.tiles;
  if (tiles) {
    L.tileLayer(tiles, {
      maxZoom: 18,
      attribution: "&copy; OpenStreetMap contributors",
    }).addTo(map);
  }
  var mercuryLabel = element.dataset.labelMercury || "mercury";
  // Without a background map, labels give the dots their meaning.
  var labelled = !tiles && collection.features.length <= 12;
  var layer = L.geoJSON(collection, {
    pointToLayer: function (feature, latlng) {
      return L.circleMarker(latlng, {
        radius: 8,
        color: "#5b3a1a",
        weight: 2,
        fillColor: feature.properties.uses_mercury ? "#c0392b" : "#d4a017",
        fillOpacity: 0.9,
      });
    },
    style: function (feature) {
      return { color: feature.properties.uses_mercury ? "#c0392b" : "#8a5a2b", weight: 2 };
    },
    onEachFeature: function (feature, item) {
      var p = feature.properties;
      var link = document.createElement("a");
      link.href = p.url;
      link.textContent = p.name;
      var box = document.createElement("div");
      box.appendChild(link);
      var detail = document.createElement("div");
      detail.textContent = p.minerals + (p.uses_mercury ? " · " + mercuryLabel : "");
      box.appendChild(detail);
      if (p.detail) {
        // e.g. a site's share of a traced lot
        var extra = document.createElement("div");
        extra.textContent = p.detail;
        box.appendChild(extra);
      }
      item.bindPopup(box);
      if (labelled) {
        item.bindTooltip(p.name, { permanent: true, direction: "right", className: "site-label" });
      }
    },
  }).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);
  var bounds = layer.getBounds();
  if (bounds.isValid()) {
    // Labels are written to the right of their dot: leave them room on that side.
    map.fitBounds(bounds, {
      paddingTopLeft: [24, 24],
      paddingBottomRight: [labelled ? 140 : 24, 24],
      maxZoom: 14,
    });
  } else {
    map.setView([0, 0], 2);
  }
})();
