// Report behaviour: no network, no eval; text is inserted with textContent only.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    if (location.hash) {
      var el = document.getElementById(location.hash.slice(1));
      if (el) { var d = el.closest("details"); if (d) d.open = true; }
    }
  });
})();
