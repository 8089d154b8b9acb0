/* The resident's status page: follows the ticket's room; when the number is called it says
 * where to go, vibrates and plays the chime (once sound was allowed by a tap). */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("page-config").textContent);
  var words = config.strings;
  var $ = function (q) { return document.querySelector(q); };
  var chime = new Audio(config.chime);
  var soundOn = false;
  var lastStatus = config.track.status;

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }

  function sentence(t) {
    var counter = t.counter ? t.counter.name : "";
    if (t.stage === "blocked") { return words["blocked_" + t.block_reason] || words.blocked_other; }
    if (t.stage === "ready_to_print" || t.stage === "printed" || t.stage === "handed_over") {
      return words[t.stage];
    }
    if (t.status === "waiting") {
      if (!t.ahead) { return words.next; }
      var one = t.ahead === 1 ? "ahead_one" : "ahead";
      if (t.estimated_wait_s) {
        var minutes = Math.ceil(t.estimated_wait_s / 60);
        // Exactly one minute has sentences of its own ("1 minute", not "1 minutes").
        return fill(words[one + (minutes === 1 ? "_minute" : "")], { n: t.ahead, m: minutes });
      }
      return fill(words[one + "_no_estimate"], { n: t.ahead });
    }
    if (t.status === "called" || t.status === "serving") {
      return fill(words[t.status], { counter: counter });
    }
    return words[t.status] || "";
  }

  function alertResident() {
    if (navigator.vibrate) { navigator.vibrate([400, 200, 400, 200, 400]); }
    if (soundOn) {
      chime.currentTime = 0;
      var p = chime.play();
      if (p && p.catch) { p.catch(function () { soundOn = false; }); }
    }
  }

  var service = config.track.service;

  function draw(t) {
    // Moved to another service (transferred): its name, and a word that it happened.
    if (t.service !== service) {
      service = t.service;
      $("[data-moved]").hidden = false;
    }
    $("[data-service-name]").textContent =
      config.lang === "en" ? (t.service_name_en || t.service_name) : t.service_name;
    $("[data-status]").textContent = sentence(t);
    $("[data-ahead]").textContent = t.ahead === null || t.ahead === undefined ? "\u2014" : String(t.ahead);
    $("[data-counter]").textContent = t.counter ? t.counter.name : "\u2014";
    document.body.setAttribute("data-state", t.status);
    document.body.setAttribute("data-stage", t.stage || "");
    var becameCalled = t.status === "called" && lastStatus !== "called";
    var becamePrinted = t.stage === "printed" && document.body.getAttribute("data-was") !== "printed";
    if (becameCalled || becamePrinted) { alertResident(); }
    document.body.setAttribute("data-was", t.stage || "");
    lastStatus = t.status;
    // A card-ready SMS can be asked for only until the card is ready.
    var notify = $("[data-notify-form]");
    if (notify && (t.stage === "printed" || t.stage === "handed_over" || t.status === "cancelled")) {
      notify.hidden = true;
    }
    // The survey opens when the visit is over (a card: once handed over), if not answered.
    var survey = $("[data-survey-link]");
    survey.hidden = survey.hasAttribute("data-survey-final") ||
      !(t.status === "done" && (!t.stage || t.stage === "handed_over"));
  }

  var button = $("[data-sound]");
  button.addEventListener("click", function () {
    chime.volume = 1;
    var p = chime.play();
    var done = function () {
      soundOn = true;
      button.setAttribute("aria-pressed", "true");
      button.textContent = words.sound_on;
    };
    if (p && p.then) { p.then(done, function () { soundOn = false; }); } else { done(); }
    if (navigator.vibrate) { navigator.vibrate(150); }
  });

  var badge = $("[data-offline]");
  // The connection, its reconnection (with jitter) and its retry after a refusal are shared with
  // the other live pages: live-socket.js.
  var socket = window.loketLiveSocket({
    onOnline: function () {
      badge.hidden = true;
      socket.emit("join", { ticket: config.token });
    },
    onOffline: function () { badge.hidden = false; }
  });
  socket.on("ticket", draw);
  document.body.setAttribute("data-was", config.track.stage || "");
  draw(config.track);
}());
