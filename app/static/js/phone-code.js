/* The phone-ticket QR code changes every minute: fetch it again every 20 s (a code is good
 * for two minutes, so the one on screen always works). */
(function () {
  "use strict";
  var image = document.querySelector("[data-phone-qr]");
  if (!image) { return; }
  var base = image.getAttribute("src").split("?")[0];
  setInterval(function () {
    var next = new Image();
    next.onload = function () { image.src = next.src; };  // keep the old one if this fails
    next.src = base + "?t=" + Date.now();
  }, 20000);
}());
