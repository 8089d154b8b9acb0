"""`make bench`: every benchmark in turn (each prints its own table)."""

from __future__ import annotations

import sys

from bench import core, fanout, printing, reports


def main() -> None:
    for module in (core, fanout, printing, reports):
        print(f"==== {module.__name__} ====", flush=True)
        sys.argv = [module.__name__]
        module.main()
        print()


if __name__ == "__main__":
    main()
