// "附上当前位置": on a home visit the member may attach the phone's position (never required). The browser asks
// for permission; the purpose is printed next to the button. Only latitude, longitude and accuracy are sent.
(function () {
  "use strict";
  var box = document.querySelector("[data-position]");
  if (!box || !("geolocation" in navigator)) return;
  var form = box.closest("form");
  var lat = form.querySelector("input[name=latitude]");
  var lon = form.querySelector("input[name=longitude]");
  var acc = form.querySelector("input[name=accuracy]");
  var status = box.querySelector("[data-position-status]");
  var button = box.querySelector("[data-position-button]");

  function homeVisit() {
    var checked = form.querySelector("input[name=kind]:checked");
    return !checked || checked.value === "home_visit";
  }
  function sync() {
    box.hidden = !homeVisit();
    if (!homeVisit()) { lat.value = ""; lon.value = ""; acc.value = ""; }
  }
  form.addEventListener("change", function (event) {
    if (event.target.name === "kind") sync();
  });
  button.addEventListener("click", function () {
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(
      function (pos) {
        lat.value = pos.coords.latitude.toFixed(4);
        lon.value = pos.coords.longitude.toFixed(4);
        acc.value = Math.round(pos.coords.accuracy);
        status.textContent = status.dataset.ok.replace("%(m)s", acc.value);
        button.disabled = false;
      },
      function () {
        status.textContent = status.dataset.fail;
        button.disabled = false;
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  });
  sync();
})();
