"""A full sync of 100,000 tracks without latency, against the floor, and its peak memory.

The floor (``benchmarks.clients floor``) only downloads every track page and discards it, with
plexcrate's page size and concurrency: the time no sync over HTTP can beat. Both run in fresh
processes against the same simulator, alternately, three times; the figures are medians. The
``plexcrate sync`` command itself is measured too: its wall time (start-up included) and its
peak memory.
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from benchmarks.harness import (
    PLEXCRATE,
    Result,
    load_average,
    measure,
    plexcrate_env,
    run_client,
    simulator,
)

PEAK_MEMORY_TARGET_MB = 200
FLOOR_RATIO_TARGET = 1.5
REPEATS = 3


def run(tracks: int = 100_000) -> list[Result]:
    name = f"full sync, {tracks:,} tracks, no latency"
    print(f"{name}: {load_average()}", flush=True)
    syncs, floors, peaks = [], [], []
    with simulator(tracks) as url:
        for _ in range(REPEATS):
            with tempfile.TemporaryDirectory() as data:
                synced = run_client("sync", url, data)
            floored = run_client("floor", url)
            if synced.items != tracks or floored.items != tracks:
                raise RuntimeError(f"read {synced.items:,} and {floored.items:,} tracks")
            syncs.append(synced.seconds)
            floors.append(floored.seconds)
            peaks.append(synced.process.peak_rss_mb)
            print(f"sync {synced.seconds:.2f} s, floor {floored.seconds:.2f} s", flush=True)
        with tempfile.TemporaryDirectory() as data:
            command = measure([PLEXCRATE, "sync"], plexcrate_env(url, Path(data)))
    if command.returncode != 0:
        raise RuntimeError(f"plexcrate sync failed:\n{command.output}")
    sync_s, floor_s = statistics.median(syncs), statistics.median(floors)
    ratio = sync_s / floor_s
    peak = max(*peaks, command.peak_rss_mb)
    return [
        Result(name, "sync (median of 3)", sync_s, "s"),
        Result(name, "floor: download every track page (median of 3)", floor_s, "s"),
        Result(
            name,
            "sync ÷ floor",
            ratio,
            "×",
            target=f"≤ {FLOOR_RATIO_TARGET}×",
            met=ratio <= FLOOR_RATIO_TARGET,
        ),
        Result(name, "tracks per second", tracks / sync_s, "tracks/s"),
        Result(name, "`plexcrate sync` command, start-up included", command.seconds, "s"),
        Result(
            name,
            "peak memory of the syncing process",
            peak,
            "MB",
            target=f"< {PEAK_MEMORY_TARGET_MB} MB",
            met=peak < PEAK_MEMORY_TARGET_MB,
        ),
    ]
