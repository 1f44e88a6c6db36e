"""The library API over a 100,000-track cache, the way the browser and API clients use it.

``plexcrate serve`` runs in its own process on a synced cache (Plex unreachable, so nothing
syncs meanwhile). The workload is a series of visits: a random filter (genres, decades, a
minimum rating, live recordings in or out, and sometimes a search: a word, or the first
letters of one, taken from the library's own titles and names), then what the browser asks
for it — ``/api/library/stats`` and the first page of ``/api/tracks`` — and two more pages:
in the default order the next one and one anywhere in the list (the browser's list is as long
as the library, and its scrollbar jumps), in a random order (a quarter of the visits) the next
two, as a client pages through a shuffle; pages of a random size. Each request is timed from
the client, one at a time, over a kept-alive connection.
"""

from __future__ import annotations

import random
import time
from typing import Any

import httpx

from benchmarks.harness import (
    Result,
    app_server,
    latencies,
    load_average,
    percentiles,
    plexcrate_env,
    synced_cache,
    unreachable_plex,
)

TRACKS_P95_MS = 20
STATS_P95_MS = 50
VISITS = 300
PAGE_SIZES = [50, 100, 100, 100, 100, 250, 500, 1000]  # the browser asks for 100


def run(tracks: int = 100_000, visits: int = VISITS) -> list[Result]:
    return measure(tracks, visits, TRACKS_P95_MS, STATS_P95_MS)


def measure(tracks: int, visits: int, tracks_p95_ms: float, stats_p95_ms: float) -> list[Result]:
    name = f"library API, {tracks:,}-track cache"
    print(f"{name}: {load_average()}", flush=True)
    data = synced_cache(tracks)
    env = plexcrate_env(unreachable_plex(), data)
    with app_server(env) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        rng = random.Random(6)
        words = search_words(http, rng)
        genres = [facet["name"] for facet in get(http, "/api/library/stats")["genres"]]
        get(http, "/api/tracks", limit=1000)  # warm up: the first answers load the indexes
        timings: dict[str, list[float]] = {"tracks": [], "stats": [], "search": [], "browse": []}
        for _ in range(visits):
            one_visit(http, rng, genres, words, timings)
    return [
        *latencies(name, "`/api/tracks`", timings["tracks"], tracks_p95_ms),
        *latencies(name, "`/api/library/stats`", timings["stats"], stats_p95_ms),
        *(
            Result(name, f"`/api/tracks` {which}: p95", percentiles(timings[kind])[1], "ms")
            for kind, which in (("browse", "without a search"), ("search", "with a search"))
        ),
    ]


def one_visit(
    http: httpx.Client,
    rng: random.Random,
    genres: list[str],
    words: list[str],
    timings: dict[str, list[float]],
) -> None:
    """The stats and three pages of one random filter, each request timed."""
    flt: dict[str, Any] = {
        "genre": rng.sample(genres, rng.choice([0, 0, 0, 1, 1, 2, 3])),
        "decade": [f"{d}s" for d in rng.sample(range(1950, 2030, 10), rng.choice([0, 0, 1, 2]))],
        "min_rating": rng.choice([0, 0, 0, 0, 6, 8, 10]),
        "exclude_live": rng.choice(["true", "true", "false"]),
    }
    if rng.random() < 0.3:
        flt["q"] = rng.choice(words)

    def timed(kind: str, path: str, params: dict[str, Any]) -> Any:
        started = time.perf_counter()
        response = http.get(path, params=params)
        elapsed = (time.perf_counter() - started) * 1000
        response.raise_for_status()
        timings[kind].append(elapsed)
        if kind == "tracks":
            timings["search" if "q" in params else "browse"].append(elapsed)
        return response.json()

    timed("stats", "/api/library/stats", flt)
    order = "random" if rng.random() < 0.25 else "default"
    limit = rng.choice(PAGE_SIZES)
    page = {**flt, "order": order, "limit": limit, "seed": rng.randrange(2**31)}
    total = timed("tracks", "/api/tracks", {**page, "offset": 0})["total"]
    # The browser scrolls on, then jumps (its list is as long as the library); a shuffle is
    # paged through from its start.
    jump = rng.randrange(max(total, 1)) if order == "default" else 2 * limit
    for offset in (limit, jump):
        timed("tracks", "/api/tracks", {**page, "offset": offset})


def search_words(http: httpx.Client, rng: random.Random, count: int = 200) -> list[str]:
    """Words a person might search for: whole words of titles and names from the library, and
    their first two to four letters (a search as it is typed)."""
    tracks = get(http, "/api/tracks", order="random", seed=1, limit=count)["tracks"]
    words = []
    for track in tracks:
        field = rng.choice([track["title"], track["artist"], track["album"]])
        word = rng.choice(field.split() or ["a"])
        words.append(word if rng.random() < 0.5 else word[: rng.randint(2, 4)])
    return words


def get(http: httpx.Client, path: str, **params: Any) -> Any:
    response = http.get(path, params=params)
    response.raise_for_status()
    return response.json()
