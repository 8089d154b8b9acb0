/* The waiting-room TV. Plain ES5 so that cheap TV browsers run it.
 *
 * - joins the office's room and redraws on every "board" (a board older than the one shown,
 *   by seq, is ignored);
 * - on "called" and "pickup" newer than anything announced, flashes the latest call and speaks
 *   it: the chime, then the clip sequence twice; announcements queue and never overlap;
 * - reconnects by itself (Socket.IO), shows a small badge meanwhile, and resyncs from the board
 *   it gets when it joins again. A call it missed meanwhile (still waiting for its resident,
 *   newer than the last call it announced and at most two minutes old by the server's clock)
 *   is spoken then, once: the TV remembers the calls it announced, also across a reload;
 * - once nothing is left to say, the big panel shows the newest call of the board.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("tv-config").textContent);
  var strings = config.strings;
  var body = document.body;
  var $ = function (selector) { return document.querySelector(selector); };
  var dom = window.LoketDom;  // dom.js: el, clear, setText, pad
  var text = dom.setText, clear = dom.clear, item = dom.el, pad = dom.pad;

  var speaking = false;            // an announcement is playing
  var shownSeq = config.seq;       // seq of the board on screen
  var shown = null;                // the board on screen, once one came over the socket
  var announcedSeq = config.seq;   // "called"/"pickup" events up to this seq are never spoken again
  var rejoined = false;            // the next board is the first since the TV (re)joined
  var clockSkewMs = config.server_now_ms - Date.now();

  /* ---------- drawing ---------- */

  function drawLatest(code, counterName) {
    text($("[data-latest-code]"), code || strings.nobody);
    text($("[data-latest-counter]"), counterName || "");
    $("[data-latest-call]").classList.toggle("idle", !code);
  }

  function drawCounters(board) {
    var box = $("[data-counters]");
    var open = board.counters.filter(function (c) { return c.open; });
    var wanted = open.map(function (c) { return String(c.number); }).join(",");
    var present = Array.prototype.map.call(box.querySelectorAll("[data-counter]"),
      function (el) { return el.getAttribute("data-counter"); }).join(",");
    if (wanted !== present) {
      clear(box);
      open.forEach(function (c) {
        var tile = item("div", "tv-tile");
        tile.setAttribute("data-counter", String(c.number));
        tile.appendChild(item("div", "tv-tile-name", c.name));
        var code = item("div", "tv-tile-code");
        code.setAttribute("data-tile-code", "");
        tile.appendChild(code);
        box.appendChild(tile);
      });
    }
    box.className = "tv-counters" + (open.length > 6 ? " many" : "");
    open.forEach(function (c) {
      var tile = box.querySelector('[data-counter="' + c.number + '"]');
      text(tile.querySelector("[data-tile-code]"), c.code || strings.nobody);
      tile.className = "tv-tile" + (c.code ? "" : " idle");
    });
  }

  function drawRecent(board) {
    var list = $("[data-recent]");
    clear(list);
    var latest = board.latest;
    board.recent.filter(function (call) {
      return !(latest && call.code === latest.code && call.counter === latest.counter);
    }).slice(0, 4).forEach(function (call) {
      var li = item("li");
      li.appendChild(item("span", "code", call.code));
      li.appendChild(item("span", "where", call.counter_name || ""));
      list.appendChild(li);
    });
  }

  function drawWaiting(board) {
    var list = $("[data-waiting]");
    clear(list);
    board.services.forEach(function (s) {
      var li = item("li");
      li.setAttribute("data-service", s.code);
      var letter = item("span", "letter", s.code);
      letter.style.backgroundColor = s.colour;  // CSSOM, allowed by a strict CSP
      li.appendChild(letter);
      li.appendChild(item("span", "count", String(s.waiting)));
      list.appendChild(li);
    });
  }

  function drawPickup(board) {
    var list = $("[data-pickup]");
    clear(list);
    (board.pickup_items || []).forEach(function (p) {
      var li = item("li", p.day === board.day ? "" : "old", p.code);
      li.setAttribute("data-code", p.code);
      list.appendChild(li);
    });
  }

  function drawTicker(board) {
    var el = $("[data-ticker-text]");
    var value = board.announcement || "";
    if (el.textContent !== value) {
      el.textContent = value;
      // About 9 characters a second, whatever the length.
      el.style.animationDuration = Math.max(15, Math.round(value.length / 9 + 10)) + "s";
    }
  }

  function drawNewest() {
    // Only a call still going on (not finished, sent elsewhere, absent, or at a paused counter).
    var latest = shown && shown.latest;
    if (shown) { drawLatest(latest ? latest.code : "", latest ? latest.counter_name : ""); }
  }

  function drawBoard(board) {
    if (board.office !== config.office) { return; }
    if (board.seq < shownSeq) {
      if (!rejoined) { return; }
      // The first board after a join is the truth even when seq went back (the database was
      // restored from a backup): follow the new numbering rather than freeze.
      announcedSeq = board.seq;
      forgetSeqs();
    }
    rejoined = false;
    shownSeq = board.seq;
    shown = board;
    clockSkewMs = Date.parse(board.generated_at) - Date.now() || clockSkewMs;
    catchUp(board);
    if (!speaking) { drawNewest(); }
    drawCounters(board);
    drawRecent(board);
    drawWaiting(board);
    drawPickup(board);
    drawTicker(board);
    body.setAttribute("data-seq", String(board.seq));
  }

  /* ---------- clock in the office's time zone ---------- */

  function tick() {
    var office = new Date(Date.now() + clockSkewMs + config.utc_offset_min * 60000);
    var days = strings.days;  // Monday first
    var weekday = days[(office.getUTCDay() + 6) % 7];
    text($("[data-clock-time]"), pad(office.getUTCHours()) + ":" + pad(office.getUTCMinutes()));
    text($("[data-clock-date]"), weekday + ", " + office.getUTCDate() + " " +
      strings.months[office.getUTCMonth()] + " " + office.getUTCFullYear());
  }

  /* ---------- what this TV has announced ---------- */

  // A call is its code, counter and called_at. The TV remembers the calls it announced in the
  // last minutes and the newest one's time, in memory and in localStorage (a reload after a power
  // cut must not replay them). Times are the server's (called_at against the board's
  // generated_at): the TV's own clock may be wrong.
  var CATCH_UP_MS = 2 * 60 * 1000;  // a missed call older than this is shown, not spoken
  var KEEP_MS = 10 * 60 * 1000;     // how long an announced call is remembered
  var MEMORY_KEY = "loket.tv." + config.office + ".announced";
  var memory = loadMemory();        // {last: ms of the newest announced call, calls: {key: ms}}
  var pending = [];                 // calls spoken from "called" events, not yet seen on a board
  var boardSeq = -1;                // seq of the last board caught up from...
  var boardCalls = {};              // ...and the "code|counter" of every call on it

  function callKey(row) { return row.code + "|" + row.counter + "|" + row.called_at; }
  function sameCall(a, b) { return a.code === b.code && a.counter === b.counter; }

  function loadMemory() {
    try {
      var stored = JSON.parse(window.localStorage.getItem(MEMORY_KEY) || "null");
      if (stored && typeof stored.last === "number" && stored.calls &&
          typeof stored.calls === "object") {
        return stored;
      }
    } catch (err) { /* no storage (private mode, an old TV): memory only */ }
    return { last: 0, calls: {} };
  }

  function saveMemory() {
    Object.keys(memory.calls).forEach(function (key) {
      if (memory.calls[key] < memory.last - KEEP_MS) { delete memory.calls[key]; }
    });
    try {
      window.localStorage.setItem(MEMORY_KEY, JSON.stringify(memory));
    } catch (err) { /* full or disabled: memory only */ }
  }

  function remember(row) {
    var at = Date.parse(row.called_at);
    if (isNaN(at) || memory.calls[callKey(row)] === at) { return false; }
    memory.calls[callKey(row)] = at;
    memory.last = Math.max(memory.last, at);
    return true;
  }

  function forgetSeqs() {
    pending = [];
    boardSeq = -1;
    boardCalls = {};
  }

  // Every board: learn the called_at of the calls spoken from their "called" event, then speak
  // the calls this TV has not announced (it was away, or the event was lost), oldest first.
  function catchUp(board) {
    var rows = board.now_serving.concat(board.recent);
    var changed = false;
    pending = pending.filter(function (call) {
      if (call.seq > board.seq) { return true; }  // this board predates the call
      for (var i = 0; i < rows.length; i++) {
        if (sameCall(rows[i], call)) { changed = remember(rows[i]) || changed; break; }
      }
      return false;
    });
    var now = Date.parse(board.generated_at);
    var missed = board.now_serving.filter(function (row) {
      var at = Date.parse(row.called_at);
      return row.status === "called" && !(callKey(row) in memory.calls) &&
        at >= memory.last && now - at <= CATCH_UP_MS &&
        !pending.some(function (call) { return sameCall(call, row); });
    });
    missed.sort(function (a, b) { return Date.parse(a.called_at) - Date.parse(b.called_at); });
    missed.forEach(function (row) {
      changed = remember(row) || changed;
      announce({ code: row.code, counterName: row.counter_name,
                 clips: (board.call_clips || {})[row.code] || [], source: "board" });
    });
    boardSeq = board.seq;
    boardCalls = {};
    rows.forEach(function (row) { boardCalls[row.code + "|" + row.counter] = true; });
    if (changed) { saveMemory(); }
  }

  /* ---------- voice ---------- */

  var audio = {};
  config.clips.forEach(function (name) {
    var a = new Audio(config.voice_url + name + ".wav");
    a.preload = "auto";
    audio[name] = a;
  });
  var queue = [];
  var soundBlocked = false;

  function showSoundOverlay(show) {
    soundBlocked = show;
    $("[data-sound-overlay]").hidden = !show;
  }

  function play(name, done) {
    var clip = audio[name];
    if (!clip) { done(); return; }
    var finished = false;
    function next() {
      if (finished) { return; }
      finished = true;
      clip.onended = clip.onerror = null;
      done();
    }
    clip.onended = next;
    clip.onerror = next;
    try {
      clip.currentTime = 0;
      var promise = clip.play();
      if (promise && promise.catch) {
        promise.catch(function (err) {
          if (err && err.name === "NotAllowedError") { showSoundOverlay(true); }
          next();
        });
      }
    } catch (err) {
      next();
    }
    // Never hang on a clip that neither ends nor fails (no sound card, a broken file).
    setTimeout(next, ((clip.duration || 2) + 1) * 1000);
  }

  function playAll(names, done) {
    var i = 0;
    (function step() {
      if (i >= names.length) { done(); return; }
      play(names[i++], step);
    })();
  }

  function announce(item) {
    queue.push(item);
    if (!speaking) { nextAnnouncement(); }
  }

  function nextAnnouncement() {
    var current = queue.shift();
    if (!current) {
      speaking = false;
      body.setAttribute("data-speaking", "false");
      drawNewest();  // the board may have moved on while the voice spoke
      return;
    }
    speaking = true;
    body.setAttribute("data-speaking", "true");
    drawLatest(current.code, current.counterName);
    var panel = $("[data-latest-call]");
    panel.className = "tv-latest";
    void panel.offsetWidth;  // restart the animation
    panel.className = "tv-latest flash";
    body.setAttribute("data-spoken", current.code + " " + current.clips.join(" "));
    logAnnouncement(current);
    // Twice, unless more calls wait: then once each, so nobody waits long to hear theirs.
    var sequence = queue.length ? ["chime"].concat(current.clips)
      : ["chime"].concat(current.clips, current.clips);
    playAll(sequence, function () { setTimeout(nextAnnouncement, 700); });
  }

  // The last announcements, oldest first, in a hidden list: for tests and offices' own scripts.
  function logAnnouncement(current) {
    var log = $("[data-announced]");
    var li = item("li", "", current.code);
    li.setAttribute("data-code", current.code);
    li.setAttribute("data-source", current.source);
    log.appendChild(li);
    while (log.children.length > 20) { log.removeChild(log.firstChild); }
  }

  function unlockSound() {
    var clip = audio.chime;
    clip.volume = 0;
    var promise = clip.play();
    var restore = function () { clip.pause(); clip.volume = 1; clip.currentTime = 0; };
    if (promise && promise.then) {
      promise.then(function () { restore(); showSoundOverlay(false); },
                   function () { restore(); showSoundOverlay(true); });
    } else {
      restore();
    }
  }

  $("[data-sound-overlay]").addEventListener("click", unlockSound);
  document.addEventListener("keydown", function () { if (soundBlocked) { unlockSound(); } });

  /* ---------- connection ---------- */

  var offlineTimer = null;
  function offline(isOffline) {
    var badge = $("[data-offline]");
    if (isOffline) {
      body.setAttribute("data-connected", "false");
      if (!offlineTimer) {
        offlineTimer = setTimeout(function () { badge.hidden = false; }, 2000);
      }
    } else {
      body.setAttribute("data-connected", "true");
      clearTimeout(offlineTimer);
      offlineTimer = null;
      badge.hidden = true;
    }
  }

  // The connection, its reconnection (with jitter) and its retry after a refusal are shared with
  // the other live pages: live-socket.js.
  var socket = window.loketLiveSocket({
    onOnline: function () {
      offline(false);
      rejoined = true;
      socket.emit("join", { office: config.office });
    },
    onOffline: function () { offline(true); }
  });
  socket.on("board", drawBoard);
  socket.on("called", function (call) {
    if (call.seq <= announcedSeq) { return; }
    announcedSeq = call.seq;
    // A board caught up from already had this call (it overtook the event): spoken then, or
    // deliberately not. A recall leaves the board's row as it was, so it is always spoken.
    if (!call.recall && call.seq <= boardSeq && boardCalls[call.code + "|" + call.counter]) {
      return;
    }
    pending.push({ code: call.code, counter: call.counter, seq: call.seq });
    announce({ code: call.code, counterName: call.counter_name, clips: call.clips || [],
               source: "called" });
  });
  socket.on("pickup", function (card) {
    if (card.seq <= announcedSeq) { return; }
    announcedSeq = card.seq;
    var li = document.querySelector('[data-pickup] [data-code="' + card.code + '"]');
    if (li) { li.className = "fresh"; }
    announce({ code: card.code, counterName: strings.pickup_counter || "", clips: card.clips || [],
               source: "pickup" });
  });

  tick();
  setInterval(tick, 1000);
  unlockSound();
  offline(!socket.connected);
}());
