"""Incremental refresh of a large library, as a fraction of a full sync in the same run.

The simulator runs in its own process (``harness.simulator``); the syncs run here, in-process,
so a command's start-up time does not swamp a refresh that takes a fraction of a second. The
changes go through the simulator's admin API, mirrored on a local copy of the library (the
generator is deterministic) so that every change names an item that still exists.
"""

from __future__ import annotations

import gc
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from benchmarks.harness import NAS_LATENCY, TOKEN, Latency, Result, simulator
from plexcrate.cache.database import Database
from plexcrate.plex.client import PlexClient
from plexcrate.simulator import SimLibrary
from plexcrate.sync.engine import SyncResult, sync_library

TARGET_FRACTION = 0.20
REPEATS = 3
GENRES = ["Shoegaze", "Dub", "Ambient", "Krautrock"]


def run(tracks: int = 100_000, seed: int = 1) -> list[Result]:
    return measure_refreshes(tracks, seed, None) + measure_refreshes(tracks, seed, NAS_LATENCY)


def measure_refreshes(tracks: int, seed: int, latency: Latency | None) -> list[Result]:
    name = f"refresh, {tracks:,} tracks, {'NAS' if latency else 'no'} latency"
    print(f"{name}:", flush=True)
    local = SimLibrary.generate(tracks=tracks, seed=seed)  # the simulator's twin, to pick from
    gc.freeze()  # a long-lived 100k-object graph: keep the collector from rescanning it
    try:
        return _measure(name, tracks, seed, latency, local)
    finally:
        gc.unfreeze()  # and let it go once done with


def _measure(
    name: str, tracks: int, seed: int, latency: Latency | None, local: SimLibrary
) -> list[Result]:
    rng = random.Random(seed)
    with (
        simulator(tracks, seed=seed, latency=latency) as url,
        tempfile.TemporaryDirectory() as data,
        PlexClient(url, TOKEN) as client,
        Database(Path(data) / "library_cache.db") as db,
        httpx.Client(base_url=url, headers={"X-Plex-Token": TOKEN}, timeout=60) as admin,
    ):
        timed(lambda: sync_library(db, client), "full")  # the first sync, cold
        full_s = statistics.median(
            timed(lambda: sync_library(db, client, full=True), "full") for _ in range(REPEATS)
        )
        unchanged_s = statistics.median(
            timed(lambda: sync_library(db, client), "incremental") for _ in range(REPEATS)
        )
        changed: list[float] = []
        touched: list[int] = []
        for batch in range(REPEATS):
            # Refreshes are minutes or hours apart, not back to back: stamp each batch of
            # changes an hour after the last, or a refresh would read the previous batch again
            # (it falls in the window a refresh re-reads to be safe, see sync/incremental.py).
            hours_later = int(time.time()) + 3600 * (batch + 1)
            admin.post(
                "/__simulator__/mutate", json={"op": "set_clock", "args": {"now": hours_later}}
            )
            touched.append(change_one_percent(local, admin, rng))
            changed.append(timed(lambda: sync_library(db, client), "incremental"))
        cached = db.read(lambda c: c.execute("SELECT count(*) FROM tracks").fetchone()[0])
        if cached != len(local.tracks):  # a sanity check; the tests prove exactness
            raise RuntimeError(f"the cache holds {cached:,} tracks, Plex {len(local.tracks):,}")
    changed_s = statistics.median(changed)
    return [
        Result(name, "full sync (median)", full_s, "s"),
        fraction(name, "refresh, nothing changed (median)", unchanged_s, full_s),
        fraction(
            name,
            f"refresh, 1% changed (median; ~{statistics.median(touched):,.0f} tracks touched)",
            changed_s,
            full_s,
        ),
    ]


def fraction(name: str, figure: str, seconds: float, full_s: float) -> Result:
    share = seconds / full_s
    print(f"{figure}: {seconds:.2f} s = {share:.1%} of a full sync", flush=True)
    return Result(
        name,
        f"{figure}: {seconds:.2f} s, as a share of the full sync",
        share * 100,
        "%",
        target=f"≤ {TARGET_FRACTION:.0%}",
        met=share <= TARGET_FRACTION,
    )


def timed(sync: Callable[[], SyncResult], kind: str) -> float:
    started = time.perf_counter()
    result = sync()
    seconds = time.perf_counter() - started
    if result.kind != kind:
        raise RuntimeError(f"expected a {kind} sync, got a {result.kind} one: {result.reason}")
    print(f"{kind} sync: {seconds:.2f} s", flush=True)
    return seconds


def change_one_percent(local: SimLibrary, admin: httpx.Client, rng: random.Random) -> int:
    """Change about 1% of the library's tracks, in a realistic mix. Returns tracks touched."""
    n = len(local.tracks) // 100
    plan = (
        ["add_album"] * (n // 50)  # new music: a fifth of the tracks touched
        + ["add_track"] * (n // 20)
        + ["delete_track"] * (n // 10)
        + ["delete_album"] * max(1, n // 200)
        + ["edit_track"] * (n // 10)
        + ["edit_album"] * (n // 100)
        + ["edit_artist"] * max(1, n // 500)
        + ["rate_track"] * (n * 3 // 20)
        + ["play_track"] * (n * 3 // 10)
        + ["unplay_track"] * (n // 20)
    )
    rng.shuffle(plan)
    picker = _Picker(local, rng)
    touched = 0
    for op in plan:
        args, tracks = picker.arguments(op)
        getattr(local, op)(**args)
        response = admin.post("/__simulator__/mutate", json={"op": op, "args": args})
        response.raise_for_status()
        touched += tracks
    return touched


class _Picker:
    """Random items that still exist, drawn from key lists taken once per batch of changes."""

    def __init__(self, local: SimLibrary, rng: random.Random) -> None:
        self.local = local
        self.rng = rng
        self.tracks = list(local.tracks)
        self.albums = list(local.albums)
        self.artists = list(local.artists)
        self.played = [k for k, t in local.tracks.items() if t.view_count]

    def arguments(self, op: str) -> tuple[dict[str, Any], int]:
        """Arguments for one change, and how many tracks it touches."""
        local, rng = self.local, self.rng
        if op == "add_album":
            return {"artist_key": None, "tracks": 10, "genres": [rng.choice(GENRES)]}, 10
        if op == "add_track":
            return {"album_key": self._pick(self.albums, local.albums)}, 1
        if op == "delete_album":
            album = self._pick(self.albums, local.albums)
            return {"rating_key": album}, len(local.album_tracks[album])
        if op == "edit_album":
            album = self._pick(self.albums, local.albums)
            genres = {"genres": [rng.choice(GENRES)]}
            change = rng.choice([genres, {"year": rng.randint(1960, 2024)}])
            return {"rating_key": album, **change}, len(local.album_tracks[album])
        if op == "edit_artist":
            artist = self._pick(self.artists, local.artists)
            tracks = sum(len(local.album_tracks[a]) for a in local.artist_albums[artist])
            return {"rating_key": artist, "genres": [rng.choice(GENRES)]}, tracks
        if op == "unplay_track":
            return {"rating_key": self._pick(self.played, local.tracks)}, 1
        if op == "edit_track":
            return {"rating_key": self._pick(self.tracks, local.tracks), "title": "Retitled"}, 1
        if op == "rate_track":
            rating = None if rng.random() < 0.1 else float(rng.randint(1, 10))
            return {"rating_key": self._pick(self.tracks, local.tracks), "rating": rating}, 1
        return {"rating_key": self._pick(self.tracks, local.tracks)}, 1  # delete, play

    def _pick(self, keys: list[int], alive: dict[int, Any]) -> int:
        while True:
            key = self.rng.choice(keys)
            if key in alive:
                return key
