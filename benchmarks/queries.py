"""The library API over a 100,000-track cache, the way the browser and API clients use it.

``plexcrate serve`` runs in its own process on a synced cache (Plex unreachable, so nothing
syncs meanwhile). The workload is a series of visits: a random filter from the whole vocabulary
(genres, styles, moods, album types, labels, artists in or out, decades or a year range, a
minimum rating, played or not, added lately, live recordings in or out, and sometimes a search:
a word, or the first letters of one, taken from the library's own titles and names) and a random
sort (Plex's order most often, a shuffle, or any other), then what the browser asks for it —
``/api/library/stats`` for its open sections (genres and decades at first; every facet is timed
too) and the first page of ``/api/tracks`` — and two more pages: the next one
and one anywhere in the list (the browser's list is as long as the library, and its scrollbar
jumps; a shuffle is paged from its start); pages of a random size. Between visits, a search
inside one kind of tag (``/api/library/facets/{kind}``), as the filter panel's boxes ask. Each
request is timed from the client, one at a time, over a kept-alive connection.
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
STATS_P95_MS = 20
FACETS_P95_MS = 20
VISITS = 300
PAGE_SIZES = [50, 100, 100, 100, 100, 250, 500, 1000]  # the browser asks for 100
PAGE_FACETS = ["genres", "decades"]  # the filter panel's sections open at first


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
        vocabulary = tag_values(http)
        sorts = get(http, "/api/filters")["sorts"]
        get(http, "/api/tracks", limit=1000)  # warm up: the first answers load the indexes
        timings: dict[str, list[float]] = {
            key: [] for key in ("tracks", "stats", "all", "search", "browse", "sorted", "facets")
        }
        for _ in range(visits):
            one_visit(http, rng, vocabulary, words, sorts, timings)
    return [
        *latencies(name, "`/api/tracks`", timings["tracks"], tracks_p95_ms),
        *latencies(name, "`/api/library/stats`, the page's facets", timings["stats"], stats_p95_ms),
        *latencies(name, "`/api/library/stats`, all six facets", timings["all"], stats_p95_ms),
        *latencies(name, "`/api/library/facets/{kind}`", timings["facets"], FACETS_P95_MS),
        *(
            Result(name, f"`/api/tracks` {which}: p95", percentiles(timings[kind])[1], "ms")
            for kind, which in (
                ("browse", "without a search, in Plex's order"),
                ("sorted", "without a search, another sort"),
                ("search", "with a search"),
            )
        ),
    ]


# Kinds of tag the filters name, and the stats facet listing each kind's values.
KINDS = {
    "genre": "genres",
    "style": "styles",
    "mood": "moods",
    "album_type": "album_types",
    "label": "labels",
}


def tag_values(http: httpx.Client) -> dict[str, list[str]]:
    """The values of every kind of tag (the commonest 200 of each), and some artists."""
    stats = get(http, "/api/library/stats", exclude_live="false")
    values = {kind: [f["name"] for f in stats[facet]] for kind, facet in KINDS.items()}
    artists = get(http, "/api/library/facets/artist", limit=500)["values"]
    values["artist"] = [a["name"] for a in artists]
    return values


def random_filter(rng: random.Random, vocabulary: dict[str, list[str]]) -> dict[str, Any]:
    """A filter as people make them: a few choices at a time, from the whole vocabulary."""
    flt: dict[str, Any] = {"exclude_live": rng.choice(["true", "true", "false"])}

    def some(kind: str, chance: float, most: int = 2) -> None:
        if vocabulary.get(kind) and rng.random() < chance:
            flt[kind] = rng.sample(
                vocabulary[kind], min(rng.randint(1, most), len(vocabulary[kind]))
            )

    some("genre", 0.4, 3)
    some("style", 0.15)
    some("mood", 0.15)
    some("album_type", 0.1, 1)
    some("label", 0.05, 1)
    some("artist", 0.05, 1)
    if vocabulary.get("genre") and rng.random() < 0.05:
        flt["exclude_genre"] = [rng.choice(vocabulary["genre"])]
    if rng.random() < 0.25:
        flt["decade"] = [f"{d}s" for d in rng.sample(range(1950, 2030, 10), rng.choice([1, 2]))]
    elif rng.random() < 0.1:
        flt["year_min"] = rng.randrange(1960, 2020)
    flt["min_rating"] = rng.choice([0, 0, 0, 0, 6, 8, 10])
    if rng.random() < 0.1:
        flt["played"] = rng.choice(["never", "ever"])
    if rng.random() < 0.05:
        flt["added_within_days"] = rng.choice([30, 365, 3650])
    return flt


def one_visit(
    http: httpx.Client,
    rng: random.Random,
    vocabulary: dict[str, list[str]],
    words: list[str],
    sorts: list[str],
    timings: dict[str, list[float]],
) -> None:
    """The stats and three pages of one random filter and sort, and a facet search; each
    request timed."""
    flt = random_filter(rng, vocabulary)
    if rng.random() < 0.3:
        flt["q"] = rng.choice(words)

    def timed(kind: str, path: str, params: dict[str, Any]) -> Any:
        started = time.perf_counter()
        response = http.get(path, params=params)
        elapsed = (time.perf_counter() - started) * 1000
        response.raise_for_status()
        timings[kind].append(elapsed)
        if kind == "tracks":
            plain = "browse" if params["sort"] == "default" else "sorted"
            timings["search" if "q" in params else plain].append(elapsed)
        return response.json()

    # As the page asks: the facets of its open sections (genres and decades at first), and
    # (a client wanting them all) every facet.
    timed("stats", "/api/library/stats", {**flt, "facets": PAGE_FACETS})
    timed("all", "/api/library/stats", flt)
    roll = rng.random()
    sort = "default" if roll < 0.5 else "random" if roll < 0.65 else rng.choice(sorts)
    limit = rng.choice(PAGE_SIZES)
    page = {**flt, "sort": sort, "limit": limit, "seed": rng.randrange(2**31)}
    total = timed("tracks", "/api/tracks", {**page, "offset": 0})["total"]
    # The browser scrolls on, then jumps (its list is as long as the library); a shuffle is
    # paged through from its start.
    jump = rng.randrange(max(total, 1)) if sort != "random" else 2 * limit
    for offset in (limit, jump):
        timed("tracks", "/api/tracks", {**page, "offset": offset})
    kind = rng.choice(["genre", "style", "mood", "label", "artist"])
    values = vocabulary.get(kind) or ["a"]
    typed = rng.choice(values)[: rng.randint(1, 3)]
    timed("facets", f"/api/library/facets/{kind}", {**flt, "q": typed, "limit": 20})


def search_words(http: httpx.Client, rng: random.Random, count: int = 200) -> list[str]:
    """Words a person might search for: whole words of titles and names from the library, and
    their first two to four letters (a search as it is typed)."""
    tracks = get(http, "/api/tracks", sort="random", seed=1, limit=count)["tracks"]
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
