"""Every protected route x every kind of caller: anonymous, bad token, each role, each office."""

from __future__ import annotations

import pytest

from tests.api.matrix import ROUTES
from tests.conftest import assert_error

ROLES = ("admin", "operator", "clerk", "kiosk", "display")
OTHER_OFFICE = ("admin@oebobo", "operator@oebobo", "clerk@oebobo", "kiosk@oebobo")
CALLERS = ("anonymous", "bad-token", "basic-auth", *ROLES, *OTHER_OFFICE)


def _send(api, world, route, caller):
    method, template, prepare, body, _, _ = ROUTES[route]
    ticket_id = prepare(api, world) if prepare else None
    path = template.format(id=ticket_id, counter=world.counter(1).id)
    if callable(body):
        body = body(ticket_id)
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
