"""Run the benchmarks and print a Markdown table: ``python -m benchmarks [NAME ...]``."""

from __future__ import annotations

import argparse
import importlib
import time
from collections.abc import Callable

from benchmarks import engine
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
    "engine": "benchmarks.engine",
    "recipes": "benchmarks.recipes",
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME", help=", ".join(BENCHMARKS))
    engine.add_options(parser)  # the only benchmark with options of its own
    args = parser.parse_args()
    unknown = set(args.names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    names = args.names or list(BENCHMARKS)
    print(f"Machine: {machine()}\n", flush=True)
    results: list[Result] = []
    for name in names:
        started = time.monotonic()
        module = importlib.import_module(BENCHMARKS[name])
        # A benchmark with options reads them from the command line (``run_with``).
        run_with: Callable[[argparse.Namespace], list[Result]] | None = getattr(
            module, "run_with", None
        )
        results.extend(run_with(args) if run_with else module.run())
        print(f"{name}: done in {time.monotonic() - started:.0f} s", flush=True)
    print()
    print(table(results))


if __name__ == "__main__":
    main()
