/* django-celery-beat's periodic task form: shows the chosen crontab in words under the field
   (its template did this inline; see templates/admin/djcelery/change_periodictask_form.html). */
(function ($) {
  "use strict";
  var readableCrontabs = JSON.parse(document.getElementById("readable-crontabs").textContent);
  var help = $(".field-crontab .help");
  var originalCrontabHelp = help.html() || "";
  $(".field-crontab_translation").hide();
  $(".field-crontab").change(function () {
    var words = readableCrontabs[$("#id_crontab").val()] || "";
    help.html(originalCrontabHelp).append($("<br>"), document.createTextNode("→ " + words));
  });
})(django.jQuery);
