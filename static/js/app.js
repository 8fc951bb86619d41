/* Behaviour shared by every page. The Content-Security-Policy refuses inline scripts and inline
   event handlers (onclick=, onsubmit=, htmx's hx-on and js: values), so pages mark elements with
   data attributes and this file gives them their behaviour. */
(function () {
  "use strict";

  // <select data-autosubmit>: sends its form when the choice changes (the language switch).
  document.addEventListener("change", function (event) {
    var select = event.target.closest && event.target.closest("select[data-autosubmit]");
    if (select && select.form) { select.form.submit(); }
  });

  // <form data-confirm="question">: asks before sending; Cancel keeps the page as it is.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches && form.matches("form[data-confirm]") && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // <form data-send-source>: htmx requests carry `source`, the name of the field whose change sent
  // them (the inspection's result rows: a text field's change does not re-render the scores).
  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt || !elt.matches || !elt.matches("[data-send-source]")) { return; }
    var trigger = event.detail.triggeringEvent;
    event.detail.parameters.source = (trigger && trigger.target && trigger.target.name) || "";
  });
})();
