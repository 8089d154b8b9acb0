"""The TV page as HTML: the contract hooks, the initial board, and nothing inline."""

from __future__ import annotations

import re

from tests.web import scan


def test_tv_page_has_the_contract_hooks_and_the_current_board(api, world, client):
    api.issue("A")
    api.call_next(world.counter(1).id)
    response = client.get("/display/kupang")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "data-latest-call" in html and "data-pickup" in html
    for number in (1, 2, 3):
        assert f'data-counter="{number}"' in html
    assert re.search(r"data-latest-code>A-001<", html)
    page = scan(html)
    assert page.config["office"] == "kupang" and page.config["seq"] >= 2
    assert page.config["utc_offset_min"] == 480
    assert "chime" in page.config["clips"]


def test_tv_page_has_no_inline_script_style_or_handler(client, world):
    response = client.get("/display/kupang")
    page = scan(response.get_data(as_text=True))
    assert page.inline_scripts == [] and page.style_attrs == [] and page.handlers == []
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_paused_counter_has_no_tile(api, world, client):
    api.post(f"/api/v1/counters/{world.counter(2).id}/pause", as_="operator")
    html = client.get("/display/kupang").get_data(as_text=True)
    assert 'data-counter="1"' in html and 'data-counter="2"' not in html


def test_unknown_office_is_a_404_page(client, world):
    response = client.get("/display/atlantis")
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_tv_page_is_indonesian_by_default(client, world):
    html = client.get("/display/kupang").get_data(as_text=True)
    assert "Siap diambil" in html and "Menunggu" in html


def test_socket_io_client_is_served_locally(client):
    with client.get("/vendor/socket.io.min.js") as response:
        assert response.status_code == 200
        assert response.mimetype in ("text/javascript", "application/javascript")
        assert b"io" in response.data[:2000]
    with client.get("/vendor/../package.json") as response:
        assert response.status_code == 404


def _latest(client) -> tuple[str, bool]:
    html = client.get("/display/kupang").get_data(as_text=True)
    code = re.search(r"data-latest-code>([^<]*)<", html)[1]
    idle = bool(re.search(r'class="tv-latest idle"', html))
    return code, idle


def test_the_big_panel_shows_only_a_call_still_going_on(api, world, client):
    """Issue 11, point 7: not a ticket sent elsewhere, finished, absent, or at a paused counter."""
    first = api.issue("A")
    api.issue("A")
    api.call_next(world.counter(1).id)
    assert _latest(client) == ("A-001", False)
    board = client.get("/api/v1/offices/kupang/board").get_json()
    assert board["latest"]["code"] == "A-001" and board["latest"]["counter"] == 1

    moved = api.post(f"/api/v1/tickets/{first['id']}/transfer", {"service": "C"}, as_="operator")
    assert moved.status_code == 200
    assert _latest(client) == ("—", True)
    board = client.get("/api/v1/offices/kupang/board").get_json()
    assert board["latest"] is None
    assert [c["code"] for c in board["recent"]] == []  # no call row without a counter

    second = api.call_next(world.counter(1).id).get_json()
    assert _latest(client) == (second["code"], False)
    api.post(f"/api/v1/tickets/{second['id']}/no-show", as_="operator")
    assert _latest(client) == ("—", True)

    third = api.call_next(
        world.counter(3).id
    ).get_json()  # counter 3 calls C: the transferred A-001
    assert third["code"] == "A-001"
    assert _latest(client) == ("A-001", False)
    assert api.move(third["id"], "start").status_code == 200
    assert _latest(client) == ("A-001", False)  # being served: still going on
    assert api.move(third["id"], "finish").status_code == 200
    assert _latest(client) == ("—", True)

    # A call at a counter that then pauses leaves the panel too.
    api.issue("C")
    api.call_next(world.counter(3).id)
    assert _latest(client) == ("C-001", False)
    paused = api.post(f"/api/v1/counters/{world.counter(3).id}/pause", as_="operator")
    assert paused.status_code == 200, paused.get_json()
    assert _latest(client) == ("—", True)
