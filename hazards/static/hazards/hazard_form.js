/* The hazard register and edit form: the major-hazard fields show only for a major hazard, and
   choosing a site fills the responsible party from the site's contact (fields left empty only). */
(function () {
  "use strict";
  var form = document.getElementById("hazard-form");
  if (!form) { return; }
  var severity = form.querySelector("[data-major-toggle]");
  var major = document.getElementById("major-fields");
  function toggleMajor() { if (major) { major.hidden = !severity || severity.value !== "major"; } }
  if (severity) { severity.addEventListener("change", toggleMajor); }
  toggleMajor();
  var site = form.querySelector("[data-contact-fill]");
  if (site) {
    site.addEventListener("change", function () {
      if (!site.value) { return; }
      fetch(form.dataset.contactUrl.replace("/0/", "/" + site.value + "/"), {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (c) {
          if (!c) { return; }
          [["responsible_name", c.name], ["responsible_email", c.email], ["responsible_phone", c.phone]].forEach(function (p) {
            var input = form.querySelector("[name=" + p[0] + "]");
            if (input && !input.value) { input.value = p[1] || ""; }
          });
        });
    });
  }
})();
