"""A Plex whose counts are bogus: not a number, absurdly large, or jumping while a listing is
read. The sync stops with a message (no traceback, in the app or the command), memory stays with
the pages in flight, and the previous cache is kept byte for byte.
"""

from __future__ import annotations

import subprocess
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from conftest import TOKEN, StartApp
from library_factory import dump
from served import PLEXCRATE, clean_environment

from plexcrate.cache.database import Database
from plexcrate.plex.client import MAX_TOTAL, PlexClient
from plexcrate.simulator import PlexSimulator, SimLibrary
from plexcrate.sync.engine import SyncFailed, SyncOptions, sync_library

SECTION = "/library/sections/1/all"
COUNT = {"type": "10", "X-Plex-Container-Size": "0"}  # the count of the tracks (size 0)
OPTIONS = SyncOptions(page_size=100, workers=2)

BOGUS: dict[str, tuple[Any, str]] = {
    "not a number": ("abc", "('abc')"),
    "five billion": (5_000_000_000, "(5000000000)"),
    "negative": (-1, "(-1)"),
    "just over the limit": (MAX_TOTAL + 1, f"({MAX_TOTAL + 1})"),
}


@pytest.fixture
def synced(cache: Database, client: PlexClient, sim_library: SimLibrary) -> Database:
    sync_library(cache, client, options=OPTIONS)
    sim_library.add_album(tracks=3)  # so a sync that wrongly commits would show
    return cache


@pytest.mark.parametrize("bogus", BOGUS)
def test_a_bogus_count_stops_the_sync_with_a_message(
    synced: Database, client: PlexClient, plex: PlexSimulator, bogus: str
) -> None:
    total, shown = BOGUS[bogus]
    before = dump(synced.path)
    plex.faults.inject("total", path=SECTION, params=COUNT, times=None, total_size=total)
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(SyncFailed) as failure:
            sync_library(synced, client, options=OPTIONS, full=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(failure.value) == (
        f"Plex sent an impossible count {shown} while counting tracks: plexcrate expects a "
        f"whole number up to {MAX_TOTAL:,}."
    )
    assert time.monotonic() - started < 5
    assert peak < 20 * 2**20, f"{peak / 2**20:.0f} MB for a sync of 600 tracks"
    assert dump(synced.path) == before


def test_a_count_that_jumps_while_a_listing_is_read_stops_the_sync(
    synced: Database, client: PlexClient, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    before = dump(synced.path)
    page = {"type": "10", "X-Plex-Container-Start": "297"}  # pages overlap by one
    plex.faults.inject("total", path=SECTION, params=page, times=None, total_size=4_000_000)
    with pytest.raises(SyncFailed) as failure:
        sync_library(synced, client, options=OPTIONS, full=True)
    assert str(failure.value) == (
        f"Plex's count of tracks jumped from {len(sim_library.tracks):,} to 4,000,000 while "
        "they were read, so the sync stopped; the previous library is kept."
    )
    assert dump(synced.path) == before


def test_a_count_that_jumps_during_a_refresh_stops_it(
    synced: Database, client: PlexClient, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    before = dump(synced.path)
    for _ in range(3):  # a refresh reads the new tracks: more than one page of them
        sim_library.add_album(tracks=60)
    page = {"type": "10", "X-Plex-Container-Start": "99"}  # pages overlap by one
    plex.faults.inject("total", path=SECTION, params=page, times=None, total_size=4_000_000)
    with pytest.raises(SyncFailed, match=r"jumped from .* to 4,000,000 while they were read"):
        sync_library(synced, client, options=OPTIONS)
    assert dump(synced.path) == before


def test_the_app_says_so_and_keeps_serving(
    start_app: StartApp, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    app = start_app()
    app.sync()
    assert app.wait_for_sync_to_end()["track_count"] == len(sim_library.tracks)
    plex.faults.inject("total", path=SECTION, params=COUNT, times=None, total_size="abc")
    app.sync(full=True)
    failed = app.wait_for_sync_to_end()
    assert failed["error"].startswith("Plex sent an impossible count ('abc') while counting tracks")
    assert failed["track_count"] == len(sim_library.tracks)
    assert app.tracks(exclude_live="false")["total"] == len(sim_library.tracks)


def test_the_command_says_so_in_one_line_without_a_traceback(
    plex: PlexSimulator, tmp_path: Path
) -> None:
    plex.faults.inject("total", path=SECTION, params=COUNT, times=None, total_size="abc")
    env = clean_environment(
        PLEX_URL=plex.url, PLEX_TOKEN=TOKEN, PLEXCRATE_DATA_DIR=str(tmp_path / "data")
    )
    done = subprocess.run(
        [str(PLEXCRATE), "sync"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert errors == [
        "Error: Sync failed: Plex sent an impossible count ('abc') while counting tracks: "
        f"plexcrate expects a whole number up to {MAX_TOTAL:,}."
    ]
