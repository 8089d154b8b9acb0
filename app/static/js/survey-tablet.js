/* The survey tablet at a counter: when the office's board changes (over Socket.IO; boards
 * close together are taken as one, and a check every 20 s covers a message missed), it asks the
 * server which ticket to survey now and reloads when that is another one. After a thank-you it goes back to
 * waiting. The form itself needs no script. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("survey-config").textContent);
  var asking = false;
  var soon = null;

  function check() {
    if (asking) { return; }
    asking = true;
    var request = new XMLHttpRequest();
    request.open("GET", config.current);
    request.timeout = 10000;
    request.onloadend = function () {
      asking = false;
      if (request.status !== 200) { return; }
      var ticket = JSON.parse(request.responseText).ticket;
      // A form half filled in stays, unless its ticket is no longer the one to ask about.
      if (ticket !== config.ticket) { window.location.replace(window.location.pathname); }
    };
    request.send();
  }

  if (document.querySelector("[data-survey-state='answered']")) {
    setTimeout(function () { window.location.replace(window.location.pathname); },
      config.thanks_seconds * 1000);
  }
  setInterval(check, 20000);
  if (typeof io === "function") {
    var socket = io({ transports: ["websocket", "polling"], reconnectionDelayMax: 5000 });
    socket.on("connect", function () { socket.emit("join", { office: config.office }); });
    socket.on("board", function (board) {
      if (board.office !== config.office || soon) { return; }
      soon = setTimeout(function () { soon = null; check(); }, 1000);
    });
  }
  document.body.setAttribute("data-ready", "");
}());
