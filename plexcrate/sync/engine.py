"""Syncing: the one entry point, :func:`sync_library`.

It refreshes the cache incrementally (``incremental.py``: only what changed in Plex since the
last sync, in one transaction) and falls back to a full sync (``full.py``) when a refresh cannot
be trusted: the first sync, another server, another schema or mapping, other music libraries, a
full sync too long ago, a ``full=True`` request, or a refresh that finds counts it cannot
explain. Either way, the old cache stays readable and untouched until the final commit; any
failure rolls everything back and raises :class:`SyncFailed` with a message a person
understands.
"""

from __future__ import annotations

import gc
import logging
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial

from plexcrate.cache.database import Database
from plexcrate.cache.patch import LibraryPatch
from plexcrate.cache.schema import SCHEMA_VERSION
from plexcrate.cache.state import SyncState, clear_library, read_sync_state
from plexcrate.plex.client import MusicSection, PlexClient, ServerIdentity
from plexcrate.plex.errors import PlexError, PlexOutOfTime
from plexcrate.sync.full import rebuild
from plexcrate.sync.guards import ServerChanged, ShrinkRefused
from plexcrate.sync.incremental import NeedsFullSync, capped_watermark, refresh_since
from plexcrate.sync.mapping import MAPPING_VERSION
from plexcrate.sync.progress import Phase, SyncProgress
from plexcrate.sync.run import (
    PAGE_SIZE,
    WORKERS,
    Run,
    SyncFailed,
    SyncOptions,
    SyncResult,
    read_changes_since,
    trash_check_due,
)
from plexcrate.sync.timelimit import SyncTimer

# The names callers import from here, wherever they are defined.
__all__ = [
    "PAGE_SIZE",
    "WORKERS",
    "SyncFailed",
    "SyncOptions",
    "SyncResult",
    "full_sync",
    "sync_library",
]

log = logging.getLogger(__name__)


def sync_library(
    db: Database,
    client: PlexClient,
    progress: SyncProgress | None = None,
    options: SyncOptions | None = None,
    *,
    full: bool = False,
    clock: Callable[[], float] = time.time,
    on_server_replaced: Callable[[ServerIdentity], None] | None = None,
    allow_shrink: bool = False,
    on_commit: Callable[[SyncState], None] | None = None,
) -> SyncResult:
    """Bring the cache up to date with Plex: the one entry point for the web app and the CLI.

    Refreshes incrementally when it can; ``full=True`` asks for a complete rebuild even then.
    ``on_server_replaced`` is called (on this thread) as soon as the cache of a different server
    has been cleared, before the new library is read: the UI can say why the library is empty.
    ``on_commit`` is called (on the writer thread) with the new state right after the commit.
    ``allow_shrink`` publishes a library that lost most of its tracks (refused otherwise).

    When the server turns out to have changed under the sync, nothing is saved and the sync
    starts over once, as the new server's (which clears the old server's cache first).
    """
    progress = progress or SyncProgress()
    options = options or SyncOptions()
    started = time.monotonic()
    timer = SyncTimer(client, options.time_limit, started)
    sync = partial(_sync, db, client, progress, options, full, clock, on_server_replaced)
    try:
        with _syncing_process():
            try:
                return sync(started, timer, allow_shrink, on_commit)
            except ServerChanged:
                log.warning("The Plex server changed during the sync; syncing the new one.")
                progress.new_pass()
                return sync(started, timer, allow_shrink, on_commit)
    except ServerChanged as change:
        raise SyncFailed(server_changed_again(client.url, change.identity)) from change
    except ShrinkRefused as refusal:
        raise SyncFailed(str(refusal)) from refusal
    except PlexOutOfTime as error:
        raise SyncFailed(timer.explain(error)) from error
    except PlexError as error:
        raise SyncFailed(error.message) from error
    except sqlite3.Error as error:
        raise SyncFailed(explain_storage_error(error, db)) from error
    finally:
        timer.stop()


def _sync(
    db: Database,
    client: PlexClient,
    progress: SyncProgress,
    options: SyncOptions,
    full: bool,
    clock: Callable[[], float],
    on_server_replaced: Callable[[ServerIdentity], None] | None,
    started: float,
    timer: SyncTimer,
    allow_shrink: bool,
    on_commit: Callable[[SyncState], None] | None,
) -> SyncResult:
    progress.set_phase(Phase.CONNECTING)
    identity = client.identity()
    progress.set_server(identity.machine_identifier)
    replaced = forget_other_server(db, identity)
    if replaced and on_server_replaced is not None:
        on_server_replaced(identity)
    sections = choose_sections(client.music_sections(), options.libraries)
    state = db.read(read_sync_state)
    timer.allow_for(state.track_count)
    run = Run(
        client, identity, sections, progress, options, clock, started,
        timer, state.track_count, allow_shrink, on_commit,
    )  # fmt: skip
    reason = "a full sync was asked for" if full else full_sync_reason(state, run)
    kind = "incremental"
    if reason is None:
        try:
            track_count = db.write(lambda conn: _refresh(conn, run, state))
        except NeedsFullSync as problem:
            reason = f"the refresh could not be trusted: {problem}"
            log.warning("Incremental refresh abandoned, doing a full sync: %s.", problem)
            progress.new_pass()
    if reason is not None:
        kind = "full"
        log.info("Full sync: %s.", reason)
        track_count = rebuild(db, run)
    return SyncResult(
        track_count=track_count,
        # As recorded in the cache (and shown in the status), so the log says the same.
        duration_s=db.read(read_sync_state).sync_duration_s or run.elapsed(),
        machine_identifier=identity.machine_identifier,
        server_name=identity.name,
        replaced_server=replaced,
        kind=kind,
        reason=reason or "",
    )


# What a sync does to the rest of the process while it runs, which in the web app is serving
# requests (the status, the library) on other threads:
#
# - it allocates and frees about ten containers per track (the decoded JSON, the rows). With the
#   collector's default threshold (a young collection every 700 net allocations) that is
#   hundreds of collections, which promote the pages in flight to the older generations, whose
#   collections then rescan the whole process: in the web app, over a second of a
#   100,000-track sync, in pauses of up to 100-190 ms that stall every thread. The pages are
#   acyclic and freed by reference counting, so a young collection every 50,000 loses nothing.
# - its Python holds the GIL for the interpreter's switch interval (5 ms) before another thread
#   may take it, and answering a request takes it several times: at 1 ms, another thread's
#   95th-percentile wait for it drops from 7-8 ms to under 5.
#
# Both are restored when the last running sync ends.
_SYNC_GC_THRESHOLD = 50_000
_SYNC_SWITCH_INTERVAL_S = 0.001


class _SyncingProcess:
    """While any sync runs: young collections every 50,000 allocations, a 1 ms switch interval."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = 0
        self._saved = (gc.get_threshold(), sys.getswitchinterval())

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._running == 0:
                self._saved = (gc.get_threshold(), sys.getswitchinterval())
                young, *older = self._saved[0]
                gc.set_threshold(max(young, _SYNC_GC_THRESHOLD), *older)
                sys.setswitchinterval(min(self._saved[1], _SYNC_SWITCH_INTERVAL_S))
            self._running += 1
        try:
            yield
        finally:
            with self._lock:
                self._running -= 1
                if self._running == 0:
                    gc.set_threshold(*self._saved[0])
                    sys.setswitchinterval(self._saved[1])


_syncing_process = _SyncingProcess()


def full_sync(
    db: Database,
    client: PlexClient,
    progress: SyncProgress | None = None,
    options: SyncOptions | None = None,
    *,
    clock: Callable[[], float] = time.time,
) -> SyncResult:
    """A complete rebuild of the cache, whatever state it is in."""
    return sync_library(db, client, progress, options, full=True, clock=clock)


def full_sync_reason(state: SyncState, run: Run) -> str | None:
    """Why the cache needs a full sync rather than a refresh, or None when a refresh will do."""
    if state.is_empty or state.synced_at is None:
        return "the cache is empty"
    if state.machine_identifier != run.identity.machine_identifier:
        return "the cache mirrors another Plex server"
    outdated = outdated_reason(state)
    if outdated is not None:
        return outdated
    if refresh_since(state) is None:
        return "the cache does not say where a refresh should start"
    if state.section_ids != run.section_ids:
        return "the music libraries to mirror changed"
    every = run.options.full_sync_every_days
    if every is not None and (
        state.full_synced_at is None or run.clock() - state.full_synced_at > every * 86_400
    ):
        return f"the last full sync is more than {every:g} days old"
    return None


def outdated_reason(state: SyncState) -> str | None:
    """Why a cache was built by another plexcrate than this one (another schema, other mapping
    rules) and needs a full sync, whatever the server says; else None."""
    if state.schema_version != SCHEMA_VERSION:
        return f"the cache was written with schema {state.schema_version}, now {SCHEMA_VERSION}"
    if state.mapping_version != MAPPING_VERSION:
        return (
            f"its tracks were mapped by rules of version {state.mapping_version}, "
            f"now {MAPPING_VERSION}"
        )
    return None


def _refresh(conn: sqlite3.Connection, run: Run, state: SyncState) -> int:
    since = refresh_since(state)
    if since is None or state.watermark is None:  # full_sync_reason rules this out
        raise NeedsFullSync("the cache does not say where a refresh should start")
    now = run.clock()
    check = trash_check_due(state, now, run.options.trash_check_every_s)
    patch = LibraryPatch(conn)
    try:
        read_changes_since(patch, run, since, trash_checked_at=now if check else None)
        newest = capped_watermark(patch.newest, run.clock())
        watermark = max(state.watermark, newest or 0)
        return run.commit(conn, patch, watermark=watermark, kind="incremental")
    except BaseException:
        patch.abort()
        raise


def forget_other_server(db: Database, identity: ServerIdentity) -> str | None:
    """Clear the cache when it mirrors a different server. Returns that server's identifier.

    The old server's tracks must never be served as the new one's, even while the new one syncs.
    """
    cached = db.read(read_sync_state).machine_identifier
    if cached is None or cached == identity.machine_identifier:
        return None
    db.write(lambda conn: clear_library(conn, machine_identifier=identity.machine_identifier))
    return cached


def choose_sections(sections: Sequence[MusicSection], wanted: Sequence[str]) -> list[MusicSection]:
    if not sections:
        raise SyncFailed("This Plex server has no music library.")
    if not wanted:
        return list(sections)
    by_title = {section.title.casefold(): section for section in sections}
    missing = [title for title in wanted if title.casefold() not in by_title]
    if missing:
        found = ", ".join(f"“{section.title}”" for section in sections)
        raise SyncFailed(
            f"No music library called {', '.join(f'“{t}”' for t in missing)} on this Plex "
            f"server. Its music libraries are: {found}."
        )
    return [by_title[title.casefold()] for title in wanted]


def server_changed_again(url: str, identity: ServerIdentity) -> str:
    name = f"“{identity.name}”" if identity.name else "another server"
    return (
        f"The Plex server at {url} changed while it was read, twice (it is now {name}), so "
        "nothing was saved. Sync again once it has settled."
    )


def explain_storage_error(error: sqlite3.Error, db: Database) -> str:
    """Plain words for the storage failures a self-hoster can do something about."""
    text = str(error).lower()
    if "full" in text:
        return (
            f"The disk holding the cache ({db.path.parent}) is full, so the sync was rolled back "
            "and the previous library is kept. Free some space and sync again."
        )
    if "readonly" in text or "read-only" in text:
        return (
            f"The cache folder {db.path.parent} is read-only, so the sync could not be saved; "
            "the previous library is kept. Make the folder writable and sync again."
        )
    if "malformed" in text or "not a database" in text:
        return (
            f"The cache file {db.path} is damaged, so the sync was rolled back. Restart plexcrate "
            "(or run `plexcrate sync`): it moves the damaged file aside and builds a new cache."
        )
    if "locked" in text or "busy" in text:
        return "Another sync is writing the cache right now. Try again when it has finished."
    if "i/o error" in text:  # the OS refused a write: no space, a file size limit, a read-only
        return (  # file system (a disk remounted after errors), a failing disk
            f"The cache in {db.path.parent} could not be written (a disk I/O error: is the disk "
            "full, read-only or failing?), so the sync was rolled back and the previous library "
            "is kept. Sync again once the disk is fine."
        )
    return f"The cache could not be written ({error}); the previous library is kept."
