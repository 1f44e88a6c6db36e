"""Run the benchmarks and print a Markdown table: ``python -m benchmarks [NAME ...]``."""

from __future__ import annotations

import argparse
import importlib
import time
from collections.abc import Callable

from benchmarks.harness import Result, machine, table

# name → module with a ``run(...) -> list[Result]``; in the order they run by default.
BENCHMARKS: dict[str, str] = {
    "vs_plexapi": "benchmarks.vs_plexapi",
    "full_sync": "benchmarks.full_sync",
    "status": "benchmarks.status_latency",
    "queries": "benchmarks.queries",
    "search": "benchmarks.search",
    "start": "benchmarks.cold_start",
    "scroll": "benchmarks.scrolling",
    "large": "benchmarks.large",
    "incremental": "benchmarks.incremental",
    "tags": "benchmarks.tags",
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME", help=", ".join(BENCHMARKS))
    args = parser.parse_args()
    unknown = set(args.names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    names = args.names or list(BENCHMARKS)
    print(f"Machine: {machine()}\n", flush=True)
    results: list[Result] = []
    for name in names:
        started = time.monotonic()
        run: Callable[[], list[Result]] = importlib.import_module(BENCHMARKS[name]).run
        results.extend(run())
        print(f"{name}: done in {time.monotonic() - started:.0f} s", flush=True)
    print()
    print(table(results))


if __name__ == "__main__":
    main()
