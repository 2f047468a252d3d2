// The printed forms' "print" button: a script file, since the pages' Content-Security-Policy
// runs no inline handler (web/node_auth/security_headers.py).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
});
