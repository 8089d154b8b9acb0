"""The ticket's journey through the API, and every illegal move refused with 409."""

from __future__ import annotations

import pytest

from app.public_url import lan_address
from tests.conftest import assert_error
from tests.schema import check


def test_issue_returns_the_documented_ticket(api):
    ticket = api.issue("A")
    check("Ticket", ticket)
    assert ticket["code"] == "A-001" and ticket["number"] == 1
    assert (ticket["status"], ticket["stage"], ticket["counter"], ticket["priority"]) == (
        "waiting",
        None,
        None,
        False,
    )
    # The test client says "localhost": nobody else can open that, so the LAN address is used.
    assert ticket["track_url"] == f"http://{lan_address()}/t/{ticket['token']}"
    assert (ticket["ahead"], ticket["estimated_wait_s"]) == (0, 0)
    assert len(ticket["token"]) >= 20


def test_issue_sets_location_and_accepts_lower_case_service(api):
    response = api.post("/api/v1/offices/kupang/tickets", {"service": "c"}, as_="kiosk")
    assert response.status_code == 201
    assert response.headers["Location"].endswith(f"/api/v1/tickets/{response.get_json()['id']}")
    assert response.get_json()["code"] == "C-001"


def test_whole_journey_through_the_api(api, world):
    ticket = api.issue("A")
    called = api.call_next(world.counter(1).id).get_json()
    assert (called["id"], called["status"]) == (ticket["id"], "called")
    assert called["counter"] == {"id": world.counter(1).id, "number": 1, "name": "Loket 1"}
    assert api.move(ticket["id"], "recall").get_json()["status"] == "called"
    assert api.move(ticket["id"], "start").get_json()["status"] == "serving"
    done = api.move(ticket["id"], "finish").get_json()
    assert (done["status"], done["stage"]) == ("done", "ready_to_print")
    printed = api.move(ticket["id"], "stage", as_="clerk", json={"stage": "printed"}).get_json()
    assert printed["stage"] == "printed"
    assert api.get("/api/v1/offices/kupang/board").get_json()["pickup"] == ["A-001"]
    over = api.move(ticket["id"], "stage", as_="clerk", json={"stage": "handed_over"})
    assert over.get_json()["stage"] == "handed_over"
    assert api.get("/api/v1/offices/kupang/board").get_json()["pickup"] == []


def test_call_next_with_nobody_waiting_is_204(api, world):
    response = api.call_next(world.counter(1).id)
    assert response.status_code == 204 and response.data == b""


def test_call_next_on_a_busy_counter_names_its_ticket(api, world):
    api.issue("A")
    api.issue("A")
    api.call_next(world.counter(1).id)
    error = assert_error(api.call_next(world.counter(1).id), 409, "counter_busy")
    assert "A-001" in error["message"]


def test_two_counters_get_different_tickets(api, world):
    api.issue("A")
    api.issue("A")
    first = api.call_next(world.counter(1).id).get_json()
    second = api.call_next(world.counter(2).id).get_json()
    assert {first["code"], second["code"]} == {"A-001", "A-002"}


ILLEGAL = [
    ("finish", "waiting"),
    ("start", "waiting"),
    ("recall", "waiting"),
    ("no-show", "waiting"),
    ("requeue", "waiting"),
    ("start", "serving"),
    ("recall", "serving"),
    ("finish", "done"),
    ("no-show", "done"),
    ("transfer", "done"),
    ("cancel", "done"),
    ("start", "no_show"),
    ("finish", "cancelled"),
    ("requeue", "cancelled"),
]


def _bring(api, world, status):
    ticket = api.issue("A")
    if status == "waiting":
        return ticket["id"]
    api.call_next(world.counter(1).id)
    if status == "serving":
        api.move(ticket["id"], "start")
    elif status == "done":
        api.move(ticket["id"], "finish")
    elif status == "no_show":
        api.move(ticket["id"], "no-show")
    elif status == "cancelled":
        api.move(ticket["id"], "cancel")
    return ticket["id"]


@pytest.mark.parametrize(("action", "status"), ILLEGAL)
def test_illegal_move_is_409_and_changes_nothing(api, world, action, status):
    ticket_id = _bring(api, world, status)
    before = api.get(f"/api/v1/tickets/{ticket_id}", as_="operator").get_json()
    seq = api.get("/api/v1/offices/kupang/board").get_json()["seq"]
    body = {"service": "C"} if action == "transfer" else None
    error = assert_error(api.move(ticket_id, action, json=body), 409, "invalid_transition")
    assert "A-001" in error["message"]
    assert api.get(f"/api/v1/tickets/{ticket_id}", as_="operator").get_json() == before
    assert api.get("/api/v1/offices/kupang/board").get_json()["seq"] == seq


STAGE_ILLEGAL = [
    (None, "handed_over"),  # done, ready_to_print -> handed_over
    ("handed_over", "printed"),
    ("handed_over", "blocked"),
]


@pytest.mark.parametrize(("first", "target"), STAGE_ILLEGAL)
def test_illegal_stage_move_is_409(api, world, first, target):
    ticket_id = _bring(api, world, "done")
    if first == "handed_over":
        api.move(ticket_id, "stage", as_="clerk", json={"stage": "printed"})
        api.move(ticket_id, "stage", as_="clerk", json={"stage": "handed_over"})
    body = {"stage": target, "reason": "other"} if target == "blocked" else {"stage": target}
    assert_error(api.move(ticket_id, "stage", as_="clerk", json=body), 409, "invalid_transition")


def test_stage_on_a_waiting_ticket_is_409(api):
    ticket = api.issue("A")
    assert_error(
        api.move(ticket["id"], "stage", as_="clerk", json={"stage": "printed"}),
        409,
        "invalid_transition",
    )


def test_blocked_with_reason_and_back(api, world):
    ticket_id = _bring(api, world, "done")
    blocked = api.move(
        ticket_id,
        "stage",
        as_="clerk",
        json={"stage": "blocked", "reason": "duplicate_record", "note": "ganda"},
    )
    assert (blocked.get_json()["stage"], blocked.get_json()["block_reason"]) == (
        "blocked",
        "duplicate_record",
    )
    track = api.get(f"/api/v1/track/{blocked.get_json()['token']}").get_json()
    assert track["block_reason"] == "duplicate_record" and "ganda" not in str(track)
    assert_error(
        api.move(ticket_id, "stage", as_="clerk", json={"stage": "blocked"}),
        409,
        "invalid_transition",
    )
    back = api.move(ticket_id, "stage", as_="clerk", json={"stage": "ready_to_print"})
    assert back.get_json()["stage"] == "ready_to_print"


def test_blocked_without_reason_or_note_is_422(api, world):
    ticket_id = _bring(api, world, "done")
    assert_error(
        api.move(ticket_id, "stage", as_="clerk", json={"stage": "blocked"}), 422, "reason_required"
    )


def test_transfer_to_unknown_service_is_422(api):
    ticket = api.issue("A")
    assert_error(api.move(ticket["id"], "transfer", json={"service": "Z"}), 422, "unknown_service")


def test_paused_counter_refuses_call_next_then_resumes(api, world):
    api.issue("A")
    paused = api.post(f"/api/v1/counters/{world.counter(1).id}/pause", as_="operator")
    assert paused.get_json()["open"] is False
    assert_error(api.call_next(world.counter(1).id), 409, "counter_paused")
    api.post(f"/api/v1/counters/{world.counter(1).id}/resume", as_="operator")
    assert api.call_next(world.counter(1).id).status_code == 200


def test_quota_reached_is_409_with_when_it_opens(app, api, world):
    from app.extensions import db
    from app.models import Service

    with app.app_context():
        db.session.get(Service, world.office.services[0].id).daily_quota = 1
        db.session.commit()
    api.issue("A")
    error = assert_error(
        api.post("/api/v1/offices/kupang/tickets", {"service": "A"}, as_="kiosk"),
        409,
        "quota_reached",
    )
    assert "Selasa, 1 Desember 2026 pukul 08.00 WITA" in error["message"]
