"""The satisfaction survey's index (IKM) over a month and over a year of an office where a
quarter of the people served answer.

    python -m bench.survey [--db sqlite,postgresql] [--days 312] [--per-day 800] [--repeat 5]

The year of tickets of ``bench.reports`` (800 a day, Monday to Saturday, about 250,000), and a
survey response for one in four tickets served (about 56,000), loaded straight into a migrated
database. Timed, best and median of ``--repeat`` runs with a warm cache: the API's index
(``GET /api/v1/offices/{office}/ikm``) and the administrator's survey page
(``/admin/{office}/survey``: the index, per month, per service, per counter, the profile and the
share who answered), each through the Flask test client as the demo administrator.

Goal: the survey page over a year in <= 1 s on SQLite on this machine.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench.harness import goal_row, table
from bench.reports import tickets_of_days, working_days

SHARE = 0.25
PROFILE = {
    "age_band": ("lt20", "20_29", "30_39", "40_49", "50_59", "60p", None),
    "sex": ("f", "m", None),
    "education": ("sd", "smp", "sma", "d3", "s1", "s2", None),
    "occupation": ("pns", "tni_polri", "swasta", "wirausaha", "pelajar", "lainnya", None),
}
ELEMENTS = [f"u{i}" for i in range(1, 10)]


def add_responses(app: Any, seed: int = 11) -> int:
    """A response for one in four tickets served, answers leaning to 3, some with a profile
    and a suggestion. Returns how many."""
    from sqlalchemy import insert, select

    from app.extensions import db
    from app.models import SurveyResponse, Ticket

    rng = random.Random(seed)
    with app.app_context():
        served = db.session.execute(
            select(
                Ticket.id,
                Ticket.office_id,
                Ticket.service_id,
                Ticket.counter_id,
                Ticket.day,
                Ticket.finished_at,
            ).where(Ticket.status == "done")
        ).all()
        rows = []
        for ticket_id, office_id, service_id, counter_id, day, finished in served:
            if rng.random() >= SHARE:
                continue
            row = {
                "office_id": office_id,
                "ticket_id": ticket_id,
                "service_id": service_id,
                "counter_id": counter_id,
                "day": day,
                "answered_at": finished or datetime.now(UTC),
                "source": rng.choice(("status", "tablet")),
                **{code: rng.choices((1, 2, 3, 4), (1, 3, 10, 6))[0] for code in ELEMENTS},
                **{key: rng.choice(values) for key, values in PROFILE.items()},
            }
            if rng.random() < 0.1:
                row["suggestion"] = "Mohon tambah kursi di ruang tunggu."
                row["suggestion_state"] = "new"
            rows.append(row)
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(SurveyResponse), rows[start : start + 5000])
        db.session.commit()
        return len(rows)


def signed_in_admin(app: Any) -> tuple[Any, str]:
    """A test client signed in as the demo administrator through the login form (pages take
    a session), and an API token of the same account."""
    import re

    from sqlalchemy import select

    from app.auth.tokens import issue_token
    from app.auth.users import set_password
    from app.extensions import db
    from app.models import User

    password = "bench-" + "x" * 12
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.role == "admin").limit(1))
        set_password(admin, password)
        token = issue_token(db.session, admin, datetime.now(UTC), label="bench")
        username = admin.username
        db.session.commit()
    client = app.test_client()
    form = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)[1]
    signed = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": csrf}
    )
    assert signed.status_code == 302, signed.status_code
    return client, token


def time_get(client: Any, path: str, token: str, repeat: int) -> dict[str, Any]:
    timings = []
    headers = {"Authorization": f"Bearer {token}"} if path.startswith("/api/") else {}
    for _ in range(repeat + 1):  # the first run warms the cache and is not counted
        start = time.perf_counter()
        response = client.get(path, headers=headers)
        timings.append(time.perf_counter() - start)
        assert response.status_code == 200, (path, response.status_code)
    timings = timings[1:]
    return {"best_ms": min(timings) * 1000, "median_ms": statistics.median(timings) * 1000}


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--days", type=int, default=312)
    parser.add_argument("--per-day", type=int, default=800)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    last = date.today() - timedelta(days=1)
    days = working_days(last, args.days)
    results = []
    for kind in args.db.split(","):
        app, folder, rows = tickets_of_days(kind, days, args.per_day, "survey")
        responses = add_responses(app)
        print(
            f"{kind}: {len(rows):,} tickets and {responses:,} survey responses over "
            f"{len(days)} days",
            file=sys.stderr,
            flush=True,
        )
        client, token = signed_in_admin(app)
        month_from = last.replace(day=1) if last.day > 7 else (last - timedelta(days=30))
        for label, first in (("month", month_from), ("year", days[0])):
            query = f"from={first}&to={last}"
            for what, path in (
                ("API index", f"/api/v1/offices/kupang/ikm?{query}"),
                ("survey page", f"/admin/kupang/survey?{query}"),
            ):
                result = time_get(client, path, token, args.repeat)
                results.append(
                    {"db": kind, "what": what, "range": label, "responses": responses, **result}
                )
        shutil.rmtree(folder, ignore_errors=True)
    print(table(results, ["db", "what", "range", "responses", "best_ms", "median_ms"]))
    print("goal: the survey page over a year on SQLite <= 1000 ms")
    return results


def goals(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        has_goal = row["db"] == "sqlite" and row["range"] == "year" and row["what"] == "survey page"
        out.append(
            goal_row(
                "survey",
                f"{row['db']}: {row['what']} over a {row['range']} "
                f"({row['responses']:,} responses in the year)",
                f"{row['median_ms']:.0f} ms",
                "<= 1000 ms" if has_goal else "",
                row["median_ms"] <= 1000 if has_goal else None,
            )
        )
    return out


if __name__ == "__main__":
    main()
