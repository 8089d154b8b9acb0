/* Small touches on the administration pages (CSP-safe: no inline styles or scripts). */
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("[data-colour]"), function (el) {
    el.style.backgroundColor = el.getAttribute("data-colour");
  });
  Array.prototype.forEach.call(document.querySelectorAll("[data-copy]"), function (button) {
    button.addEventListener("click", function () {
      var target = document.getElementById(button.getAttribute("data-copy"));
      target.select();
      try { document.execCommand("copy"); } catch (err) { /* selected for a manual copy */ }
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  // A form that undoes something at once (signs a device out, revokes a token, replaces a
  // password) asks first, in the page's language; one slip of a finger is not enough.
  Array.prototype.forEach.call(document.querySelectorAll("form[data-confirm]"), function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
}());
