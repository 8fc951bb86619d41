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

  // Anything that can take more than a second shows that it is under way (issue 11, fault 10).
  function showBusy(element, text) {
    element.dataset.busyActive = "1";
    element.classList.add("disabled");
    element.setAttribute("aria-disabled", "true");
    element.setAttribute("aria-busy", "true");
    var spinner = document.createElement("span");
    spinner.className = "hz-busy ms-1";
    spinner.setAttribute("role", "status");
    var wheel = document.createElement("span");
    wheel.className = "spinner-border spinner-border-sm";
    wheel.setAttribute("aria-hidden", "true");
    var words = document.createElement("span");
    words.className = "hz-busy-text ms-1";
    words.textContent = text;
    spinner.appendChild(wheel);
    spinner.appendChild(words);
    element.appendChild(spinner);
  }

  function clearBusy(element) {
    delete element.dataset.busyActive;
    element.classList.remove("disabled");
    element.removeAttribute("aria-disabled");
    element.removeAttribute("aria-busy");
    var spinner = element.querySelector(".hz-busy");
    if (spinner) { spinner.remove(); }
  }

  function fileName(disposition) {
    var match = /filename\*=UTF-8''([^;]+)/i.exec(disposition || "");
    if (match) { return decodeURIComponent(match[1]); }
    match = /filename="?([^";]+)"?/i.exec(disposition || "");
    return match ? match[1] : "";
  }

  // <a data-download="Preparing the document…">: a report or document produced on request. The
  // link shows the words and a spinner until the file arrives, then saves it under the server's
  // name; when the server answers with a page instead (a refusal with its message), that page opens.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-download]");
    if (!link || !window.fetch || !window.URL || !window.Blob) { return; }
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) { return; }
    event.preventDefault();
    if (link.dataset.busyActive) { return; }
    // A link inside a dropdown shows its progress on the dropdown's button.
    var group = link.closest(".btn-group");
    var shown = link.closest(".dropdown-menu") && group ? group.querySelector(".dropdown-toggle") || link : link;
    showBusy(shown, link.dataset.download);
    fetch(link.href, {credentials: "same-origin"}).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (!response.ok || type.indexOf("text/html") === 0) {
        window.location.href = response.url || link.href;
        return null;
      }
      var name = fileName(response.headers.get("Content-Disposition"));
      return response.blob().then(function (blob) {
        var url = URL.createObjectURL(blob);
        var save = document.createElement("a");
        save.href = url;
        save.download = name;
        save.className = "d-none";
        document.body.appendChild(save);
        save.click();
        window.setTimeout(function () { URL.revokeObjectURL(url); save.remove(); }, 1000);
      });
    }).catch(function () {
      window.location.href = link.href;
    }).then(function () { clearBusy(shown); });
  });

  // <form data-busy="Issuing the notice…">: once sent (after any confirmation), its submit button
  // shows the words and a spinner, and cannot be pressed twice.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form.matches || !form.matches("form[data-busy]")) { return; }
    var button = event.submitter || form.querySelector("[type=submit]");
    if (button && !button.dataset.busyActive) {
      showBusy(button, form.dataset.busy);
      window.setTimeout(function () { button.disabled = true; }, 0);
    }
  });
  // <input data-working-days="url" data-date-input="id">: "5 working days" (or "5 个工作日") typed
  // beside a deadline is counted by the server (China's holidays and adjusted working days) and
  // the date input is filled with the result, shown in the note below before anything is saved.
  var workingDaysTimer = null;
  document.addEventListener("input", function (event) {
    var box = event.target;
    if (box.matches && box.matches("input[type=date]") && box.id) {
      // A date typed by hand replaces the working days (which would otherwise win on saving).
      var days = document.querySelector('input[data-date-input="' + box.id + '"]');
      var daysNote = days && document.getElementById(days.id + "_note");
      if (days && days.value) { days.value = ""; if (daysNote) { daysNote.textContent = ""; } }
      return;
    }
    if (!box.matches || !box.matches("input[data-working-days]")) { return; }
    var dateInput = document.getElementById(box.dataset.dateInput);
    var note = document.getElementById(box.id + "_note");
    window.clearTimeout(workingDaysTimer);
    if (!box.value.trim()) { if (note) { note.textContent = ""; note.classList.remove("text-danger"); } return; }
    workingDaysTimer = window.setTimeout(function () {
      var url = box.dataset.workingDays + "?q=" + encodeURIComponent(box.value);
      fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (response) { return response.json(); })
        .then(function (answer) {
          if (answer.date && dateInput) { dateInput.value = answer.date; }
          if (note) {
            note.textContent = answer.note || answer.error || "";
            note.classList.toggle("text-danger", !!answer.error);
          }
        })
        .catch(function () { /* the form still computes it on saving */ });
    }, 250);
  });
})();
