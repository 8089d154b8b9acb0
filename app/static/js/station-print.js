/* The print station: cards waiting to print, oldest first, "printed" or "blocked" with a reason;
 * the blank-card stock, counted down by each print; live from the staff room. */
(function () {
  "use strict";

  var L = window.Loket;
  var config = L.config();
  var s = config.strings;
  var snapshot = config.snapshot;
  var $ = function (q) { return document.querySelector(q); };

  function serviceName(code) { return L.serviceName(snapshot, code); }

  var say = L.say;

  function stage(card, target, extra, doneText) {
    var body = { stage: target };
    Object.keys(extra || {}).forEach(function (k) { if (extra[k]) { body[k] = extra[k]; } });
    L.api("POST", "/api/v1/tickets/" + card.id + "/stage", body, function (status, data) {
      if (status === 200) { say(L.fill(doneText, { code: card.code })); } else {
        say(L.errorText(status, data, s.offline), true);
      }
      refresh();
    });
  }

  function since(iso) { return L.fill(s.since, { m: Math.floor(L.secondsSince(iso) / 60) }); }

  function codeCell(card) {
    var td = L.el("td", "code", card.code);
    if (card.day !== snapshot.day) {
      td.appendChild(L.el("small", "", " " + L.fill(s.earlier, { day: card.day })));
    }
    return td;
  }

  function button(label, action, cls, handler) {
    var b = L.el("button", "button " + (cls || ""), label);
    b.type = "button";
    b.setAttribute("data-action", action);
    b.addEventListener("click", handler);
    return b;
  }

  function blockForm(row, card) {
    var existing = row.nextSibling;
    if (existing && existing.className === "block-row") { existing.parentNode.removeChild(existing); return; }
    var tr = L.el("tr", "block-row");
    var td = L.el("td");
    td.colSpan = 4;
    // A form, so Enter in the note blocks the card as the button does.
    var form = L.el("form", "block-form");
    var select = L.el("select");
    select.setAttribute("name", "reason");
    // In the listed order (the most common reason first), not the keys' (sorted in the JSON).
    config.reason_order.forEach(function (r) {
      var option = L.el("option", "", config.reasons[r]);
      option.value = r;
      select.appendChild(option);
    });
    var note = L.el("input");
    note.setAttribute("name", "note");
    note.setAttribute("maxlength", "500");
    note.setAttribute("placeholder", s.note);
    form.appendChild(select);
    form.appendChild(note);
    var confirm = button(s.confirm_block, "confirm-block", "warn", function () {});
    confirm.type = "submit";
    form.appendChild(confirm);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      stage(card, "blocked", { reason: select.value, note: note.value }, s.done_blocked);
    });
    form.appendChild(button(s.cancel, "cancel-block", "secondary", function () {
      tr.parentNode.removeChild(tr);
    }));
    td.appendChild(form);
    tr.appendChild(td);
    row.parentNode.insertBefore(tr, row.nextSibling);
    select.focus();
  }

  function draw() {
    var stock = snapshot.card_stock;
    $("[data-card-stock]").textContent = stock === null ? "\u2014" : String(stock);
    $("[data-stock-box]").className = "stock" + (stock === 0 ? " empty" : "");
    var warning = $("[data-stock-warning]");
    warning.hidden = stock !== 0;
    warning.textContent = s.stock_empty;

    var ready = $("[data-list-ready]");
    L.clear(ready);
    snapshot.cards.ready_to_print.forEach(function (card) {
      var tr = L.el("tr", card.day !== snapshot.day ? "old" : "");
      tr.setAttribute("data-ticket", card.code);
      tr.setAttribute("data-day", card.day);
      tr.appendChild(codeCell(card));
      tr.appendChild(L.el("td", "", serviceName(card.service)));
      tr.appendChild(L.el("td", "", since(card.ready_at)));
      var acts = L.el("td", "acts");
      acts.appendChild(button(s.printed, "printed", "ok", function () {
        stage(card, "printed", {}, s.done_printed);
      }));
      acts.appendChild(button(s.blocked, "blocked", "secondary", function () { blockForm(tr, card); }));
      tr.appendChild(acts);
      ready.appendChild(tr);
    });
    if (!snapshot.cards.ready_to_print.length) { L.emptyRow(ready, s.none_ready, 4); }
    $("[data-count-ready]").textContent = "(" + snapshot.cards.ready_to_print.length + ")";

    var blocked = $("[data-list-blocked]");
    L.clear(blocked);
    snapshot.cards.blocked.forEach(function (card) {
      var tr = L.el("tr");
      tr.setAttribute("data-ticket", card.code);
      tr.setAttribute("data-day", card.day);
      tr.appendChild(codeCell(card));
      tr.appendChild(L.el("td", "", (config.reasons[card.block_reason] || "") + (card.note ? " \u2014 " + card.note : "")));
      tr.appendChild(L.el("td", "", since(card.blocked_at)));
      var acts = L.el("td", "acts");
      acts.appendChild(button(s.back, "ready-again", "secondary", function () {
        stage(card, "ready_to_print", {}, s.done_ready_again);
      }));
      acts.appendChild(button(s.printed, "printed", "ok", function () {
        stage(card, "printed", {}, s.done_printed);
      }));
      tr.appendChild(acts);
      blocked.appendChild(tr);
    });
    if (!snapshot.cards.blocked.length) { L.emptyRow(blocked, s.none_blocked, 4); }
    $("[data-count-blocked]").textContent = "(" + snapshot.cards.blocked.length + ")";
  }

  function refresh() {
    L.refreshQueue(config.office, snapshot.seq, function (data) { snapshot = data; draw(); });
  }

  L.follow(config.office, function (next) {
    if (next.seq >= snapshot.seq && !document.querySelector(".block-row")) { snapshot = next; draw(); }
    else if (next.seq >= snapshot.seq) { snapshot = next; }
  });
  draw();
}());
