"""Incremental refresh: read only what changed in Plex since the last sync, and end up exactly
where a full sync would.

**The cursor.** Every sync records a *watermark* W, the newest Plex timestamp it read (an
``addedAt``, ``updatedAt``, ``lastRatedAt`` or ``lastViewedAt`` of anything), and how long its
reads took, w. Plex stamps a change with its own clock, and a change the last sync did not see
was made after that sync began reading: at a server time above W - w. So a refresh asks for
everything stamped after ``since = W - ceil(w) - MARGIN_S`` (Plex's ``>>=`` is strict and its
timestamps are whole seconds; the margin also covers a change in the very second of W). Only
Plex's clock is compared with Plex's clock, so a skewed clock on our side does no harm. A
timestamp more than a day ahead of our clock does not move W, so one bogus date cannot hide
every later change.

**Each music section** (all in the one write transaction of a :class:`LibraryPatch`; readers
see the previous cache until it commits):

1. *Changes that carry a timestamp.* Tracks whose addedAt, updatedAt, lastRatedAt or
   lastViewedAt is after ``since`` are written as Plex lists them: additions, edits, ratings
   (which move lastRatedAt, not updatedAt) and plays. Artists and albums whose updatedAt is
   after ``since`` are compared with the cache: an album whose title, artist, year or live flag
   changed has its tracks read again and derived again (every track row carries those or takes
   them); an album or artist whose genres changed has its tracks' genres derived again; a
   renamed artist's albums are listed again (their rows and tracks carry the name, but their
   timestamps do not move).
2. *Changes that leave no timestamp.* A deleted track leaves no row to find, and "mark
   unplayed" clears a play without dating it. Both show in the counts: Plex's number of tracks,
   played tracks (``viewCount>>=0``), albums and artists in the section, against the cache's
   *after* step 1, so an addition cannot hide a deletion. When they differ, every album is
   listed (about a tenth of the items of the track listing): albums missing from it are dropped
   with their tracks, and an album whose ``leafCount`` or ``viewedLeafCount`` differs from the
   cache's count of its tracks or played tracks has its tracks read again in full
   (``album.id=…``, a hundred albums a request); what the re-read does not list is gone. When
   the artist counts differ, every artist is listed.
2b. *The trash.* A track whose file is deleted or unreachable stays listed, with ``deletedAt``,
   until Plex's trash is emptied (automatic emptying off), and counted: nothing recorded says
   its ``updatedAt`` moves, and no count changes. So a track trashed or restored between syncs
   is seen when it is read for another reason (its ``deletedAt`` is mapped like any field)
   and, at least every ``trash_check_every_s`` (an hour by default), by a *trash check*: every
   track of the section is listed (tags not read again: only ``deletedAt`` is compared) and
   those whose trash state differs from the cache's are read in full and written. A full
   sync reads every track, so it counts as a check.
3. *Proof.* The section must now hold as many tracks, albums and artists as Plex counts (asked
   twice, in case Plex changed while we read). When it does not, something happened that the
   steps above cannot explain, and :class:`NeedsFullSync` makes the engine roll back and do a
   full sync.

The patch then derives, for just the tracks written or affected, what a full sync derives for
all (year, live flag, genres from the album else the artist), recounts the albums whose tracks
came or went, and drops genres nothing uses. Requests go out several at a time (the listings of
step 1 together, a known-size listing's pages together, several re-reads together), since a
refresh waits on round trips more than on items; pages are still applied one by one, in order.

**Why this is exact**, change by change: an added track, album or artist is stamped (addedAt,
updatedAt) when added; an edited track's updatedAt moves; a rating set or cleared moves
lastRatedAt; a play moves lastViewedAt; an album or artist edit moves its updatedAt and is
carried to its tracks as above; "mark unplayed" lowers the played count and its album's
viewedLeafCount; a deletion lowers the track count (with every addition already counted) and
its album's leafCount, or removes the album from the listing. Rows are compared before they are
written and replaced by key, so overlapping listings and the margin cost reads, not writes.

**What it takes on trust** from Plex (``docs/architecture.md`` says which of it was checked):
that those timestamps move as described and are never set back; that a track which changes
album also gets a new updatedAt; that viewedLeafCount counts an album's tracks with a viewCount.
A change that breaks these without moving a count (say a rating back-dated by a client) stays
unseen until the next full sync, which :func:`~plexcrate.sync.engine.sync_library` does at least
weekly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from plexcrate.cache.patch import LibraryCounts, LibraryPatch
from plexcrate.cache.rows import AlbumRow, ArtistRow
from plexcrate.cache.state import SyncState
from plexcrate.plex.client import Item, LibType, MusicSection, Page, PlexClient
from plexcrate.plex.paging import Listing, ListingReader
from plexcrate.sync.guards import check_growth
from plexcrate.sync.mapping import (
    album_played_tracks,
    album_row,
    artist_row,
    track_row,
    updated_at,
)
from plexcrate.sync.progress import Phase, SyncProgress

# Plex's ">>=" is strict and its timestamps are whole seconds: start a little before the window
# so a change made in the same second as the last read is still after ``since``.
MARGIN_S = 2
# A timestamp further than this ahead of our clock does not move the watermark.
MAX_FUTURE_S = 86_400
# Albums (or artists) per filtered request, ``album.id=1,2,3…``: URLs of about a kilobyte.
ID_BATCH = 100
# The track fields Plex moves on each kind of change: add, edit, rating, play.
TRACK_TIMESTAMPS = ("addedAt", "updatedAt", "lastRatedAt", "lastViewedAt")


# The trash check's listing of every track (told apart by identity: its pages are not
# completed, see _ChangeReader._complete).
_EVERY_TRACK: Mapping[str, str] = {}


class NeedsFullSync(Exception):
    """The refresh found what it cannot explain; ``str()`` says what, for the log."""


def refresh_since(state: SyncState) -> int | None:
    """The Plex time after which a refresh must read, or None when the cache has no cursor."""
    if state.watermark is None or state.read_window_s is None:
        return None
    return max(0, state.watermark - math.ceil(state.read_window_s) - MARGIN_S)


def capped_watermark(newest: int | None, now: float) -> int | None:
    """``newest``, unless it lies implausibly far in the future (then our clock's bound)."""
    if newest is None:
        return None
    return min(newest, int(now) + MAX_FUTURE_S)


def read_changes(
    patch: LibraryPatch,
    client: PlexClient,
    sections: Sequence[MusicSection],
    progress: SyncProgress,
    *,
    since: int,
    page_size: int,
    workers: int,
    counts_only: bool = False,
    trash_checked_at: float | None = None,
) -> None:
    """Bring ``patch`` level with Plex for ``sections``, reading what changed after ``since``.

    ``counts_only``: steps 2 and 3 alone, making ``patch`` hold what Plex counts by reading
    again what the counts show differs (:class:`NeedsFullSync` if they cannot be made to agree):
    a full sync's check of what it read, as the library may have changed meanwhile; items stamped
    after ``since`` may have changed after they were read, and have their tags read again.
    ``trash_checked_at``: check every track's trash state (step 2b), and record this time.
    """
    with _ChangeReader(
        patch, client, progress, since=since, page_size=page_size, workers=workers
    ) as reader:
        for section in sections:
            if counts_only:
                reader.reconcile(section)
            else:
                reader.section(section, check_trash=trash_checked_at is not None)
    if trash_checked_at is not None and not counts_only:
        patch.mark_trash_checked(trash_checked_at)


class _ChangeReader:
    """Reads one section's changes into the patch, through a :class:`ListingReader`: requests
    go out up to ``workers`` at a time (a refresh is mostly small listings, so round trips, not
    items, are what it waits for); pages are applied one at a time, in order, on the caller's
    thread.

    Listings cut tags short, so an album or artist is read again through its metadata unless
    the cache has it with the same ``updatedAt``, stamped no later than ``since`` (then its
    tags are the cached ones: an edit moves updatedAt, and one made after the cache read it is
    stamped after ``since``, even in the same second as the stamp the cache holds); a track
    when its listed tags may be cut (``PlexClient.complete``)."""

    def __init__(
        self,
        patch: LibraryPatch,
        client: PlexClient,
        progress: SyncProgress,
        *,
        since: int,
        page_size: int,
        workers: int,
    ) -> None:
        self._patch = patch
        self._since = since
        self._client = client
        self._progress = progress
        self._workers = max(workers, 1)
        # The cache's albums' and artists' updatedAt (see _known_as), read on this thread (the
        # writer's connection is not the workers') before the first album or artist listing.
        self._known: dict[int, int | None] = {}
        self._reader = ListingReader(
            client,
            page_size=page_size,
            workers=workers,
            complete=self._complete,
            on_growth=check_growth,
        )
        self._expected = 0  # tracks the listings so far said they hold, for progress

    def __enter__(self) -> _ChangeReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._reader.close()

    def section(self, section: MusicSection, *, check_trash: bool = False) -> None:
        s = section.id
        after = str(self._since)
        self._know_the_cache()
        # 1. What changed after the watermark, by Plex's own timestamps. The listings are small
        #    and independent, so they are all asked for at once. Albums after tracks, so that
        #    an album's new tracks are in when its counts are compared.
        updated = {"updatedAt>>": after}
        renamed: list[int] = []
        listings = [
            Listing(s, LibType.ARTIST, updated),
            *(Listing(s, LibType.TRACK, {f"{field}>>": after}) for field in TRACK_TIMESTAMPS),
            Listing(s, LibType.ALBUM, updated),
        ]
        for listing, pages in self._reader.listings(listings):
            if listing.libtype is LibType.ARTIST:
                renamed = self._artists(s, listing.filters, pages)
            elif listing.libtype is LibType.TRACK:
                self._tracks(s, pages)
            else:
                self._albums(s, listing.filters, pages)
        self._albums_of(s, renamed)
        self._reread(s)
        if check_trash:
            self._check_trash(s)
        self.reconcile(section)

    def reconcile(self, section: MusicSection) -> None:
        s = section.id
        # 2. What leaves no timestamp (deletions, mark-unplayed) shows in the counts.
        plex = self._plex_counts(s)
        cached = self._patch.counts(s)
        if (cached.tracks, cached.played, cached.albums) != (plex.tracks, plex.played, plex.albums):
            self._know_the_cache()
            everything = Listing(s, LibType.ALBUM, None, expected=plex.albums)
            self._albums(s, None, self._reader.read(everything))
            self._reread(s)
            cached = self._patch.counts(s)
        if cached.artists != plex.artists:
            self._know_the_cache()
            everyone = Listing(s, LibType.ARTIST, None, expected=plex.artists)
            self._albums_of(s, self._artists(s, None, self._reader.read(everyone)))
            self._reread(s)
            cached = self._patch.counts(s)
        # 3. The section must now hold what Plex says it holds.
        self._verify(section, plex, cached)

    # --- listings -----------------------------------------------------------------------------

    def _check_trash(self, section_id: int) -> None:
        """Step 2b: list every track; write again, read in full, those whose trash state
        (``deletedAt``) differs from the cache's. Tracks the cache lacks are left to the counts."""
        self._progress.set_phase(Phase.TRACKS)
        trashed = self._patch.trashed(section_id)
        for page in self._reader.read(Listing(section_id, LibType.TRACK, _EVERY_TRACK)):
            moved = [
                item
                for item in page.items
                if trashed.get(int(item["ratingKey"])) != track_row(item, section_id).deleted_at
            ]
            known = self._patch.cached_keys([int(item["ratingKey"]) for item in moved])
            moved = [item for item in moved if int(item["ratingKey"]) in known]
            if moved:
                items = self._client.complete(moved, LibType.TRACK)
                self._patch.put_tracks([track_row(item, section_id) for item in items])

    def _complete(self, items: list[Item], listing: Listing) -> list[Item]:
        """A page's items, with every tag of those whose tags the cache does not have."""
        if listing.filters is _EVERY_TRACK:
            return items  # the trash check reads deletedAt alone; what it writes it completes
        if listing.libtype is LibType.TRACK:
            return self._client.complete(items, listing.libtype)
        return self._client.complete(items, listing.libtype, unless=self._unchanged)

    def _unchanged(self, item: Item) -> bool:
        return self._known_as(int(item["ratingKey"]), updated_at(item))

    def _known_as(self, key: int, updated: int | None) -> bool:
        """Whether the cache holds the item as Plex stamped it, before ``since``."""
        return updated is not None and updated <= self._since and self._known.get(key) == updated

    def _know_the_cache(self) -> None:
        """Read what :meth:`_known_as` compares with, once (a full sync's check whose counts
        agree lists no album, and needs none of it)."""
        if not self._known:
            self._known = self._patch.known_updates()

    def _kept(self, rows: Sequence[ArtistRow] | Sequence[AlbumRow]) -> set[int]:
        """Rows whose tags were not read again (see :meth:`_unchanged`)."""
        return {r.rating_key for r in rows if self._known_as(r.rating_key, r.updated_at)}

    def _artists(
        self, section_id: int, filters: Mapping[str, str] | None, pages: Iterable[Page]
    ) -> list[int]:
        """Apply an artist listing (``filters=None``: all of them). Returns renamed artists."""
        self._progress.set_phase(Phase.ARTISTS)
        for page in pages:
            rows = [artist_row(item, section_id) for item in page.items]
            self._patch.stage_artists(rows, keep_tags=self._kept(rows))
        complete = section_id if filters is None else None
        return self._patch.apply_artists(complete_section=complete)

    def _albums(
        self,
        section_id: int,
        filters: Mapping[str, str] | None,
        pages: Iterable[Page],
        *,
        artists: set[int] | None = None,
    ) -> None:
        """Apply an album listing (``filters=None``: all of them)."""
        self._progress.set_phase(Phase.ALBUMS)
        for page in pages:
            rows = [album_row(item, section_id) for item in page.items]
            if artists is not None and any(row.artist_key not in artists for row in rows):
                raise NeedsFullSync("Plex ignored the artist.id filter of an album listing")
            viewed = [album_played_tracks(item) for item in page.items]
            self._patch.stage_albums(rows, viewed, keep_tags=self._kept(rows))
        self._patch.apply_albums(complete_section=section_id if filters is None else None)

    def _albums_of(self, section_id: int, artist_keys: Sequence[int]) -> None:
        """List again the albums of renamed artists: their rows carry the artist's name."""
        batches = [artist_keys[i : i + ID_BATCH] for i in range(0, len(artist_keys), ID_BATCH)]
        listings = [Listing(section_id, LibType.ALBUM, {"artist.id": _ids(b)}) for b in batches]
        for (listing, pages), batch in zip(self._reader.listings(listings), batches, strict=True):
            self._albums(section_id, listing.filters, pages, artists=set(batch))

    def _tracks(
        self, section_id: int, pages: Iterable[Page], *, albums: set[int] | None = None
    ) -> None:
        self._progress.set_phase(Phase.TRACKS)
        for index, page in enumerate(pages):
            if index == 0:
                self._expected += page.total
                self._progress.set_total(self._expected)
            rows = [track_row(item, section_id) for item in page.items]
            if albums is not None and any(row.album_key not in albums for row in rows):
                raise NeedsFullSync("Plex ignored the album.id filter of a track listing")
            self._patch.put_tracks(rows)
            self._progress.advance(len(rows))

    def _reread(self, section_id: int) -> None:
        """Read in full the tracks of every album the patch found stale or miscounted, up to
        a hundred albums a request, several requests at once."""
        while keys := self._patch.next_rereads(section_id, ID_BATCH * self._workers):
            # Split evenly among the workers: 150 albums as 5 requests of 30 at once, not as
            # 100 and 50 while three workers wait.
            size = min(ID_BATCH, math.ceil(len(keys) / self._workers))
            batches = [keys[i : i + size] for i in range(0, len(keys), size)]
            listings = [Listing(section_id, LibType.TRACK, {"album.id": _ids(b)}) for b in batches]
            for (_, pages), batch in zip(self._reader.listings(listings), batches, strict=True):
                self._patch.forget_seen()
                self._tracks(section_id, pages, albums=set(batch))
                self._patch.drop_unseen(batch)  # what Plex no longer lists in these albums

    # --- counts -------------------------------------------------------------------------------

    def _plex_counts(self, section_id: int) -> LibraryCounts:
        queries: list[tuple[LibType, Mapping[str, str] | None]] = [
            (LibType.TRACK, None),
            (LibType.TRACK, {"viewCount>>": "0"}),
            (LibType.ALBUM, None),
            (LibType.ARTIST, None),
        ]
        count = self._client.count
        with ThreadPoolExecutor(len(queries), thread_name_prefix="plex-count") as pool:
            return LibraryCounts(*pool.map(lambda q: count(section_id, *q), queries))

    def _verify(self, section: MusicSection, plex: LibraryCounts, cached: LibraryCounts) -> None:
        if _holdings(cached) == _holdings(plex):
            return
        # Plex may have changed while we read: a count taken now must agree, or it's unexplained.
        plex = self._plex_counts(section.id)
        if _holdings(cached) != _holdings(plex):
            raise NeedsFullSync(
                f"after refreshing “{section.title}” the cache holds {_describe(cached)}, "
                f"where Plex counts {_describe(plex)}"
            )


def _holdings(counts: LibraryCounts) -> tuple[int, int, int]:
    return counts.tracks, counts.albums, counts.artists


def _describe(counts: LibraryCounts) -> str:
    return f"{counts.tracks:,} tracks, {counts.albums:,} albums and {counts.artists:,} artists"


def _ids(keys: Sequence[int]) -> str:
    return ",".join(str(key) for key in keys)
