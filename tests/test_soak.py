"""The soak day, short: `bench/soak.py` with a 60-second day and 64 tickets per office, in both
topologies at once (one process on SQLite; two on PostgreSQL and Redis). Every rule of the day
must hold: no acknowledged ticket lost, numbers without gaps or repeats, no ticket called twice,
every call on every TV (live, or in the board it got after reconnecting), every ticket on paper,
twice only when its printer dropped during it (or once per office printer at the kill), no 5xx
but 503 during the outages, memory and open files flat after warm-up. The full day (20x, about
30 minutes) is `python -m bench.soak`."""

from __future__ import annotations

import pytest

from bench import soak
from tests.services import postgres_url, redis_url

pytestmark = pytest.mark.slow

SHORT_DAY = ["--day", "60", "--tickets", "64"]


@pytest.mark.postgres
@pytest.mark.redis
def test_a_short_soak_day_in_both_topologies_side_by_side():
    """One process on SQLite and two on PostgreSQL and Redis live the same short day at once
    (as the 20x day does); each is checked on its own."""
    postgres_url()
    redis_url()
    results = soak.main([*SHORT_DAY, "--topology", "both"])
    assert [r["topology"] for r in results] == ["single", "pair"]
    for result in results:
        _holds(result)


def _holds(result: dict) -> None:
    assert result["failures"] == [], (result["topology"], result["failures"])
    assert result["tickets"] == 64 * len(soak.OFFICES)
    assert result["calls"] >= result["tickets"] - 3  # a few may still wait when the day ends
    assert result["restarts"] == 1 and result["drops"] >= 1
    assert result["flood"].get("error too_many_joins", 0) > 0  # the flood was met
