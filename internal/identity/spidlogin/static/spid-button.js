// SPID button: "Entra con SPID" opens the list of identity providers.
// Without JavaScript the list is simply shown, one button per provider.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-spid-toggle]").forEach(function (btn) {
      var list = document.getElementById(btn.getAttribute("aria-controls"));
      if (!list) { return; }
      function set(open) {
        btn.setAttribute("aria-expanded", open ? "true" : "false");
        list.hidden = !open;
      }
      btn.hidden = false;
      set(false);
      btn.addEventListener("click", function () {
        var open = btn.getAttribute("aria-expanded") !== "true";
        set(open);
        if (open) {
          var first = list.querySelector("button");
          if (first) { first.focus(); }
        }
      });
      list.addEventListener("keydown", function (e) {
        if (e.key === "Escape") { set(false); btn.focus(); }
      });
    });
  });
})();
