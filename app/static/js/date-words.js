/* Date and time fields in the page's language. A browser draws <input type="date"> and
   <input type="time"> in its own language, not the page's: an English Chromium on an Indonesian
   page writes 12/06/2026 (the sixth of December, read here as the twelfth of June) and 08:00 AM.
   When the browser's language is not the page's, the chosen day or time is written out beside
   each such field in the page's language ("Minggu, 6 Desember 2026", "08.00"), kept up to date
   as it changes. (CSP-safe: a file, no inline script or style.) */
(function () {
  "use strict";
  var lang = (document.documentElement.getAttribute("lang") || "id").toLowerCase();
  var browser = (navigator.language || "").toLowerCase();
  if (browser.split("-")[0] === lang.split("-")[0]) { return; }
  if (!window.Intl || !Intl.DateTimeFormat) { return; }
  var dayWords, timeWords;
  try {
    dayWords = new Intl.DateTimeFormat(lang, {
      weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: "UTC"
    });
    timeWords = new Intl.DateTimeFormat(lang, {
      hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: "UTC"
    });
  } catch (err) {
    return; // a browser without this language's names: its own display stays
  }

  function words(input) {
    var value = input.value || "";
    var day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
    if (input.type === "date") {
      return day ? dayWords.format(new Date(Date.UTC(+day[1], +day[2] - 1, +day[3]))) : "";
    }
    var time = /^(\d{2}):(\d{2})/.exec(value);
    return time ? timeWords.format(new Date(Date.UTC(2000, 0, 1, +time[1], +time[2]))) : "";
  }

  var fields = document.querySelectorAll('input[type="date"], input[type="time"]');
  Array.prototype.forEach.call(fields, function (input) {
    var said = document.createElement("span");
    said.className = "field-words";
    said.setAttribute("data-field-words", input.name || "");
    input.insertAdjacentElement("afterend", said);
    function show() { said.textContent = words(input); }
    input.addEventListener("input", show);
    input.addEventListener("change", show);
    show();
  });
}());
