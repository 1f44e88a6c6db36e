"""500,000 tracks: the full sync's time and peak memory, and the library API on that cache.

The same programs as the 100,000-track figures (``plexcrate sync`` and the ``queries``
workload), five times the library: memory must stay bounded by the page size, not grow with the
library, and queries must stay quick.
"""

from __future__ import annotations

from benchmarks import queries
from benchmarks.harness import Result, cache_build, load_average

PEAK_MEMORY_TARGET_MB = 200
QUERY_P95_MS = 50
VISITS = 100


def run(tracks: int = 500_000) -> list[Result]:
    name = f"full sync, {tracks:,} tracks, no latency"
    print(f"{name}: {load_average()}", flush=True)
    command = cache_build(tracks)  # the `plexcrate sync` the queries below read the cache of
    return [
        Result(name, "`plexcrate sync` command, start-up included", command.seconds, "s"),
        Result(name, "tracks per second", tracks / command.seconds, "tracks/s"),
        Result(
            name,
            "peak memory of the syncing process",
            command.peak_rss_mb,
            "MB",
            target=f"< {PEAK_MEMORY_TARGET_MB} MB",
            met=command.peak_rss_mb < PEAK_MEMORY_TARGET_MB,
        ),
        *queries.measure(tracks, VISITS, QUERY_P95_MS, QUERY_P95_MS),
    ]
