"""`make bench`: every benchmark in turn, each printing its own table, then one table of the
figures that have a goal, with the goal beside each and whether it is met. Where the bare stack
does the same operation (bench.floor: one database commit a request, or one socket write a
client), its figure is beside Loket's as ``floor`` with how many times Loket's figure it is.

    python -m bench              # everything (about an hour on a 2-core machine)
    python -m bench --quick      # smaller runs, for a first look
"""

from __future__ import annotations

import sys

from bench import (
    booking,
    core,
    defaults,
    fanout,
    join_flood,
    modes,
    paper,
    phones,
    reports,
    scaleout,
    spool,
    storm,
    survey,
)
from bench.harness import table

QUICK = {
    core: ["--history", "1000,100000", "--seconds", "5", "--runs", "2"],
    defaults: ["--seconds", "5"],
    fanout: ["--clients", "100,500", "--modes", "eventlet", "--seconds", "5"],
    join_flood: ["--seconds", "5", "--modes", "eventlet"],
    paper: ["--taps", "100"],
    spool: ["--jobs", "500"],
    reports: ["--days", "60"],
    booking: ["--quick"],
    survey: ["--days", "60", "--repeat", "3"],
    storm: ["--clients", "500", "--modes", "eventlet", "--after", "15"],
    modes: ["--requests", "100"],
    phones: ["--phones", "500", "--modes", "eventlet", "--seconds", "5"],
    scaleout: ["--processes", "2", "--screens", "500", "--seconds", "5"],
}
ORDER = (
    modes,
    core,
    defaults,
    fanout,
    phones,
    join_flood,
    storm,
    scaleout,
    spool,
    paper,
    reports,
    booking,
    survey,
)


def main() -> None:
    quick = "--quick" in sys.argv[1:]
    summary = []
    for module in ORDER:
        print(f"==== {module.__name__} ====", flush=True)
        rows = module.main(QUICK[module] if quick else [])
        summary.extend(module.goals(rows))
        print()
    print("==== summary: every figure with a goal ====")
    print(table(summary, ["bench", "measure", "result", "floor", "goal", "met"]))
    missed = [row for row in summary if row["met"] == "NO"]
    print(f"{len(summary)} figures, {len(missed)} goals missed")


if __name__ == "__main__":
    main()
