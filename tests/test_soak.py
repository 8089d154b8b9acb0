"""The soak day, short: `bench/soak.py` with a 75-second day and 80 tickets per office, in each
topology (one process on SQLite; two on PostgreSQL and Redis). Every rule of the day must hold:
no acknowledged ticket lost, numbers without gaps or repeats, no ticket called twice, every call
on every TV (live, or in the board it got after reconnecting), every ticket on paper, twice only
when its printer dropped during it, no 5xx but 503 during the outages, memory and open files
flat after warm-up. The full day (20x, about 30 minutes) is `python -m bench.soak`."""

from __future__ import annotations

import pytest

from bench import soak
from tests.services import postgres_url, redis_url

pytestmark = pytest.mark.slow

SHORT_DAY = ["--day", "75", "--tickets", "80"]


def _live(topology: str) -> dict:
    (result,) = soak.main([*SHORT_DAY, "--topology", topology])
    return result


def _holds(result: dict) -> None:
    assert result["failures"] == [], result["failures"]
    assert result["tickets"] == 80 * len(soak.OFFICES)
    assert result["calls"] >= result["tickets"] - 3  # a few may still wait when the day ends
    assert result["restarts"] == 1 and result["drops"] >= 1
    assert result["flood"].get("error too_many_joins", 0) > 0  # the flood was met


def test_a_short_soak_day_on_one_process_with_sqlite():
    _holds(_live("single"))


@pytest.mark.postgres
@pytest.mark.redis
def test_a_short_soak_day_on_two_processes_with_postgresql_and_redis():
    postgres_url()
    redis_url()
    _holds(_live("pair"))
