"""What the cache leaves on disk: no write-ahead log the size of the library after a sync or a
rollback, and files only their owner can read. (A disk that fills up: ``test_crash.py``.)"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import TOKEN

from plexcrate.cache.database import Database
from plexcrate.config import Settings, save_plex_settings
from plexcrate.plex.client import PlexClient
from plexcrate.simulator import PlexSimulator, SimLibrary
from plexcrate.sync.engine import SyncFailed, SyncOptions, sync_library

OPTIONS = SyncOptions(page_size=100, workers=2)


def wal(cache: Path) -> Path:
    return cache.with_name(cache.name + "-wal")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask, under which SQLite's own files would be readable by everyone."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_no_write_ahead_log_outlives_a_sync_or_a_rollback(
    cache: Database, client: PlexClient, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    sync_library(cache, client, options=OPTIONS)
    assert cache.path.stat().st_size > 100_000
    assert wal(cache.path).stat().st_size == 0  # the snapshot is in the database file
    sync_library(cache, client, options=OPTIONS, full=True)
    assert wal(cache.path).stat().st_size == 0

    sim_library.add_album(tracks=3)
    plex.faults.inject(
        "status", path="/library/sections/1/all",
        params={"type": "10", "X-Plex-Container-Start": "495"}, times=None,
    )  # fmt: skip
    with pytest.raises(SyncFailed):
        sync_library(cache, client, options=OPTIONS, full=True)
    assert wal(cache.path).stat().st_size == 0


def test_the_cache_is_its_owner_s_alone(
    tmp_path: Path, umask_022: None, plex: PlexSimulator
) -> None:
    data_dir = tmp_path / "new" / "data"
    cache = data_dir / "library_cache.db"
    with Database(cache) as db, PlexClient(plex.url, TOKEN) as client:
        sync_library(db, client, options=OPTIONS)
        files = [cache, wal(cache), cache.with_name(cache.name + "-shm")]
        assert [mode(f) for f in files] == [0o600] * 3
    assert mode(data_dir) == 0o700
    settings = save_plex_settings(Settings(data_dir=data_dir), plex.url, TOKEN, [])
    assert mode(settings.settings_path) == 0o600


def test_an_existing_cache_is_tightened_and_its_folder_left_alone(
    tmp_path: Path, umask_022: None
) -> None:
    """A folder may be the user's own choice, shared with other things: the files in it are
    what must be private."""
    data_dir = tmp_path / "shared"
    data_dir.mkdir(mode=0o755)
    cache = data_dir / "library_cache.db"
    Database(cache).close()
    for path in (cache, wal(cache)):
        path.touch()
        path.chmod(0o644)
    with Database(cache):
        assert mode(cache) == 0o600 and mode(wal(cache)) == 0o600
    assert mode(data_dir) == 0o755
