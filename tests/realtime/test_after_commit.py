"""Events reach Socket.IO rooms only after commit, and only the rooms they concern."""

from __future__ import annotations

import pytest

from app import domain
from app.domain import Actor
from app.extensions import db, socketio


@pytest.fixture
def sio(app, world):
    def connect():
        return socketio.test_client(app)

    return connect


def _names(client) -> list[str]:
    return [m["name"] for m in client.get_received()]


def test_join_office_gets_the_board_at_once(sio):
    tv = sio()
    tv.emit("join", {"office": "kupang"})
    received = tv.get_received()
    assert [m["name"] for m in received] == ["board"]
    assert received[0]["args"][0]["office"] == "kupang"


def test_call_goes_to_its_office_only(api, sio, world):
    kupang, oebobo = sio(), sio()
    kupang.emit("join", {"office": "kupang"})
    oebobo.emit("join", {"office": "oebobo"})
    kupang.get_received()
    oebobo.get_received()
    api.issue("A")
    api.call_next(world.counter(1).id)
    got = kupang.get_received()
    called = [m["args"][0] for m in got if m["name"] == "called"]
    assert called == [
        {
            "code": "A-001",
            "counter": 1,
            "counter_name": "Loket 1",
            "service": "A",
            "seq": called[0]["seq"],
            "recall": False,
            "clips": [
                "nomor_antrean",
                "huruf_a",
                "angka_0",
                "angka_0",
                "angka_1",
                "silakan_menuju_loket",
                "angka_1",
            ],
        }
    ]
    assert "board" in [m["name"] for m in got]
    assert oebobo.get_received() == []


def test_ticket_room_gets_its_own_changes_only(api, sio, world):
    first, second = api.issue("A"), api.issue("A")
    phone1, phone2 = sio(), sio()
    phone1.emit("join", {"ticket": first["token"]})
    phone2.emit("join", {"ticket": second["token"]})
    assert phone1.get_received()[0]["args"][0]["ahead"] == 0
    assert phone2.get_received()[0]["args"][0]["ahead"] == 1
    api.call_next(world.counter(1).id)
    one = [m["args"][0] for m in phone1.get_received() if m["name"] == "ticket"]
    two = [m["args"][0] for m in phone2.get_received() if m["name"] == "ticket"]
    assert [(t["code"], t["status"]) for t in one] == [("A-001", "called")]
    assert [(t["code"], t["ahead"]) for t in two] == [("A-002", 0)]
    assert "token" not in str(one)


def test_nothing_is_sent_for_a_rolled_back_change(app, sio, world, clock, api):
    api.issue("A")
    tv = sio()
    tv.emit("join", {"office": "kupang"})
    tv.get_received()
    operator = Actor(None, "operator", None)
    with app.app_context():
        # A call rolled back, then another change committed in the same session: only the
        # committed change is sent (the call's events died with its rollback).
        domain.call_next(db.session, world.counter(1).id, now=clock(), actor=operator)
        db.session.rollback()
        domain.issue(
            db.session, "kupang", "C", priority=False, now=clock(), actor=Actor(None, "kiosk", None)
        )
        assert tv.get_received() == []  # not yet committed
        db.session.commit()
    got = tv.get_received()
    assert [m["name"] for m in got if m["name"] != "board"] == []  # no "called" for A-001
    boards = [m["args"][0] for m in got if m["name"] == "board"]
    assert boards and boards[-1]["waiting"]["A"] == 1 and boards[-1]["waiting"]["C"] == 1


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "kupang",
        5,
        [],
        {},
        {"office": 5},
        {"office": "x" * 10_000},
        {"office": "nowhere"},
        {"ticket": "nope-nope-nope"},
        {"office": "kupang", "ticket": "x"},
        {"planet": "mars"},
        {"staff": "kupang"},
    ],
)
def test_bad_join_gets_an_error_and_the_connection_stays(sio, payload):
    client = sio()
    client.emit("join", payload)
    received = client.get_received()
    assert [m["name"] for m in received] == ["error"]
    error = received[0]["args"][0]
    assert set(error) == {"code", "message"} and error["message"].endswith(".")
    assert client.is_connected()
    client.emit("join", {"office": "kupang"})
    assert _names(client) == ["board"]


def test_staff_room_needs_staff_of_that_office(app, world):
    operator = socketio.test_client(app, auth={"token": world.tokens["operator"]})
    operator.emit("join", {"staff": "kupang"})
    assert [m["name"] for m in operator.get_received()] == ["staff"]
    operator.emit("join", {"staff": "oebobo"})
    assert operator.get_received()[0]["args"][0]["code"] == "forbidden"
    kiosk = socketio.test_client(app, auth={"token": world.tokens["kiosk"]})
    kiosk.emit("join", {"staff": "kupang"})
    assert kiosk.get_received()[0]["args"][0]["code"] == "forbidden"
    stranger = socketio.test_client(app, auth={"token": "lkt_forged"})
    stranger.emit("join", {"staff": "kupang"})
    assert stranger.get_received()[0]["name"] == "error"


def test_staff_room_accepts_a_signed_in_browser(app, world, client):
    from tests.web import sign_in

    assert sign_in(client, "clerk").status_code == 302
    browser = socketio.test_client(app, flask_test_client=client)
    browser.emit("join", {"staff": "kupang"})
    assert [m["name"] for m in browser.get_received()] == ["staff"]
