/* The public page, live: it follows each office's board over Socket.IO and, after a change,
 * reloads the overview (at most every 5 s) to update the people waiting and the waits. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("page-config").textContent);
  var pending = null;
  var last = 0;

  function minutes(seconds) { return Math.ceil(seconds / 60); }

  function apply(rows) {
    rows.forEach(function (row) {
      var card = document.querySelector('[data-office="' + row.office + '"]');
      if (!card) { return; }
      row.services.forEach(function (service) {
        var tr = card.querySelector('[data-service-row="' + service.code + '"]');
        if (!tr || !service.open) { return; }
        var waiting = tr.querySelector("[data-waiting]");
        var wait = tr.querySelector("[data-wait]");
        waiting.textContent = String(service.waiting);
        wait.textContent = service.estimated_wait_s
          ? config.about.replace("%(m)s", String(minutes(service.estimated_wait_s)))
          : config.no_wait;
      });
    });
  }

  function refresh() {
    pending = null;
    last = Date.now();
    var xhr = new XMLHttpRequest();
    xhr.open("GET", "/api/v1/overview?lang=" + config.lang);
    xhr.timeout = 8000;
    xhr.onload = function () {
      if (xhr.status !== 200) { return; }
      try { apply(JSON.parse(xhr.responseText)); } catch (err) { /* keep what is shown */ }
    };
    xhr.send();
  }

  function soon() {
    if (pending) { return; }
    pending = setTimeout(refresh, Math.max(0, 5000 - (Date.now() - last)));
  }

  if (typeof io === "undefined") { return; }
  var socket = io({ transports: ["websocket", "polling"], reconnectionDelayMax: 10000 });
  socket.on("connect", function () {
    config.offices.forEach(function (slug) { socket.emit("join", { office: slug }); });
  });
  socket.on("board", soon);
}());
