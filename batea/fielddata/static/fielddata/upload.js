// Shows that an import is running: the page is replaced by its result when it is done.
(function () {
  "use strict";
  var form = document.getElementById("import-form");
  var progress = document.getElementById("import-progress");
  if (!form || !progress) {
    return;
  }
  form.addEventListener("submit", function () {
    progress.hidden = false;
    progress.querySelector("span").textContent = progress.dataset.label;
    var button = form.querySelector("button[type=submit]");
    if (button) {
      button.disabled = true;
    }
  });
})();
