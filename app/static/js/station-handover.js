/* The handover desk: one field that takes a typed code or a scanned QR (a USB scanner types the
 * status link and Enter), the ticket's stage with only the allowed action, and the printed
 * cards not yet collected (earlier days too). */
(function () {
  "use strict";

  var L = window.Loket;
  var config = L.config();
  var s = config.strings;
  var snapshot = config.snapshot;
  var $ = function (q) { return document.querySelector(q); };

  function serviceName(code) { return L.serviceName(snapshot, code); }
  var input = $("[name=code]");

  var say = L.say;

  function handOver(card) {
    L.api("POST", "/api/v1/tickets/" + card.id + "/stage", { stage: "handed_over" },
      function (status, data) {
        if (status === 200) {
          say(L.fill(s.done_handed, { code: card.code }));
          L.clear($("[data-found]"));
          input.value = "";
          input.focus();
        } else {
          say(L.errorText(status, data, s.offline), true);
        }
        refresh();
      });
  }

  function handButton(card) {
    var b = L.el("button", "button ok", s.handed_over);
    b.type = "button";
    b.setAttribute("data-action", "handed-over");
    b.setAttribute("data-ticket-id", String(card.id));
    b.addEventListener("click", function () { handOver(card); });
    return b;
  }

  function reprintButton(ticket) {
    var b = L.el("button", "button secondary", s.reprint);
    b.type = "button";
    b.setAttribute("data-action", "reprint");
    b.addEventListener("click", function () {
      L.api("POST", "/api/v1/tickets/" + ticket.id + "/reprint", null, function (status, data) {
        say(status === 201 ? L.fill(s.reprinted, { code: ticket.code }) : L.errorText(status, data, s.offline), status !== 201);
      });
    });
    return b;
  }

  function stageText(ticket) {
    if (ticket.stage === "blocked") {
      return config.stages.blocked + ": " + (config.reasons[ticket.block_reason] || "");
    }
    if (ticket.stage) { return config.stages[ticket.stage]; }
    var service = snapshot.services.filter(function (sv) { return sv.code === ticket.service; })[0];
    if (service && !service.produces_card) { return s.no_card; }
    return s.not_recorded;
  }

  function showFound(tickets) {
    var box = $("[data-found]");
    L.clear(box);
    if (!tickets.length) { say(s.not_found, true); return; }
    say("");
    tickets.forEach(function (ticket) {
      var card = L.el("div", "found");
      card.setAttribute("data-found-ticket", ticket.code);
      card.appendChild(L.el("div", "code", ticket.code));
      card.appendChild(L.el("div", "", ticket.service_name + " \u00b7 " + ticket.day));
      card.appendChild(L.el("div", "stage", stageText(ticket)));
      if (ticket.stage === "printed") { card.appendChild(handButton(ticket)); }
      card.appendChild(reprintButton(ticket));
      box.appendChild(card);
    });
    var action = box.querySelector("[data-action]");
    if (action && tickets.length === 1) { action.focus(); }
  }

  $("[data-search]").addEventListener("submit", function (event) {
    event.preventDefault();
    // A barcode scanner may wrap what it reads in control characters (STX, ETX, GS): they are
    // no part of a code or link, and the server refuses text that carries them.
    var q = input.value.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g, "").trim();
    if (!q) { return; }
    L.api("GET", "/api/v1/offices/" + config.office + "/tickets/find?q=" + encodeURIComponent(q), null,
      function (status, data) {
        if (status === 200) { showFound(data); } else { say(L.errorText(status, data, s.offline), true); }
      });
  });

  function draw() {
    var list = $("[data-list-printed]");
    L.clear(list);
    snapshot.cards.printed.forEach(function (card) {
      var tr = L.el("tr", card.day !== snapshot.day ? "old" : "");
      tr.setAttribute("data-ticket", card.code);
      tr.setAttribute("data-day", card.day);
      var code = L.el("td", "code", card.code);
      if (card.day !== snapshot.day) { code.appendChild(L.el("small", "", " " + L.fill(s.earlier, { day: card.day }))); }
      tr.appendChild(code);
      tr.appendChild(L.el("td", "", serviceName(card.service)));
      tr.appendChild(L.el("td", "", L.fill(s.since, { m: Math.floor(L.secondsSince(card.printed_at) / 60) })));
      var acts = L.el("td", "acts");
      acts.appendChild(handButton(card));
      tr.appendChild(acts);
      list.appendChild(tr);
    });
    if (!snapshot.cards.printed.length) { L.emptyRow(list, s.none_printed, 4); }
    $("[data-count-printed]").textContent = "(" + snapshot.cards.printed.length + ")";
  }

  function refresh() {
    L.refreshQueue(config.office, snapshot.seq, function (data) { snapshot = data; draw(); });
  }

  L.follow(config.office, function (next) {
    if (next.seq >= snapshot.seq) { snapshot = next; draw(); }
  });
  draw();
  input.focus();
}());
