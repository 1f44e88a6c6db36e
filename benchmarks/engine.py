"""Issue 19's budgets for the query engine, measured through the HTTP API as a person clicks.

``python -m benchmarks engine [--sizes 100000,500000] [--concurrent-at 300000]
[--memory-at 500000] [--requests 200] [--quick]``

For each size, a library is synced from the simulator *inside the app* (``POST
/api/library/sync``, as a user does; a dozen Plex playlists are made first so that the
``playlist`` field has members), its memory sampled meanwhile. Then a fresh ``plexcrate serve``
(Plex unreachable, so nothing syncs) on a copy of that cache answers, one at a time over a
kept-alive connection, requests that are each new to it (``engine_workload.py``): pages of
``/api/tracks``, ``/api/albums`` and ``/api/artists`` (random orders with new seeds, deep offsets,
every sort, tag filters of several values, broad text filters, small rules and rules of about
twenty conditions), ``/api/library/stats`` under the same kinds of filter, ``/api/search`` (broad
prefixes, common words, typos) and ``POST /api/tracks/query``. Budgets (issue 19): p95 < 10 ms
per endpoint up to 100,000 tracks; above, p95 < 30 ms and nothing over 100 ms.

Then: 30 clients searching broadly at once at 300,000 tracks (p95 < 100 ms) while another
process polls ``/api/library/status`` (p95 < 20 ms); the app's memory at 500,000 tracks (< 250
MB): during its first sync, during a second full sync once the library is loaded and answering
(the engine's memory of the old snapshot and the sync's together), after it, and over the query
workload; and the cold start to the first status answer on that cache (< 1.5 s,
``cold_start.py``'s method).

Endpoints the app lacks (today's main has no rules and no ``/api/search``) are found by probing
and reported "n/a". ``--quick``: a smoke run of everything at 5,000 tracks.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import json
import math
import multiprocessing
import random
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import httpx
import psutil

from benchmarks.engine_workload import (
    ALL_FIELDS,
    DATE_FIELDS,
    LIST_ENDPOINTS,
    NUMBER_FIELDS,
    PLAYLIST_FIELD,
    TAG_FIELDS,
    TEXT_FIELDS,
    Features,
    Request,
    Vocabulary,
    Workload,
    count_conditions,
    encode,
    read_vocabulary,
)
from benchmarks.harness import (
    TOKEN,
    AppServer,
    Result,
    app_server,
    load_average,
    percentiles,
    plexcrate_env,
    simulator,
    unreachable_plex,
)

DEFAULT_SIZES = (100_000, 500_000)
CONCURRENT_AT = 300_000
MEMORY_AT = 500_000
QUICK_TRACKS = 5_000
REQUESTS = 200  # per endpoint and size: p95 of 200 is the 10th slowest
QUICK_REQUESTS = 30
SMALL_LIBRARY_P95_MS = 10  # up to 100,000 tracks
LARGE_LIBRARY_P95_MS = 30  # above (500,000 in the issue)
LARGE_LIBRARY_MAX_MS = 100
SEARCHERS = 30
SEARCHES_EACH = 10
SEARCH_P95_MS = 100
STATUS_P95_MS = 20
STATUS_EVERY_S = 0.005
MEMORY_TARGET_MB = 250
START_TARGET_S = 1.5
STARTS = 5
PLAYLISTS = 12
PROBE_TEXT = "a"  # the probe's search
SEED = 19

ENDPOINTS = ("tracks", "albums", "artists", "stats", "search", "query")
LABELS = {
    "tracks": "`/api/tracks`",
    "albums": "`/api/albums`",
    "artists": "`/api/artists`",
    "stats": "`/api/library/stats`",
    "search": "`/api/search`",
    "query": "`POST /api/tracks/query`",
}
STATS_KINDS = ("tags", "rule", "rule20", "broad", "text")
SEARCH_KINDS = ("broad", "broad", "broad", "typo")
QUERY_KINDS = ("rule", "rule20")


@dataclass(frozen=True, slots=True)
class Options:
    sizes: tuple[int, ...] = DEFAULT_SIZES
    concurrent_at: int = CONCURRENT_AT  # 0: not measured
    memory_at: int = MEMORY_AT  # 0: not measured
    requests: int = REQUESTS
    quick: bool = False

    @property
    def searches_each(self) -> int:
        return 2 if self.quick else SEARCHES_EACH

    @property
    def starts(self) -> int:
        return 3 if self.quick else STARTS


def add_options(parser: argparse.ArgumentParser) -> None:
    """The engine benchmark's options, on ``python -m benchmarks``'s command line."""
    sizes = ",".join(str(s) for s in DEFAULT_SIZES)
    group = parser.add_argument_group("engine")
    group.add_argument("--sizes", default=sizes, help=f"library sizes timed (default {sizes})")
    group.add_argument("--concurrent-at", type=int, default=CONCURRENT_AT, help="0: skip")
    group.add_argument("--memory-at", type=int, default=MEMORY_AT, help="0: skip")
    group.add_argument("--requests", type=int, default=REQUESTS, help="per endpoint and size")
    group.add_argument(
        "--quick", action="store_true", help=f"a smoke run of everything at {QUICK_TRACKS:,} tracks"
    )


def run_with(args: argparse.Namespace) -> list[Result]:
    if args.quick:
        small = QUICK_TRACKS
        return run(Options((small,), small, small, min(args.requests, QUICK_REQUESTS), True))
    sizes = tuple(int(s) for s in str(args.sizes).split(",") if s.strip())
    return run(Options(sizes, args.concurrent_at, args.memory_at, args.requests))


def run(options: Options | None = None) -> list[Result]:
    options = options or Options()
    results: list[Result] = []

    def synced(tracks: int) -> Library:
        # At the size of the memory budget the app syncs twice (see Library).
        return library(tracks, resync=tracks == options.memory_at)

    for tracks in options.sizes:
        results += measure_queries(synced(tracks), options)
    if options.concurrent_at:
        results += measure_concurrent_searches(synced(options.concurrent_at), options)
    if options.memory_at:
        results += memory_results(synced(options.memory_at))
        results += measure_cold_starts(synced(options.memory_at), options)
    return results


def budget(tracks: int) -> tuple[float, float | None]:
    """The p95 and the most any answer may take (issue 19: 100,000 and 500,000 tracks)."""
    if tracks <= 100_000:
        return SMALL_LIBRARY_P95_MS, None
    return LARGE_LIBRARY_P95_MS, LARGE_LIBRARY_MAX_MS


# --- the libraries: synced inside the app, its memory watched ------------------------------------


@dataclass(frozen=True, slots=True)
class Library:
    tracks: int
    data: Path  # the synced data folder; each app gets a copy of its own
    playlists: list[int]
    sync_s: float  # the first sync, into an empty cache
    sync_peak_mb: float  # the kernel's high-water mark up to its end, start-up included
    sync_sampled_mb: float  # psutil's RSS, sampled every 20 ms during it
    # With ``resync``: a second full sync while the app holds the library (every endpoint
    # answered on it first), as when a user syncs again: the engine's memory of the old
    # snapshot and the sync's own come together.
    resync_s: float | None
    resync_sampled_mb: float | None
    after_mb: float  # RSS once every endpoint answered on the newest snapshot
    peak_mb: float  # the kernel's high-water mark over all of it


@cache
def _root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="plexcrate-engine-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return root


@cache
def library(tracks: int, resync: bool = False) -> Library:
    """A library of ``tracks`` tracks synced by the app from the simulator (once per run), and
    the app's memory meanwhile; ``resync``: then synced again in full."""
    print(f"engine: syncing {tracks:,} tracks inside the app; {load_average()}", flush=True)
    data = _root() / f"library-{tracks}"
    with simulator(tracks, seed=1) as url:
        playlists = make_playlists(url, random.Random(SEED))
        with (
            app_server(plexcrate_env(url, data)) as server,
            httpx.Client(base_url=server.url, timeout=120) as http,
        ):
            with RssSampler(server.process.pid) as first:
                sync_s = sync_in_app(http, tracks)
            sync_peak = server.peak_rss_mb()
            answer_every_endpoint(http)
            resync_s = resync_mb = None
            if resync:
                with RssSampler(server.process.pid) as second:
                    resync_s = sync_in_app(http, tracks)
                resync_mb = second.peak_mb
                answer_every_endpoint(http)
            time.sleep(1)
            after = psutil.Process(server.process.pid).memory_info().rss / 2**20
            peak = server.peak_rss_mb()
    return Library(
        tracks,
        data,
        playlists,
        sync_s,
        sync_peak,
        first.peak_mb,
        resync_s,
        resync_mb,
        after,
        peak,
    )


def make_playlists(url: str, rng: random.Random) -> list[int]:
    """Plex playlists of a few albums to a few hundred, through the simulator's admin API."""
    headers = {"X-Plex-Token": TOKEN, "Accept": "application/json"}
    with httpx.Client(base_url=url, headers=headers, timeout=60) as plex:
        page = {"X-Plex-Container-Start": "0", "X-Plex-Container-Size": "2000"}
        params = {"type": 9, "includeCollections": 0}
        listing = plex.get("/library/sections/1/all", params=params, headers=page)
        listing.raise_for_status()
        albums = [int(a["ratingKey"]) for a in listing.json()["MediaContainer"]["Metadata"]]
        ids = []
        for n in range(PLAYLISTS):
            keys = rng.sample(albums, min(len(albums), rng.choice([1, 5, 20, 100, 300])))
            args = {"title": f"engine benchmark {n}", "item_keys": keys}
            made = plex.post("/__simulator__/mutate", json={"op": "create_playlist", "args": args})
            if made.status_code != 200:
                raise RuntimeError(f"the simulator made no playlist: {made.text[:300]}")
            ids.append(int(made.json()["result"]["rating_key"]))
    return ids


def sync_in_app(http: httpx.Client, tracks: int) -> float:
    """A full sync started as the page starts it; its duration, once the status says done."""
    started = time.perf_counter()
    http.post("/api/library/sync", json={"full": True}).raise_for_status()
    while (status := http.get("/api/library/status").json())["is_syncing"]:
        time.sleep(0.1)
    seconds = time.perf_counter() - started
    if status["track_count"] != tracks or status["error"]:
        raise RuntimeError(f"the sync inside the app did not complete: {status}")
    print(f"engine: synced {tracks:,} tracks in {seconds:.1f} s", flush=True)
    return seconds


def answer_every_endpoint(http: httpx.Client) -> None:
    """One answer of each endpoint: what the engine keeps for a snapshot may be built by the
    first reads of it, and that memory counts too."""
    for path in ("/api/tracks", "/api/albums", "/api/artists", "/api/library/stats"):
        http.get(path, params={"sort": "random", "seed": 7}).raise_for_status()
    rule = encode({"field": "live", "op": "is", "value": False})
    http.get("/api/tracks", params={"rule": rule})  # ignored where rules are not read yet
    http.get("/api/search", params={"q": "a"})  # a 404 where there is no search yet


class RssSampler:
    """The largest resident memory of a process, sampled with psutil on a thread."""

    def __init__(self, pid: int, every_s: float = 0.02) -> None:
        self.process = psutil.Process(pid)
        self.every_s = every_s
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(self.every_s):
            rss = self.process.memory_info().rss / 2**20
            self.peak_mb = max(self.peak_mb, rss)


@contextmanager
def serving(lib: Library) -> Iterator[AppServer]:
    """``plexcrate serve`` on a fresh copy of the library (Plex unreachable: nothing syncs)."""
    copy = Path(tempfile.mkdtemp(prefix="copy-", dir=_root()))
    try:
        shutil.copytree(lib.data, copy, dirs_exist_ok=True)
        with app_server(plexcrate_env(unreachable_plex(), copy), timeout=120) as server:
            yield server
    finally:
        shutil.rmtree(copy, ignore_errors=True)


# --- what the app answers ------------------------------------------------------------------------


def probe(http: httpx.Client, vocabulary: Vocabulary) -> Features:
    """Which of the new endpoints and rule fields the app has: a malformed rule must be a 422
    (an app without rules ignores the parameter and answers 200)."""
    bad = encode({"field": "no_such_field", "op": "is", "value": "x"})
    paths = ("/api/tracks", "/api/albums", "/api/artists", "/api/library/stats")
    read = {path: http.get(path, params={"rule": bad}).status_code == 422 for path in paths}
    if any(read.values()) and not all(read.values()):
        print(f"engine: only some endpoints read `rule`: {read}", flush=True)
    rules = all(read.values())
    accepted = {f: _accepts(http, f, vocabulary) for f in (*ALL_FIELDS, PLAYLIST_FIELD) if rules}
    fields = frozenset(f for f, condition in accepted.items() if condition)
    live = {"field": "live", "op": "is", "value": False}
    query = http.post("/api/tracks/query", json={"rule": live, "limit": 1}).status_code == 200
    search = http.get("/api/search", params={"q": PROBE_TEXT, "limit": 1}).status_code == 200
    # What the probes asked is not new to the app any more: the workload won't ask it again.
    asked = {f"q:{PROBE_TEXT}", *(encode({"filter": {}, "rule": c}) for c in accepted.values())}
    features = Features(rules, query, search, fields, frozenset(asked))
    left_out = sorted({*ALL_FIELDS, PLAYLIST_FIELD} - fields) if rules else ["all"]
    print(
        f"engine: rules {rules}, POST /api/tracks/query {query}, /api/search {search}; "
        f"rule fields not used: {', '.join(left_out) or 'none'}",
        flush=True,
    )
    return features


def _accepts(http: httpx.Client, field: str, vocabulary: Vocabulary) -> dict[str, Any] | None:
    """A plain condition on ``field`` if the app answers it (else None, saying why)."""
    condition = _plain_condition(field, vocabulary)
    if condition is None:
        return None  # a tag kind the library has no values of, or no playlists
    answer = http.get("/api/tracks", params={"rule": encode(condition), "limit": 1})
    if answer.status_code != 200:
        print(f"engine: field {field} refused ({answer.status_code}): {answer.text[:300]}")
        return None
    return condition


def _plain_condition(field: str, vocabulary: Vocabulary) -> dict[str, Any] | None:
    """The simplest condition of a field's type: a field refusing it is left out of the rules
    (other operators refused show as errors, each request named)."""
    names = vocabulary.decades if field == "decade" else vocabulary.tags.get(field)
    if field in TAG_FIELDS or field == "decade":
        return {"field": field, "op": "is", "value": names[0]} if names else None
    if field in TEXT_FIELDS:
        return {"field": field, "op": "contains", "value": "a"}
    if field in NUMBER_FIELDS:
        return {"field": field, "op": "ge", "value": 1}
    if field in DATE_FIELDS:
        return {"field": field, "op": "is_empty"}
    if field == PLAYLIST_FIELD:
        ids = vocabulary.playlists
        return {"field": field, "op": "any_of", "value": ids[:2]} if ids else None
    return {"field": field, "op": "is", "value": False}  # live


def endpoints_of(features: Features) -> list[str]:
    found = [*LIST_ENDPOINTS, "stats"]
    return (
        found + ["search"] * features.search + ["query"] * (features.rules and features.query_post)
    )


# --- distinct requests, one at a time ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Timed:
    request: Request
    ms: float
    status: int
    error: str = ""


def plan(workload: Workload, endpoints: Sequence[str], count: int) -> list[Request]:
    """``count`` new requests per endpoint, their kinds in turn, all shuffled together so that
    no endpoint runs warm on its own."""
    list_kinds = workload.kinds()
    kinds_of = {
        **{endpoint: list_kinds for endpoint in LIST_ENDPOINTS},
        "stats": [k for k in STATS_KINDS if k in list_kinds or k == "broad"],
        "search": list(SEARCH_KINDS),
        "query": list(QUERY_KINDS),
    }
    requests = [
        workload.draw(endpoint, kinds_of[endpoint][i % len(kinds_of[endpoint])])
        for endpoint in endpoints
        for i in range(count)
    ]
    workload.rng.shuffle(requests)
    return requests


def time_requests(http: httpx.Client, requests: Sequence[Request]) -> list[Timed]:
    timed = []
    for request in requests:
        started = time.perf_counter()
        response = request.send(http)
        ms = (time.perf_counter() - started) * 1000
        error = "" if response.status_code == 200 else response.text[:300]
        timed.append(Timed(request, ms, response.status_code, error))
    return timed


def measure_queries(lib: Library, options: Options) -> list[Result]:
    name = f"engine, {lib.tracks:,} tracks"
    print(f"{name}: {load_average()}", flush=True)
    with serving(lib) as server, httpx.Client(base_url=server.url, timeout=120) as http:
        first_ms = first_answer_ms(http)
        rng = random.Random(SEED)
        vocabulary = read_vocabulary(http, rng, lib.playlists)
        features = probe(http, vocabulary)
        workload = Workload(rng, vocabulary, features)
        endpoints = endpoints_of(features)
        warm_up(http, workload, endpoints)
        timed = time_requests(http, plan(workload, endpoints, options.requests))
        peak = server.peak_rss_mb()
    print_breakdown(name, timed)
    rules = [] if features.rules else [missing(name, "rules of 20 conditions", "", options.quick)]
    return [
        *endpoint_results(name, lib.tracks, timed, features, options.quick),
        *rules,
        errors_result(name, timed),
        Result(name, "first `/api/tracks` answer after the start", first_ms, "ms"),
        memory_result(name, "peak memory of the app over these requests", peak, lib, options),
    ]


def first_answer_ms(http: httpx.Client) -> float:
    """The first page after the start: what an engine building its columns lazily costs."""
    started = time.perf_counter()
    http.get("/api/tracks", params={"limit": 100}).raise_for_status()
    return (time.perf_counter() - started) * 1000


def warm_up(http: httpx.Client, workload: Workload, endpoints: Sequence[str]) -> None:
    """One request of each endpoint, untimed (their filters are not asked again)."""
    for request in plan(workload, endpoints, 1):
        request.send(http)


def endpoint_results(
    name: str, tracks: int, timed: Sequence[Timed], features: Features, quick: bool
) -> list[Result]:
    p95_ms, max_ms = budget(tracks)
    results = []
    for endpoint in [*ENDPOINTS, "overall"]:
        samples = [
            t.ms for t in timed if not t.error and endpoint in (t.request.endpoint, "overall")
        ]
        label = LABELS.get(endpoint, "every endpoint")
        if not samples:
            results.append(missing(name, f"{label}: p95", f"< {p95_ms:g} ms", quick))
            continue
        p50, p95, worst = percentiles(samples) if len(samples) > 1 else (samples[0],) * 3
        results += [
            Result(name, f"{label}: p50 ({len(samples):,} requests)", p50, "ms"),
            Result(name, f"{label}: p95", p95, "ms", f"< {p95_ms:g} ms", p95 < p95_ms),
            Result(
                name,
                f"{label}: max",
                worst,
                "ms",
                f"< {max_ms:g} ms" if max_ms else "",
                worst < max_ms if max_ms else None,
            ),
        ]
    return results


def missing(name: str, figure: str, target: str, quick: bool) -> Result:
    """A figure the app can't give yet: n/a, and a budget not met unless this is a smoke run."""
    return Result(
        name, f"{figure} (the app lacks it)", math.nan, "ms", target, None if quick else False
    )


def errors_result(name: str, timed: Sequence[Timed]) -> Result:
    failed = [t for t in timed if t.error]
    for t in failed[:10]:
        print(f"  error {t.status}: {t.error}\n    for {t.request.describe()}", flush=True)
    return Result(name, "requests not answered 200", len(failed), "", "0", not failed)


def print_breakdown(name: str, timed: Sequence[Timed]) -> None:
    """p95 by endpoint and kind of request, and the slowest requests: where a slow path is."""
    print(f"\n{name}: p95 ms (requests) by endpoint and kind")
    kinds = sorted({t.request.kind for t in timed})
    print("| endpoint | " + " | ".join(kinds) + " |")
    print("| --- |" + " --- |" * len(kinds))
    for endpoint in ENDPOINTS:
        cells = []
        for kind in kinds:
            ms = [t.ms for t in timed if (t.request.endpoint, t.request.kind) == (endpoint, kind)]
            cells.append(f"{_p95(ms):.1f} ({len(ms)})" if ms else "")
        if any(cells):
            print(f"| {LABELS[endpoint]} | " + " | ".join(cells) + " |")
    print(f"{name}: the slowest requests")
    for t in sorted(timed, key=lambda t: t.ms, reverse=True)[:8]:
        what = f"{t.request.kind}{_conditions(t.request)}"
        print(f"  {t.ms:7.1f} ms {what}: {t.request.describe()[:300]}")
    print(flush=True)


def _p95(samples: Sequence[float]) -> float:
    return percentiles(samples)[1] if len(samples) > 1 else samples[0]


def _conditions(request: Request) -> str:
    rule = (request.body or {}).get("rule") or request.params.get("rule")
    if not rule:
        return ""
    return f" [{count_conditions(rule if isinstance(rule, dict) else json.loads(rule))} conditions]"


# --- broad searches at once, and the status meanwhile --------------------------------------------


def measure_concurrent_searches(lib: Library, options: Options) -> list[Result]:
    name = f"engine, {lib.tracks:,} tracks, {SEARCHERS} broad searches at once"
    print(f"{name}: {load_average()}", flush=True)
    with serving(lib) as server, httpx.Client(base_url=server.url, timeout=120) as http:
        rng = random.Random(SEED + 1)
        vocabulary = read_vocabulary(http, rng, lib.playlists)
        features = probe(http, vocabulary)
        workload = Workload(rng, vocabulary, features)
        # Without /api/search (today's main), the broad search is the track list's text filter.
        path, limit = ("/api/search", 20) if features.search else ("/api/tracks", 100)
        texts = workload.broad_searches(SEARCHERS * (options.searches_each + 1))
        rng.shuffle(texts)  # the warm-up must not take all the broadest
        warm, texts = texts[:SEARCHERS], texts[SEARCHERS:]
        asyncio.run(search_at_once(server.url, path, limit, warm))
        with status_poller(server.url) as statuses:
            searches, failed = asyncio.run(search_at_once(server.url, path, limit, texts))
    label = f"`{path}?q=`" + ("" if features.search else " (no /api/search: the text filter)")
    results = [
        *_latency(name, f"{label}: ", searches, SEARCH_P95_MS),
        *_latency(name, "`/api/library/status` meanwhile: ", statuses(), STATUS_P95_MS),
        Result(name, "searches not answered 200 (503: too busy)", failed, "", "0", failed == 0),
    ]
    if not features.search:
        results.append(
            missing(name, "`/api/search?q=`: p95", f"< {SEARCH_P95_MS} ms", options.quick)
        )
    return results


def _latency(name: str, label: str, samples: Sequence[float], p95_target: float) -> list[Result]:
    if len(samples) < 2:
        return [
            Result(
                name, f"{label}p95 (too few answers)", math.nan, "ms", f"< {p95_target:g} ms", False
            )
        ]
    p50, p95, worst = percentiles(samples)
    return [
        Result(name, f"{label}p50 ({len(samples):,} requests)", p50, "ms"),
        Result(name, f"{label}p95", p95, "ms", f"< {p95_target:g} ms", p95 < p95_target),
        Result(name, f"{label}max", worst, "ms"),
    ]


async def search_at_once(
    url: str, path: str, limit: int, texts: Sequence[str]
) -> tuple[list[float], int]:
    """``SEARCHERS`` clients, each searching as soon as its last answer came, until every text
    was searched once; the latency of each answered search, and how many were refused."""
    pending = iter(texts)
    samples: list[float] = []
    failed = 0
    limits = httpx.Limits(max_connections=SEARCHERS, max_keepalive_connections=SEARCHERS)

    async def searcher(http: httpx.AsyncClient) -> None:
        nonlocal failed
        for text in pending:  # one shared iterator: each text is searched once
            started = time.perf_counter()
            response = await http.get(path, params={"q": text, "limit": limit})
            ms = (time.perf_counter() - started) * 1000
            if response.status_code == 200:
                samples.append(ms)
            else:
                failed += 1

    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:
        await asyncio.gather(*(searcher(http) for _ in range(SEARCHERS)))
    return samples, failed


@contextmanager
def status_poller(url: str) -> Iterator[Any]:
    """Polls the status from a process of its own (so that the searchers' event loop does not
    delay its answers); yields a function returning its latencies once the block is done."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    stop = context.Event()
    process = context.Process(target=poll_status, args=(url, stop, sender), daemon=True)
    process.start()
    receiver.recv()  # it is connected and polling
    samples: list[float] = []
    try:
        yield lambda: samples
    finally:
        stop.set()
        samples.extend(receiver.recv())
        process.join(30)


def poll_status(url: str, stop: Event, sender: Connection) -> None:
    samples: list[float] = []
    with httpx.Client(base_url=url, timeout=30) as http:
        http.get("/api/library/status").raise_for_status()
        sender.send("ready")
        while not stop.is_set():
            started = time.perf_counter()
            http.get("/api/library/status").raise_for_status()
            samples.append((time.perf_counter() - started) * 1000)
            time.sleep(STATUS_EVERY_S)
    sender.send(samples)


# --- memory and start-up -------------------------------------------------------------------------


def memory_result(name: str, figure: str, mb: float, lib: Library, options: Options) -> Result:
    """A memory figure; its target applies at the size the issue names (``--memory-at``)."""
    if lib.tracks != options.memory_at:
        return Result(name, figure, mb, "MB")
    return Result(name, figure, mb, "MB", f"< {MEMORY_TARGET_MB} MB", mb < MEMORY_TARGET_MB)


def memory_results(lib: Library) -> list[Result]:
    name = f"engine, {lib.tracks:,} tracks, the app's memory"

    def within(figure: str, mb: float) -> Result:
        target = f"< {MEMORY_TARGET_MB} MB"
        return Result(name, figure, mb, "MB", target, mb < MEMORY_TARGET_MB)

    results = [
        Result(name, "first full sync inside the app (empty cache)", lib.sync_s, "s"),
        within("peak up to its end (VmHWM, start-up included)", lib.sync_peak_mb),
        Result(name, "its peak RSS, sampled (psutil, 20 ms)", lib.sync_sampled_mb, "MB"),
    ]
    if lib.resync_s is not None and lib.resync_sampled_mb is not None:
        results += [
            Result(name, "second full sync, the library loaded and answering", lib.resync_s, "s"),
            within("its peak RSS, sampled (psutil, 20 ms)", lib.resync_sampled_mb),
        ]
    results.append(within("RSS after, every endpoint answered on the new snapshot", lib.after_mb))
    results.append(within("peak over all of it (VmHWM)", lib.peak_mb))
    return results


def measure_cold_starts(lib: Library, options: Options) -> list[Result]:
    """``cold_start.py``'s method: spawn ``plexcrate serve`` on a copy no process has opened,
    time its first status answer; then its first page of tracks (not in the budget)."""
    name = f"engine, {lib.tracks:,} tracks, start-up"
    print(f"{name}: {load_average()}", flush=True)
    starts, pages = [], []
    for _ in range(options.starts):
        with serving(lib) as server, httpx.Client(base_url=server.url, timeout=120) as http:
            starts.append(server.first_status_s)
            pages.append(first_answer_ms(http))
    median = statistics.median(starts)
    return [
        Result(
            name,
            f"cold start to the first status answer (median of {len(starts)})",
            median,
            "s",
            f"< {START_TARGET_S} s",
            median < START_TARGET_S,
        ),
        Result(name, "cold start: slowest", max(starts), "s"),
        Result(name, "then the first page of tracks (median)", statistics.median(pages), "ms"),
    ]


if __name__ == "__main__":
    from benchmarks.harness import machine, table

    parser = argparse.ArgumentParser(prog="python -m benchmarks.engine", description=__doc__)
    add_options(parser)
    print(f"Machine: {machine()}\n", flush=True)
    print(table(run_with(parser.parse_args())))
