"""The full sync: every listing read into a new snapshot beside the old library, checked
against Plex's counts, and swapped in at the commit.

Pages stream from a :class:`ListingReader` (complete listings however Plex's order shifts
meanwhile, every tag read) into staging tables on the writer thread, so memory follows the page
size, not the library size. The snapshot is swapped in uncommitted, then checked against Plex's
counts with the refresh's steps 2 and 3 (``incremental.py``), which patch what changed while it
was read; only then does it commit. Until that commit readers see the previous library.
"""

from __future__ import annotations

import logging
import math
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from plexcrate.cache.database import Database
from plexcrate.cache.memory import give_back_freed_memory
from plexcrate.cache.patch import LibraryPatch
from plexcrate.cache.snapshot import SnapshotBuilder
from plexcrate.plex.client import METADATA_BATCH, LibType, MusicSection, Page, PlexClient
from plexcrate.plex.paging import Listing, ListingChanged, ListingReader
from plexcrate.sync.guards import check_growth, check_same_server
from plexcrate.sync.incremental import MARGIN_S, NeedsFullSync, capped_watermark
from plexcrate.sync.mapping import album_row, artist_row, track_row
from plexcrate.sync.progress import Phase, SyncProgress
from plexcrate.sync.run import Run, SyncFailed, read_changes_since

log = logging.getLogger(__name__)


def rebuild(db: Database, run: Run) -> int:
    """Read every listing into a new snapshot, check it against Plex and commit it."""
    client, progress, options = run.client, run.progress, run.options
    listings = _count_listings(client, run.sections, options.workers)
    tracks = sum(x.expected or 0 for x in listings if x.libtype is LibType.TRACK)
    progress.set_total(tracks)
    run.timer.allow_for(tracks)

    def build(conn: sqlite3.Connection) -> int:
        builder = SnapshotBuilder(conn)
        try:
            with (
                _unless_another_server(run),
                ListingReader(
                    client,
                    page_size=options.page_size,
                    workers=options.workers,
                    # Every album and any item whose listed tags may be cut is read again in full.
                    complete=lambda items, listing: client.complete(items, listing.libtype),
                    on_growth=check_growth,
                ) as reader,
            ):
                for listing, pages in reader.listings(listings):
                    progress.set_phase(_PHASES[listing.libtype])
                    _add_pages(builder, listing, pages, progress)
            newest = builder.newest_timestamp()
            # The pages are acyclic and already freed: no collection is needed (one would
            # pause every thread of the web app). At 500,000 tracks, 18 MB of the peak.
            give_back_freed_memory()  # before SQLite sorts the new indexes
            builder.swap()
            with _unless_another_server(run):
                return _check_and_commit(conn, run, newest)
        except BaseException:
            builder.abort()
            raise

    return db.write(build)


@contextmanager
def _unless_another_server(run: Run) -> Iterator[None]:
    """A listing that moved beyond belief, or counts that never agree: first, is it another
    server now answering at the URL? Then the sync starts over as its (ServerChanged)."""
    try:
        yield
    except (ListingChanged, SyncFailed):
        check_same_server(run.client, run.identity)
        raise


def _add_pages(
    builder: SnapshotBuilder, listing: Listing, pages: Iterable[Page], progress: SyncProgress
) -> None:
    section_id = listing.section_id
    for page in pages:
        if listing.libtype is LibType.ARTIST:
            builder.add_artists(artist_row(item, section_id) for item in page.items)
        elif listing.libtype is LibType.ALBUM:
            builder.add_albums(album_row(item, section_id) for item in page.items)
        else:
            builder.add_tracks([track_row(item, section_id) for item in page.items])
            progress.advance(len(page.items))


def _check_and_commit(conn: sqlite3.Connection, run: Run, newest: int | None) -> int:
    """Check the swapped-in library against Plex's counts taken now, and patch what changed
    while it was read, before committing (inside the snapshot's transaction: readers still
    see the previous library). The pages themselves miss nothing that was in Plex throughout
    (plex/paging.py); this brings in what was added and drops what was deleted meanwhile."""
    # What Plex stamped after this may have changed after the pages read it (as a refresh's
    # cursor, see sync/incremental.py): its tags are read again if it is listed again.
    since = max(0, (newest or 0) - math.ceil(run.elapsed()) - MARGIN_S)
    patch = _checked(conn, run, since)
    newest = max(newest or 0, patch.newest or 0) or None
    watermark = capped_watermark(newest, run.clock())
    return run.commit(conn, patch, watermark=watermark, kind="full")


def _checked(conn: sqlite3.Connection, run: Run, since: int) -> LibraryPatch:
    """A patch that made the library hold what Plex counts, in up to CHECK_ROUNDS tries."""
    for attempt in range(1, CHECK_ROUNDS + 1):
        patch = LibraryPatch(conn, begin=False)
        try:
            read_changes_since(patch, run, since, counts_only=True)
            return patch
        except NeedsFullSync as problem:
            log.warning("Full sync: check %d of %d failed: %s.", attempt, CHECK_ROUNDS, problem)
            failure = problem
    raise SyncFailed(
        f"Plex's counts and its listings disagree ({failure}), even after reading again what "
        "differed, so the previous library is kept. If Plex is scanning or changing the "
        "library, sync again once it is done."
    ) from failure


_PHASES = {LibType.ARTIST: Phase.ARTISTS, LibType.ALBUM: Phase.ALBUMS, LibType.TRACK: Phase.TRACKS}
# How many times a full sync checks its result against Plex's counts (and patches it) before
# it gives up on a library that keeps changing.
CHECK_ROUNDS = 3
# Albums (all) and artists (most) are read again through their metadata, a worker holding a
# page of them twice meanwhile: pages of one metadata request keep that to the memory of a
# page of tracks (at 500,000 tracks, 15 MB less at the peak; a few more round trips).
_COMPLETED_PAGES = {LibType.ALBUM: METADATA_BATCH, LibType.ARTIST: METADATA_BATCH}


def _count_listings(
    client: PlexClient, sections: Sequence[MusicSection], workers: int
) -> list[Listing]:
    """Every listing of a full sync, in the order it is read, counted (a few at once)."""
    wanted = [(section.id, libtype) for section in sections for libtype in _PHASES]
    with ThreadPoolExecutor(max(workers, 1), thread_name_prefix="plex-count") as pool:
        totals = list(pool.map(lambda listing: client.count(*listing), wanted))
    return [
        Listing(section_id, libtype, expected=total, page_size=_COMPLETED_PAGES.get(libtype))
        for (section_id, libtype), total in zip(wanted, totals, strict=True)
    ]
