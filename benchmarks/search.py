"""``/api/search`` as the search box asks it: every keystroke of a typed search, distinct.

``plexcrate serve`` runs in its own process on a synced cache (Plex unreachable). The first
search builds the in-memory index of the snapshot (``cache/search.py``): its time and what the
process's memory grew by are reported apart. Then searches a person would type, each asked once:
names and titles of the library typed letter by letter (every prefix is a request, the one-letter
ones included), two words, words run together ("acdc"), a letter swapped (a typo), each timed from
the client, one at a time, over a kept-alive connection.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks.harness import (
    Result,
    app_server,
    latencies,
    load_average,
    plexcrate_env,
    synced_cache,
    unreachable_plex,
)

P95_MS = {100_000: 10, 500_000: 30}
SEARCHES = 400


def run(tracks: int = 100_000, searches: int = SEARCHES) -> list[Result]:
    return measure(synced_cache(tracks), tracks, searches)


def measure(data: Path, tracks: int, searches: int = SEARCHES) -> list[Result]:
    name = f"search API, {tracks:,}-track cache"
    print(f"{name}: {load_average()}", flush=True)
    env = plexcrate_env(unreachable_plex(), data)
    with app_server(env) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        rng = random.Random(19)
        sample = get(http, "/api/tracks", sort="random", seed=3, limit=300)["tracks"]
        before = _rss_mb(server.process.pid)
        started = time.perf_counter()
        get(http, "/api/search", q="warm up")
        build_s = time.perf_counter() - started
        grown = _rss_mb(server.process.pid) - before
        queries = typed_searches(sample, rng, searches)
        timings = []
        for q in queries:
            started = time.perf_counter()
            get(http, "/api/search", q=q, limit=10)
            timings.append((time.perf_counter() - started) * 1000)
        peak = server.peak_rss_mb()
    target = P95_MS.get(tracks, 30)
    return [
        Result(name, "first search: the index built, and answered", build_s, "s"),
        Result(name, "the process's memory grown by the first search", grown, "MB"),
        Result(name, "the process's peak memory", peak, "MB"),
        *latencies(name, f"{len(set(queries)):,} distinct searches", timings, target),
    ]


def typed_searches(sample: list[dict[str, Any]], rng: random.Random, count: int) -> list[str]:
    """Distinct searches, each keystroke of a name typed, in the order they would come."""
    seen: dict[str, None] = {}
    while len(seen) < count:
        track = rng.choice(sample)
        kind = rng.random()
        name = rng.choice([track["title"], track["artist"], track["album"], track["album_artist"]])
        if kind < 0.15:
            other = rng.choice(sample)["title"].split() or ["a"]
            name = f"{name.split()[0]} {other[0]}"
        elif kind < 0.25:
            name = "".join(name.split()[:2])  # run together
        elif kind < 0.35 and len(name) > 5:
            i = rng.randrange(1, len(name) - 2)
            name = name[:i] + name[i + 1] + name[i] + name[i + 2 :]  # two letters swapped
        for end in range(1, len(name) + 1):
            seen.setdefault(name[:end].lower())
    return list(seen)[:count]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def get(http: httpx.Client, path: str, **params: Any) -> Any:
    response = http.get(path, params=params)
    response.raise_for_status()
    return response.json()
