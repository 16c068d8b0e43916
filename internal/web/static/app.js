// Arengo progressive enhancements. Every page works without this file.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // Forms that hand over to another site (SAML bindings) submit themselves;
    // without JavaScript the visible button does the same.
    document.querySelectorAll("form[data-autosubmit]").forEach(function (f) { f.submit(); });

    // Move focus to the error summary so screen readers announce it.
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }

    // Live character counters for bounded text areas.
    document.querySelectorAll("textarea[data-counter][maxlength]").forEach(function (ta) {
      var max = parseInt(ta.getAttribute("maxlength"), 10);
      var out = document.createElement("div");
      out.className = "char-counter form-text";
      out.setAttribute("aria-live", "polite");
      out.id = ta.id + "-counter";
      var tpl = document.documentElement.lang === "en" ? "{n} of {max} characters" : "{n} di {max} caratteri";
      function update() { out.textContent = tpl.replace("{n}", ta.value.length).replace("{max}", max); }
      ta.insertAdjacentElement("afterend", out);
      update();
      ta.addEventListener("input", update);
    });

    // Confirm destructive actions.
    document.querySelectorAll("form[data-confirm]").forEach(function (f) {
      f.addEventListener("submit", function (e) {
        if (!window.confirm(f.getAttribute("data-confirm"))) { e.preventDefault(); }
      });
    });
  });
})();
