"""A number from the phone: the rotating code of the waiting room, shown only to the office's
screens; a fresh code gives a number without paper; an old one, a second number on the same
phone, or too many from one address are refused with a sentence."""

from __future__ import annotations

import re

import pytest

from app.domain import presence
from tests.web import csrf_token, sign_in


def _code(app, world, clock) -> str:
    return presence.current_code(app.config["SECRET_KEY"], world.office.id, clock.now)


def _take(client, url: str, service: str = "A", token: str | None = None):
    if token is None:
        token = csrf_token(client.get(url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, "service": service})


def test_the_code_changes_every_minute_and_lives_two(app, world, clock):
    secret = app.config["SECRET_KEY"]
    first = presence.current_code(secret, world.office.id, clock.now)
    assert presence.is_valid(secret, world.office.id, first, clock.now)
    clock.advance(seconds=60)
    assert presence.current_code(secret, world.office.id, clock.now) != first
    assert presence.is_valid(secret, world.office.id, first, clock.now)  # the one before
    clock.advance(seconds=60)
    assert not presence.is_valid(secret, world.office.id, first, clock.now)
    # Another office's code is not this office's.
    other = presence.current_code(secret, world.other.id, clock.now)
    assert not presence.is_valid(secret, world.office.id, other, clock.now)


def test_only_the_offices_screens_get_the_code(app, world, client):
    assert client.get("/p/kupang/qr.svg").status_code == 401
    assert client.get("/p/kupang/code.json").status_code == 401
    for role, status in (("display", 200), ("kiosk", 200), ("kiosk-oebobo", 403)):
        own = app.test_client()
        assert sign_in(own, role).status_code == 302
        assert own.get("/p/kupang/qr.svg").status_code == status, role
        assert own.get("/p/kupang/code.json").status_code == status, role
    # The TV shows the box only when it is signed in as the office's screen.
    assert "data-phone-qr" not in client.get("/display/kupang").get_data(as_text=True)
    tv = app.test_client()
    sign_in(tv, "display")
    assert "data-phone-qr" in tv.get("/display/kupang").get_data(as_text=True)


def test_a_fresh_code_gives_a_number_on_the_phone(app, world, client, clock):
    url = f"/p/kupang/{_code(app, world, clock)}"
    page = client.get(url + "?lang=id").get_data(as_text=True)
    assert 'data-phone-service="A"' in page
    form_token = csrf_token(page)
    response = _take(client, url, token=form_token)
    assert response.status_code == 302
    token = re.search(r"/t/([\w-]+)$", response.headers["Location"])[1]
    track = client.get(f"/api/v1/track/{token}").get_json()
    assert track["code"] == "A-001" and track["status"] == "waiting"
    with app.app_context():
        from app.extensions import db
        from app.models import PrintJob, Ticket

        ticket = db.session.query(Ticket).filter_by(token=token).one()
        assert ticket.channel == "phone"
        assert db.session.query(PrintJob).count() == 0  # no paper
    # The same phone again: sent back to its number while it waits.
    again = _take(client, url, token=form_token)
    assert again.headers["Location"].endswith(f"/t/{token}")


def test_an_old_code_and_the_limits_are_refused_with_sentences(app, world, client, clock):
    old = f"/p/kupang/{_code(app, world, clock)}"
    form_token = csrf_token(client.get(old).get_data(as_text=True))
    clock.advance(minutes=2)
    page = client.get(old + "?lang=id").get_data(as_text=True)
    assert "data-expired" in page and "setiap menit" in page
    clock.advance(minutes=4)  # past the form's grace too
    refused = client.post(old, data={"csrf_token": form_token, "service": "A"})
    assert refused.headers["Location"].endswith("?error=expired")

    # Two numbers a day per phone: after both are finished, a third is refused.
    url = f"/p/kupang/{_code(app, world, clock)}"
    for _ in range(2):
        response = _take(client, url, token=form_token)
        _finish(app, response.headers["Location"].rsplit("/", 1)[1])
    third = _take(client, url, token=form_token)
    assert third.headers["Location"].endswith("?error=device_limit")
    page = client.get(third.headers["Location"]).get_data(as_text=True)
    assert 'data-error="device_limit"' in page


def _finish(app, token: str) -> None:
    from app.extensions import db
    from app.models import Ticket

    with app.app_context():
        ticket = db.session.query(Ticket).filter_by(token=token).one()
        ticket.status = "cancelled"
        db.session.commit()


def test_one_address_takes_at_most_its_share_an_hour(app, world, clock, monkeypatch):
    import app.phone as phone

    monkeypatch.setattr(phone, "PER_ADDRESS_HOUR", 3)
    url = f"/p/kupang/{_code(app, world, clock)}"
    for _ in range(3):
        assert "/t/" in _take(app.test_client(), url).headers["Location"]  # new phones
    refused = _take(app.test_client(), url)
    assert refused.headers["Location"].endswith("?error=address_limit")


@pytest.mark.parametrize("service", ["Z", ""])
def test_an_unknown_service_is_a_sentence_not_an_error(app, world, client, clock, service):
    url = f"/p/kupang/{_code(app, world, clock)}"
    response = _take(client, url, service)
    assert response.status_code == 302 and response.headers["Location"].endswith("?error=closed")
