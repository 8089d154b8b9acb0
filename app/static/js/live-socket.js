/* The Socket.IO client of the pages that follow the server live: the waiting-room TV (tv.js),
 * the counter display (counter.js) and the resident's status page (status.js). Plain ES5 so
 * that cheap TV browsers run it; needs the vendored socket.io.min.js before it.
 *
 *   var socket = window.loketLiveSocket({
 *     onOnline: function () { ... socket.emit("join", ...); },  // (re)connected
 *     onOffline: function () { ... }                              // dropped, or not let in
 *   });
 *   socket.on("board", ...);
 *
 * The page draws its own offline badge and joins its own room; this file only makes the
 * connection and keeps it coming back.
 */
window.loketLiveSocket = (function () {
  "use strict";

  // A connection the server refused (too many from this address this minute) or hung up is not
  // retried by Socket.IO itself: try again after RETRY_MS, randomised by half, so the page is
  // never left offline for good.
  var RETRY_MS = 15000;

  function nothing() {}

  return function (handlers) {
    var onOnline = (handlers && handlers.onOnline) || nothing;
    var onOffline = (handlers && handlers.onOffline) || nothing;
    // Reconnection: first try 0.5-1.5 s after the server went away, then waits doubling up to
    // 5 s, each randomised by up to half (randomizationFactor), so screens dropped together by
    // a restart come back spread out (bench/storm.py reads these options from this file).
    var socket = io({
      transports: ["websocket", "polling"],
      reconnectionDelay: 1000,
      reconnectionDelayMax: 5000,
      randomizationFactor: 0.5
    });

    function retryLater() {
      if (socket.active) { return; }  // Socket.IO is reconnecting by itself
      setTimeout(function () {
        if (!socket.active) { socket.connect(); }
      }, RETRY_MS * (0.5 + Math.random()));
    }

    socket.on("connect", function () { onOnline(); });
    socket.on("disconnect", function () { onOffline(); retryLater(); });
    socket.on("connect_error", function () { onOffline(); retryLater(); });
    return socket;
  };
}());
