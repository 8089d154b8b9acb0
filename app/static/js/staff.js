/* Shared by the staff pages: JSON API calls with the session's CSRF token, the office's staff
 * room over Socket.IO (with an offline badge and a resync on every reconnect), and times.
 * The DOM helpers are dom.js's (loaded before this file; the TV uses them too). */
window.Loket = (function () {
  "use strict";

  var dom = window.LoketDom;
  var el = dom.el, clear = dom.clear, pad = dom.pad, fill = dom.fill;

  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";
  var skewMs = 0;

  function api(method, url, body, done) {
    var xhr = new XMLHttpRequest();
    xhr.open(method, url);
    xhr.timeout = 10000;
    xhr.setRequestHeader("Content-Type", "application/json");
    xhr.setRequestHeader("X-CSRFToken", csrf);
    xhr.onload = function () {
      var data = null;
      try { data = xhr.responseText ? JSON.parse(xhr.responseText) : null; } catch (e) { data = null; }
      done(xhr.status, data);
    };
    xhr.onerror = xhr.ontimeout = function () { done(0, null); };
    xhr.send(body ? JSON.stringify(body) : null);
  }

  function errorText(status, data, fallback) {
    if (data && data.error && data.error.message) { return data.error.message; }
    return fallback;
  }

  function follow(office, onSnapshot, offlineText) {
    var badge = document.querySelector("[data-offline]");
    var timer = null;
    var socket = io({ transports: ["websocket", "polling"], reconnectionDelayMax: 5000 });
    function offline(isOff) {
      document.body.setAttribute("data-connected", isOff ? "false" : "true");
      if (!badge) { return; }
      if (isOff) {
        if (!timer) { timer = setTimeout(function () { badge.hidden = false; }, 2000); }
      } else {
        clearTimeout(timer);
        timer = null;
        badge.hidden = true;
      }
    }
    socket.on("connect", function () { offline(false); socket.emit("join", { staff: office }); });
    socket.on("disconnect", function () { offline(true); });
    socket.on("connect_error", function () { offline(true); });
    var seq = -1;
    socket.on("staff", function (snapshot) {
      if (snapshot.office !== office || snapshot.seq < seq) { return; }
      seq = snapshot.seq;
      skewMs = Date.parse(snapshot.generated_at) - Date.now() || skewMs;
      onSnapshot(snapshot);
    });
    return socket;
  }

  function secondsSince(iso) {
    if (!iso) { return 0; }
    return Math.max(0, Math.floor((Date.now() + skewMs - Date.parse(iso)) / 1000));
  }

  function clock(seconds) {
    var m = Math.floor(seconds / 60), s = seconds % 60;
    if (m >= 60) { return Math.floor(m / 60) + ":" + pad(m % 60) + ":" + pad(s); }
    return m + ":" + pad(s);
  }

  // A table body with nothing in it says so in one full-width row.
  function emptyRow(body, text, columns) {
    var tr = el("tr");
    var td = el("td", "none", text);
    td.colSpan = columns;
    tr.appendChild(td);
    body.appendChild(tr);
  }

  // "A · Perekaman KTP-el": a service code with its name from the staff snapshot.
  function serviceName(snapshot, code) {
    var found = snapshot.services.filter(function (sv) { return sv.code === code; })[0];
    return found ? code + " \u00b7 " + found.name : code;
  }

  // The page's one-line message ([data-message]); bad: shown as an error.
  function say(text, bad) {
    var m = document.querySelector("[data-message]");
    m.textContent = text || "";
    m.className = "message" + (bad ? " bad" : "");
  }

  // Fetch the office's staff view now (after a move of this page), newer than ``seq`` only.
  function refreshQueue(office, seq, done) {
    api("GET", "/api/v1/offices/" + office + "/queue", null, function (status, data) {
      if (status === 200 && data.seq >= seq) { done(data); }
    });
  }

  function config() {
    return JSON.parse(document.getElementById("page-config").textContent);
  }

  return { api: api, errorText: errorText, follow: follow, secondsSince: secondsSince,
           clock: clock, fill: fill, el: el, clear: clear, emptyRow: emptyRow,
           serviceName: serviceName, say: say, refreshQueue: refreshQueue, config: config };
}());
