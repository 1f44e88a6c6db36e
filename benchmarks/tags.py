"""What reading every tag costs a full sync: 100,000 tracks at NAS latency.

Real Plex listings cut tag lists short and leave albums' release types out (issue 12), so a
sync reads every album, and each artist and track whose listed tags may have been cut, again
through ``/library/metadata/{keys}`` (400 keys a request, in the page's worker). Measured
against the same sync taking the listings' tags as they come (a client whose ``complete`` does
nothing: wrong tags, but what the sync cost before). In-process, alternately, against the
real-shaped simulator in its own process; the simulator's request log says how many metadata
requests and items each sync read.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from benchmarks.harness import NAS_LATENCY, TOKEN, Result, load_average, simulator
from plexcrate.cache.database import Database
from plexcrate.plex.client import Item, LibType, PlexClient
from plexcrate.sync.engine import sync_library

REPEATS = 2


class _ListedTagsOnly(PlexClient):
    """Takes every listing's tags as they are: the cost of a sync without the completion."""

    def complete(self, items: Sequence[Item], libtype: LibType, unless: Any = None) -> list[Item]:
        return list(items)


def run(tracks: int = 100_000) -> list[Result]:
    name = f"full sync, {tracks:,} tracks, NAS latency: reading every tag"
    print(f"{name}: {load_average()}", flush=True)
    complete, listed, reads = [], [], []
    with (
        simulator(tracks, latency=NAS_LATENCY) as url,
        httpx.Client(base_url=url, headers={"X-Plex-Token": TOKEN}, timeout=60) as admin,
    ):
        for _ in range(REPEATS):
            admin.delete("/__simulator__/requests")
            complete.append(_timed_sync(PlexClient(url, TOKEN)))
            reads.append(_metadata_reads(admin))
            listed.append(_timed_sync(_ListedTagsOnly(url, TOKEN)))
            print(f"every tag {complete[-1]:.2f} s, listed tags {listed[-1]:.2f} s", flush=True)
    with_s, without_s = statistics.median(complete), statistics.median(listed)
    requests, items = reads[-1]
    return [
        Result(name, f"full sync, every tag read (median of {REPEATS})", with_s, "s"),
        Result(name, f"full sync, listed tags as they come (median of {REPEATS})", without_s, "s"),
        Result(name, "cost of reading every tag", (with_s / without_s - 1) * 100, "%"),
        Result(name, "metadata requests of a sync", requests, "requests"),
        Result(name, "items read through their metadata", items, "items"),
    ]


def _timed_sync(client: PlexClient) -> float:
    with client, tempfile.TemporaryDirectory() as data, Database(Path(data) / "c.db") as db:
        started = time.perf_counter()
        sync_library(db, client, full=True)
        return time.perf_counter() - started


def _metadata_reads(admin: httpx.Client) -> tuple[int, int]:
    log = admin.get("/__simulator__/requests").json()
    reads = [r for r in log if r["path"].startswith("/library/metadata/")]
    return len(reads), sum(r["items"] for r in reads)
