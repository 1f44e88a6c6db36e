"""The status while a full sync of 100,000 tracks runs in the app, and the app's peak memory.

``plexcrate serve`` runs in its own process with an empty cache and the simulator (no latency)
as its Plex. The benchmark starts a sync (``POST /api/library/sync``), then asks for
``/api/library/status`` every few milliseconds until the sync has finished, timing each answer
from the client. The app's peak resident memory (the kernel's high-water mark) is read at the
end: the sync runs inside it, as it does for every user of the web app.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from statistics import median

import httpx

from benchmarks.harness import (
    Result,
    app_server,
    latencies,
    load_average,
    plexcrate_env,
    simulator,
)

STATUS_P95_MS = 20
PEAK_MEMORY_TARGET_MB = 200
POLL_EVERY_S = 0.002  # a browser asks far less often; this takes many samples of one sync
MIN_SAMPLES = 500  # full syncs follow one another until the status answered this often
MAX_SYNCS = 4


def run(tracks: int = 100_000) -> list[Result]:
    name = f"app during a full sync of {tracks:,} tracks, no latency"
    print(f"{name}: {load_average()}", flush=True)
    with (
        simulator(tracks) as url,
        tempfile.TemporaryDirectory() as data,
        app_server(plexcrate_env(url, Path(data))) as server,
        httpx.Client(base_url=server.url, timeout=30) as http,
    ):
        samples: list[float] = []
        syncs: list[float] = []
        while len(samples) < MIN_SAMPLES and len(syncs) < MAX_SYNCS:
            syncs.append(sync_and_poll(http, tracks, samples))
            print(f"sync {syncs[-1]:.2f} s, {len(samples)} status answers so far", flush=True)
        peak = server.peak_rss_mb()
    return [
        Result(name, f"sync, as the status saw it (median of {len(syncs)})", median(syncs), "s"),
        *latencies(name, "`/api/library/status` during the sync", samples, STATUS_P95_MS),
        Result(
            name,
            "peak memory of the app (server) process",
            peak,
            "MB",
            target=f"< {PEAK_MEMORY_TARGET_MB} MB",
            met=peak < PEAK_MEMORY_TARGET_MB,
        ),
    ]


def sync_and_poll(http: httpx.Client, tracks: int, samples: list[float]) -> float:
    """Start a full sync and time status answers until it is done; returns its duration."""
    http.post("/api/library/sync", json={"full": True}).raise_for_status()
    started = time.perf_counter()
    while True:
        asked = time.perf_counter()
        status = http.get("/api/library/status")
        samples.append((time.perf_counter() - asked) * 1000)
        status.raise_for_status()
        body = status.json()
        if not body["is_syncing"]:
            break
        time.sleep(POLL_EVERY_S)
    if body["track_count"] != tracks or body["error"]:
        raise RuntimeError(f"the sync did not complete: {body}")
    return time.perf_counter() - started
