"""A power cut while a ticket is printing: the restarted server answers at once and prints the
ticket again, instead of waiting for the job's lease (or spinning on it until then)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
import requests

from bench.live import LiveServer, wait_for
from printer.preview import preview_text
from tests.realtime.clients import MODES

pytestmark = pytest.mark.slow


def _papers(server: LiveServer) -> list[str]:
    folder = server.instance / "tickets"
    return sorted(preview_text(folder, p.stem, 48) for p in folder.glob("*.bin"))


@pytest.mark.parametrize("mode", MODES)
def test_a_ticket_cut_off_mid_print_prints_after_the_restart(mode):
    server = LiveServer(async_mode=mode)
    tokens = server.prepare()
    server.start()
    kiosk = {"Authorization": f"Bearer {tokens['kiosk']}"}
    try:
        first = requests.post(
            f"{server.url}/api/v1/offices/kupang/tickets",
            json={"service": "A"},
            headers=kiosk,
            timeout=10,
        ).json()
        wait_for(lambda: len(_papers(server)) >= 1, "the first ticket printed", 10)
        server.kill()
        # As if the power went while the printer was busy with it: claimed a moment ago.
        with sqlite3.connect(server.instance / "loket.db") as conn:
            conn.execute(
                "UPDATE print_jobs SET status = 'printing', printed_at = NULL, claimed_at = ?",
                (datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),),
            )
        for paper in (server.instance / "tickets").glob("*"):
            paper.unlink()
        server.start()

        # The server answers at once (a spooler spinning on the held job would starve it) ...
        second = requests.post(
            f"{server.url}/api/v1/offices/kupang/tickets",
            json={"service": "A"},
            headers=kiosk,
            timeout=5,
        )
        assert second.status_code == 201, second.text
        # ... and the cut-off ticket prints again, before the new one, long before its lease ends.
        wait_for(lambda: len(_papers(server)) >= 2, "both tickets printed", 10)
        papers = _papers(server)
        assert any("A - 0 0 1" in p for p in papers) and any("A - 0 0 2" in p for p in papers)
        got = requests.get(
            f"{server.url}/api/v1/tickets/{first['id']}",
            headers={"Authorization": f"Bearer {tokens['admin']}"},
            timeout=5,
        ).json()
        assert got["print"]["status"] == "printed"
    finally:
        server.stop()
