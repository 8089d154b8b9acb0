/* The arrival kiosk. One tap on a service issues one ticket: every tap carries a fresh
 * idempotency key, reused if the request has to be retried, so a double tap or a lost answer
 * never makes two tickets. The ticket is shown for a few seconds with its QR code and says
 * plainly whether the paper printed; then the page returns home. Waiting counts follow the
 * office's Socket.IO board.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("kiosk-config").textContent);
  var strings = config.strings;
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var $ = function (selector) { return document.querySelector(selector); };
  var priority = false;
  var busy = false;
  var homeTimer = null;
  var paperTimer = null;
  var countdownTimer = null;

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }

  function newKey() {
    var bytes = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return "k" + Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  /* ---------- colours and the priority switch ---------- */

  Array.prototype.forEach.call(document.querySelectorAll("[data-service]"), function (button) {
    button.style.borderLeftColor = button.getAttribute("data-colour");  // CSSOM: CSP-safe
    button.addEventListener("click", function () { take(button); });
  });

  var priorityButton = $("[data-priority]");
  var priorityOn = priorityButton.querySelector("[data-priority-state]");
  function setPriority(on) {
    priority = on;
    priorityButton.setAttribute("aria-pressed", on ? "true" : "false");
    priorityOn.textContent = priorityOn.getAttribute(on ? "data-on" : "data-off");
  }
  priorityButton.addEventListener("click", function () { setPriority(!priority); });

  /* ---------- issuing ---------- */

  function request(method, url, body, key, attempt, done) {
    var xhr = new XMLHttpRequest();
    xhr.open(method, url);
    xhr.timeout = 8000;
    xhr.setRequestHeader("Content-Type", "application/json");
    xhr.setRequestHeader("X-CSRFToken", csrf);
    if (key) { xhr.setRequestHeader("Idempotency-Key", key); }
    xhr.onload = function () {
      var data = null;
      try { data = JSON.parse(xhr.responseText); } catch (err) { data = null; }
      done(xhr.status, data);
    };
    var retry = function () {
      if (attempt < 3) {
        setTimeout(function () { request(method, url, body, key, attempt + 1, done); },
                   400 * attempt);
      } else {
        done(0, null);
      }
    };
    xhr.onerror = retry;
    xhr.ontimeout = retry;
    xhr.send(body ? JSON.stringify(body) : null);
  }

  function take(button) {
    if (busy) { return; }
    if (button.getAttribute("aria-disabled") === "true") {
      var reason = button.querySelector("[data-closed-reason]");
      showMessage(reason ? reason.getAttribute("data-closed-reason") : strings.error);
      return;
    }
    busy = true;
    $("[data-busy]").hidden = false;
    var service = button.getAttribute("data-service");
    request("POST", "/api/v1/offices/" + config.office + "/tickets?lang=" + config.lang,
      { service: service, priority: priority }, newKey(), 1,
      function (status, data) {
        busy = false;
        $("[data-busy]").hidden = true;
        setPriority(false);
        if (status === 201 && data) {
          showTicket(data, button.querySelector(".k-name").textContent);
        } else if (status === 0) {
          showMessage(strings.offline);
        } else {
          showMessage(data && data.error ? data.error.message : strings.error);
        }
      });
  }

  /* ---------- the ticket on screen ---------- */

  function showTicket(ticket, serviceName) {
    $("[data-ticket-code]").textContent = ticket.code;
    $("[data-ticket-priority]").hidden = !ticket.priority;
    $("[data-ticket-service]").textContent = serviceName;
    var ahead = ticket.ahead === 1 ? strings.ahead_one
      : (ticket.ahead ? fill(strings.ahead, { n: ticket.ahead }) : strings.ahead_none);
    if (ticket.estimated_wait_s) {
      var minutes = Math.ceil(ticket.estimated_wait_s / 60);
      // Exactly one minute has words of its own ("1 minute", not "1 minutes").
      ahead += " \u2014 " + fill(minutes === 1 ? strings.wait_minute : strings.wait, { m: minutes });
    }
    $("[data-ticket-ahead]").textContent = ahead;
    $("[data-ticket-qr]").src = "/t/" + encodeURIComponent(ticket.token) + "/qr.svg";
    paper(ticket.print ? ticket.print.status : "printed");
    $("[data-ticket-view]").hidden = false;
    document.body.setAttribute("data-last-ticket", ticket.code);
    if (ticket.print && ticket.print.status !== "printed") {
      followPaper(ticket.id, Date.now());
      // Said after four seconds even when the server is slow to answer the follow-ups.
      clearTimeout(paperTimer);
      paperTimer = setTimeout(function () {
        var el = $("[data-paper-status]");
        if (!$("[data-ticket-view]").hidden && el.getAttribute("data-paper-status") === "printing") {
          paper("failed");
        }
      }, 4000);
    }
    var left = config.seconds;
    $("[data-countdown]").textContent = "(" + left + ")";
    clearInterval(countdownTimer);
    countdownTimer = setInterval(function () {
      left -= 1;
      $("[data-countdown]").textContent = "(" + Math.max(0, left) + ")";
    }, 1000);
    clearTimeout(homeTimer);
    homeTimer = setTimeout(home, config.seconds * 1000);
  }

  function paper(status) {
    var el = $("[data-paper-status]");
    var shown = status === "printed" ? "printed" : (status === "failed" ? "failed" : "printing");
    el.setAttribute("data-paper-status", shown);
    el.textContent = shown === "printed" ? strings.printed
      : (shown === "failed" ? strings.not_printed : strings.printing);
  }

  function followPaper(id, since) {
    request("GET", "/api/v1/tickets/" + id + "?lang=" + config.lang, null, null, 3, function (status, data) {
      if ($("[data-ticket-view]").hidden) { return; }
      var state = data && data.print ? data.print.status : null;
      if (state === "printed") { paper("printed"); return; }
      // Not printed after a few seconds: say so plainly (the spooler keeps trying).
      if (state === "failed" || Date.now() - since > 4000) { paper("failed"); }
      if (state !== "failed" && Date.now() - since < 30000) {
        setTimeout(function () { followPaper(id, since); }, 700);
      }
    });
  }

  function home() {
    clearTimeout(homeTimer);
    clearTimeout(paperTimer);
    clearInterval(countdownTimer);
    if (config.lang !== "id" && !$("[data-ticket-view]").hidden) {
      indonesian();  // the next resident starts in Indonesian
      return;
    }
    $("[data-ticket-view]").hidden = true;
    $("[data-message-view]").hidden = true;
  }

  /* ---------- back to Indonesian for the next person ---------- */

  function indonesian() {
    window.location.replace(window.location.pathname);
  }
  var lastTouch = Date.now();
  ["pointerdown", "keydown", "touchstart"].forEach(function (name) {
    document.addEventListener(name, function () { lastTouch = Date.now(); }, true);
  });
  if (config.lang !== "id") {
    setInterval(function () {
      if (!busy && Date.now() - lastTouch >= config.idle_seconds * 1000) { indonesian(); }
    }, 5000);
  }

  function showMessage(text) {
    $("[data-message]").textContent = text;
    $("[data-message-view]").hidden = false;
    clearTimeout(homeTimer);
    homeTimer = setTimeout(home, config.seconds * 1000);
  }

  $("[data-done]").addEventListener("click", home);
  $("[data-message-close]").addEventListener("click", home);

  /* ---------- "I have a booking": typed, or scanned by a USB scanner ---------- */

  var bookingView = $("[data-booking-view]");
  if (bookingView) {
    var bookingInput = $("[data-booking-input]");
    var openBooking = function () {
      bookingInput.value = "";
      $("[data-camera-note]").hidden = true;
      bookingView.hidden = false;
      bookingInput.focus();
    };
    var closeBooking = function () { stopCamera(); bookingView.hidden = true; };

    /* The kiosk's camera: frames are read for a QR code for at most a minute. Browsers allow
     * the camera only on https or localhost (or a kiosk browser told to trust this address). */
    var camera = { stream: null, timer: null, until: 0 };
    var cameraNote = $("[data-camera-note]");
    var stopCamera = function () {
      clearInterval(camera.timer);
      camera.timer = null;
      if (camera.stream) {
        camera.stream.getTracks().forEach(function (track) { track.stop(); });
        camera.stream = null;
      }
      $("[data-camera-box]").hidden = true;
    };
    var noCamera = function () {
      stopCamera();
      cameraNote.textContent = strings.no_camera;
      cameraNote.hidden = false;
    };
    var startCamera = function () {
      var media = navigator.mediaDevices;
      if (!media || !media.getUserMedia) { noCamera(); return; }
      if (typeof jsQR !== "function") {  // the reader loads on the first use
        var script = document.createElement("script");
        script.src = config.qr_reader;
        script.onload = function () { if (typeof jsQR === "function") { startCamera(); } else { noCamera(); } };
        script.onerror = noCamera;
        document.body.appendChild(script);
        return;
      }
      media.getUserMedia({ video: { facingMode: "user" }, audio: false }).then(function (stream) {
        if (bookingView.hidden) { stream.getTracks().forEach(function (t) { t.stop(); }); return; }
        camera.stream = stream;
        var video = $("[data-camera-video]");
        video.srcObject = stream;
        video.play();
        $("[data-camera-box]").hidden = false;
        cameraNote.textContent = strings.camera_hint;
        cameraNote.hidden = false;
        var canvas = document.createElement("canvas");
        var context = canvas.getContext("2d");
        camera.until = Date.now() + 60000;
        camera.timer = setInterval(function () {
          if (Date.now() > camera.until) { stopCamera(); cameraNote.hidden = true; return; }
          if (!video.videoWidth) { return; }
          canvas.width = Math.min(640, video.videoWidth);
          canvas.height = Math.round(video.videoHeight * canvas.width / video.videoWidth);
          context.drawImage(video, 0, 0, canvas.width, canvas.height);
          var frame = context.getImageData(0, 0, canvas.width, canvas.height);
          var found = jsQR(frame.data, frame.width, frame.height, { inversionAttempts: "dontInvert" });
          if (found && found.data) { stopCamera(); checkIn(found.data); }
        }, 250);
      }, noCamera);
    };
    $("[data-camera-start]").addEventListener("click", startCamera);
    var checkIn = function (key) {
      key = key.trim();
      if (!key || busy) { return; }
      closeBooking();
      busy = true;
      $("[data-busy]").hidden = false;
      request("POST", "/api/v1/offices/" + config.office + "/check-in?lang=" + config.lang,
        { booking: key }, null, 1, function (status, data) {
          busy = false;
          $("[data-busy]").hidden = true;
          if (status === 201 && data) {
            showTicket(data, config.lang === "en" ? data.service_name_en || data.service_name
              : data.service_name);
          } else if (status === 0) {
            showMessage(strings.offline);
          } else {
            showMessage(data && data.error ? data.error.message : strings.error);
          }
        });
    };
    $("[data-booking-open]").addEventListener("click", openBooking);
    $("[data-booking-close]").addEventListener("click", closeBooking);
    $("[data-booking-form]").addEventListener("submit", function (event) {
      event.preventDefault();
      checkIn(bookingInput.value);
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-key]"), function (key) {
      key.addEventListener("click", function () {
        bookingInput.value += key.getAttribute("data-key");
      });
    });
    $("[data-key-back]").addEventListener("click", function () {
      bookingInput.value = bookingInput.value.slice(0, -1);
    });
    // A scanner on the home screen: fast keys ending with Enter are a scanned booking link.
    var scanned = "";
    var lastKey = 0;
    document.addEventListener("keydown", function (event) {
      if (!bookingView.hidden || busy) { return; }
      var now = Date.now();
      if (now - lastKey > 300) { scanned = ""; }
      lastKey = now;
      if (event.key === "Enter") {
        if (scanned.length >= 7) { checkIn(scanned); }
        scanned = "";
      } else if (event.key.length === 1 && scanned.length < 300) {
        scanned += event.key;
      }
    });
  }

  /* ---------- live waiting counts ---------- */

  var socket = io({ transports: ["websocket", "polling"], reconnectionDelayMax: 5000 });
  socket.on("connect", function () { socket.emit("join", { office: config.office }); });
  socket.on("board", function (board) {
    if (board.office !== config.office) { return; }
    Object.keys(board.waiting).forEach(function (code) {
      var count = document.querySelector('[data-service="' + code + '"] [data-waiting-count]');
      if (count) { count.textContent = String(board.waiting[code]); }
    });
  });
  /* ---------- notices before the tap: the printer, the blank cards ---------- */

  function notices() {
    if (busy || $("[data-closed-banner]")) { return; }  // closed: the banner says it all
    request("GET", "/kiosk/" + config.office + "/notices?lang=" + config.lang, null, null, 3,
      function (status, data) {
        if (status !== 200 || !data) { return; }
        $('[data-notice="printer_down"]').hidden = !data.printer_down;
        $('[data-notice="no_blank_cards"]').hidden = !data.no_blank_cards;
        Array.prototype.forEach.call(document.querySelectorAll("[data-no-cards]"), function (el) {
          el.hidden = !data.no_blank_cards;
        });
        // A notice takes the place of the line under the title (kiosk.css).
        if (data.printer_down || data.no_blank_cards) {
          $("[data-home]").setAttribute("data-noticed", "");
        } else {
          $("[data-home]").removeAttribute("data-noticed");
        }
      });
  }
  setInterval(notices, config.notices_seconds * 1000);

  // Services open and close with the clock: reload the buttons now and then when idle.
  setInterval(function () {
    if (!busy && $("[data-ticket-view]").hidden && $("[data-message-view]").hidden) {
      window.location.reload();
    }
  }, 10 * 60 * 1000);
  // Every button is live from here on (tests wait for this rather than for the buttons alone).
  document.body.setAttribute("data-ready", "");
}());
