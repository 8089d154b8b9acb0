"""Every page and every form (also with its errors) reads in Indonesian: no English left over.

Each HTML page of the app is rendered in Indonesian with some of everything in it (tickets at
every step, a card, a print job, special days, the audit trail), and each form is sent wrong so
its errors show. The text a person reads (text, the labels of inputs, the sentences the page's
script shows, taken from its configuration) must contain neither a message of the catalogue in
its English form nor common English words. A new page must be added here (the route list is
checked), so nothing escapes the test.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from app.extensions import db
from tests.admin.conftest import Browser
from tests.web import csrf_token

ROOT = Path(__file__).resolve().parents[1]

# English words that Indonesian UI text never contains (data such as service names is removed
# before looking). Short words only in whole-word matches.
ENGLISH = re.compile(
    r"\b(the|and|of|your|this|that|is|are|was|with|for|to|not|please|has|have|been|will|"
    r"can|cannot|no longer|field|required|must|should|here|there|when|which|who|what|"
    r"ticket|tickets|queue|waiting|called|served|service|services|counter|counters|printed|"
    r"save|saved|cancel|delete|remove|add|edit|new|name|user|users|password|sign|"
    r"open|closed|opens|closes|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"today|yesterday|minutes|hours|card|cards|blocked|report|reports|settings|devices)\b",
    re.IGNORECASE,
)
# Words shared by both languages or names of things (not sentences): allowed as they are.
ALLOWED = {
    "Loket",
    "API",
    "CSV",
    "JSON",
    "OpenAPI",
    "QR",
    "KTP-el",
    "PNG",
    "TV",
    "WITA",
    "IKD",
}

# Every HTML page (GET), with what fills its placeholders. Checked against the app's routes.
PAGES = [
    "/",
    "/login",
    "/display/{office}",
    "/display/{office}/counter/1",
    "/display/{office}/counter/99",
    "/t/{token}",
    "/t/{card}",
    "/t/{card_asked}",
    "/account/password",
    "/counter/",
    "/counter/{counter}",
    "/kiosk/{office}",
    "/station/print",
    "/station/handover",
    "/station/group",
    "/station/bookings?day=2026-12-01",
    "/station/bookings?day=2026-11-30",
    "/station/bookings?day=junk",
    "/admin/",
    "/admin/{office}/",
    "/admin/{office}/settings",
    "/admin/offices/new",
    "/admin/{office}/hours",
    "/admin/{office}/services",
    "/admin/{office}/services/new",
    "/admin/{office}/services/A",
    "/admin/{office}/services/A/booking",
    "/admin/{office}/bookings",
    "/admin/{office}/services/B/booking",
    "/admin/{office}/counters",
    "/admin/{office}/counters/new",
    "/admin/{office}/counters/{counter}",
    "/admin/{office}/users",
    "/admin/{office}/users/{user}",
    "/admin/{office}/devices",
    "/admin/{office}/printers",
    "/admin/{office}/reports",
    "/admin/{office}/trail",
    "/admin/{office}/trail?from=2026-13-01",
    "/admin/{office}/reports?from=2026-12-31&to=2026-01-01",
    "/book/{office}",
    "/book/{office}?service=A",
    "/book/{office}?service=A&date=2026-12-01",
    "/book/{office}?service=A&date=2026-12-01&error=slot_full",
    "/book/{office}?service=A&date=2026-12-01&error=booking_limit",
    "/book/{office}?service=A&date=2026-12-01&error=closed",
    "/book/{office}?service=A&date=2026-12-26",
    "/book/oebobo",
    "/b/{booking}?new=1",
    "/b/{booking}/cancel",
    "/b/{cancelled}",
    "/b/{checked_in}",
    "/b/{group}",
    "/book/{office}?service=A&date=2026-12-01&error=group_size",
    "/?service=Layanan A",
    "/?office=kupang",
    "/p/{office}/{phone}",
    "/p/{office}/{phone}?error=expired",
    "/p/{office}/{phone}?error=device_limit",
    "/p/{office}/{phone}?error=address_limit",
    "/p/{office}/{phone}?error=closed",
    "/p/{office}/expired-code",
    "/t/{served}",
    "/t/{served}/survey",
    "/t/{token}/survey",
    "/survey/{office}/counter/3",
    "/survey/{office}/counter/1",
    "/admin/{office}/survey",
    "/admin/{office}/survey?service=C&counter=3",
    "/admin/{office}/survey?from=2026-12-01&to=2026-12-31",
    "/admin/{office}/survey?from=2024-01-01&to=2026-12-31",
    "/admin/{office}/survey?service=Z",
    "/admin/{office}/survey/print",
    "/admin/{office}/survey/print?from=2026-12-01&to=2026-12-31",
    "/admin/{office}/survey/wording",
    "/admin/{office}/survey/suggestions",
    "/admin/{office}/survey/suggestions?state=kept",
    "/admin/{office}/survey/suggestions?page=x",
    "/no/such/page",
]
# GET addresses that are not pages: they act and send the browser on, or answer JSON.
LINK_TARGETS = {"/logout", "/login/link/<token>", "/kiosk/<office>/notices"}
# Forms sent wrong: (page, form data). Each must answer with its errors, in Indonesian.
WRONG_FORMS = [
    ("/t/{served}/survey", {"u1": "9", "u2": "4", "suggestion": "x"}),
    ("/admin/{office}/settings", {"slug": "X Y", "name": "", "priority_boost_min": "999"}),
    ("/admin/{office}/settings", {"name": "x", "wifi_ssid": "x" * 33, "wifi_password": "pendek"}),
    ("/admin/{office}/settings", {"name": "x", "wifi_ssid": "", "wifi_password": "kata sandi é"}),
    ("/admin/offices/new", {"slug": "", "name": ""}),
    ("/admin/{office}/hours", {"mon_opens": "08:00", "mon_closes": "07:00", "tue_opens": "9"}),
    ("/admin/{office}/special-days", {"special-day": "31-12-2026", "special-is_open": "x"}),
    ("/admin/{office}/services/new", {"code": "11", "name": "", "colour": "blue"}),
    (
        "/admin/{office}/services/A/booking",
        {"enabled": "y", "starts": "9", "ends": "08:00", "slot_min": "1", "places": "x"},
    ),
    ("/admin/{office}/counters/new", {"number": "x", "name": "", "services": "9"}),
    ("/admin/{office}/users", {"username": "?", "role": "boss"}),
    (
        "/admin/{office}/survey/wording",
        {"u1-name": "x" * 61, "u1-question": "Sesuai?", "u2-name": "Nama saja"},
    ),
    ("/t/{card}/notify", {"phone": "12"}),
    ("/account/password", {"current": "", "new": "x"}),
    ("/login", {"username": "admin", "password": "wrong"}),
]


class _Text(HTMLParser):
    """What a person reads on a page: text outside scripts and styles, input labels, and the
    strings the page's scripts show (from its JSON configuration)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0
        self._json = False
        self._buffer: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name in ("placeholder", "title", "alt", "aria-label", "value"):
            if attributes.get(name) and not (name == "value" and tag != "button"):
                self.parts.append(attributes[name])
        if attributes.get("data-closed-reason"):
            self.parts.append(attributes["data-closed-reason"])
        if tag == "script" and attributes.get("type") == "application/json":
            self._json, self._buffer = True, []
        elif tag in ("script", "style", "code", "kbd"):  # codes are shown as codes
            self._skip += 1

    def handle_endtag(self, tag):
        if tag == "script" and self._json:
            self._json = False
            self.parts.extend(_strings(json.loads("".join(self._buffer))))
        elif tag in ("script", "style", "code", "kbd"):
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data):
        if self._json:
            self._buffer.append(data)
        elif not self._skip:
            self.parts.append(data)


def _strings(config) -> list[str]:
    """The sentences of a page's configuration (its "strings", labels and reasons)."""
    found: list[str] = []
    if isinstance(config, dict):
        for key, value in config.items():
            if key in ("strings", "reasons", "stages", "labels"):
                found.extend(_all_text(value))
            else:
                found.extend(_strings(value))
    elif isinstance(config, list):
        for value in config:
            found.extend(_strings(value))
    return found


def _all_text(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _all_text(v)]
    if isinstance(value, list):
        return [t for v in value for t in _all_text(v)]
    return []


def _english_messages() -> list[str]:
    """The catalogue's messages whose Indonesian differs: their English must never show."""
    with (ROOT / "app/translations/id/LC_MESSAGES/messages.po").open("rb") as fh:
        catalogue = read_po(fh, locale="id")
    found = []
    for message in catalogue:
        if not message.id or isinstance(message.id, tuple) or not message.string:
            continue
        english = re.split(r"%\(\w+\)s", str(message.id))
        longest = max(english, key=len).strip(" .,:;")
        if len(longest) >= 12 and " " in longest and longest not in str(message.string):
            found.append(longest)
    return found


@pytest.fixture
def filled(app, world, api, clock):
    """An office with some of everything: tickets waiting, called, absent and done, cards at
    every stage, a print job, a special day, entries in the audit trail."""
    from datetime import timedelta

    from app.models import PrintJob, SpecialDay, User

    tickets = [api.issue("A") for _ in range(4)] + [api.issue("C")]
    counter = world.counter(1).id
    first = api.call_next(counter).get_json()
    api.move(first["id"], "start")
    api.move(first["id"], "finish")  # A makes a card: ready to print
    second = api.call_next(counter).get_json()
    api.move(second["id"], "finish")
    api.move(second["id"], "stage", "clerk", {"stage": "printed"})
    third = api.call_next(counter).get_json()
    api.move(third["id"], "no-show")
    api.call_next(counter)
    # A card-ready SMS asked for (the status page says so; the printers page counts it).
    notify = api.post(f"/api/v1/track/{tickets[0]['token']}/notify", {"phone": "081234567890"})
    assert notify.status_code == 201, notify.get_json()
    # The first C ticket, served at counter 3: its survey is open and the tablet offers it.
    served = api.call_next(world.counter(3).id).get_json()
    assert api.move(served["id"], "finish").status_code == 200
    with app.app_context():
        db.session.add(
            SpecialDay(
                office_id=world.office.id,
                day=(clock.now + timedelta(days=3)).date(),
                is_open=False,
                note="Libur",
            )
        )
        db.session.add(
            SpecialDay(
                office_id=world.office.id,
                day=(clock.now - timedelta(days=400)).date(),
                is_open=False,
                note="Libur",
            )
        )
        db.session.execute(
            PrintJob.__table__.update().values(
                status="failed", last_error="cannot reach the printer"
            )
        )
        user = db.session.query(User).filter_by(username="operator").one()
        # The guest Wi-Fi: the kiosk's ticket screen shows its QR code and captions.
        world_office = db.session.get(type(world.office), world.office.id)
        world_office.wifi_ssid, world_office.wifi_password = "Dukcapil-Tamu", "antre-tenang"
        db.session.commit()
    # Bookings: one booked, one cancelled, one checked in.
    from tests.booking_helpers import add_plan, book

    add_plan(app)
    booked = book(api.client, "2026-12-01T09:00:00+08:00").get_json()
    cancelled = book(api.client, "2026-12-01T09:15:00+08:00").get_json()
    api.client.delete(f"/api/v1/bookings/{cancelled['token']}")
    group = api.client.post(
        "/api/v1/offices/kupang/bookings",
        json={"service": "A", "start": "2026-12-01T10:00:00+08:00", "places": 12},
    ).get_json()
    arrived = book(api.client, "2026-11-30T09:15:00+08:00").get_json()
    response = api.post(
        "/api/v1/offices/kupang/check-in", {"booking": arrived["code"]}, as_="kiosk"
    )
    assert response.status_code == 201, response.get_json()
    add_survey_answers(app, world, clock)
    return {
        "office": "kupang",
        "token": tickets[-1]["token"],
        "card": tickets[3]["token"],  # waiting for a service that makes a card: the SMS form
        "card_asked": tickets[0]["token"],  # an SMS asked for
        "counter": counter,
        "user": user.id,
        "booking": booked["token"],
        "cancelled": cancelled["token"],
        "checked_in": arrived["token"],
        "group": group["token"],
        "phone": presence_code(app, world, clock),
        "served": served["token"],
    }


def add_survey_answers(app, world, clock) -> None:
    """Two survey answers of the day at counter 3 (service C), with a profile and suggestions:
    one new, one kept."""
    from app.models import Service, SurveyResponse

    with app.app_context():
        service = db.session.query(Service).filter_by(office_id=world.office.id, code="C").one()
        for state, text in (("new", "Kursi ruang tunggu kurang."), ("kept", "Petugas ramah.")):
            db.session.add(
                SurveyResponse(
                    office_id=world.office.id,
                    service_id=service.id,
                    counter_id=world.counter(3).id,
                    day=clock.now.date(),
                    answered_at=clock.now,
                    source="status",
                    suggestion=text,
                    suggestion_state=state,
                    sex="f",
                    education="sma",
                    **{f"u{i}": 3 + i % 2 for i in range(1, 10)},
                )
            )
        db.session.commit()


def presence_code(app, world, clock) -> str:
    from app.domain import presence

    return presence.current_code(app.config["SECRET_KEY"], world.office.id, clock.now)


def _english_in(html: str, data: set[str], messages: list[str]) -> list[str]:
    reader = _Text()
    reader.feed(html)
    text = " ".join(" ".join(reader.parts).split())
    text = re.sub(r"%\(\w+\)[sd]", " ", text)  # placeholders the page's script fills
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, " ")
    for word in sorted(ALLOWED, key=len, reverse=True):
        text = text.replace(word, " ")
    found = sorted({m for m in messages if m in text})
    found += sorted(
        {f"…{text[max(0, m.start() - 30) : m.end() + 30]}…" for m in ENGLISH.finditer(text)}
    )
    return found


def _data(app, world) -> set[str]:
    """What the office's own data says (names, codes): not the interface's words."""
    from app.models import Counter, Office, Service, User

    with app.app_context():
        values = set()
        for office in db.session.query(Office):
            values |= {office.name, office.slug}
        for service in db.session.query(Service):
            values |= {service.name, service.name_en or ""}
        for counter in db.session.query(Counter):
            values.add(counter.name)
        for user in db.session.query(User):
            values |= {user.username, user.display_name or ""}
        return {v for v in values if v}


def test_every_page_reads_in_indonesian(app, client, world, filled):
    admin = Browser(client, "admin", lang="id")
    messages = _english_messages()
    data = _data(app, world)
    leftovers = {}
    for page in PAGES:
        response = admin.get(page.format(**filled))
        assert response.status_code in (200, 302, 400, 404), (page, response.status_code)
        if response.status_code == 302:
            continue  # browsers follow it without showing its body
        found = _english_in(response.get_data(as_text=True), data, messages)
        if found:
            leftovers[page] = found
    assert not leftovers, json.dumps(leftovers, indent=1, ensure_ascii=False)


def test_every_form_with_its_errors_reads_in_indonesian(app, client, world, filled):
    Browser(client, "admin", lang="id")  # signs the client in
    messages = _english_messages()
    data = _data(app, world)
    leftovers = {}
    for page, values in WRONG_FORMS:
        path = page.format(**filled)
        form_page = path if "special-days" not in path else path.replace("special-days", "hours")
        form_page = form_page.removesuffix("/notify")  # the status page's SMS form
        token = csrf_token(
            client.get(form_page if path != "/login" else "/login").get_data(as_text=True)
        )
        response = client.post(path, data={"csrf_token": token, **values})
        if response.status_code == 302:  # a form that answers on the page it came from
            response = client.get(response.headers["Location"])
        assert response.status_code in (200, 400, 401, 403, 422), (path, response.status_code)
        found = _english_in(response.get_data(as_text=True), data, messages)
        if found:
            leftovers[path] = found
    assert not leftovers, json.dumps(leftovers, indent=1, ensure_ascii=False)


def test_the_list_of_pages_covers_every_html_page(app):
    """A new page fails here until it is added to PAGES."""
    listed = {re.sub(r"\?.*", "", p) for p in PAGES}
    placeholders = {
        "<office>": "{office}",
        "<token>": "{token}",
        "<id:counter_id>": "{counter}",
        "<id:user_id>": "{user}",
        "<code>": "A",
        "<int:number>": "1",
    }
    missing = []
    for rule in app.url_map.iter_rules():
        path = rule.rule
        if "GET" not in rule.methods or path.startswith(("/api/", "/static", "/vendor")):
            continue
        if "/static/" in path or path.endswith((".svg", ".csv", ".json", ".pdf", ".ics")):
            continue
        if path.startswith("/p/"):
            path = path.replace("<code>", "{phone}")  # the waiting room's rotating code
        for key, value in placeholders.items():
            path = path.replace(key, value)
        path = path.replace("/b/{token}", "/b/{booking}")  # a booking's token, not a ticket's
        if "<" in path:
            continue  # a link target (sign-in link, a job's action), not a page
        if path not in listed and rule.rule not in LINK_TARGETS:
            missing.append(rule.rule)
    assert missing == []
