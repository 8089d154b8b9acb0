/* The administrator's live dashboard: the staff room's snapshot at once, today's figures and
 * the printers refreshed a few seconds after changes. */
(function () {
  "use strict";

  var L = window.Loket;
  var config = L.config();
  var s = config.strings;
  var snapshot = config.snapshot, today = config.today, printers = config.printers;
  var $ = function (q) { return document.querySelector(q); };
  var pending = null;

  function cell(tr, text, cls) { tr.appendChild(L.el("td", cls || "", text)); }

  function draw() {
    var waiting = snapshot.waiting;
    var issued = 0, served = 0, absent = 0;
    today.services.forEach(function (row) { issued += row.issued; served += row.served; absent += row.no_show; });
    $('[data-today="issued"]').textContent = issued;
    $('[data-today="served"]').textContent = served;
    $('[data-today="no_show"]').textContent = absent;
    $('[data-today="waiting"]').textContent = waiting.length;

    var services = $("[data-dash-services]");
    L.clear(services);
    snapshot.services.forEach(function (sv) {
      if (!sv.active) { return; }
      var mine = waiting.filter(function (t) { return t.service === sv.code; });
      var oldest = mine.reduce(function (m, t) { return Math.max(m, L.secondsSince(t.queued_at)); }, 0);
      var tr = L.el("tr");
      tr.setAttribute("data-service", sv.code);
      cell(tr, sv.code, "code");
      cell(tr, sv.name);
      // The longest wait goes under the count, in the same cell: a fourth column did not fit
      // the panel's third of a 1024 px tablet.
      var count = L.el("td", "num", mine.length + " " + s.waiting);
      if (mine.length) {
        count.appendChild(L.el("small", "muted", L.fill(s.longest, { m: Math.floor(oldest / 60) })));
      }
      tr.appendChild(count);
      services.appendChild(tr);
    });

    var counters = $("[data-dash-counters]");
    L.clear(counters);
    snapshot.counters.forEach(function (c) {
      var tr = L.el("tr");
      tr.setAttribute("data-counter", String(c.number));
      cell(tr, c.name, "code");
      cell(tr, c.open ? s.open : s.paused, c.open ? "ok" : "warn");
      cell(tr, c.services.join(", "), "muted");
      cell(tr, c.ticket ? c.ticket.code : s.idle);
      counters.appendChild(tr);
    });

    Object.keys(s.stage).forEach(function (stage) {
      $('[data-cards="' + stage + '"]').textContent = snapshot.cards[stage].length;
    });
    $("[data-card-stock]").textContent = snapshot.card_stock === null ? "\u2014" : snapshot.card_stock;

    var list = $("[data-dash-printers]");
    L.clear(list);
    printers.forEach(function (p) {
      var state = p.online ? s.online : (p.last_attempt_at ? s.offline : s.unused);
      var li = L.el("li", p.online ? "ok" : (p.last_attempt_at ? "warn" : "muted"));
      li.setAttribute("data-printer", p.target);
      li.appendChild(L.el("strong", "", (p.name || p.target) + ": " + state));
      li.appendChild(L.el("span", "", " \u00b7 " + L.fill(s.queue, { n: p.queue })));
      // In the page's language (the API says it in the caller's), the raw reason as a fallback.
      var reason = p.error_text || p.last_error;
      if (reason) { li.appendChild(L.el("span", "muted", " \u00b7 " + reason)); }
      list.appendChild(li);
    });
  }

  function refreshFigures() {
    pending = null;
    L.api("GET", "/api/v1/offices/" + config.office + "/report?from=" + snapshot.day + "&to=" + snapshot.day, null,
      function (status, data) { if (status === 200) { today = data; draw(); } });
    L.api("GET", "/api/v1/offices/" + config.office + "/printers", null,
      function (status, data) { if (status === 200) { printers = data; draw(); } });
  }

  L.follow(config.office, function (next) {
    snapshot = next;
    draw();
    if (!pending) { pending = setTimeout(refreshFigures, 3000); }
  });
  setInterval(refreshFigures, 60000);
  setInterval(draw, 30000);
  draw();
}());
