"""Faults during a sync, seen through the running app: what the status says, what the cache keeps,
and that the next sync succeeds once the fault is gone.

``test_sync.py`` proves the engine keeps the cache byte-identical for every fault at every phase.
Here the same faults strike a sync started with ``POST /api/library/sync`` in the real app (in
uvicorn, over loopback): the status must then carry a message a person understands, the API must
keep serving the previous library, the cache file must be byte-identical, and the next sync must
succeed. Storage faults (a full disk, a read-only cache) strike mid-sync and at the final swap.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import TOKEN, restartable
from library_factory import dump
from plex_oracle import assert_cache_matches
from web_harness import TEST_SYNC_OPTIONS, AppServer, wait_until

from plexcrate.cache.database import Database
from plexcrate.cache.patch import LibraryPatch
from plexcrate.cache.snapshot import SnapshotBuilder
from plexcrate.config import Settings
from plexcrate.plex.client import PlexClient
from plexcrate.simulator import Fault, PlexSimulator, SimLibrary
from plexcrate.web import service as service_module
from plexcrate.web.app import create_app


class _RetryAtOnce(PlexClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{**kwargs, "retry_delay": 0.0})


TIMEOUT = 0.5  # PLEXCRATE_PLEX_TIMEOUT for this module: a hang longer than this is a fault
TRACKS = 600  # pages of 100 overlapping by one: they start at 0, 99, …, 297 (a middle one), …, 594
SECTION = "/library/sections/1/all"
TRACK_PAGE = {"type": "10", "X-Plex-Container-Size": "100"}

# (path, params, nth): the fault strikes the nth matching request and every one after it. A
# listing is counted first (start 0, size 0), so its first page is the second request from 0;
# how the albums are split into pages is the sync's business.
PHASES: dict[str, tuple[str, dict[str, str], int]] = {
    "identity": ("/", {}, 1),
    "albums": (SECTION, {"type": "9", "X-Plex-Container-Start": "0"}, 2),
    "first track page": (SECTION, {"type": "10", "X-Plex-Container-Start": "0"}, 2),
    "middle track page": (SECTION, {**TRACK_PAGE, "X-Plex-Container-Start": "297"}, 1),
    "last track page": (SECTION, {**TRACK_PAGE, "X-Plex-Container-Start": "594"}, 1),
}
# What the status says for each lasting fault (a pattern, {url} being the Plex URL).
FAULTS: dict[str, tuple[dict[str, Any], str]] = {
    "500": ({"kind": "status", "status": 500}, r"Plex answered 500 Internal Server Error while "),
    "503": ({"kind": "status", "status": 503}, r"Plex answered 503 Service Unavailable while "),
    "reset": ({"kind": "reset"}, r"The connection to Plex at {url} broke while .*: the connection"),
    "truncated": ({"kind": "truncate"}, r"(broke while|incomplete or unreadable answer)"),
    "hang": (
        {"kind": "hang", "hang_seconds": 3.0},
        rf"Plex did not answer within {TIMEOUT} s while .* Check that Plex is running",
    ),
    "401": (
        {"kind": "status", "status": 401},
        r"Plex refused the token \(401 Unauthorized\) while .* Check the Plex token",
    ),
    # Refused, or reset if the retry reached the socket as it closed: either way, where and why.
    "server gone": (
        {},
        r"(Cannot reach Plex at {url}: |The connection to Plex at {url} broke while ).*\. "
        r"Check that Plex is running and that PLEX_URL points to it\.",
    ),
}
WHAT_WAS_READ = {
    "identity": "reading the server's identity",
    "albums": "reading albums",
    "first track page": "reading tracks 1–100",
    "middle track page": "reading tracks 298–397",
    "last track page": "reading tracks 595–694",
}


@dataclass
class Env:
    app: AppServer
    plex: PlexSimulator
    lib: SimLibrary
    cache_path: Path
    plex_url: str  # kept: the simulator has none while it is stopped
    edits: int = 0

    def change_the_library(self) -> str:
        """Rename a track in Plex, so a sync that wrongly committed would show."""
        self.edits += 1
        title = f"Renamed in Plex {self.edits}"
        key = sorted(self.lib.tracks)[self.edits % TRACKS]
        self.lib.edit_track(key, title=title)
        return title

    def served(self) -> tuple[int, list[int]]:
        page = self.app.tracks(exclude_live="false", limit=1000)
        return page["total"], [t["rating_key"] for t in page["tracks"]]

    def finds(self, title: str) -> bool:
        return self.app.tracks(q=title, exclude_live="false")["total"] == 1


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    lib = SimLibrary.generate(tracks=TRACKS, seed=3)
    data_dir = tmp_path_factory.mktemp("faults")
    with (
        pytest.MonkeyPatch.context() as patch,
        PlexSimulator(lib, token=TOKEN, strict=True) as plex,
    ):
        # The app's sync retries a passing failure once, after half a second; no need to wait.
        patch.setattr(service_module, "PlexClient", _RetryAtOnce)
        restartable(plex)
        settings = Settings(
            plex_url=plex.url,
            plex_token=TOKEN,
            data_dir=data_dir,
            plex_timeout=TIMEOUT,
            listen_for_changes=False,  # the faults are for the sync's requests
        )
        app = create_app(settings, probe_interval=1.0, sync_options=TEST_SYNC_OPTIONS)
        server = AppServer(app).start()
        try:
            assert server.sync().status_code == 200
            assert server.wait_for_sync_to_end()["track_count"] == TRACKS
            yield Env(server, plex, lib, settings.cache_path, plex.url)
        finally:
            server.stop()
        assert not any(TOKEN.encode() in body for body in server.bodies)


@pytest.fixture(autouse=True)
def fresh(env: Env) -> Iterator[None]:
    yield
    env.plex.faults.clear()
    env.plex.start()  # if a test stopped it


def assert_plain_words(message: str, env: Env) -> None:
    """A message a person understands: sentences, no traceback, no token, no code."""
    assert message and message[0].isupper() and message.endswith("."), message
    for marker in ("Traceback", 'File "', "Error(", "Exception", "httpx", "sqlite3", "\n", TOKEN):
        assert marker not in message, (marker, message)
    paths = re.findall(r"(/[\w.-]+){2,}", message.replace(env.plex_url, ""))
    assert all(str(env.cache_path.parent).endswith(p) for p in paths), message


def sync_and_wait(env: Env, *, full: bool) -> dict[str, Any]:
    assert env.app.sync(full=full).status_code == 200
    return env.app.wait_for_sync_to_end(timeout=30)


def inject(env: Env, phase: str, fault: str) -> Fault:
    path, params, nth = PHASES[phase]
    kwargs, _ = FAULTS[fault]
    if fault == "server gone":  # held at that request, then the server goes away (below)
        kwargs = {"kind": "hang", "hang_seconds": 30.0}
    return env.plex.faults.inject(path=path, params=params, nth=nth, times=None, **kwargs)


def stop_plex_once_it_hangs(env: Env, fault: Fault) -> threading.Thread:
    def stop() -> None:
        wait_until(lambda: fault.fired >= 1, timeout=15, what="the sync to reach the phase")
        env.plex.stop()  # releases the held request: the sync then finds nobody there

    thread = threading.Thread(target=stop, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("phase", PHASES)
@pytest.mark.parametrize("fault", FAULTS)
def test_a_lasting_fault_is_explained_and_the_previous_library_kept(
    env: Env, phase: str, fault: str
) -> None:
    before, served = dump(env.cache_path), env.served()
    title = env.change_the_library()
    injected = inject(env, phase, fault)
    stopper = stop_plex_once_it_hangs(env, injected) if fault == "server gone" else None

    failed = sync_and_wait(env, full=True)

    if stopper is not None:
        stopper.join(timeout=15)
    error = failed["error"]
    assert re.search(FAULTS[fault][1].format(url=re.escape(env.plex_url)), error), error
    if fault not in ("server gone", "truncated"):
        assert WHAT_WAS_READ[phase] in error
    assert_plain_words(error, env)
    assert not failed["is_syncing"] and failed["phase"] == "idle"
    assert failed["track_count"] == TRACKS
    assert env.served() == served and not env.finds(title)
    assert dump(env.cache_path) == before

    env.plex.faults.clear()
    env.plex.start()
    recovered = sync_and_wait(env, full=False)
    assert recovered["error"] is None and recovered["track_count"] == TRACKS
    assert env.finds(title)


TRANSIENT = ["500", "503", "reset", "truncated", "hang"]


def requests_of_a_full_sync(env: Env) -> list[tuple[str, dict[str, str]]]:
    """Every distinct request a full sync makes, as the simulator saw it (the probe's aside)."""
    env.plex.requests.clear()
    assert sync_and_wait(env, full=True)["error"] is None
    paging = ("X-Plex-Container-Start", "X-Plex-Container-Size")
    seen: dict[str, tuple[str, dict[str, str]]] = {}
    for record in env.plex.requests:
        if record.path == "/identity":
            continue
        params = {**record.params, **{k: v for k, v in record.headers.items() if k in paging}}
        seen.setdefault(f"{record.path} {sorted(params.items())}", (record.path, params))
    return list(seen.values())


@pytest.mark.parametrize("fault", TRANSIENT)
def test_one_passing_failure_per_request_is_retried_and_the_sync_succeeds(
    env: Env, fault: str
) -> None:
    """Every request of a full sync fails once: identity, sections, counts, every page."""
    requests = requests_of_a_full_sync(env)
    assert len(requests) >= 12  # identity, sections, 3 counts, artists, albums, 6 track pages
    title = env.change_the_library()
    kwargs, _ = FAULTS[fault]
    faults = [env.plex.faults.inject(path=p, params=q, times=1, **kwargs) for p, q in requests]

    status = sync_and_wait(env, full=True)

    assert status["error"] is None, status["error"]
    assert [f.fired for f in faults] == [1] * len(faults)
    assert status["track_count"] == TRACKS and env.finds(title)
    with Database(env.cache_path) as db:
        assert_cache_matches(db, env.lib)


REFRESH_FAULTS = ["500", "reset", "hang", "401"]


@pytest.mark.parametrize("fault", REFRESH_FAULTS)
def test_a_lasting_fault_mid_refresh_is_explained_and_the_library_kept(
    env: Env, fault: str
) -> None:
    before, served = dump(env.cache_path), env.served()
    title = env.change_the_library()
    kwargs, pattern = FAULTS[fault]
    # The refresh's reads of changed tracks (a full sync's pages are not asked for).
    env.plex.faults.inject(path=SECTION, params={"type": "10"}, times=None, **kwargs)

    failed = sync_and_wait(env, full=False)

    assert re.search(pattern.format(url=re.escape(env.plex_url)), failed["error"])
    assert_plain_words(failed["error"], env)
    assert env.served() == served and dump(env.cache_path) == before
    env.plex.faults.clear()
    recovered = sync_and_wait(env, full=False)
    assert recovered["error"] is None and recovered["last_sync_kind"] == "incremental"
    assert env.finds(title)


# --- storage faults, and the final swap -------------------------------------------------------

STORAGE = {
    # What SQLite reports when the disk fills up: no page may be added to the file.
    "disk full": (
        "max_page_count",
        r"The disk holding the cache \(.+\) is full, so the sync was rolled back and the "
        r"previous library is kept\. Free some space and sync again\.",
    ),
    # What SQLite reports when the cache can't be written: the folder (or its file system)
    # went read-only. (Permissions can't show this: an open file stays writable, and the tests
    # may run as root; so the connection itself is made read-only.)
    "read-only": (
        "query_only",
        r"The cache folder .+ is read-only, so the sync could not be saved; the previous "
        r"library is kept\. Make the folder writable and sync again\.",
    ),
}


def strike_storage(conn: sqlite3.Connection, how: str) -> Callable[[], None]:
    """Make ``conn`` (the writer's, on its own thread) fail its next write; returns the undo."""
    if how == "max_page_count":
        # The file may not grow, and the free pages a previous snapshot left are taken (by a
        # table inside the sync's own transaction, rolled back with it).
        conn.execute("CREATE TABLE disk_filler (b BLOB)")
        while conn.execute("PRAGMA freelist_count").fetchone()[0]:
            conn.execute("INSERT INTO disk_filler VALUES (zeroblob(2000))")
        limit = conn.execute("PRAGMA max_page_count").fetchone()[0]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")
        return lambda: conn.execute(f"PRAGMA max_page_count = {limit}")
    conn.execute("PRAGMA query_only = ON")
    return lambda: conn.execute("PRAGMA query_only = OFF")


class _StrikingAtIndexes:
    """A connection that strikes its storage right before its first CREATE INDEX."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        strike: Callable[[sqlite3.Connection], Callable[[], None]],
        undo: list[Callable[[], None]],
    ) -> None:
        self.conn, self._strike, self._undo = conn, strike, undo

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if sql.lstrip().startswith("CREATE INDEX") and not self._undo:
            self._undo.append(self._strike(self.conn))
        return self.conn.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conn, name)


@pytest.mark.parametrize("when", ["middle track page", "final swap"])
@pytest.mark.parametrize("storage", STORAGE)
def test_a_storage_fault_rolls_back_and_says_what_to_do(
    env: Env, monkeypatch: pytest.MonkeyPatch, storage: str, when: str
) -> None:
    before, served = dump(env.cache_path), env.served()
    title = env.change_the_library()
    how, message = STORAGE[storage]
    undo: list[Callable[[], None]] = []
    add_tracks, swap = SnapshotBuilder.add_tracks, SnapshotBuilder.swap

    def failing_add_tracks(self: SnapshotBuilder, rows: Any) -> int:
        if self.track_count >= 300 and not undo:
            undo.append(strike_storage(self._conn, how))
        return add_tracks(self, rows)

    def failing_swap(self: SnapshotBuilder) -> None:
        # Strike as the new indexes are built, once the old tables are dropped: their pages
        # are free again, and the filler takes them (a full disk has no room even then).
        self._conn = _StrikingAtIndexes(self._conn, lambda conn: strike_storage(conn, how), undo)
        try:
            return swap(self)
        finally:
            self._conn = self._conn.conn

    def healed(method: Callable[..., Any]) -> Callable[..., Any]:
        def run(self: SnapshotBuilder, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            finally:
                while undo:  # the disk has room again / the folder is writable again
                    undo.pop()()

        return run

    if when == "final swap":
        monkeypatch.setattr(SnapshotBuilder, "swap", healed(failing_swap))
    else:
        monkeypatch.setattr(SnapshotBuilder, "add_tracks", healed(failing_add_tracks))

    failed = sync_and_wait(env, full=True)

    assert re.fullmatch(message, failed["error"]), failed["error"]
    assert_plain_words(failed["error"], env)
    assert env.served() == served and dump(env.cache_path) == before
    monkeypatch.undo()
    recovered = sync_and_wait(env, full=True)
    assert recovered["error"] is None and env.finds(title)


def test_plex_going_away_once_the_result_is_checked_does_not_matter(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the swapped-in library is checked against Plex's counts, the commit needs nothing
    more from Plex."""
    title = env.change_the_library()
    finish = LibraryPatch.finish

    def finish_without_plex(self: LibraryPatch, **kwargs: Any) -> int:
        env.plex.stop()
        return finish(self, **kwargs)

    monkeypatch.setattr(LibraryPatch, "finish", finish_without_plex)
    status = sync_and_wait(env, full=True)
    assert status["error"] is None and env.finds(title)


CHECK_WITHOUT_PLEX = (
    r"Cannot reach Plex at .+: connection refused \(while counting tracks\)\. "
    r"Check that Plex is running and that PLEX_URL points to it\."
)


def test_plex_going_away_during_the_final_swap_keeps_the_previous_library(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The swapped-in library is checked against Plex's counts before it is committed: without
    Plex, the sync fails like any other, and the previous library stays."""
    before, served = dump(env.cache_path), env.served()
    env.change_the_library()
    swap = SnapshotBuilder.swap

    def swap_without_plex(self: SnapshotBuilder) -> None:
        env.plex.stop()
        swap(self)

    monkeypatch.setattr(SnapshotBuilder, "swap", swap_without_plex)
    status = sync_and_wait(env, full=True)
    assert re.fullmatch(CHECK_WITHOUT_PLEX, status["error"]), status["error"]
    assert env.served() == served and dump(env.cache_path) == before
