"""The full sync: stream every music item from Plex into a new snapshot, then swap it in.

Pages stream straight from the client into staging tables on the writer thread, so memory follows
the page size, not the library size. The old cache stays readable and untouched until the final
commit; any failure rolls the new snapshot back and raises :class:`SyncFailed` with a message a
person understands.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from plexcrate.cache.database import Database
from plexcrate.cache.snapshot import SnapshotBuilder
from plexcrate.cache.state import clear_library, read_sync_state
from plexcrate.plex.client import LibType, MusicSection, Page, PlexClient, ServerIdentity
from plexcrate.plex.errors import PlexError
from plexcrate.sync.mapping import album_row, artist_row, track_row
from plexcrate.sync.progress import Phase, SyncProgress

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


@dataclass(frozen=True, slots=True)
class SyncOptions:
    libraries: tuple[str, ...] = ()  # music library titles to mirror; empty means all
    page_size: int = PAGE_SIZE
    workers: int = WORKERS


def sync_library(
    db: Database,
    client: PlexClient,
    progress: SyncProgress | None = None,
    options: SyncOptions | None = None,
    *,
    full: bool = False,
    clock: Callable[[], float] = time.time,
) -> SyncResult:
    """Bring the cache up to date with Plex: the one entry point for the web app and the CLI.

    ``full=True`` asks for a complete rebuild even when a cheaper refresh would do.
    """
    return full_sync(db, client, progress, options, clock=clock)


def full_sync(
    db: Database,
    client: PlexClient,
    progress: SyncProgress | None = None,
    options: SyncOptions | None = None,
    *,
    clock: Callable[[], float] = time.time,
) -> SyncResult:
    progress = progress or SyncProgress()
    options = options or SyncOptions()
    started = time.monotonic()
    try:
        progress.set_phase(Phase.CONNECTING)
        identity = client.identity()
        replaced = forget_other_server(db, identity)
        sections = choose_sections(client.music_sections(), options.libraries)
        progress.set_total(sum(client.count(s.id, LibType.TRACK) for s in sections))

        def build(conn: sqlite3.Connection) -> int:
            builder = SnapshotBuilder(conn)
            try:
                for section in sections:
                    _read_section(builder, client, section, progress, options)
                progress.set_phase(Phase.SAVING)
                return builder.publish(
                    machine_identifier=identity.machine_identifier,
                    server_name=identity.name,
                    synced_at=clock(),
                    duration_s=time.monotonic() - started,
                )
            except BaseException:
                builder.abort()
                raise

        track_count = db.write(build)
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
    )


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
