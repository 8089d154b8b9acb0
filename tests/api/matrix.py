"""Every API route with who may call it: the table the authorisation test walks and the route
inventory checks complete."""

from __future__ import annotations


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


def _booked_now(api, world):
    """A booking of service A at 09:15 today (the clock is at 09:00): its code checks in."""
    from tests.booking_helpers import add_plan, book

    add_plan(api.client.application)
    response = book(api.client, "2026-11-30T09:15:00+08:00")
    assert response.status_code == 201, response.get_json()
    return response.get_json()["code"]


# name: (method, path template, prepare, body, roles allowed, success status); a body that is
# a function gets what prepare returned.
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
    "ikm": (
        "GET",
        "/api/v1/offices/kupang/ikm?from=2026-11-01&to=2026-11-30",
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
    "check-in": (
        "POST",
        "/api/v1/offices/kupang/check-in",
        _booked_now,
        lambda code: {"booking": code},
        {"kiosk", "operator", "admin"},
        201,
    ),
    "notify": (
        "POST",
        "/api/v1/tickets/{id}/notify",
        _waiting,
        {"phone": "0812 3456 7890"},
        {"operator", "clerk", "admin"},
        201,
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
