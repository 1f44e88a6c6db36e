"""The real ``plexcrate serve``, in its own process, killed, stopped or starved mid-sync.

Each test syncs library A through the API, changes Plex's library into B, starts a sync of B and
then does something unkind to the process: ``kill -9`` while pages stream in, ``kill -9`` in the
middle of the final swap, SIGTERM, a disk that fills up. Afterwards the app must serve exactly A
(nothing partial), the cache file must pass SQLite's integrity check, the status must not be stuck
in "syncing", and the next sync must bring B. The Plex simulator runs in the test process.
"""

from __future__ import annotations

import os
import resource
import signal
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import TOKEN
from library_factory import dump
from plex_oracle import assert_cache_matches
from served import PLEXCRATE, Served, clean_environment
from web_harness import fill_cache, wait_until

from plexcrate.cache.database import Database
from plexcrate.simulator import Latency, PlexSimulator, SimLibrary

TRACKS = 3000
SECTION = "/library/sections/1/all"
# Slow enough that a full sync of about 3,300 tracks takes a few seconds: time to act mid-way.
SLOW = Latency(per_request=0.05, per_item=0.0005, max_concurrent=2)
QUERIES: list[dict[str, Any]] = [
    {"exclude_live": "false", "limit": 100},
    {"exclude_live": "false", "limit": 50, "offset": 1500},
    {"decade": ["1990s", "2000s"], "min_rating": 4, "limit": 100},
    {"order": "random", "seed": 7, "limit": 30},
    {"q": "love", "exclude_live": "false"},
]


@pytest.fixture
def sim_library() -> SimLibrary:
    return SimLibrary.generate(tracks=TRACKS, seed=4)


def answers(app: Served) -> list[dict[str, Any]]:
    return [app.tracks(**query) for query in QUERIES]


def change_lots(lib: SimLibrary) -> None:
    """Library B: albums added and deleted, tracks renamed and rated."""
    for _ in range(12):
        lib.add_album(tracks=25, year=1995)
    albums = sorted(lib.albums)
    for key in albums[:6]:
        lib.delete_album(key)
    keys = sorted(lib.tracks)
    for key in keys[::97]:
        lib.edit_track(key, title="Love, renamed in Plex")
    for key in keys[::41]:
        lib.rate_track(key, 10.0)


def wal_size(cache_path: Path) -> int:
    wal = cache_path.with_name(cache_path.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def assert_sound(cache_path: Path) -> None:
    """SQLite's own verdict on the file, and no half-built snapshot left in it."""
    conn = sqlite3.connect(f"file:{cache_path}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        leftovers = conn.execute(
            "SELECT name FROM sqlite_master WHERE name LIKE 'staging%'"
        ).fetchall()
        assert leftovers == []
    finally:
        conn.close()


def assert_serves_a_after_restart(
    data_dir: Path, plex: PlexSimulator, lib: SimLibrary, before: list[dict[str, Any]]
) -> Served:
    """A fresh process serves exactly A, idle, then its next sync brings B."""
    assert_sound(data_dir / "library_cache.db")
    plex.latency = None
    plex.faults.clear()
    with Served(data_dir, plex.url, TOKEN) as again:
        status = again.started().status()
        assert not status["is_syncing"] and status["phase"] == "idle"
        assert status["track_count"] == TRACKS and status["error"] is None
        assert answers(again) == before
        synced = again.synced()
        assert synced["error"] is None and synced["track_count"] == len(lib.tracks)
    with Database(data_dir / "library_cache.db") as db:
        assert_cache_matches(db, lib)
    assert TOKEN not in again.output
    return again


@pytest.fixture
def synced_a(tmp_path: Path, plex: PlexSimulator, sim_library: SimLibrary) -> Path:
    """A data folder holding a cache of library A; Plex now holds library B."""
    assert fill_cache(tmp_path / "library_cache.db", plex.url, TOKEN).track_count == TRACKS
    change_lots(sim_library)
    return tmp_path


def serving_a(app: Served) -> list[dict[str, Any]]:
    """A's answers to QUERIES, from a process that has just started on A's cache."""
    status = app.started().status()
    assert status["track_count"] == TRACKS and not status["is_syncing"]
    return answers(app)


# --- kill -9 ----------------------------------------------------------------------------------


def test_kill_9_while_pages_stream_in_leaves_the_previous_snapshot(
    synced_a: Path, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    data_dir = synced_a
    plex.latency = SLOW
    # A small page cache: the uncommitted snapshot spills into the WAL long before its commit.
    with Served(data_dir, plex.url, TOKEN, hooked=True, PAGE_CACHE_KB="200") as app:
        before = serving_a(app)
        app.sync(full=True)
        mid = app.wait_for_status(
            lambda s: s["phase"] == "reading_tracks" and s["sync_progress"]["current"] >= 1000,
            what="the sync to be a third of the way",
        )
        assert mid["is_syncing"] and mid["track_count"] == TRACKS
        assert answers(app) == before  # served from A while B streams in
        app.kill()
    assert TOKEN not in app.output
    assert_serves_a_after_restart(data_dir, plex, sim_library, before)


def test_kill_9_in_the_middle_of_the_final_swap_leaves_the_previous_snapshot(
    synced_a: Path, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    data_dir = synced_a
    marker = data_dir / "swapping"
    with Served(
        data_dir, plex.url, TOKEN, hooked=True, HOLD_SWAP_MARKER=str(marker), PAGE_CACHE_KB="200"
    ) as app:
        before = serving_a(app)
        app.sync(full=True)
        wait_until(marker.exists, timeout=60, what="the swap to begin")
        # The old tables are dropped and B's renamed in their place, uncommitted: readers of
        # the same process still see A.
        status = app.status()
        assert status["is_syncing"] and status["phase"] == "saving"
        assert answers(app) == before
        app.kill()
    assert_serves_a_after_restart(data_dir, plex, sim_library, before)


# --- SIGTERM ----------------------------------------------------------------------------------


@pytest.mark.parametrize("while_", ["pages stream in", "Plex hangs"])
def test_sigterm_during_a_sync_exits_promptly_and_keeps_the_cache(
    synced_a: Path, plex: PlexSimulator, sim_library: SimLibrary, while_: str
) -> None:
    data_dir = synced_a
    content = dump(data_dir / "library_cache.db")
    if while_ == "Plex hangs":
        # The track count, a first page, then every later request for tracks hangs.
        fault = plex.faults.inject(
            "hang", path=SECTION, params={"type": "10"}, nth=3, times=None, hang_seconds=300
        )
    else:
        plex.latency = SLOW
    with Served(data_dir, plex.url, TOKEN) as app:
        before = serving_a(app)
        app.sync(full=True)
        if while_ == "Plex hangs":
            wait_until(lambda: fault.fired >= 1, timeout=30, what="the hung page")
        else:
            app.wait_for_status(
                lambda s: s["phase"] == "reading_tracks" and s["sync_progress"]["current"] > 0
            )
        # uvicorn allows 10 s for open requests, the app 5 s for the sync to stop: the
        # process must be gone well within a service manager's usual 30 s.
        assert app.terminate(timeout=30) < 20
        # A clean stop: uvicorn finishes, then dies of the signal it caught, as servers do
        # (status 143 to a shell; systemd counts it as a clean exit).
        assert app.process.returncode in (0, -signal.SIGTERM), app.output
        assert "Application shutdown complete." in app.output
    assert "Traceback" not in app.output and TOKEN not in app.output
    assert dump(data_dir / "library_cache.db") == content
    assert_serves_a_after_restart(data_dir, plex, sim_library, before)


# --- storage ----------------------------------------------------------------------------------


def test_a_disk_that_fills_up_during_a_sync_rolls_it_back_and_the_old_cache_is_served(
    synced_a: Path, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    """The process may not grow any file beyond its current size (RLIMIT_FSIZE, which the
    kernel enforces like a full disk, root or not), while B needs twice A's room."""
    data_dir = synced_a
    cache = data_dir / "library_cache.db"
    for _ in range(TRACKS // 100):
        sim_library.add_album(tracks=100)
    with Served(data_dir, plex.url, TOKEN) as app:
        before = serving_a(app)
        content = dump(cache)
        room = max(f.stat().st_size for f in data_dir.glob("library_cache.db*")) + 4097
        soft, hard = resource.prlimit(app.process.pid, resource.RLIMIT_FSIZE)
        resource.prlimit(app.process.pid, resource.RLIMIT_FSIZE, (room, hard))

        failed = app.synced(full=True)

        # An OS refusing a write that would grow a file: SQLite reports an I/O error (a full
        # disk that takes part of a write reports "full": test_faults_api.py has that one).
        assert failed["error"] == (
            f"The cache in {data_dir} could not be written (a disk I/O error: is the disk full, "
            "read-only or failing?), so the sync was rolled back and the previous library is "
            "kept. Sync again once the disk is fine."
        )
        assert failed["track_count"] == TRACKS and answers(app) == before
        assert dump(cache) == content
        # The space the failed sync took is free again, though the process runs on: its
        # write-ahead log was emptied when the sync rolled back.
        assert wal_size(cache) == 0
        resource.prlimit(app.process.pid, resource.RLIMIT_FSIZE, (soft, hard))  # space again
        synced = app.synced(full=True)
        assert synced["error"] is None and synced["track_count"] == len(sim_library.tracks)
        assert wal_size(cache) == 0  # and a sync leaves no log the size of the library
    assert "Traceback" not in app.output
    assert_sound(cache)


# Garbage in the file's place is tested through the command in test_cli.py.
@pytest.mark.parametrize("damage", ["another program's database", "damaged pages"])
def test_a_damaged_cache_file_is_moved_aside_and_rebuilt_without_a_crash_loop(
    tmp_path: Path, plex: PlexSimulator, sim_library: SimLibrary, damage: str
) -> None:
    cache = tmp_path / "library_cache.db"
    if damage == "another program's database":
        conn = sqlite3.connect(cache)
        conn.execute("CREATE TABLE notes (body TEXT)")
        conn.execute("INSERT INTO notes VALUES ('keep me')")
        conn.commit()
        conn.close()
    else:
        fill_cache(cache, plex.url, TOKEN)
        data = bytearray(cache.read_bytes())
        middle = len(data) // 2 // 4096 * 4096
        data[middle : middle + 8192] = b"\xff" * 8192
        cache.write_bytes(bytes(data))
    original = cache.read_bytes()

    with Served(tmp_path, plex.url, TOKEN) as app:
        status = app.started().status()  # it starts: no exit, so no restart loop
        assert status["track_count"] == 0 and not status["is_syncing"]
        assert "moved to library_cache.db.unreadable-" in status["notice"]
        assert "the next sync rebuilds the library" in status["notice"]
        (aside,) = tmp_path.glob("library_cache.db.unreadable-*[0-9]")
        assert aside.read_bytes() == original  # kept, never deleted
        synced = app.synced()
        assert synced["error"] is None and synced["notice"] is None
        assert synced["track_count"] == TRACKS
    with Served(tmp_path, plex.url, TOKEN) as again:
        status = again.started().status()
        assert status["notice"] is None and status["track_count"] == TRACKS
    assert len(list(tmp_path.glob("library_cache.db.unreadable-*[0-9]"))) == 1
    assert_sound(cache)


def read_only_mount(data_dir: Path) -> list[str]:
    """A command prefix that runs a command with ``data_dir`` mounted read-only (EROFS, which
    binds root too), in a mount namespace of its own; nothing outside it changes."""
    script = 'd=$1; shift; mount --bind "$d" "$d"; mount -o remount,bind,ro "$d"; exec "$@"'
    return ["unshare", "--mount", "sh", "-ec", script, "sh", str(data_dir)]


@pytest.fixture
def read_only_data_dir(tmp_path: Path, plex: PlexSimulator) -> Iterator[tuple[Path, list[str]]]:
    """A data folder holding a good cache, which plexcrate will find read-only.

    Not writable by its owner when the tests don't run as root; a read-only mount when they do
    (root ignores permissions)."""
    data_dir = tmp_path / "data"
    fill_cache(data_dir / "library_cache.db", plex.url, TOKEN)
    if os.geteuid() != 0:
        for path in [data_dir, *data_dir.iterdir()]:
            path.chmod(0o555 if path.is_dir() else 0o444)
        yield data_dir, []
        for path in [data_dir, *data_dir.iterdir()]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        return
    prefix = read_only_mount(data_dir)
    probe = subprocess.run([*prefix, "touch", str(data_dir / "probe")], capture_output=True)
    if probe.returncode == 0 or b"Read-only file system" not in probe.stderr:
        pytest.skip("running as root, and no read-only mount can be made here")
    yield data_dir, prefix


def test_a_read_only_data_folder_is_a_clear_error_and_the_cache_is_left_alone(
    read_only_data_dir: tuple[Path, list[str]], plex: PlexSimulator
) -> None:
    data_dir, prefix = read_only_data_dir
    cache = data_dir / "library_cache.db"
    content = cache.read_bytes()
    files = sorted(p.name for p in data_dir.iterdir())

    with Served(data_dir, plex.url, TOKEN, prefix=prefix) as app:
        code = app.exited()
    assert code == 1
    assert f"Error: The cache {cache} cannot be opened for writing" in app.output
    assert f"Check that the folder {data_dir} is writable" in app.output
    assert "Traceback" not in app.output

    synced = subprocess.run(
        [*prefix, str(PLEXCRATE), "sync"],
        env=clean_environment(
            PLEXCRATE_DATA_DIR=str(data_dir), PLEX_URL=plex.url, PLEX_TOKEN=TOKEN
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert synced.returncode == 1 and "cannot be opened for writing" in synced.stderr
    assert "Traceback" not in synced.stderr
    # Not mistaken for a damaged file: nothing moved aside, nothing changed.
    assert sorted(p.name for p in data_dir.iterdir()) == files
    assert cache.read_bytes() == content

    if not prefix:  # writable again: the same cache is served
        for path in [data_dir, *data_dir.iterdir()]:
            path.chmod(0o755 if path.is_dir() else 0o644)
    with Served(data_dir, plex.url, TOKEN) as app:
        status = app.started().status()
    assert status["track_count"] == TRACKS and status["notice"] is None
