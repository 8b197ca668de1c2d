// The territory map: zip points over state outlines, no tiles. The table below the map
// holds the same data and the real checkboxes; the map only toggles them.
(function () {
  "use strict";
  var COLORS = { free: "#2e7d32", partial: "#f2a900", taken: "#c62828" };

  function style(zip, picked) {
    return {
      radius: picked ? 9 : 7,
      color: picked ? "#111" : zip.yours ? "#1565c0" : "#fff",
      weight: picked || zip.yours ? 3 : 1,
      fillColor: COLORS[zip.availability],
      fillOpacity: zip.selectable ? 0.9 : 0.55,
    };
  }

  function init() {
    var el = document.getElementById("territory-map");
    var data = document.getElementById("territory-data");
    if (!el || !data || !window.L) return;
    var zips = JSON.parse(data.textContent);
    if (!zips.length) return;
    var map = L.map(el, { zoomSnap: 0.25, attributionControl: true });
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution("State outlines: US Census Bureau via us-atlas");
    var markers = {};
    var bounds = L.latLngBounds(zips.map(function (z) { return [z.lat, z.lng]; }));
    map.fitBounds(bounds.pad(0.15));

    if (window.topojson && el.dataset.statesUrl) {
      fetch(el.dataset.statesUrl)
        .then(function (r) { return r.json(); })
        .then(function (us) {
          L.geoJSON(topojson.feature(us, us.objects.states), {
            style: { color: "#8a94a6", weight: 1, fillColor: "#eef1f5", fillOpacity: 1 },
            interactive: false,
          }).addTo(map).bringToBack();
        })
        .catch(function () { /* the points and the table still work */ });
    }

    zips.forEach(function (zip) {
      var box = document.getElementById("zip-" + zip.code);
      var marker = L.circleMarker([zip.lat, zip.lng], style(zip, box && box.checked)).addTo(map);
      var price = zip.yours ? "yours" : zip.selectable ? zip.fee + "/month" : "taken";
      marker.bindTooltip(zip.code + " " + zip.city + " — " + zip.label + " — " + price);
      marker.getElement().setAttribute("data-zip", zip.code);
      markers[zip.code] = { marker: marker, zip: zip };
      marker.on("click", function () {
        if (!box || box.disabled) return;
        box.checked = !box.checked;
        box.dispatchEvent(new Event("change", { bubbles: true }));
      });
    });

    document.addEventListener("change", function (event) {
      var box = event.target;
      if (!box.name || box.name !== "zip_codes") return;
      var entry = markers[box.value];
      if (entry) entry.marker.setStyle(style(entry.zip, box.checked));
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
