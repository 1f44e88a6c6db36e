"""Reading listings page by page, completely, while the library changes under the reader.

Plex lists items in title order (artist, album, disc, track), so an item added or deleted while
a listing is being read moves every later item one place: a reader that asks for pages at fixed
offsets then reads some items twice and skips others, and nothing in the answers says so. A
page can also hold fewer items than asked, and ``totalSize`` can change from one page to the
next.

:class:`ListingReader` reads so that no item present from the first page to the last is
skipped, however the listing shifts in between:

- **Pages overlap by one item.** Each page starts at the last item of the page before it, so it
  must begin with an item already read. Finding one (the *anchor*) proves that nothing moved
  across the boundary between the two reads: everything between the anchor and the end of the
  new page is contiguous in Plex's order at the time of that page. Items already read are not
  handed out again.
- **A page without an anchor** means the listing shifted (items before the boundary were
  deleted), or the page before it was short: items may lie between the two pages. A *bridge*
  (one request of up to 1,000 items reaching back from the new page) finds the last item read
  and the new page's first, and hands out everything between them. Up to three bridges of
  growing reach are tried; if none finds both ends, the listing changed by more than a page
  between two reads and :class:`ListingChanged` says so.
- **The listing ends** only with a page that reached ``totalSize`` as it stood when that page
  was read; until then more pages are asked for, from the last item read. Once a page beyond
  the first says so, one more page from the last item read must bring nothing new (a page
  that starts elsewhere than its ``offset`` says would otherwise end the listing early).

Every chain of pages is thus contiguous, which is the guarantee: an item in the listing
throughout lies between two consecutive anchors at the time of the page holding them both, so
it is in that page. (An item whose place in the order changes while the listing is read, an
edit of its title, is not covered: the refresh and the final counts of a sync catch those.)

Pages go out ``workers`` at a time across all the listings read together, in the order they
are handed out; a listing whose size is not known yet (no count) lets the next listing's
first pages go out meanwhile. At most ``workers`` pages are held, so memory follows the page
size, not the library size. Each page's items are of the type asked for (collections are
skipped) and, with ``complete``, have every tag (their metadata is read by the same worker).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from plexcrate.plex.client import Item, LibType, Page, PlexClient, of_type
from plexcrate.plex.errors import PlexError

# Plex warns about pages above 1,000 items; a bridge is one request, so at most that.
MAX_PAGE = 1000
# How far back a bridge reaches from the page without an anchor, try after try.
BRIDGE_REACH = (100, 400, MAX_PAGE - 10)
# Pages in a row that add nothing before a listing not at its end gives up (a server that
# answers the same short page again and again; a listing that moves faster than it is read).
MAX_IDLE_PAGES = 12


class ListingChanged(PlexError):
    """A listing moved too much between two of its pages to be read completely."""


@dataclass(frozen=True, slots=True)
class Listing:
    """One listing to read: a section's items of a type, optionally filtered. ``expected``:
    how many items it holds (from a count), so that its pages can all be asked for at once.
    ``page_size``: at most this many items a page, if fewer than the reader's."""

    section_id: int
    libtype: LibType
    filters: Mapping[str, str] | None = None
    expected: int | None = None
    page_size: int | None = None


Complete = Callable[[list[Item], Listing], list[Item]]
# Told a listing's type, the count it started with and a larger one a page gave; raises if that
# is not to be believed (sync.guards.check_growth).
OnGrowth = Callable[[LibType, int, int], None]


@dataclass(slots=True)
class _Fetched:
    """A page as Plex answered it, and its items of the wanted type, completed if asked."""

    page: Page
    keys: list[int]  # every item of the page, in order (the chain is made of these)
    items: dict[int, Item]  # the wanted ones by key (collections and gone items are not)


@dataclass(slots=True)
class _State:
    """One listing being read: its planned page starts and the end of the chain so far."""

    listing: Listing
    size: int
    planned: list[int]  # page starts, in order
    next_plan: int = 0  # index in ``planned`` of the next page to hand out
    known_total: bool = False  # whether the plan covers the listing's total
    counted: int = 0  # the total it started with (its count, or its first page's)
    last_keys: list[int] = field(default_factory=list)  # the chain's latest piece
    last_position: int = -1  # where that piece's last item was when it was read
    last_start: int = 0  # where that piece began
    at_end: bool = False  # that piece reached the end of the listing
    idle: int = 0  # pages in a row that added nothing

    @property
    def step(self) -> int:
        return self.size - 1  # pages overlap by one item


class ListingReader:
    """Reads listings completely (see the module's doc), ``workers`` requests at once."""

    def __init__(
        self,
        client: PlexClient,
        *,
        page_size: int,
        workers: int,
        complete: Complete | None = None,
        on_growth: OnGrowth | None = None,
    ) -> None:
        self._client = client
        self._on_growth = on_growth
        self._page_size = max(2, min(page_size, MAX_PAGE))
        self._workers = max(workers, 1)
        self._complete = complete
        self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="plex-page")
        self._pending: dict[tuple[int, int], Future[_Fetched]] = {}
        self._states: list[_State] = []

    def close(self) -> None:
        # On failure, don't wait for requests still in flight (one may hang until timeout).
        self._pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> ListingReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- the public side ----------------------------------------------------------------------

    def read(self, listing: Listing) -> Iterator[Page]:
        """Every item of one listing, page by page (see :meth:`listings`)."""
        for _, pages in self.listings([listing]):
            yield from pages

    def listings(self, listings: Sequence[Listing]) -> Iterator[tuple[Listing, Iterator[Page]]]:
        """Each listing with an iterator of its pages, in order; read each listing's pages
        before asking for the next listing. A page's ``items`` are the items not handed out
        before, of the listing's type; ``total`` what Plex counted when it answered."""
        self._pending.clear()
        self._states = [self._state(listing) for listing in listings]
        try:
            for index, state in enumerate(self._states):
                pages = self._pages(index, state)
                yield state.listing, pages
                for _ in pages:  # whatever the caller left unread
                    pass
        finally:
            for future in self._pending.values():
                future.cancel()
            self._pending.clear()

    # --- planning -----------------------------------------------------------------------------

    def _state(self, listing: Listing) -> _State:
        page_size = min(self._page_size, max(2, listing.page_size or self._page_size))
        if listing.expected is None:
            return _State(listing, page_size, [0])
        size = _page_size(listing.expected, page_size, self._workers)
        state = _State(listing, size, [0], known_total=True, counted=listing.expected)
        _plan_until(state, listing.expected)
        return state

    def _ask_ahead(self) -> None:
        """Keep ``workers`` pages in flight, the next ones to hand out first."""
        for index, state in enumerate(self._states):
            # (A listing not counted plans its other pages once its first is in: meanwhile
            # the next listing's first pages go out.)
            for start in state.planned[state.next_plan :]:
                if len(self._pending) >= self._workers:
                    return
                self._submit(index, state, start)

    def _submit(self, index: int, state: _State, start: int) -> None:
        if (index, start) not in self._pending:
            self._pending[(index, start)] = self._pool.submit(
                self._fetch, state.listing, start, state.size
            )

    def _fetch(self, listing: Listing, start: int, size: int) -> _Fetched:
        return self._fetched(listing, self._page(listing, start, size))

    def _page(self, listing: Listing, start: int, size: int) -> Page:
        return self._client.page(listing.section_id, listing.libtype, start, size, listing.filters)

    def _fetched(self, listing: Listing, page: Page) -> _Fetched:
        keys = [int(item["ratingKey"]) for item in page.items]
        wanted = of_type(page.items, listing.libtype)
        if self._complete is not None and wanted:
            wanted = self._complete(wanted, listing)
        # The page's own items go (what was read again replaces them): memory holds the
        # pages in flight, and a page of albums read again would otherwise be held twice.
        bare = Page([], page.start, page.total, page.size)
        return _Fetched(bare, keys, {int(item["ratingKey"]): item for item in wanted})

    # --- reading ------------------------------------------------------------------------------

    def _pages(self, index: int, state: _State) -> Iterator[Page]:
        while state.next_plan < len(state.planned):
            start = state.planned[state.next_plan]
            state.next_plan += 1
            self._submit(index, state, start)  # (already on its way, unless the plan grew)
            self._ask_ahead()
            fetched = self._pending.pop((index, start)).result()
            self._ask_ahead()
            fresh = self._follow(state, fetched)
            self._plan_more(state, fetched.page)
            yield Page(fresh, fetched.page.start, fetched.page.total, fetched.page.size)

    def _plan_more(self, state: _State, page: Page) -> None:
        """After a page: plan the pages a grown listing needs; once every planned page is
        read, more pages from the last item read if the end is not reached, or one to make
        sure of an end that a page beyond the first told (its offset may be wrong)."""
        if not state.known_total:
            state.known_total, state.counted = True, page.total
            _plan_until(state, page.total)
        elif page.total > state.planned[-1] + state.size:
            if self._on_growth is not None:
                self._on_growth(state.listing.libtype, state.counted, page.total)
            _plan_until(state, page.total)
        if state.next_plan < len(state.planned):
            return
        if not state.at_end:
            if state.idle >= MAX_IDLE_PAGES:
                raise ListingChanged(
                    f"Plex kept answering pages of {state.listing.libtype.noun} that added "
                    "nothing, though its count said more were left."
                )
            state.planned.append(max(state.last_position, 0))
            _plan_until(state, page.total)
        elif state.last_start > 0 and state.idle == 0:
            # Nothing new in it, and the end is sure. Read as any page of the chain: the
            # listing may have moved since.
            state.at_end = False
            state.planned.append(state.last_position)

    def _follow(self, state: _State, fetched: _Fetched) -> list[Item]:
        """The items of a page that continue the chain, bridging a gap if there may be one."""
        page, keys = fetched.page, fetched.keys
        seen = set(state.last_keys)
        if state.last_keys and _latest_in(state.last_keys, keys) is None:
            # Nothing is taken from a page planned past an end reached since, or from one read
            # before the listing moved that lies wholly behind the chain: whatever of it was in
            # the listing throughout, the chain has handed out (and would hand out again).
            bridged = None if state.at_end else self._bridge(state, fetched)
            if bridged is None:
                state.idle += 1
                return []
            gap, bridge = bridged
            if not keys:  # the listing ended before this page: the bridge is the chain's end
                self._advance(state, bridge.page, bridge.keys, len(gap))
                return _unseen(gap, seen, bridge.items)
            fresh = _unseen([*gap, *keys], seen, {**bridge.items, **fetched.items})
        else:
            fresh = _unseen(keys, seen, fetched.items)
        self._advance(state, page, keys, len(fresh))
        return fresh

    def _advance(self, state: _State, page: Page, keys: list[int], fresh: int) -> None:
        if keys:
            state.last_keys = keys
            state.last_position = page.start + len(keys) - 1
            state.last_start = page.start
        state.at_end = page.start + len(keys) >= page.total
        state.idle = 0 if fresh else state.idle + 1

    def _bridge(self, state: _State, fetched: _Fetched) -> tuple[list[int], _Fetched] | None:
        """The keys between the last item read and those of ``fetched`` (or the end of the
        listing, when ``fetched`` is empty), from one page that holds both; None when
        ``fetched`` lies wholly before the last item read (it was read before the listing
        moved, the chain after)."""
        page, keys = fetched.page, fetched.keys
        listing = state.listing
        target = page.start if keys else page.total  # where the new page began, or the end
        for reach in BRIDGE_REACH:
            begin = max(0, min(state.last_position, target) - reach)
            size = min(MAX_PAGE, target + 1 + reach // 4 - begin)
            bridge = self._fetched(listing, self._page(listing, begin, size))
            anchor = _latest_in(state.last_keys, bridge.keys)
            if anchor is None and begin == 0:
                anchor = -1  # none is left, but the bridge holds the listing from its start
            if anchor is None:
                continue
            after = bridge.keys[anchor + 1 :]
            if not keys:
                if begin + len(bridge.keys) >= bridge.page.total:
                    return after, bridge
                continue
            # Any key of the page after the anchor joins the two: the bridge is contiguous up
            # to it, the page from it.
            joint = _latest_in(keys, after)
            if joint is not None:
                return after[:joint], bridge
            if _latest_in(keys, bridge.keys[: anchor + 1]) is not None:
                return None
        raise ListingChanged(
            f"The {listing.libtype.noun} Plex lists moved by more than "
            f"{BRIDGE_REACH[-1]:,} places while they were read (many were added or deleted "
            "at once), so some may have been missed. Sync again once Plex is done changing."
        )


def _unseen(keys: Sequence[int], seen: set[int], items: Mapping[int, Item]) -> list[Item]:
    """The items of these keys not handed out yet, once each (of the type asked for, and
    still in Plex: what ``items`` holds)."""
    return [items[key] for key in dict.fromkeys(keys) if key not in seen and key in items]


def _plan_until(state: _State, total: int) -> None:
    """Plan pages (each overlapping the one before by one item) until they cover ``total``."""
    while state.planned[-1] + state.size < total:
        state.planned.append(state.planned[-1] + state.step)


def _page_size(total: int, page_size: int, workers: int) -> int:
    """A listing shorter than a round of requests is split evenly among the workers: 480
    artists as 4 requests of 121 at once, not one of 480 while three workers wait."""
    if total < workers * page_size:
        # n pages of s items, overlapping by one, hold 1 + n (s - 1) items.
        return max(2, math.ceil(max(total - 1, 1) / workers) + 1)
    return page_size


def _latest_in(keys: Sequence[int], page: Sequence[int]) -> int | None:
    """Where in ``page`` the last of ``keys`` that it holds is, or None."""
    where = {key: index for index, key in enumerate(page)}
    for key in reversed(keys):
        if key in where:
            return where[key]
    return None
