// Records where an answer was given, when the phone allows it. Optional: answers save without it.
(function () {
  "use strict";
  var lat = document.querySelector("input[name=latitude]");
  var lon = document.querySelector("input[name=longitude]");
  var status = document.getElementById("location-status");
  if (!lat || !lon || !navigator.geolocation) {
    return;
  }
  navigator.geolocation.getCurrentPosition(
    function (position) {
      lat.value = position.coords.latitude.toFixed(6);
      lon.value = position.coords.longitude.toFixed(6);
      if (status) {
        status.textContent = status.dataset.label + ": " + lat.value + ", " + lon.value;
      }
    },
    function () {},
    { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 }
  );
})();
