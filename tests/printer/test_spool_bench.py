"""bench.spool (printing's CPU a ticket) runs and measures what it says: every job issued is
printed through the office's real spooler, in every transport it measures."""

from __future__ import annotations

from bench import spool


def test_the_spool_benchmark_prints_every_job_in_every_transport(capsys):
    rows = spool.main(["--jobs", "6", "--db", "sqlite"])
    assert [r["transport"] for r in rows] == ["preview", "tcp", "file"]
    for row in rows:
        assert (row["jobs"], row["printed_in_db"], row["not_printed"]) == (6, 6, 0), row
        assert row["ms"] > 0
    goals = spool.goals(rows)
    assert [g["measure"] for g in goals] == [
        f"printing CPU a ticket, sqlite, {t}" for t in ("preview", "tcp", "file")
    ]
    assert all(g["goal"] == "<= 1 ms" for g in goals)
    printed = capsys.readouterr().out
    assert "cpu_ms_a_job" in printed and "sqlite  file" in printed
