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
        return fill(words[one], { n: t.ahead, m: Math.ceil(t.estimated_wait_s / 60) });
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
  // Reconnection: first try 0.5-1.5 s after the server went away, then waits doubling up to
  // 5 s, each randomised by up to half (randomizationFactor), so screens dropped together by a
  // restart come back spread out (bench/storm.py). The TV, the counter display and the status
  // page reconnect alike (tests/display/test_reconnect_settings.py).
  var socket = io({
    transports: ["websocket", "polling"],
    reconnectionDelay: 1000,
    reconnectionDelayMax: 5000,
    randomizationFactor: 0.5
  });
  // A connection the server refused (too many from this address this minute) or hung up is not
  // retried by Socket.IO itself: try again after RETRY_MS, randomised by half, so the page is
  // never left offline for good.
  var RETRY_MS = 15000;
  function retryLater() {
    if (socket.active) { return; }  // Socket.IO is reconnecting by itself
    setTimeout(function () {
      if (!socket.active) { socket.connect(); }
    }, RETRY_MS * (0.5 + Math.random()));
  }
  socket.on("connect", function () {
    badge.hidden = true;
    socket.emit("join", { ticket: config.token });
  });
  socket.on("disconnect", function () { badge.hidden = false; retryLater(); });
  socket.on("connect_error", function () { badge.hidden = false; retryLater(); });
  socket.on("ticket", draw);
  document.body.setAttribute("data-was", config.track.stage || "");
  draw(config.track);
}());
