// The party's portal: the signature pad of the acknowledgement form (signature_pad from the npm
// lockfile, vendored by scripts/setup.sh). Loaded as a file: the CSP allows no inline script.
(function () {
  "use strict";

  function setUp(form) {
    var canvas = form.querySelector("[data-signature-pad]");
    var input = form.querySelector("input[name=signature]");
    var empty = form.querySelector("#signature-empty");
    if (!canvas || !input || typeof window.SignaturePad !== "function") return;
    var pad = new window.SignaturePad(canvas, { penColor: "#000", backgroundColor: "rgba(0,0,0,0)", minWidth: 1, maxWidth: 3 });

    // The canvas' pixels follow its CSS size and the screen's density, so the stroke is where the finger is.
    function fit() {
      var ratio = Math.max(window.devicePixelRatio || 1, 1);
      var data = pad.isEmpty() ? null : pad.toData();
      canvas.width = canvas.offsetWidth * ratio;
      canvas.height = canvas.offsetHeight * ratio;
      canvas.getContext("2d").scale(ratio, ratio);
      pad.clear();
      if (data) pad.fromData(data);
    }
    window.addEventListener("resize", fit);
    fit();

    pad.addEventListener("beginStroke", function () { if (empty) empty.classList.add("d-none"); });
    var clear = form.querySelector("[data-signature-clear]");
    if (clear) clear.addEventListener("click", function () { pad.clear(); input.value = ""; });

    form.addEventListener("submit", function (event) {
      if (pad.isEmpty()) {
        event.preventDefault();
        if (empty) empty.classList.remove("d-none");
        canvas.scrollIntoView({ block: "center" });
        return;
      }
      input.value = pad.toDataURL("image/png");
    });
  }

  document.querySelectorAll("form[data-signature-form]").forEach(setUp);
})();
