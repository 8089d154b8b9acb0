/* The counter-top screen: follows the office's board for this counter's current code, and
 * flashes when a call or recall names this counter. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("counter-config").textContent);
  var code = document.querySelector("[data-counter-current]");
  var closed = document.querySelector("[data-counter-closed]");
  var main = document.querySelector(".c-main");
  var badge = document.querySelector("[data-offline]");
  var seq = -1;
  var offlineTimer = null;

  function flash() {
    main.classList.remove("flash");
    void main.offsetWidth;  // restart the animation
    main.classList.add("flash");
  }

  function show(tile) {
    var isOpen = !!(tile && tile.open);
    document.body.setAttribute("data-open", isOpen ? "true" : "false");
    closed.hidden = isOpen;
    var next = tile && tile.code ? tile.code : "";
    if (next !== code.textContent) {
      code.textContent = next;
      if (next) { flash(); }
    }
  }

  function offline(isOff) {
    if (isOff) {
      if (!offlineTimer) { offlineTimer = setTimeout(function () { badge.hidden = false; }, 2000); }
    } else {
      clearTimeout(offlineTimer);
      offlineTimer = null;
      badge.hidden = true;
    }
  }

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
  socket.on("connect", function () { offline(false); socket.emit("join", { office: config.office }); });
  socket.on("disconnect", function () { offline(true); retryLater(); });
  socket.on("connect_error", function () { offline(true); retryLater(); });
  socket.on("board", function (board) {
    if (board.office !== config.office || board.seq < seq) { return; }
    seq = board.seq;
    var tile = null;
    board.counters.forEach(function (c) { if (c.number === config.counter) { tile = c; } });
    show(tile);
  });
  socket.on("called", function (call) {
    if (call.counter !== config.counter) { return; }
    if (call.code !== code.textContent) { code.textContent = call.code; }
    flash();  // a recall flashes again
  });
  document.body.setAttribute("data-ready", "");
}());
