"""Syncing: the one entry point, :func:`sync_library`, and the full sync.

:func:`sync_library` refreshes the cache incrementally (``incremental.py``: only what changed in
Plex since the last sync, in one transaction) and falls back to a full sync when a refresh
cannot be trusted: the first sync, another server, another schema, other music libraries, a
full sync too long ago, a ``full=True`` request, or a refresh that finds counts it cannot
explain.

The full sync streams pages straight from the client into staging tables on the writer thread,
so memory follows the page size, not the library size. Either way, the old cache stays readable
and untouched until the final commit; any failure rolls everything back and raises
:class:`SyncFailed` with a message a person understands.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from plexcrate.cache.database import Database
from plexcrate.cache.patch import LibraryPatch
from plexcrate.cache.schema import SCHEMA_VERSION
from plexcrate.cache.snapshot import SnapshotBuilder
from plexcrate.cache.state import SyncCursor, SyncState, clear_library, read_sync_state
from plexcrate.plex.client import LibType, MusicSection, Page, PlexClient, ServerIdentity
from plexcrate.plex.errors import PlexError
from plexcrate.sync.incremental import (
    NeedsFullSync,
    capped_watermark,
    read_changes,
    refresh_since,
)
from plexcrate.sync.mapping import album_row, artist_row, track_row
from plexcrate.sync.progress import Phase, SyncProgress

log = logging.getLogger(__name__)

PAGE_SIZE = 1000
WORKERS = 4


class SyncFailed(Exception):
    """A sync did not complete; the previous cache is intact. ``str()`` is fit for users."""


@dataclass(frozen=True, slots=True)
class SyncResult:
    track_count: int
    duration_s: float
    machine_identifier: str
    server_name: str
    # The machineIdentifier of the server whose cache was cleared first, when the server changed.
    replaced_server: str | None = None
    kind: str = "full"  # "full" or "incremental"
    reason: str = ""  # why a full sync was done (empty for an incremental refresh)


@dataclass(frozen=True, slots=True)
class SyncOptions:
    libraries: tuple[str, ...] = ()  # music library titles to mirror; empty means all
    page_size: int = PAGE_SIZE
    workers: int = WORKERS
    # A full sync at least this often, even when refreshes would do: it bounds how long anything
    # a refresh cannot see (a back-dated rating, a server clock set back) stays wrong.
    full_sync_every_days: float | None = 7.0


@dataclass(frozen=True, slots=True)
class _Run:
    """What one sync works with, once the server has been asked who it is."""

    client: PlexClient
    identity: ServerIdentity
    sections: list[MusicSection]
    progress: SyncProgress
    options: SyncOptions
    clock: Callable[[], float]
    started: float  # time.monotonic() when the sync began: its reads are all after this

    @property
    def section_ids(self) -> str:
        return ",".join(str(section.id) for section in sorted(self.sections, key=_id))

    def cursor(self, watermark: int | None) -> SyncCursor:
        return SyncCursor(watermark, time.monotonic() - self.started, self.section_ids)


def sync_library(
    db: Database,
    client: PlexClient,
    progress: SyncProgress | None = None,
    options: SyncOptions | None = None,
    *,
    full: bool = False,
    clock: Callable[[], float] = time.time,
    on_server_replaced: Callable[[ServerIdentity], None] | None = None,
) -> SyncResult:
    """Bring the cache up to date with Plex: the one entry point for the web app and the CLI.

    Refreshes incrementally when it can; ``full=True`` asks for a complete rebuild even then.
    ``on_server_replaced`` is called (on this thread) as soon as the cache of a different server
    has been cleared, before the new library is read: the UI can say why the library is empty.
    """
    progress = progress or SyncProgress()
    options = options or SyncOptions()
    started = time.monotonic()
    try:
        progress.set_phase(Phase.CONNECTING)
        identity = client.identity()
        replaced = forget_other_server(db, identity)
        if replaced and on_server_replaced is not None:
            on_server_replaced(identity)
        sections = choose_sections(client.music_sections(), options.libraries)
        run = _Run(client, identity, sections, progress, options, clock, started)
        state = db.read(read_sync_state)
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
            track_count = _full(db, run)
    except PlexError as error:
        raise SyncFailed(error.message) from error
    except sqlite3.Error as error:
        raise SyncFailed(explain_storage_error(error, db)) from error
    return SyncResult(
        track_count=track_count,
        duration_s=time.monotonic() - started,
        machine_identifier=identity.machine_identifier,
        server_name=identity.name,
        replaced_server=replaced,
        kind=kind,
        reason=reason or "",
    )


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


def full_sync_reason(state: SyncState, run: _Run) -> str | None:
    """Why the cache needs a full sync rather than a refresh, or None when a refresh will do."""
    if state.is_empty or state.synced_at is None:
        return "the cache is empty"
    if state.machine_identifier != run.identity.machine_identifier:
        return "the cache mirrors another Plex server"
    if state.schema_version != SCHEMA_VERSION:
        return f"the cache was written with schema {state.schema_version}, now {SCHEMA_VERSION}"
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


def _refresh(conn: sqlite3.Connection, run: _Run, state: SyncState) -> int:
    since = refresh_since(state)
    if since is None or state.watermark is None:  # full_sync_reason rules this out
        raise NeedsFullSync("the cache does not say where a refresh should start")
    patch = LibraryPatch(conn)
    try:
        options = run.options
        read_changes(
            patch,
            run.client,
            run.sections,
            run.progress,
            since=since,
            page_size=options.page_size,
            workers=options.workers,
        )
        run.progress.set_phase(Phase.SAVING)
        newest = capped_watermark(patch.newest, run.clock())
        return patch.finish(
            machine_identifier=run.identity.machine_identifier,
            server_name=run.identity.name,
            synced_at=run.clock(),
            duration_s=time.monotonic() - run.started,
            cursor=run.cursor(max(state.watermark, newest or 0)),
        )
    except BaseException:
        patch.abort()
        raise


def _full(db: Database, run: _Run) -> int:
    client, progress = run.client, run.progress
    progress.set_total(sum(client.count(s.id, LibType.TRACK) for s in run.sections))

    def build(conn: sqlite3.Connection) -> int:
        builder = SnapshotBuilder(conn)
        try:
            for section in run.sections:
                _read_section(builder, client, section, progress, run.options)
            progress.set_phase(Phase.SAVING)
            newest = capped_watermark(builder.newest_timestamp(), run.clock())
            return builder.publish(
                machine_identifier=run.identity.machine_identifier,
                server_name=run.identity.name,
                synced_at=run.clock(),
                duration_s=time.monotonic() - run.started,
                cursor=run.cursor(newest),
            )
        except BaseException:
            builder.abort()
            raise

    return db.write(build)


def _id(section: MusicSection) -> int:
    return section.id


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


def _read_section(
    builder: SnapshotBuilder,
    client: PlexClient,
    section: MusicSection,
    progress: SyncProgress,
    options: SyncOptions,
) -> None:
    def pages(libtype: LibType) -> Iterator[Page]:
        return client.iter_pages(
            section.id, libtype, page_size=options.page_size, workers=options.workers
        )

    progress.set_phase(Phase.ARTISTS)
    for page in pages(LibType.ARTIST):
        builder.add_artists(artist_row(item, section.id) for item in page.items)
    progress.set_phase(Phase.ALBUMS)
    for page in pages(LibType.ALBUM):
        builder.add_albums(album_row(item, section.id) for item in page.items)
    progress.set_phase(Phase.TRACKS)
    for page in pages(LibType.TRACK):
        builder.add_tracks([track_row(item, section.id) for item in page.items])
        progress.advance(len(page.items))


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
    if "locked" in text or "busy" in text:
        return "Another sync is writing the cache right now. Try again when it has finished."
    return f"The cache could not be written ({error}); the previous library is kept."
