"""Recipes refreshed after a sync: 20 living playlists kept fresh at NAS latency.

``plexcrate serve`` runs in its own process against the simulator at NAS latency. After a full
sync, 20 recipes are made (varied rules, limits, sorts, caps, dedupe, both modes), then 1% of the
tracks change in Plex (re-rated or played) and an incremental sync runs through the API. Timed:
from the sync's end (as the status says it) to the moment every recipe's history shows its
refresh for that sync; the status is asked every few milliseconds all along (the page stays
responsive). Last, a sync with nothing changed: how many writes reached Plex (none, by design).
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks.harness import (
    NAS_LATENCY,
    TOKEN,
    Result,
    app_server,
    latencies,
    load_average,
    plexcrate_env,
    simulator,
)

REFRESH_TARGET_S = 3.0
STATUS_P95_MS = 20
RECIPES = 20
CHANGED = 0.01
POLL_EVERY_S = 0.002
RATED_8 = {"field": "rating", "op": "ge", "value": 8}


def _recipes() -> list[dict[str, Any]]:
    """20 recipes of the kinds people make."""
    rules: list[dict[str, Any]] = [
        {"field": "rating", "op": "ge", "value": 8},
        {"field": "rating", "op": "ge", "value": 6},
        {"field": "plays", "op": "is", "value": 0},
        {"not": {"field": "last_played", "op": "in_last_days", "value": 365}},
        {"field": "added", "op": "in_last_days", "value": 30},
        {"field": "duration", "op": "between", "value": [120, 300]},
        {"field": "year", "op": "between", "value": [1990, 1999]},
        {"field": "year", "op": "between", "value": [1970, 1979]},
        {
            "all": [
                {"field": "rating", "op": "ge", "value": 8},
                {"field": "live", "op": "is", "value": False},
            ]
        },
        {
            "any": [
                {"field": "plays", "op": "gt", "value": 5},
                {"field": "rating", "op": "is", "value": 10},
            ]
        },
    ]
    made = []
    for n in range(RECIPES):
        made.append(
            {
                "name": f"Recipe {n}",
                "rule": rules[n % len(rules)],
                "limit": {"tracks": 50 + 10 * n} if n % 3 else {"minutes": 90},
                "sort": ("random", "-rating", "-plays", "added")[n % 4],
                "favour_rating": n % 2 == 0,
                "max_per_artist": 3 if n % 2 else None,
                "max_per_album": 2 if n % 5 == 0 else None,
                "dedupe": n % 4 == 1,
                "mode": "redraw" if n % 7 == 3 else "update",
            }
        )
    return made


def run(tracks: int = 100_000) -> list[Result]:
    name = (
        f"{RECIPES} recipes after a sync of {tracks:,} tracks, {CHANGED:.0%} changed, NAS latency"
    )
    print(f"{name}: {load_average()}", flush=True)
    with (
        simulator(tracks, latency=NAS_LATENCY) as plex_url,
        tempfile.TemporaryDirectory() as data,
        app_server(plexcrate_env(plex_url, Path(data))) as server,
        httpx.Client(base_url=server.url, timeout=120) as http,
        httpx.Client(base_url=plex_url, timeout=60, headers={"X-Plex-Token": TOKEN}) as plex,
    ):
        _sync(http, full=True)
        for body in _recipes():
            http.post("/api/recipes", json=body).raise_for_status()
        _change(http, plex, int(tracks * CHANGED))
        samples: list[float] = []
        refresh_s = _sync_and_time_refreshes(http, samples)
        plex.delete("/__simulator__/requests")
        before = _history_sizes(http)
        _sync(http, full=False)
        _wait_for_refreshes(http, before, [])
        log = plex.get("/__simulator__/requests").json()
        idle_writes = sum(1 for record in log if record["method"] != "GET")
    return [
        Result(
            name,
            "every recipe refreshed, from the sync's end",
            refresh_s,
            "s",
            target=f"< {REFRESH_TARGET_S:g} s",
            met=refresh_s < REFRESH_TARGET_S,
        ),
        *latencies(
            name, "`/api/library/status` during the sync and refreshes", samples, STATUS_P95_MS
        ),
        Result(
            name,
            "writes to Plex after a sync with nothing changed",
            idle_writes,
            "",
            target="0",
            met=idle_writes == 0,
        ),
    ]


def _sync(http: httpx.Client, *, full: bool) -> None:
    http.post("/api/library/sync", json={"full": full}).raise_for_status()
    while http.get("/api/library/status").json()["is_syncing"]:
        time.sleep(0.05)


def _change(http: httpx.Client, plex: httpx.Client, count: int) -> None:
    """Re-rate half of ``count`` random tracks and play the other half, in Plex."""
    rng = random.Random(5)
    page = http.get(
        "/api/tracks", params={"limit": count, "sort": "random", "seed": 5, "exclude_live": "false"}
    )
    keys = [track["rating_key"] for track in page.json()["tracks"]]
    for n, key in enumerate(keys):
        if n % 2:
            body = {"op": "rate_track", "args": {"rating_key": key, "rating": rng.choice([2, 10])}}
        else:
            body = {"op": "play_track", "args": {"rating_key": key}}
        plex.post("/__simulator__/mutate", json=body).raise_for_status()


def _history_sizes(http: httpx.Client) -> dict[int, str | None]:
    return {
        r["id"]: (r["last"] or {}).get("at") for r in http.get("/api/recipes").json()["recipes"]
    }


def _wait_for_refreshes(
    http: httpx.Client, before: dict[int, str | None], samples: list[float]
) -> float:
    """Poll the status (timed) until every recipe has a newer history entry; returns when."""
    last_check = 0.0
    while True:
        asked = time.perf_counter()
        http.get("/api/library/status").raise_for_status()
        samples.append((time.perf_counter() - asked) * 1000)
        if asked - last_check > 0.05:
            last_check = asked
            now = _history_sizes(http)
            if all(now[rid] != at for rid, at in before.items()):
                return time.perf_counter()
        time.sleep(POLL_EVERY_S)


def _sync_and_time_refreshes(http: httpx.Client, samples: list[float]) -> float:
    before = _history_sizes(http)
    http.post("/api/library/sync", json={"full": False}).raise_for_status()
    while True:
        asked = time.perf_counter()
        status = http.get("/api/library/status")
        samples.append((time.perf_counter() - asked) * 1000)
        if not status.json()["is_syncing"]:
            break
        time.sleep(POLL_EVERY_S)
    synced = time.perf_counter()
    return _wait_for_refreshes(http, before, samples) - synced
