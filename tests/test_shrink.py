"""A sync that would empty the library, or remove more than half of it, keeps the previous one
and says so, with a way to confirm: "Sync anyway" (the footer; ``tests/browser``),
``allow_shrink`` (the API), ``--allow-shrink`` (the command). The first sync is never held back.

A Plex whose music folder is unmounted, or whose library is being rebuilt, answers with an
empty or tiny library (``totalSize 0``): publishing that would throw a good cache away.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import TOKEN, StartApp
from library_factory import dump
from plex_oracle import assert_cache_matches

from plexcrate.cache.database import Database
from plexcrate.cli import main
from plexcrate.plex.client import PlexClient
from plexcrate.simulator import PlexSimulator, SimLibrary
from plexcrate.sync.engine import SyncFailed, SyncOptions, sync_library

OPTIONS = SyncOptions(page_size=100, workers=2)


def emptied(lib: SimLibrary) -> SimLibrary:
    """The same server (same machineIdentifier, same sections) with nothing in its library."""
    empty = SimLibrary.generate(tracks=0, seed=3)
    empty.set_machine_identifier(lib.machine_identifier)
    return empty


def remove_albums(lib: SimLibrary, share: float) -> None:
    """Delete albums until about ``share`` of the tracks are gone."""
    target = len(lib.tracks) * (1 - share)
    for key in sorted(lib.albums):
        if len(lib.tracks) <= target:
            return
        lib.delete_album(key)


@pytest.fixture
def synced(cache: Database, client: PlexClient) -> Database:
    sync_library(cache, client, options=OPTIONS)
    return cache


@pytest.mark.parametrize("full", [True, False], ids=["full sync", "refresh"])
def test_an_empty_plex_does_not_empty_the_cache(
    synced: Database, client: PlexClient, plex: PlexSimulator, sim_library: SimLibrary, full: bool
) -> None:
    before = dump(synced.path)
    plex.swap_library(emptied(sim_library))
    with pytest.raises(SyncFailed) as failure:
        sync_library(synced, client, options=OPTIONS, full=full)
    assert str(failure.value) == (
        "Plex now lists 0 tracks where the cache holds 600: the sync would remove all of them, "
        "so the previous library is kept. If the tracks really are gone from Plex, sync again "
        "and confirm (“Sync anyway”, or plexcrate sync --allow-shrink)."
    )
    assert dump(synced.path) == before
    result = sync_library(synced, client, options=OPTIONS, full=full, allow_shrink=True)
    assert result.track_count == 0


@pytest.mark.parametrize("full", [True, False], ids=["full sync", "refresh"])
def test_more_than_half_gone_is_held_back_and_less_is_not(
    synced: Database, client: PlexClient, sim_library: SimLibrary, full: bool
) -> None:
    remove_albums(sim_library, 0.6)
    left = len(sim_library.tracks)
    with pytest.raises(SyncFailed, match=rf"Plex now lists {left} tracks where the cache holds "):
        sync_library(synced, client, options=OPTIONS, full=full)
    sync_library(synced, client, options=OPTIONS, full=full, allow_shrink=True)
    assert_cache_matches(synced, sim_library)
    remove_albums(sim_library, 0.4)  # 40% of what is left: published without asking
    sync_library(synced, client, options=OPTIONS, full=full)
    assert_cache_matches(synced, sim_library)


def test_the_first_sync_and_a_new_server_s_are_never_held_back(
    cache: Database, client: PlexClient, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    plex.swap_library(SimLibrary.generate(tracks=0, seed=5))
    assert sync_library(cache, client, options=OPTIONS).track_count == 0  # nothing cached yet
    plex.swap_library(sim_library)
    assert sync_library(cache, client, options=OPTIONS).track_count == 600
    tiny = SimLibrary.generate(tracks=20, seed=6)  # another server: its cache is cleared first
    plex.swap_library(tiny)
    assert sync_library(cache, client, options=OPTIONS).track_count == 20


def test_the_app_says_so_and_sync_anyway_publishes(
    start_app: StartApp, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    app = start_app()
    app.sync()
    assert app.wait_for_sync_to_end()["shrink_refused"] is False
    plex.swap_library(emptied(sim_library))
    assert app.sync().status_code == 200
    held = app.wait_for_sync_to_end()
    assert held["shrink_refused"] is True and held["track_count"] == 600
    assert held["error"].startswith("Plex now lists 0 tracks where the cache holds 600")
    assert app.tracks(exclude_live="false")["total"] == 600
    response = app.http.post("/api/library/sync", json={"allow_shrink": True})
    assert response.status_code == 200
    done = app.wait_for_sync_to_end()
    assert done["shrink_refused"] is False and done["error"] is None
    assert done["track_count"] == 0 == app.tracks(exclude_live="false")["total"]


def test_the_command_holds_back_and_allow_shrink_confirms(
    plex: PlexSimulator, sim_library: SimLibrary, tmp_path: Path
) -> None:
    env = {"PLEX_URL": plex.url, "PLEX_TOKEN": TOKEN, "PLEXCRATE_DATA_DIR": str(tmp_path)}
    runner = CliRunner()
    assert runner.invoke(main, ["sync"], env=env).exit_code == 0
    remove_albums(sim_library, 0.7)
    held = runner.invoke(main, ["sync"], env=env)
    assert held.exit_code == 1
    assert held.stderr.splitlines()[-1].startswith(
        f"Error: Sync failed: Plex now lists {len(sim_library.tracks)} tracks where the cache "
        "holds 600: the sync would remove"
    )
    confirmed = runner.invoke(main, ["sync", "--allow-shrink"], env=env)
    assert confirmed.exit_code == 0, confirmed.output
    assert f"Synced {len(sim_library.tracks)} tracks" in confirmed.output
