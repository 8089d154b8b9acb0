"""``POST /api/v1/track/{token}/notify`` and its staff twin as the contract says, the status
page's form (no script needed), the console's field, the admin's counts, and the number gone
from the database after handover, at the end of the day and after ``loket purge``."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.extensions import db
from app.models import CardNotice
from tests.admin.conftest import Browser
from tests.conftest import assert_error
from tests.web import csrf_token, scan, sign_in

PHONE = "0812-3456-7890"
DIGITS = "81234567890"
MASKED = "08\u2022\u2022\u2022\u2022\u2022\u2022\u2022890"


def _recorded(api) -> dict:
    ticket = api.issue("A")
    api.call_next(api.world.counter(1).id)
    assert api.move(ticket["id"], "finish").status_code == 200
    return ticket


def _notify(api, ticket, body, **kwargs):
    return api.post(f"/api/v1/track/{ticket['token']}/notify", body, **kwargs)


def _stage(api, ticket, stage):
    response = api.move(ticket["id"], "stage", "clerk", {"stage": stage})
    assert response.status_code == 200, response.get_json()


# ---- the public API ------------------------------------------------------------------------


def test_asking_answers_201_without_the_number_in_full(api):
    ticket = api.issue("A")
    response = _notify(api, ticket, {"phone": PHONE})
    assert response.status_code == 201
    assert response.get_json() == {"code": "A-001", "status": "waiting", "phone": MASKED}
    assert DIGITS not in response.get_data(as_text=True)
    again = _notify(api, ticket, {"phone": "+62 813 0000 1111"})
    assert again.status_code == 201 and again.get_json()["phone"].endswith("111")


@pytest.mark.parametrize(
    ("phone", "code"),
    [
        ("12345", "invalid_phone"),
        ("021 555 1234", "invalid_phone"),
        ("+1 415 555 0100", "invalid_phone"),
        ("0812 3456 7890 1234", "invalid_phone"),
        ("0812\u0000 3456 7890", "invalid_field"),  # cannot be stored
        ("0" * 41, "invalid_field"),  # too long
    ],
)
def test_a_bad_number_is_422_with_a_sentence(app, api, phone, code):
    ticket = api.issue("A")
    error = assert_error(_notify(api, ticket, {"phone": phone}), 422, code)
    assert "phone" in error["message"] or "0812 3456 7890" in error["message"]
    with app.app_context():
        assert db.session.query(CardNotice).count() == 0


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 422, "invalid_field"),
        ({"phone": None}, 422, "invalid_field"),
        ({"phone": 81234567890}, 422, "invalid_field"),
        ([PHONE], 422, "invalid_body"),
    ],
)
def test_a_bad_body_is_4xx_with_a_sentence(api, body, status, code):
    ticket = api.issue("A")
    assert_error(_notify(api, ticket, body), status, code)


def test_no_body_and_not_json(api):
    ticket = api.issue("A")
    path = f"/api/v1/track/{ticket['token']}/notify"
    assert_error(api.client.post(path), 400, "bad_request")
    assert_error(
        api.client.post(path, data="{phone", content_type="application/json"), 400, "bad_request"
    )


def test_an_unknown_token_is_404(api):
    assert_error(_notify(api, {"token": "x" * 22}, {"phone": PHONE}), 404, "unknown_token")


def test_the_409s(api):
    no_card = api.issue("C")
    assert_error(_notify(api, no_card, {"phone": PHONE}), 409, "not_a_card")
    printed = _recorded(api)
    _stage(api, printed, "printed")
    assert_error(_notify(api, printed, {"phone": PHONE}), 409, "card_ready")
    _stage(api, printed, "handed_over")
    assert_error(_notify(api, printed, {"phone": PHONE}), 409, "handed_over")
    asked = _recorded(api)
    assert _notify(api, asked, {"phone": PHONE}).status_code == 201
    _stage(api, asked, "printed")
    assert_error(_notify(api, asked, {"phone": PHONE}), 409, "already_sent")
    cancelled = api.issue("A")
    api.move(cancelled["id"], "cancel")
    assert_error(_notify(api, cancelled, {"phone": PHONE}), 409, "ticket_closed")


def test_sms_off_is_409_and_nothing_is_offered(app, api, client):
    app.config["SMS_URL"] = ""
    ticket = api.issue("A")
    assert_error(_notify(api, ticket, {"phone": PHONE}), 409, "sms_off")
    assert_error(
        api.post(f"/api/v1/tickets/{ticket['id']}/notify", {"phone": PHONE}, as_="operator"),
        409,
        "sms_off",
    )
    page = client.get(f"/t/{ticket['token']}").get_data(as_text=True)
    assert "data-notify" not in page
    with app.app_context():
        assert db.session.query(CardNotice).count() == 0


def test_the_public_route_is_rate_limited_like_the_others(make_app, clock):
    from tests.conftest import Api, build_world

    app = make_app(ANONYMOUS_RATE_LIMIT="5 per minute")
    with app.app_context():
        world = build_world(db.session)
    api = Api(app.test_client(), world)
    ticket = api.issue("A")
    statuses = [_notify(api, ticket, {"phone": PHONE}).status_code for _ in range(6)]
    assert statuses[:5] == [201] * 5 and statuses[5] == 429


# ---- staff at the counter ------------------------------------------------------------------


def test_staff_type_the_number_on_request(api):
    ticket = api.issue("A")
    api.call_next(api.world.counter(1).id)
    path = f"/api/v1/tickets/{ticket['id']}/notify"
    response = api.post(path, {"phone": PHONE}, as_="operator")
    assert response.status_code == 201
    assert response.get_json() == {"code": "A-001", "status": "waiting", "phone": MASKED}
    assert_error(api.post(path, {"phone": PHONE}, as_="kiosk"), 403, "forbidden")
    assert_error(api.post(path, {"phone": PHONE}, as_="operator@oebobo"), 403, "forbidden_office")
    assert_error(api.post(path, {"phone": PHONE}), 401, "unauthorized")
    assert_error(api.post(path, {"phone": "1"}, as_="clerk"), 422, "invalid_phone")
    assert_error(
        api.post("/api/v1/tickets/99999/notify", {"phone": PHONE}, as_="admin"), 404, "not_found"
    )


# ---- the number is gone --------------------------------------------------------------------


def _database_text(app) -> str:
    """Every row of every table, as SQL text."""
    path = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    with sqlite3.connect(path) as conn:
        return "\n".join(conn.iterdump())


def _database_bytes(app) -> bytes:
    """The database's files as they are on disk (the file and its write-ahead log)."""
    path = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def test_the_number_is_gone_after_handover_and_after_purge(app, api, runner):
    ticket = _recorded(api)
    assert _notify(api, ticket, {"phone": PHONE}).status_code == 201
    assert "+62" + DIGITS in _database_text(app)  # the test would see it
    _stage(api, ticket, "printed")
    _stage(api, ticket, "handed_over")
    assert DIGITS not in _database_text(app)
    result = runner.invoke(args=["loket", "purge"])
    assert result.exit_code == 0, result.output
    assert "Phone numbers of card-ready messages erased: 0." in result.output
    # Not a trace left in the files either: erased content is overwritten, the log folded in.
    assert DIGITS.encode() not in _database_bytes(app)


def test_purge_erases_a_number_left_from_an_earlier_day(app, api, runner, clock):
    ticket = api.issue("A")
    assert _notify(api, ticket, {"phone": PHONE}).status_code == 201
    # No write in the office since (no rollover ran): the number would stay until one.
    clock.advance(days=1)
    result = runner.invoke(args=["loket", "purge"])
    assert result.exit_code == 0, result.output
    assert "Phone numbers of card-ready messages erased: 1." in result.output
    assert DIGITS not in _database_text(app)
    assert DIGITS.encode() not in _database_bytes(app)
    with app.app_context():
        notice = db.session.query(CardNotice).one()
        assert (notice.status, notice.phone) == ("dropped", None)
    again = runner.invoke(args=["loket", "purge"])
    assert "erased: 0." in again.output


def test_purge_keeps_todays_number_of_a_card_in_production(app, api, runner):
    ticket = _recorded(api)
    assert _notify(api, ticket, {"phone": PHONE}).status_code == 201
    result = runner.invoke(args=["loket", "purge"])
    assert "erased: 0." in result.output
    with app.app_context():
        assert db.session.query(CardNotice).one().phone == "+6281234567890"


def test_the_end_of_the_day_erases_the_number(app, api, clock):
    ticket = _recorded(api)
    assert _notify(api, ticket, {"phone": PHONE}).status_code == 201
    clock.advance(days=1)
    api.issue("A")  # the first write of the new day
    assert DIGITS not in _database_text(app)


# ---- the status page -----------------------------------------------------------------------


def _page(client, ticket, lang="id"):
    client.set_cookie("lang", lang)
    return client.get(f"/t/{ticket['token']}")


def test_the_status_page_offers_the_form_for_a_card_ticket_only(api, client):
    card, other = api.issue("A"), api.issue("C")
    html = _page(client, card).get_data(as_text=True)
    assert 'data-notify="none"' in html and "Kirim SMS saat KTP-el siap" in html
    assert 'name="phone"' in html and 'type="tel"' in html
    page = scan(html)
    assert page.inline_scripts == [] and page.style_attrs == [] and page.handlers == []
    assert "data-notify" not in _page(client, other).get_data(as_text=True)


def test_the_form_works_without_scripts_and_never_shows_the_number_again(api, client):
    ticket = api.issue("A")
    html = _page(client, ticket).get_data(as_text=True)
    response = client.post(
        f"/t/{ticket['token']}/notify", data={"csrf_token": csrf_token(html), "phone": PHONE}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("#sms")
    after = _page(client, ticket).get_data(as_text=True)
    assert 'data-notify="waiting"' in after and MASKED in after and DIGITS not in after
    assert "Kami akan mengirim satu SMS" in after


def test_the_form_says_what_is_wrong_in_indonesian(api, client):
    ticket = api.issue("A")
    html = _page(client, ticket).get_data(as_text=True)
    response = client.post(
        f"/t/{ticket['token']}/notify", data={"csrf_token": csrf_token(html), "phone": "12345"}
    )
    assert response.status_code == 422
    said = response.get_data(as_text=True)
    assert "data-notify-error" in said and "Ini bukan nomor ponsel Indonesia" in said
    assert "12345" not in said


def test_the_form_needs_its_csrf_token(api, client):
    ticket = api.issue("A")
    response = client.post(f"/t/{ticket['token']}/notify", data={"phone": PHONE})
    assert response.status_code == 400
    assert not _page(client, ticket).get_data(as_text=True).count(MASKED)


def test_the_page_hides_the_offer_once_the_card_is_ready_or_handed_over(api, client):
    ticket = _recorded(api)
    _stage(api, ticket, "printed")
    assert "data-notify" not in _page(client, ticket).get_data(as_text=True)
    asked = _recorded(api)
    _notify(api, asked, {"phone": PHONE})
    _stage(api, asked, "printed")
    html = _page(client, asked).get_data(as_text=True)
    assert 'data-notify="pending"' in html and "data-notify-form" not in html
    _stage(api, asked, "handed_over")
    assert "data-notify" not in _page(client, asked).get_data(as_text=True)


# ---- the console and the admin -------------------------------------------------------------


def test_the_console_offers_the_field_when_messages_are_on(app, api, client, world):
    assert sign_in(client, "operator").status_code == 302
    html = client.get(f"/counter/{world.counter(1).id}").get_data(as_text=True)
    assert "data-notify" in html and 'id="notify-phone"' in html
    app.config["SMS_URL"] = ""
    assert "data-notify" not in client.get(f"/counter/{world.counter(1).id}").get_data(as_text=True)


def test_admins_see_counts_and_reasons_never_a_number(app, api, client):
    sent, failed, waiting = _recorded(api), _recorded(api), api.issue("A")
    for ticket in (sent, failed, waiting):
        assert _notify(api, ticket, {"phone": PHONE}).status_code == 201
    _stage(api, sent, "printed")
    _stage(api, failed, "printed")
    with app.app_context():
        rows = db.session.query(CardNotice).order_by(CardNotice.id).all()
        rows[0].status, rows[0].phone = "sent", None
        rows[1].status, rows[1].phone = "failed", None
        rows[1].last_error = "the SMS gateway answered 500"
        db.session.commit()
    admin = Browser(client, "admin", lang="id")
    html = admin.get("/admin/kupang/printers").get_data(as_text=True)
    assert "SMS kartu siap hari ini" in html
    for key, number in (("waiting", 1), ("queued", 0), ("sent", 1), ("failed", 1)):
        assert f'data-sms="{key}">{number}<' in html
    assert "gateway SMS menjawab 500: 1" in html
    assert DIGITS not in html and "0812" not in html


def test_old_notices_do_not_count_today(app, api, client, clock):
    ticket = api.issue("A")
    _notify(api, ticket, {"phone": PHONE})
    clock.advance(days=1, minutes=1)
    admin = Browser(client, "admin", lang="id")
    assert 'data-sms="waiting">0<' in admin.get("/admin/kupang/printers").get_data(as_text=True)
