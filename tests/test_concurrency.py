"""Many things at once: readers during a big sync, sync requests racing each other, the start
checks, a change of server and a shutdown, all while a sync runs. No errors, no deadlock, no
answer mixing two snapshots, no state left saying "syncing"."""

from __future__ import annotations

import itertools
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from conftest import TOKEN, StartApp
from served import Served
from test_api_sync import SLOW, sync_runs
from web_harness import (
    PROBE_INTERVAL,
    TEST_SYNC_OPTIONS,
    AppServer,
    fill_cache,
    set_synced_at,
    wait_until,
)

from plexcrate.config import Settings
from plexcrate.simulator import Latency, PlexSimulator, SimLibrary
from plexcrate.web.app import create_app

# --- 50 readers during a sync of 100,000 tracks -------------------------------------------------

BIG = 100_000
READERS = 50
# Fixed questions whose answers differ between library A and library B (totals at least).
QUERIES: list[dict[str, Any]] = [
    {"limit": 20},
    {"exclude_live": "false", "limit": 20, "offset": 50_000},
    {"decade": "1990s", "limit": 20},
    {"q": "renamed", "exclude_live": "false", "limit": 20},
    {"exclude_live": "false", "order": "random", "seed": 5, "limit": 20},
]
Answer = tuple[int, tuple[int, ...]]


def answer(page: dict[str, Any]) -> Answer:
    return page["total"], tuple(track["rating_key"] for track in page["tracks"])


class Simulator:
    """The simulator in a process of its own (the readers here must not slow its pages), driven
    through its admin API."""

    def __init__(self, tracks: int) -> None:
        command = [sys.executable, "-m", "plexcrate.simulator", "--tracks", str(tracks)]
        self.process = subprocess.Popen(
            [*command, "--port", "0", "--token", TOKEN, "--print-url"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        assert self.url.startswith("http://127.0.0.1:"), self.url
        self.admin = httpx.Client(
            base_url=f"{self.url}/__simulator__", headers={"X-Plex-Token": TOKEN}, timeout=30
        )

    def mutate(self, op: str, **args: Any) -> Any:
        response = self.admin.post("/mutate", json={"op": op, "args": args})
        assert response.status_code == 200, response.text
        return response.json()["result"]

    def track_count(self) -> int:
        return self.admin.get("/stats").json()["tracks"]

    def close(self) -> None:
        self.admin.close()
        self.process.terminate()
        self.process.wait(10)


@pytest.fixture
def big_plex() -> Iterator[Simulator]:
    simulator = Simulator(BIG)
    try:
        yield simulator
    finally:
        simulator.close()


@pytest.mark.slow
def test_fifty_readers_during_a_100k_sync_each_get_one_whole_snapshot(
    tmp_path: Any, big_plex: Simulator
) -> None:
    with Served(tmp_path, big_plex.url, TOKEN) as app:
        first = app.started().synced(full=True)
        assert first["error"] is None and first["track_count"] == BIG
        a = [answer(app.tracks(**query)) for query in QUERIES]

        # Library B: albums added (of the 1990s) and deleted, tracks renamed.
        for _ in range(20):
            big_plex.mutate("add_album", tracks=50, year=1995)
        middle = app.tracks(exclude_live="false", limit=1000, offset=20_000)["tracks"]
        for album_key in sorted({track["album_key"] for track in middle})[:30]:
            big_plex.mutate("delete_album", rating_key=album_key)
        for track in app.tracks(exclude_live="false", limit=200, offset=70_000)["tracks"]:
            big_plex.mutate("edit_track", rating_key=track["rating_key"], title="Renamed")

        stop = threading.Event()
        seen: list[tuple[int, Answer]] = []
        failures: list[str] = []

        def read(first_query: int) -> None:
            with httpx.Client(base_url=app.url, timeout=60) as client:
                for n in itertools.count(first_query):
                    if stop.is_set():
                        return
                    which = n % len(QUERIES)
                    try:
                        response = client.get("/api/tracks", params=QUERIES[which])
                    except httpx.HTTPError as error:
                        failures.append(repr(error))
                        continue
                    if response.status_code != 200:
                        failures.append(f"{response.status_code} {response.text}")
                        continue
                    seen.append((which, answer(response.json())))

        readers = [threading.Thread(target=read, args=(i,), daemon=True) for i in range(READERS)]
        for reader in readers:
            reader.start()
        wait_until(lambda: len(seen) >= READERS, timeout=30, what="the readers to get going")
        app.sync(full=True)
        second = app.wait_for_status(lambda s: not s["is_syncing"], timeout=120, what="sync B")
        during = len(seen)
        wait_until(lambda: len(seen) >= during + READERS, timeout=30, what="reads after the sync")
        stop.set()
        for reader in readers:
            reader.join(60)
        b = [answer(app.tracks(**query)) for query in QUERIES]

    assert second["error"] is None and second["track_count"] == big_plex.track_count()
    assert failures == []
    assert all(a[i] != b[i] for i in range(len(QUERIES))), "A and B must be told apart"
    mixed = [(which, got[0]) for which, got in seen if got not in (a[which], b[which])]
    assert mixed == [], f"{len(mixed)} answers were neither A's nor B's, e.g. {mixed[:3]}"
    from_a = sum(1 for which, got in seen if got == a[which])
    from_b = sum(1 for which, got in seen if got == b[which])
    assert from_a >= READERS and from_b >= READERS  # both snapshots were served, then
    assert TOKEN not in app.output


# --- racing requests --------------------------------------------------------------------------


def test_a_sync_asked_for_during_the_first_is_refused_and_nothing_gets_stuck(
    start_app: StartApp, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    app = start_app()
    plex.latency = Latency(per_request=0.3)  # a first sync of several seconds
    assert app.sync().json() == {"started": True, "blocking": True}
    seen: list[dict[str, Any]] = []
    for n in range(6):  # well inside the first sync: refreshes and full syncs alike
        seen.append(app.status())
        again = app.sync(full=bool(n % 2))
        assert again.status_code == 409, again.text
        assert again.json() == {"error": "Sync already in progress"}
    final = app.wait_for_sync_to_end()
    assert all(s["is_syncing"] and s["track_count"] == 0 for s in seen)
    assert final["track_count"] == len(sim_library.tracks) and final["error"] is None
    sim_library.add_album(tracks=3)
    plex.latency = None
    refreshed = app.sync()
    assert refreshed.json() == {"started": True, "blocking": False}
    status = app.wait_for_sync_to_end()
    assert status["last_sync_kind"] == "incremental"
    assert status["track_count"] == len(sim_library.tracks)


def test_the_start_check_and_a_crowd_of_requests_start_one_sync_at_a_time(
    start_app: StartApp, app_settings: Settings, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    """A stale cache syncs by itself at start, while twenty clients ask for a sync too."""
    fill_cache(app_settings.cache_path, plex.url, TOKEN)
    set_synced_at(app_settings.cache_path, time.time() - 7200)
    sim_library.add_album(tracks=5)
    plex.latency = SLOW
    runs = sync_runs(plex)
    app = start_app(stale_after_hours=1)
    barrier = threading.Barrier(20)

    def post(_: int) -> int:
        with httpx.Client(base_url=app.url, timeout=10) as client:
            barrier.wait()
            return client.post("/api/library/sync", json={}).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(pool.map(post, range(20)))
    assert set(codes) <= {200, 409} and codes.count(200) <= 1
    status = app.wait_for_status(
        lambda s: s["sync_reason"] is not None and not s["is_syncing"], timeout=30
    )
    started = codes.count(200) + (1 if status["sync_reason"] == "stale" else 0)
    assert started >= 1 and sync_runs(plex) - runs == started
    assert status["error"] is None and status["track_count"] == len(sim_library.tracks)


def test_the_plex_server_cannot_be_changed_under_a_running_sync(
    start_app: StartApp, plex: PlexSimulator, app_settings: Settings
) -> None:
    app = start_app(plex_source="file")
    # A sync of several seconds (1.3 s a page of tracks): the check of the new server (two
    # small requests) ends well before.
    plex.latency = Latency(per_request=0.3, per_item=0.01)
    assert app.sync().status_code == 200
    app.wait_for_status(lambda s: s["is_syncing"] and s["sync_progress"]["current"] > 0)
    other = {"plex_url": plex.url, "plex_token": TOKEN}
    response = app.http.post("/api/setup", json=other)
    assert response.status_code == 409
    assert response.json() == {
        "error": "A sync is running; change the server when it has finished."
    }
    assert not app_settings.settings_path.exists()
    assert app.wait_for_sync_to_end()["error"] is None


def test_stopping_the_app_mid_sync_with_readers_in_flight_ends_promptly(
    app_settings: Settings, plex: PlexSimulator
) -> None:
    """No deadlock between the sync thread, the readers, the writer and the shutdown."""
    fill_cache(app_settings.cache_path, plex.url, TOKEN)
    app = AppServer(
        create_app(app_settings, probe_interval=PROBE_INTERVAL, sync_options=TEST_SYNC_OPTIONS)
    ).start()
    plex.latency = SLOW
    assert app.sync(full=True).status_code == 200
    stop = threading.Event()
    answers: list[int] = []

    def read() -> None:
        with httpx.Client(base_url=app.url, timeout=10) as client:
            while not stop.is_set():
                try:
                    answers.append(client.get("/api/tracks", params={"limit": 50}).status_code)
                except httpx.HTTPError:
                    return  # the app has gone: fine

    readers = [threading.Thread(target=read, daemon=True) for _ in range(8)]
    for reader in readers:
        reader.start()
    app.wait_for_status(lambda s: s["is_syncing"] and s["sync_progress"]["current"] > 0)
    wait_until(lambda: len(answers) > 20, what="readers")
    started = time.monotonic()
    app.stop()  # asserts the server thread ended
    assert time.monotonic() - started < 15
    stop.set()
    for reader in readers:
        reader.join(10)
    assert set(answers) <= {200}
    plex.latency = None
    again = AppServer(create_app(app_settings, probe_interval=PROBE_INTERVAL)).start()
    try:
        status = again.status()
        assert not status["is_syncing"] and status["track_count"] == 600
    finally:
        again.stop()
