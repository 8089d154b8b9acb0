"""The report, over seeded days whose numbers are worked out by hand."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from tests.conftest import assert_error
from tests.schema import check


def _day(api, world, clock, start: datetime) -> None:
    """Three A tickets and one C ticket, with known waits and service times.

    A-001: issued 09:00, called 09:02 (wait 120), started 09:03, finished 09:08 (service 300)
    A-002: issued 09:00, called 09:10 (wait 600), finished 09:14 (service 240, never started)
    A-003: issued 09:00, called 09:20 (wait 1200), absent
    C-001: issued 10:30, still waiting
    """
    clock.set(start)
    a1, a2, a3 = api.issue("A"), api.issue("A"), api.issue("A")
    c1 = world.counter(1).id
    clock.set(start + timedelta(minutes=2))
    api.call_next(c1)
    clock.set(start + timedelta(minutes=3))
    api.move(a1["id"], "start")
    clock.set(start + timedelta(minutes=8))
    api.move(a1["id"], "finish")
    clock.set(start + timedelta(minutes=10))
    api.call_next(c1)
    clock.set(start + timedelta(minutes=14))
    api.move(a2["id"], "finish")
    clock.set(start + timedelta(minutes=20))
    api.call_next(c1)
    api.move(a3["id"], "no-show")
    clock.set(start + timedelta(minutes=90))
    api.issue("C")


MON = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # 09:00 WITA
TUE = MON + timedelta(days=1)


def test_report_numbers_over_two_days(api, world, clock):
    _day(api, world, clock, MON)
    _day(api, world, clock, TUE)
    response = api.get("/api/v1/offices/kupang/report?from=2026-11-30&to=2026-12-01", as_="admin")
    report = response.get_json()
    check("Report", report)
    a, b, c = report["services"]
    assert (a["code"], a["issued"], a["served"], a["no_show"]) == ("A", 6, 4, 2)
    assert a["wait_avg_s"] == 640  # (120 + 600 + 1200) / 3, each day
    assert a["wait_median_s"] == 600
    assert a["wait_p90_s"] == 1200
    assert a["service_avg_s"] == 270  # (300 + 240) / 2
    # Day 1's C ticket was cancelled by day 2's rollover; day 2's still waits.
    assert (c["issued"], c["served"], c["cancelled"], c["wait_avg_s"]) == (2, 0, 1, None)
    assert b["issued"] == 0
    assert report["hours"] == [{"hour": 9, "issued": 6}, {"hour": 10, "issued": 2}]
    assert report["days"] == [
        {"day": "2026-11-30", "issued": 4},
        {"day": "2026-12-01", "issued": 4},
    ]
    assert report["cards"] == {"ready_to_print": 4, "printed": 0, "handed_over": 0, "blocked": 0}


def test_report_of_one_day_and_csv(api, world, clock):
    _day(api, world, clock, MON)
    response = api.get(
        "/api/v1/offices/kupang/report?from=2026-11-30&to=2026-11-30&format=csv", as_="admin"
    )
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == [
        "code",
        "name",
        "issued",
        "served",
        "no_show",
        "cancelled",
        "wait_avg_s",
        "wait_median_s",
        "wait_p90_s",
        "service_avg_s",
    ]
    assert rows[0]["code"] == "A" and rows[0]["issued"] == "3" and rows[0]["wait_avg_s"] == "640"
    assert rows[2]["wait_avg_s"] == ""


def test_report_of_another_office_is_forbidden_for_an_office_admin(api):
    assert_error(
        api.get("/api/v1/offices/kupang/report", as_="admin@oebobo"), 403, "forbidden_office"
    )
