// A <select data-autosubmit> submits its form when it changes (the round pickers of the
// reviewing pages). An inline onchange handler would be refused by the Content-Security-Policy.
document.addEventListener("change", function (event) {
  "use strict";
  var target = event.target;
  if (target.matches && target.matches("select[data-autosubmit]") && target.form) {
    target.form.submit();
  }
});
