"""Public read routes: no sign-in needed, nothing personal, the documented shapes."""

from __future__ import annotations

from tests.conftest import assert_error
from tests.schema import check


def test_offices_lists_slug_name_timezone(api):
    body = api.get("/api/v1/offices").get_json()
    assert body == [
        {"slug": "kupang", "name": "Kantor kupang", "timezone": "Asia/Makassar"},
        {"slug": "oebobo", "name": "Kantor oebobo", "timezone": "Asia/Makassar"},
    ]


def test_services_tell_whether_they_are_open(api):
    body = api.get("/api/v1/offices/kupang/services").get_json()
    assert [(s["code"], s["produces_card"], s["open"]) for s in body] == [
        ("A", True, True),
        ("B", False, True),
        ("C", False, True),
    ]
    for item in body:
        check("Service", item)
        assert item["closed_reason"] is None


def test_counters_list_their_services(api):
    body = api.get("/api/v1/offices/kupang/counters").get_json()
    assert [(c["number"], c["services"], c["open"]) for c in body] == [
        (1, ["A"], True),
        (2, ["A"], True),
        (3, ["C"], True),
    ]
    for item in body:
        check("Counter", item)


def test_board_shows_calls_waiting_and_pickup(api, world):
    first = api.issue("A")
    api.issue("A")
    api.issue("C")
    api.call_next(world.counter(1).id)
    board = api.get("/api/v1/offices/kupang/board").get_json()
    check("Board", board)
    assert board["now_serving"] == [
        {
            "counter": 1,
            "counter_name": "Loket 1",
            "code": "A-001",
            "service": "A",
            "status": "called",
            "called_at": "2026-11-30T09:00:00+08:00",
        }
    ]
    assert board["waiting"] == {"A": 1, "B": 0, "C": 1}
    assert board["recent"][0]["code"] == first["code"]
    assert board["pickup"] == []


def test_board_seq_grows_with_every_change(api, world):
    seqs = [api.get("/api/v1/offices/kupang/board").get_json()["seq"]]
    ticket = api.issue("A")
    seqs.append(api.get("/api/v1/offices/kupang/board").get_json()["seq"])
    api.call_next(world.counter(1).id)
    seqs.append(api.get("/api/v1/offices/kupang/board").get_json()["seq"])
    api.move(ticket["id"], "recall")
    seqs.append(api.get("/api/v1/offices/kupang/board").get_json()["seq"])
    assert seqs == sorted(set(seqs)) and len(seqs) == 4


def test_track_shows_place_and_nothing_personal(api, world):
    api.issue("A")
    ticket = api.issue("A")
    track = api.get(f"/api/v1/track/{ticket['token']}").get_json()
    check("Track", track)  # additionalProperties: false
    assert (track["code"], track["status"], track["ahead"], track["counter"]) == (
        "A-002",
        "waiting",
        1,
        None,
    )
    assert track["estimated_wait_s"] == 150  # 1 ahead x 300 s / 2 counters
    api.call_next(world.counter(1).id)
    api.call_next(world.counter(2).id)
    track = api.get(f"/api/v1/track/{ticket['token']}").get_json()
    assert track["counter"] == {"id": world.counter(2).id, "number": 2, "name": "Loket 2"}


def test_unknown_office_and_token_are_404_with_a_sentence(api):
    assert_error(api.get("/api/v1/offices/nowhere/board"), 404, "not_found")
    assert_error(api.get("/api/v1/offices/nowhere/services"), 404, "not_found")
    assert_error(api.get("/api/v1/track/not-a-real-token-at-all"), 404, "unknown_token")
    assert_error(api.get("/api/v1/track/x"), 404, "unknown_token")
