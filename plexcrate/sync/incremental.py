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
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from plexcrate.cache.patch import LibraryCounts, LibraryPatch
from plexcrate.cache.state import SyncState
from plexcrate.plex.client import LibType, MusicSection, Page, PlexClient
from plexcrate.sync.guards import check_growth
from plexcrate.sync.mapping import album_played_tracks, album_row, artist_row, track_row
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
) -> None:
    """Bring ``patch`` level with Plex for ``sections``, reading what changed after ``since``."""
    pool = ThreadPoolExecutor(max(workers, 1), thread_name_prefix="plex-refresh")
    try:
        reader = _ChangeReader(patch, client, progress, pool, page_size=page_size, workers=workers)
        for section in sections:
            reader.section(section, since)
    finally:
        # On failure, don't wait for requests still in flight (one may hang until timeout).
        pool.shutdown(wait=False, cancel_futures=True)


Query = tuple[LibType, Mapping[str, str] | None]


class _ChangeReader:
    """Reads one section's changes into the patch. Requests go out up to ``workers`` at a time
    (a refresh is mostly small listings, so round trips, not items, are what it waits for);
    pages are applied one at a time, in order, on the caller's thread."""

    def __init__(
        self,
        patch: LibraryPatch,
        client: PlexClient,
        progress: SyncProgress,
        pool: ThreadPoolExecutor,
        *,
        page_size: int,
        workers: int,
    ) -> None:
        self._patch = patch
        self._client = client
        self._progress = progress
        self._pool = pool
        self._page_size = page_size
        self._workers = max(workers, 1)
        self._expected = 0  # tracks the listings so far said they hold, for progress

    def section(self, section: MusicSection, since: int) -> None:
        s = section.id
        after = str(since)
        # 1. What changed after the watermark, by Plex's own timestamps. The listings are small
        #    and independent, so they are all asked for at once.
        updated = {"updatedAt>>": after}
        tracks = [{f"{field}>>": after} for field in TRACK_TIMESTAMPS]
        firsts = self._first_pages(
            s,
            [
                (LibType.ARTIST, updated),
                *((LibType.TRACK, filters) for filters in tracks),
                (LibType.ALBUM, updated),
            ],
        )
        renamed = self._artists(s, updated, first=firsts[0])
        for filters, first in zip(tracks, firsts[1:-1], strict=True):
            self._tracks(s, filters, first=first)
        # Albums after tracks, so that an album's new tracks are in when its counts are compared.
        self._albums(s, updated, first=firsts[-1])
        self._albums_of(s, renamed)
        self._reread(s)
        # 2. What leaves no timestamp (deletions, mark-unplayed) shows in the counts.
        plex = self._plex_counts(s)
        cached = self._patch.counts(s)
        if (cached.tracks, cached.played, cached.albums) != (plex.tracks, plex.played, plex.albums):
            self._albums(s, None, expected=plex.albums)
            self._reread(s)
            cached = self._patch.counts(s)
        if cached.artists != plex.artists:
            self._albums_of(s, self._artists(s, None, expected=plex.artists))
            self._reread(s)
            cached = self._patch.counts(s)
        # 3. The section must now hold what Plex says it holds.
        self._verify(section, plex, cached)

    # --- listings -----------------------------------------------------------------------------

    def _artists(
        self,
        section_id: int,
        filters: Mapping[str, str] | None,
        *,
        first: Page | None = None,
        expected: int = 0,
    ) -> list[int]:
        """Apply an artist listing (``filters=None``: all of them). Returns renamed artists."""
        self._progress.set_phase(Phase.ARTISTS)
        for page in self._pages(section_id, LibType.ARTIST, filters, first, expected):
            self._patch.stage_artists([artist_row(item, section_id) for item in page.items])
        complete = section_id if filters is None else None
        return self._patch.apply_artists(complete_section=complete)

    def _albums(
        self,
        section_id: int,
        filters: Mapping[str, str] | None,
        *,
        first: Page | None = None,
        expected: int = 0,
        artists: set[int] | None = None,
    ) -> None:
        """Apply an album listing (``filters=None``: all of them)."""
        self._progress.set_phase(Phase.ALBUMS)
        for page in self._pages(section_id, LibType.ALBUM, filters, first, expected):
            rows = [album_row(item, section_id) for item in page.items]
            if artists is not None and any(row.artist_key not in artists for row in rows):
                raise NeedsFullSync("Plex ignored the artist.id filter of an album listing")
            self._patch.stage_albums(rows, [album_played_tracks(item) for item in page.items])
        self._patch.apply_albums(complete_section=section_id if filters is None else None)

    def _albums_of(self, section_id: int, artist_keys: Sequence[int]) -> None:
        """List again the albums of renamed artists: their rows carry the artist's name."""
        for start in range(0, len(artist_keys), ID_BATCH):
            batch = artist_keys[start : start + ID_BATCH]
            self._albums(section_id, {"artist.id": _ids(batch)}, artists=set(batch))

    def _tracks(
        self,
        section_id: int,
        filters: Mapping[str, str],
        *,
        first: Page | None = None,
        albums: set[int] | None = None,
    ) -> None:
        self._progress.set_phase(Phase.TRACKS)
        for index, page in enumerate(self._pages(section_id, LibType.TRACK, filters, first)):
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
            filters = [{"album.id": _ids(batch)} for batch in batches]
            firsts = self._first_pages(section_id, [(LibType.TRACK, f) for f in filters])
            for batch, batch_filter, first in zip(batches, filters, firsts, strict=True):
                self._patch.forget_seen()
                self._tracks(section_id, batch_filter, first=first, albums=set(batch))
                self._patch.drop_unseen(batch)  # what Plex no longer lists in these albums

    # --- requests -----------------------------------------------------------------------------

    def _page(self, section_id: int, query: Query, start: int, size: int = 0) -> Page:
        return self._client.page(section_id, query[0], start, size or self._page_size, query[1])

    def _first_pages(self, section_id: int, queries: Sequence[Query]) -> list[Page]:
        return list(self._pool.map(lambda query: self._page(section_id, query, 0), queries))

    def _pages(
        self,
        section_id: int,
        libtype: LibType,
        filters: Mapping[str, str] | None,
        first: Page | None = None,
        expected: int = 0,
    ) -> Iterator[Page]:
        """Every page of a listing, in order, with up to ``workers`` requests in flight (so at
        most that many pages held). ``first``: its first page, already fetched. ``expected``:
        how many items it likely holds (from a count), so its pages can be asked for at once."""
        query, size = (libtype, filters), self._page_size
        if first is None and not expected:
            first = self._page(section_id, query, 0)
        if first is not None:
            start, total = size, first.total
        else:
            # Even pages, a whole round of them for the workers: 9,000 albums as 3 rounds of 4
            # pages of 750, not as 9 pages of 1,000 with the last one alone in its round.
            rounds = math.ceil(expected / (self._workers * size))
            start, total, size = 0, expected, math.ceil(expected / (rounds * self._workers))
        counted = total
        pending: deque[Future[Page]] = deque()

        def ask_ahead() -> None:
            nonlocal start
            while len(pending) < self._workers and start < total:
                pending.append(self._pool.submit(self._page, section_id, query, start, size))
                start += size

        ask_ahead()  # before the first page is handed out, so the next are on their way
        if first is not None:
            yield first
        while pending:
            page = pending.popleft().result()
            check_growth(libtype, counted, page.total)
            total = max(total, page.total)  # the listing grew while we read it: read on
            ask_ahead()
            yield page

    # --- counts -------------------------------------------------------------------------------

    def _plex_counts(self, section_id: int) -> LibraryCounts:
        queries: list[Query] = [
            (LibType.TRACK, None),
            (LibType.TRACK, {"viewCount>>": "0"}),
            (LibType.ALBUM, None),
            (LibType.ARTIST, None),
        ]
        count = self._client.count
        return LibraryCounts(*self._pool.map(lambda q: count(section_id, *q), queries))

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
