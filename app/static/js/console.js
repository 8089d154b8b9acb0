/* The counter console: one key per move (shown on its button), buttons enabled only when the
 * move is allowed, the waiting list live from the staff room. */
(function () {
  "use strict";

  var L = window.Loket;
  var config = L.config();
  var s = config.strings;
  var counterId = config.counter.id;
  // armed: {id, until}: the absent ticket whose "cancel" was touched once (a redraw keeps it).
  var state = { snapshot: config.snapshot, busy: false, armed: null };
  var undoable = null;  // {id, code}: the absent or finish this console may still take back
  var undoTimer = null;
  var $ = function (q) { return document.querySelector(q); };
  var buttons = {};
  Array.prototype.forEach.call(document.querySelectorAll("[data-action]"), function (b) {
    buttons[b.getAttribute("data-action")] = b;
    b.addEventListener("click", function () { act(b.getAttribute("data-action")); });
  });

  function mine() {
    var counters = state.snapshot.counters;
    for (var i = 0; i < counters.length; i++) {
      if (counters[i].id === counterId) { return counters[i]; }
    }
    return null;
  }

  var say = L.say;

  /* ---------- drawing ---------- */

  function serviceName(code) { return L.serviceName(state.snapshot, code); }

  function draw() {
    var me = mine();
    if (!me) { return; }
    var ticket = me.ticket;
    $("[data-current-ticket]").textContent = ticket ? ticket.code : "\u2014";
    $("[data-current-status]").textContent = ticket ? (ticket.status === "called" ? s.called : s.serving) : s.idle;
    $("[data-current-service]").textContent = ticket ? serviceName(ticket.service) + (ticket.priority ? " \u00b7 " + s.priority : "") : "";
    document.body.setAttribute("data-ticket-status", ticket ? ticket.status : "none");
    document.body.setAttribute("data-busy", state.busy ? "true" : "false");
    var chip = $("[data-counter-state]");
    chip.textContent = me.open ? s.open : s.paused;
    chip.className = "chip " + (me.open ? "ok" : "warn");
    buttons.pause.firstChild.textContent = (me.open ? s.pause : s.resume) + " ";
    var allowed = {
      "call-next": me.open && !ticket,
      "recall": !!ticket && ticket.status === "called",
      "start": !!ticket && ticket.status === "called",
      "finish": !!ticket,
      "no-show": !!ticket,
      "transfer": !!ticket,
      "pause": true,
      "undo": !!undoable && !ticket
    };
    buttons.undo.hidden = !undoable;
    Object.keys(buttons).forEach(function (action) {
      buttons[action].disabled = state.busy || !allowed[action];
    });
    drawWaiting(me);
    drawAbsent();
    drawNotify(ticket);
    tick();
  }

  /* ---------- a card-ready SMS, typed on the resident's request ---------- */

  var notifyForm = $("[data-notify]");
  var notifyFor = null;  // the ticket id the typed number belongs to

  function producesCard(code) {
    var services = state.snapshot.services;
    for (var i = 0; i < services.length; i++) {
      if (services[i].code === code) { return services[i].produces_card; }
    }
    return false;
  }

  function drawNotify(ticket) {
    if (!notifyForm) { return; }
    var offered = !!ticket && producesCard(ticket.service);
    var id = offered ? ticket.id : null;
    if (id !== notifyFor) { notifyForm.elements.phone.value = ""; notifyFor = id; }
    notifyForm.hidden = !offered;
  }

  if (notifyForm) {
    notifyForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var ticket = mine() && mine().ticket;
      var input = notifyForm.elements.phone;
      if (!ticket || !input.value.trim()) { input.focus(); return; }
      var button = notifyForm.querySelector("button");
      button.disabled = true;
      L.api("POST", "/api/v1/tickets/" + ticket.id + "/notify", { phone: input.value },
        function (status, data) {
          button.disabled = false;
          if (status === 201) {
            input.value = "";
            input.blur();  // the console's keys work again
            say(L.fill(s.notify_saved, { code: ticket.code, phone: data.phone }));
          } else {
            say(L.errorText(status, data, s.offline), true);
          }
        });
    });
  }

  function drawAbsent() {
    var list = $("[data-absent]");
    var absent = state.snapshot.absent || [];
    L.clear(list);
    $("[data-absent-total]").textContent = "(" + absent.length + ")";
    if (!absent.length) { list.appendChild(L.el("li", "none", s.absent_none)); return; }
    absent.forEach(function (t) {
      var li = L.el("li");
      li.setAttribute("data-absent-ticket", t.code);
      li.appendChild(L.el("span", "code", t.code));
      var time = t.no_show_at ? t.no_show_at.slice(11, 16) : "";
      li.appendChild(L.el("span", "when", L.fill(s.absent_at, { time: time, counter: t.counter || "\u2014" })));
      var back = L.el("button", "button small", s.requeue);
      back.type = "button";
      back.setAttribute("data-absent-action", "requeue");
      back.disabled = state.busy;
      back.addEventListener("click", function () {
        move(t, "requeue", L.fill(s.requeued, { code: t.code }));
      });
      // Two steps: the first touch asks, the second (within five seconds) cancels. The list is
      // redrawn on every change of the office, so the asking survives a redraw.
      var armed = state.armed && state.armed.id === t.id && Date.now() < state.armed.until;
      var cancel = L.el("button", "button small danger",
                        armed ? L.fill(s.confirm_cancel, { code: t.code }) : s.cancel);
      cancel.type = "button";
      cancel.setAttribute("data-absent-action", "cancel");
      if (armed) { cancel.setAttribute("data-armed", "true"); }
      cancel.disabled = state.busy;
      cancel.addEventListener("click", function () {
        if (!(state.armed && state.armed.id === t.id && Date.now() < state.armed.until)) {
          state.armed = { id: t.id, until: Date.now() + 5000 };
          drawAbsent();
          setTimeout(function () {
            if (state.armed && state.armed.id === t.id && Date.now() >= state.armed.until) {
              state.armed = null;
              drawAbsent();
            }
          }, 5050);
          return;
        }
        state.armed = null;
        move(t, "cancel", L.fill(s.cancelled, { code: t.code }));
      });
      li.appendChild(back);
      li.appendChild(cancel);
      list.appendChild(li);
    });
  }

  function move(ticket, action, okText) {
    if (state.busy) { return; }
    state.busy = true;
    draw();
    L.api("POST", "/api/v1/tickets/" + ticket.id + "/" + action, null, function (status, data) {
      after(status, data, okText);
    });
  }

  function offerUndo(ticket) {
    undoable = { id: ticket.id, code: ticket.code };
    clearTimeout(undoTimer);
    undoTimer = setTimeout(function () { undoable = null; draw(); }, config.undo_seconds * 1000);
  }

  function drawWaiting(me) {
    var box = $("[data-waiting]");
    L.clear(box);
    var waiting = state.snapshot.waiting;
    var byService = {};
    waiting.forEach(function (t) { (byService[t.service] = byService[t.service] || []).push(t); });
    var services = state.snapshot.services.filter(function (sv) { return sv.active; });
    var ordered = services.filter(function (sv) { return me.services.indexOf(sv.code) >= 0; })
      .concat(services.filter(function (sv) { return me.services.indexOf(sv.code) < 0; }));
    var mineCount = 0;
    var othersHeader = false;
    ordered.forEach(function (sv) {
      var list = byService[sv.code] || [];
      var ours = me.services.indexOf(sv.code) >= 0;
      if (ours) { mineCount += list.length; }
      if (!ours && !list.length) { return; }
      if (!ours && !othersHeader) {
        othersHeader = true;
        box.appendChild(L.el("h3", "others", s.others));
      }
      var section = L.el("section", "waiting-service" + (ours ? " ours" : ""));
      section.setAttribute("data-waiting-service", sv.code);
      var head = L.el("h4", "", sv.code + " \u00b7 " + sv.name + " (" + list.length + ")");
      section.appendChild(head);
      var ol = L.el("ol");
      list.forEach(function (t) {
        var li = L.el("li", t.priority ? "prio" : "");
        li.setAttribute("data-waiting-ticket", t.code);
        li.appendChild(L.el("span", "code", t.code));
        if (t.priority) { li.appendChild(L.el("span", "badge", s.priority)); }
        var waited = L.el("span", "waited");
        waited.setAttribute("data-since", t.queued_at);
        li.appendChild(waited);
        ol.appendChild(li);
      });
      if (!list.length) { ol.appendChild(L.el("li", "none", s.nobody)); }
      section.appendChild(ol);
      box.appendChild(section);
    });
    $("[data-waiting-total]").textContent = "(" + mineCount + ")";
  }

  function tick() {
    var me = mine();
    var ticket = me && me.ticket;
    $("[data-current-timer]").textContent = ticket ? L.clock(L.secondsSince(ticket.called_at)) : "";
    Array.prototype.forEach.call(document.querySelectorAll("[data-since]"), function (node) {
      var minutes = Math.floor(L.secondsSince(node.getAttribute("data-since")) / 60);
      node.textContent = L.fill(s.minutes, { m: minutes });
    });
  }

  /* ---------- moves ---------- */

  function after(status, data, okText) {
    state.busy = false;
    if (status >= 200 && status < 300) {
      if (okText) { say(okText); }
      refresh();
    } else {
      say(L.errorText(status, data, s.offline), true);
      refresh();
    }
  }

  function act(action) {
    if (state.busy || !buttons[action] || buttons[action].disabled) { return; }
    var me = mine();
    var ticket = me && me.ticket;
    if (action === "transfer") { openTransfer(); return; }
    if (action === "undo") {
      var slip = undoable;
      undoable = null;
      clearTimeout(undoTimer);
      move(slip, "undo", L.fill(s.undone, { code: slip.code }));
      return;
    }
    undoable = null;
    state.busy = true;
    draw();
    if (action === "call-next") {
      L.api("POST", "/api/v1/counters/" + counterId + "/call-next", null, function (status, data) {
        after(status, data, status === 200 ? L.fill(s.called_next, { code: data.code })
          : (status === 204 ? s.nobody : null));
      });
    } else if (action === "pause") {
      L.api("POST", "/api/v1/counters/" + counterId + (me.open ? "/pause" : "/resume"), null,
        function (status, data) { after(status, data, null); });
    } else {
      L.api("POST", "/api/v1/tickets/" + ticket.id + "/" + action, null, function (status, data) {
        var text = action === "finish" ? s.done : (action === "no-show" ? s.absent : null);
        if (status === 200 && (action === "finish" || action === "no-show")) { offerUndo(ticket); }
        after(status, data, text ? L.fill(text, { code: ticket.code }) : null);
      });
    }
  }

  function openTransfer() {
    var box = $("[data-transfer-choices]");
    L.clear(box);
    var me = mine();
    state.snapshot.services.forEach(function (sv, i) {
      if (!sv.active || (me.ticket && me.ticket.service === sv.code)) { return; }
      var b = L.el("button", "button", sv.code + " \u00b7 " + sv.name);
      b.type = "button";
      b.setAttribute("data-transfer-to", sv.code);
      b.addEventListener("click", function () { transfer(sv.code); });
      box.appendChild(b);
      if (i === 0) { b.focus(); }
    });
    $("[data-transfer]").hidden = false;
    var first = box.querySelector("button");
    if (first) { first.focus(); }
  }

  function closeTransfer() { $("[data-transfer]").hidden = true; }

  function transfer(code) {
    var ticket = mine().ticket;
    closeTransfer();
    state.busy = true;
    draw();
    L.api("POST", "/api/v1/tickets/" + ticket.id + "/transfer", { service: code },
      function (status, data) { after(status, data, L.fill(s.transferred, { code: ticket.code, service: code })); });
  }

  $("[data-transfer-cancel]").addEventListener("click", closeTransfer);

  /* ---------- keyboard ---------- */

  var keys = {};
  Object.keys(config.shortcuts).forEach(function (action) { keys[config.shortcuts[action]] = action; });
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.altKey || event.metaKey) { return; }
    var target = event.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT")) { return; }
    if (event.key === "Escape") { closeTransfer(); return; }
    if (!$("[data-transfer]").hidden) {
      var choice = document.querySelector('[data-transfer-to="' + event.key.toUpperCase() + '"]');
      if (choice) { event.preventDefault(); transfer(event.key.toUpperCase()); }
      return;
    }
    var action = keys[event.key.toUpperCase()];
    if (action) { event.preventDefault(); act(action); }
  });

  /* ---------- live ---------- */

  function refresh() {
    L.api("GET", "/api/v1/offices/" + config.office + "/queue", null, function (status, data) {
      if (status === 200 && data.seq >= state.snapshot.seq) { state.snapshot = data; }
      draw();
    });
  }

  L.follow(config.office, function (snapshot) {
    if (snapshot.seq >= state.snapshot.seq) { state.snapshot = snapshot; draw(); }
  });
  draw();
  setInterval(tick, 1000);
}());
