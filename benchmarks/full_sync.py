"""A full sync of a large simulated library by the ``plexcrate sync`` command: time and memory."""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks.harness import PLEXCRATE, Result, measure, plexcrate_env, simulator

PEAK_MEMORY_TARGET_MB = 200


def run(tracks: int = 100_000) -> list[Result]:
    name = f"full sync, {tracks:,} tracks, no latency"
    with simulator(tracks) as url, tempfile.TemporaryDirectory() as data:
        measured = measure([PLEXCRATE, "sync"], plexcrate_env(url, Path(data)))
    if measured.returncode != 0:
        raise RuntimeError(f"plexcrate sync failed:\n{measured.output}")
    return [
        Result(name, "wall time", measured.seconds, "s"),
        Result(name, "tracks per second", tracks / measured.seconds, "tracks/s"),
        Result(
            name,
            "peak memory of the syncing process",
            measured.peak_rss_mb,
            "MB",
            target=f"< {PEAK_MEMORY_TARGET_MB} MB",
            met=measured.peak_rss_mb < PEAK_MEMORY_TARGET_MB,
        ),
    ]
