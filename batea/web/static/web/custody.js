// Custody graph: on a narrow screen, scroll the drawing so the lot of the page is in view.
(function () {
  "use strict";
  var wrap = document.querySelector(".graph-wrap");
  var root = wrap && wrap.querySelector(".node.root rect");
  if (!root || wrap.scrollWidth <= wrap.clientWidth) {
    return;
  }
  var x = parseFloat(root.getAttribute("x")) || 0;
  var width = parseFloat(root.getAttribute("width")) || 0;
  wrap.scrollLeft = Math.max(0, x + width / 2 - wrap.clientWidth / 2);
})();
