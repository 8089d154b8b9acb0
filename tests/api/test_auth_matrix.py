"""Every protected route x every kind of caller: anonymous, bad token, each role, each office."""

from __future__ import annotations

import pytest

from tests.conftest import assert_error


def _waiting(api, world):
    return api.issue("A")["id"]


def _called(api, world):
    ticket = api.issue("A")
    api.call_next(world.counter(1).id)
    return ticket["id"]


def _absent(api, world):
    ticket_id = _called(api, world)
    api.move(ticket_id, "no-show")
    return ticket_id


def _recorded(api, world):
    ticket_id = _called(api, world)
    api.move(ticket_id, "finish")
    return ticket_id


# name: (method, path template, prepare, body, roles allowed, success status)
ROUTES = {
    "issue": (
        "POST",
        "/api/v1/offices/kupang/tickets",
        None,
        {"service": "A"},
        {"kiosk", "operator", "admin"},
        201,
    ),
    "get-ticket": (
        "GET",
        "/api/v1/tickets/{id}",
        _waiting,
        None,
        {"kiosk", "operator", "clerk", "admin"},
        200,
    ),
    "reprint": (
        "POST",
        "/api/v1/tickets/{id}/reprint",
        _waiting,
        None,
        {"kiosk", "operator", "clerk", "admin"},
        201,
    ),
    "printers": (
        "GET",
        "/api/v1/offices/kupang/printers",
        None,
        None,
        {"operator", "clerk", "admin"},
        200,
    ),
    "call-next": (
        "POST",
        "/api/v1/counters/{counter}/call-next",
        _waiting,
        None,
        {"operator", "admin"},
        200,
    ),
    "recall": ("POST", "/api/v1/tickets/{id}/recall", _called, None, {"operator", "admin"}, 200),
    "start": ("POST", "/api/v1/tickets/{id}/start", _called, None, {"operator", "admin"}, 200),
    "finish": ("POST", "/api/v1/tickets/{id}/finish", _called, None, {"operator", "admin"}, 200),
    "no-show": ("POST", "/api/v1/tickets/{id}/no-show", _called, None, {"operator", "admin"}, 200),
    "requeue": ("POST", "/api/v1/tickets/{id}/requeue", _absent, None, {"operator", "admin"}, 200),
    "undo": ("POST", "/api/v1/tickets/{id}/undo", _absent, None, {"operator", "admin"}, 200),
    "cancel": ("POST", "/api/v1/tickets/{id}/cancel", _waiting, None, {"operator", "admin"}, 200),
    "transfer": (
        "POST",
        "/api/v1/tickets/{id}/transfer",
        _waiting,
        {"service": "C"},
        {"operator", "admin"},
        200,
    ),
    "stage": (
        "POST",
        "/api/v1/tickets/{id}/stage",
        _recorded,
        {"stage": "printed"},
        {"clerk", "admin"},
        200,
    ),
    "pause": ("POST", "/api/v1/counters/{counter}/pause", None, None, {"operator", "admin"}, 200),
    "resume": ("POST", "/api/v1/counters/{counter}/resume", None, None, {"operator", "admin"}, 200),
    "report": (
        "GET",
        "/api/v1/offices/kupang/report?from=2026-11-01&to=2026-11-30",
        None,
        None,
        {"admin"},
        200,
    ),
    "staff-queue": (
        "GET",
        "/api/v1/offices/kupang/queue",
        None,
        None,
        {"operator", "clerk", "admin"},
        200,
    ),
    "find": (
        "GET",
        "/api/v1/offices/kupang/tickets/find?q=A-001",
        _waiting,
        None,
        {"operator", "clerk", "admin"},
        200,
    ),
}
ROLES = ("admin", "operator", "clerk", "kiosk", "display")
OTHER_OFFICE = ("admin@oebobo", "operator@oebobo", "clerk@oebobo", "kiosk@oebobo")
CALLERS = ("anonymous", "bad-token", "basic-auth", *ROLES, *OTHER_OFFICE)


def _send(api, world, route, caller):
    method, template, prepare, body, _, _ = ROUTES[route]
    ticket_id = prepare(api, world) if prepare else None
    path = template.format(id=ticket_id, counter=world.counter(1).id)
    headers = {}
    if caller == "bad-token":
        headers["Authorization"] = "Bearer lkt_not-a-token"
    elif caller == "basic-auth":
        headers["Authorization"] = "Basic YWRtaW46YWRtaW4="
    elif caller != "anonymous":
        headers["Authorization"] = f"Bearer {world.tokens[caller]}"
    if method == "GET":
        return api.client.get(path, headers=headers)
    return api.client.post(path, json=body, headers=headers)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("route", list(ROUTES))
def test_route_answers_each_caller_as_documented(api, world, route, caller):
    allowed, success = ROUTES[route][4], ROUTES[route][5]
    response = _send(api, world, route, caller)
    if caller in ("anonymous", "basic-auth"):
        assert_error(response, 401, "unauthorized")
    elif caller == "bad-token":
        assert_error(response, 401, "invalid_token")
    elif caller in ROLES:
        if caller in allowed:
            assert response.status_code == success, response.get_json()
        else:
            assert_error(response, 403, "forbidden")
    else:
        role = caller.split("@")[0]
        if role in allowed:
            assert_error(response, 403, "forbidden_office")
        else:
            assert_error(response, 403, "forbidden")


def test_refused_caller_changes_nothing(api, world):
    before = api.get("/api/v1/offices/kupang/board").get_json()
    _send(api, world, "issue", "clerk")
    _send(api, world, "issue", "kiosk@oebobo")
    after = api.get("/api/v1/offices/kupang/board").get_json()
    assert after["seq"] == before["seq"] and after["waiting"] == before["waiting"]


def test_disabled_user_token_stops_working(app, api, world):
    from app.extensions import db
    from app.models import User

    with app.app_context():
        db.session.get(User, world.users["kiosk"].id).active = False
        db.session.commit()
    assert_error(
        api.post("/api/v1/offices/kupang/tickets", {"service": "A"}, as_="kiosk"),
        401,
        "invalid_token",
    )
