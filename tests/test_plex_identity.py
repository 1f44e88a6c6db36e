"""Another Plex server behind the same URL, while Plex stays up: during a sync, during a refresh,
while the app is idle, and when a playlist is saved. A snapshot never mixes two servers, the old
server's tracks stop being served as current, and no playlist lands on the wrong server.

The simulator's ``swap`` fault (or :meth:`PlexSimulator.swap_library`) puts another library, with
its own machineIdentifier, behind the same address: a reinstalled Plex, or another machine given
the first one's address.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from conftest import TOKEN, StartApp
from plex_oracle import assert_cache_matches
from web_harness import TEST_SYNC_OPTIONS, AppServer, wait_until

from plexcrate.cache.database import Database
from plexcrate.cache.state import read_sync_state
from plexcrate.config import Settings
from plexcrate.plex.client import PlexClient
from plexcrate.simulator import PlexSimulator, SimLibrary
from plexcrate.sync.engine import SyncFailed, SyncOptions, sync_library
from plexcrate.web.app import create_app

SECTION = "/library/sections/1/all"
MIDDLE_PAGE = {"type": "10", "X-Plex-Container-Start": "297"}  # pages overlap by one item
OPTIONS = SyncOptions(page_size=100, workers=2)


@pytest.fixture
def other_library() -> SimLibrary:
    """Server B: another machineIdentifier, another library (its keys overlap A's)."""
    return SimLibrary.generate(tracks=450, seed=11)


@pytest.fixture
def synced(cache: Database, client: PlexClient) -> Database:
    sync_library(cache, client, options=OPTIONS)
    return cache


def test_a_server_swapped_mid_sync_is_never_mixed_in_and_the_new_one_is_synced(
    synced: Database, client: PlexClient, plex: PlexSimulator, sim_library: SimLibrary,
    other_library: SimLibrary,
) -> None:  # fmt: skip
    plex.faults.inject("swap", path=SECTION, params=MIDDLE_PAGE, library=other_library)
    result = sync_library(synced, client, options=OPTIONS, full=True)
    # The pages read before the swap were A's, those after it B's: that snapshot was dropped,
    # and the sync started over as B's, clearing A's cache first.
    assert result.replaced_server == sim_library.machine_identifier
    assert result.machine_identifier == other_library.machine_identifier
    assert result.track_count == len(other_library.tracks)
    assert_cache_matches(synced, other_library)


def test_a_server_swapped_mid_refresh_is_never_mixed_in(
    synced: Database, client: PlexClient, plex: PlexSimulator, sim_library: SimLibrary,
    other_library: SimLibrary,
) -> None:  # fmt: skip
    sim_library.add_album(tracks=5)
    # The refresh's first request after its identity: the music sections.
    plex.faults.inject("swap", path="/library/sections", params=None, library=other_library)
    result = sync_library(synced, client, options=OPTIONS)
    assert result.replaced_server == sim_library.machine_identifier
    assert_cache_matches(synced, other_library)


def test_a_server_that_changes_twice_fails_and_saves_nothing(
    synced: Database, client: PlexClient, plex: PlexSimulator, other_library: SimLibrary
) -> None:
    third = SimLibrary.generate(tracks=200, seed=12)
    plex.faults.inject("swap", path=SECTION, params=MIDDLE_PAGE, library=other_library)
    # The second pass (as B's) lists the music sections again: from then on, a third server.
    plex.faults.inject("swap", path="/library/sections", params=None, nth=2, library=third)
    with pytest.raises(SyncFailed) as failure:
        sync_library(synced, client, options=OPTIONS, full=True)
    assert str(failure.value) == (
        f"The Plex server at {plex.url} changed while it was read, twice (it is now "
        "“plexcrate-simulator”), so nothing was saved. Sync again once it has settled."
    )
    # B's sync cleared A's tracks before reading: none of B's or the third's were published.
    state = synced.read(read_sync_state)
    assert state.track_count == 0
    assert state.machine_identifier == other_library.machine_identifier


# --- the app ----------------------------------------------------------------------------------


@pytest.fixture
def app(start_app: StartApp, sim_library: SimLibrary) -> AppServer:
    server = start_app()
    server.sync()
    assert server.wait_for_sync_to_end()["track_count"] == len(sim_library.tracks)
    return server


def served_keys(app: AppServer) -> set[int]:
    page = app.tracks(exclude_live="false", limit=1000)
    assert page["total"] == len(page["tracks"])
    return {track["rating_key"] for track in page["tracks"]}


def test_a_server_swapped_while_idle_is_noticed_and_cleared_at_once(
    app: AppServer, plex: PlexSimulator, sim_library: SimLibrary, other_library: SimLibrary
) -> None:
    a_keys, b_keys = set(sim_library.tracks), set(other_library.tracks)
    assert served_keys(app) == a_keys
    seen: list[set[int]] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            seen.append(served_keys(app))

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    plex.swap_library(other_library)
    try:
        status = app.wait_for_status(
            lambda s: not s["is_syncing"] and s["track_count"] == len(b_keys),
            what="the new server's library",
        )
    finally:
        stop.set()
        watcher.join(10)
    assert status["error"] is None and status["sync_reason"] == "server_changed"
    assert "previous server's tracks were cleared" in status["server_changed"]
    assert served_keys(app) == b_keys
    # Whole snapshots only: A's, the cleared cache, or B's; never some of each.
    assert all(keys in (a_keys, set(), b_keys) for keys in seen)


def test_a_server_swapped_during_a_sync_is_marked_then_replaced(
    app: AppServer, plex: PlexSimulator, sim_library: SimLibrary, other_library: SimLibrary
) -> None:
    held = plex.faults.inject("hang", path=SECTION, params=MIDDLE_PAGE, hang_seconds=30)
    app.sync(full=True)
    wait_until(lambda: held.fired, what="the sync to reach the middle page")
    plex.swap_library(other_library)
    marked = app.wait_for_status(lambda s: s["server_changed"] is not None, what="the mark")
    # Still A's tracks, now said to be the previous server's, while the sync reads on.
    assert marked["is_syncing"] and marked["track_count"] == len(sim_library.tracks)
    assert "The tracks shown are the previous server's" in marked["server_changed"]
    held.release()  # the page's retry finds the new server; the sync notices before its commit
    done = app.wait_for_status(
        lambda s: not s["is_syncing"] and s["track_count"] == len(other_library.tracks),
        what="the new server's library",
    )
    assert done["error"] is None
    assert "previous server's tracks were cleared" in done["server_changed"]
    assert served_keys(app) == set(other_library.tracks)


def test_a_playlist_is_never_saved_to_another_server(
    tmp_path: Path, plex: PlexSimulator, sim_library: SimLibrary, other_library: SimLibrary
) -> None:
    """The probe would notice and clear the cache; here it is too slow to, so the save's own
    check is what refuses."""
    settings = Settings(
        plex_url=plex.url, plex_token=TOKEN, data_dir=tmp_path, listen_for_changes=False
    )
    app = AppServer(
        create_app(settings, probe_interval=3600, sync_options=TEST_SYNC_OPTIONS)
    ).start()
    try:
        app.sync()
        app.wait_for_sync_to_end()
        keys = sorted(sim_library.tracks)[:5]
        plex.swap_library(other_library)
        response = app.http.post("/api/playlists", json={"title": "Mine", "rating_keys": keys})
        assert response.status_code == 409
        assert response.json()["error"] == (
            f"The Plex server at {plex.url} is now “plexcrate-simulator”, not the server these "
            "tracks came from, so the playlist was not saved: there they would be other tracks. "
            "Let the library sync with the new server, then pick the tracks again."
        )
        assert other_library.playlists == {} and sim_library.playlists == {}
    finally:
        app.stop()


def test_the_probe_reads_the_identity_without_the_token(plex: PlexSimulator) -> None:
    with PlexClient(plex.url, "not-the-token", timeout=1) as client:
        assert client.probe() == plex.lib.machine_identifier
        plex.stop()
        assert client.probe() is None


def test_the_check_before_the_commit_costs_one_request(
    synced: Database, client: PlexClient, plex: PlexSimulator
) -> None:
    plex.requests.clear()
    sync_library(synced, client, options=OPTIONS, full=True)
    assert [r.path for r in plex.requests].count("/") == 2  # at the start, and before the commit
