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

  // The connection, its reconnection (with jitter) and its retry after a refusal are shared with
  // the other live pages: live-socket.js.
  var socket = window.loketLiveSocket({
    onOnline: function () { offline(false); socket.emit("join", { office: config.office }); },
    onOffline: function () { offline(true); }
  });
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
