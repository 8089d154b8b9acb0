"""Malformed requests get the right 4xx with a sentence, and change nothing."""

from __future__ import annotations

import pytest

from tests.conftest import assert_error

ISSUE = "/api/v1/offices/kupang/tickets"


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        (b"", 400, "bad_request"),
        (b"{not json", 400, "bad_request"),
        (b"\xff\xfe", 400, "bad_request"),
        (b"[1, 2]", 422, "invalid_body"),
        (b'"A"', 422, "invalid_body"),
        (b"{}", 422, "invalid_field"),
        (b'{"service": 1}', 422, "invalid_field"),
        (b'{"service": ["A"]}', 422, "invalid_field"),
        (b'{"service": "A", "priority": "yes"}', 422, "invalid_field"),
        (b'{"service": "A", "priority": 1}', 422, "invalid_field"),
        (b'{"service": "AAAAAAAAAAAAAAAAAAAAAAAA"}', 422, "invalid_field"),
        (b'{"service": "Z"}', 422, "unknown_service"),
        (b'{"service": ""}', 422, "unknown_service"),
    ],
)
def test_malformed_issue_body(api, world, raw, status, code):
    response = api.client.post(
        ISSUE,
        data=raw,
        content_type="application/json",
        headers={"Authorization": f"Bearer {world.tokens['kiosk']}"},
    )
    assert_error(response, status, code)
    assert api.get("/api/v1/offices/kupang/board").get_json()["seq"] == 0


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/tickets/0/finish",
        "/api/v1/tickets/99999/finish",
        "/api/v1/tickets/99999999999999999999/finish",
        "/api/v1/tickets/-1/finish",
        "/api/v1/tickets/abc/finish",
        "/api/v1/counters/4294967296/call-next",
        "/api/v1/counters/77/call-next",
        "/api/v1/offices/nope/tickets",
    ],
)
def test_unknown_ids_are_404(api, path):
    response = api.post(path, {"service": "A"}, as_="admin")
    assert_error(response, 404, "not_found")


def test_wrong_method_is_405_json(api):
    response = api.get("/api/v1/offices/kupang/tickets")
    assert_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]


def test_unknown_api_path_is_404_json(api):
    assert_error(api.get("/api/v1/nothing/here"), 404, "not_found")


def test_stage_fields_are_checked(api, world):
    ticket = api.issue("A")
    for body, code in [
        ({"stage": "flying"}, "invalid_field"),
        ({"stage": "blocked", "reason": "because"}, "invalid_field"),
        ({"stage": "printed", "note": "x" * 501}, "invalid_field"),
        ({"stage": 5}, "invalid_field"),
    ]:
        assert_error(api.move(ticket["id"], "stage", as_="clerk", json=body), 422, code)


def test_optional_body_must_still_be_json(api, world):
    ticket = api.issue("A")
    api.call_next(world.counter(1).id)
    response = api.client.post(
        f"/api/v1/tickets/{ticket['id']}/start",
        data=b"{oops",
        content_type="application/json",
        headers={"Authorization": f"Bearer {world.tokens['operator']}"},
    )
    assert_error(response, 400, "bad_request")


def test_report_parameters_are_checked(api):
    base = "/api/v1/offices/kupang/report"
    assert_error(api.get(f"{base}?from=2026-13-01", as_="admin"), 422, "invalid_date")
    assert_error(
        api.get(f"{base}?from=2026-11-30&to=2026-11-01", as_="admin"), 422, "invalid_range"
    )
    assert_error(
        api.get(f"{base}?from=2020-01-01&to=2026-01-01", as_="admin"), 422, "invalid_range"
    )
    assert_error(api.get(f"{base}?format=pdf", as_="admin"), 422, "invalid_field")


def test_server_error_is_json_and_rolls_back(api, world, monkeypatch):
    from app import domain

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(domain, "issue_once", broken)
    response = api.post(ISSUE, {"service": "A"}, as_="kiosk")
    error = assert_error(response, 500, "internal_error")
    assert "boom" not in error["message"] and "Traceback" not in response.get_data(as_text=True)


def test_html_pages_get_a_page_not_json(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Traceback" not in response.get_data(as_text=True)


def test_text_no_database_can_store_is_refused_with_a_sentence(api, world):
    """A NUL or half a surrogate pair would make PostgreSQL fail half-way; each is a 4xx."""
    lone = api.client.post(
        "/api/v1/offices/kupang/tickets",
        data=b'{"service": "\\udfff"}',
        headers={
            "Authorization": f"Bearer {world.tokens['kiosk']}",
            "Content-Type": "application/json",
        },
    )
    error = assert_error(lone, 422, "invalid_field")
    assert "service" in error["message"]
    assert_error(api.get("/api/v1/offices/kupang%00/board"), 404, "not_found")
    assert_error(
        api.get("/api/v1/offices/kupang/tickets/find?q=A%00", as_="clerk"), 422, "invalid_field"
    )
    login = api.client.post("/login", data={"username": "op\x00", "password": "x"})
    assert login.status_code == 422
