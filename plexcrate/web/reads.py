"""The API's reads of the cache, answered as JSON bytes built on the reader thread.

A page can hold 1,000 tracks: orjson turns the query's dataclasses into JSON in well under a
millisecond, inside the same read job, so the event loop only passes bytes along. The shapes match
``models.TrackPageBody`` and ``models.LibraryStatsBody`` (the tests check every response).

The cache changes only when a sync commits, so what a filter counts to (its facets, the order of
its albums or artists) is remembered per reader connection until the next commit: the browser
asks for the same facets again and again. A page's total is not: it comes with the page's own
mask, in the same pass.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

import orjson

from plexcrate.cache import engine
from plexcrate.cache.facets import library_stats, tag_counts
from plexcrate.cache.filters import Facet, TrackFilter
from plexcrate.cache.queries import (
    Sort,
    find_tracks,
)
from plexcrate.cache.search import search_index
from plexcrate.cache.tags import TagKind
from plexcrate.web.limits import ReadLimits
from plexcrate.web.params import MAX_SEED

T = TypeVar("T")

MEMO_SIZE = 256  # answers remembered per reader thread
# Albums' or artists' orders (browse.py) remembered per reader thread: up to 360 kB each at
# 500,000 tracks.
ORDERS_KEPT = 8


def warm(conn: sqlite3.Connection) -> None:
    """Build what the reads keep in memory for the snapshot ``conn`` reads (the engine's
    columns, the search index), so that the first request after a start or a sync doesn't
    wait for it."""
    engine.library(conn)
    search_index(conn)


async def track_page_json(
    reads: ReadLimits,
    flt: TrackFilter,
    *,
    sort: Sort,
    limit: int,
    offset: int,
    seed: int | None,
    include_unavailable: bool = False,
) -> bytes:
    if sort.is_random and seed is None:
        seed = secrets.randbelow(MAX_SEED + 1)  # a new shuffle; the client pages it by its seed
    elif not sort.is_random:
        seed = None

    def read(conn: sqlite3.Connection) -> bytes:
        # The total comes from the page's own mask: counting it apart would find the mask twice.
        page = find_tracks(
            conn,
            flt,
            sort=sort,
            limit=limit,
            offset=offset,
            seed=seed or 0,
            include_unavailable=include_unavailable,
        )
        return orjson.dumps({"total": page.total, "seed": seed, "tracks": page.tracks})

    return await reads.read(read, search=bool(flt.words))


async def stats_json(reads: ReadLimits, flt: TrackFilter, facets: frozenset[Facet]) -> bytes:
    def read(conn: sqlite3.Connection) -> bytes:
        def stats() -> bytes:
            return orjson.dumps(library_stats(conn, flt, facets=facets))

        return memoized(conn, ("stats", flt, facets), stats)

    return await reads.read(read, search=bool(flt.words))


async def facet_values_json(
    reads: ReadLimits,
    flt: TrackFilter,
    kind: TagKind,
    *,
    facet: Facet | None,
    search: str,
    limit: int,
) -> bytes:
    def read(conn: sqlite3.Connection) -> bytes:
        values = tag_counts(conn, flt, kind, facet=facet, search=search, limit=limit)
        return orjson.dumps({"kind": kind.value, "values": values})

    return await reads.read(read, search=bool(flt.words))


class _Memo(threading.local):
    """What this thread computed over one connection, since that connection last saw a commit:
    per store, answers by key, oldest first."""

    def __init__(self) -> None:
        self.conn: sqlite3.Connection | None = None
        self.version = -1
        self.stores: dict[str, dict[Hashable, object]] = {}


_memo = _Memo()


def memoized(
    conn: sqlite3.Connection,
    key: Hashable,
    compute: Callable[[], T],
    *,
    store: str = "answers",
    room: int = MEMO_SIZE,
) -> T:
    """``compute()``, or what it gave before on this connection if nothing was committed since.

    Call it inside a read transaction: ``PRAGMA data_version`` then names the snapshot being
    read, and it moves whenever another connection (the writer, another process) commits.
    Each ``store`` keeps its ``room`` newest answers (big answers go in a small store).
    """
    version = conn.execute("PRAGMA data_version").fetchone()[0]
    memo = _memo
    if memo.conn is not conn or memo.version != version:
        memo.conn, memo.version, memo.stores = conn, version, {}
    values = memo.stores.setdefault(store, {})
    if key in values:
        return values[key]  # type: ignore[return-value]
    value = values[key] = compute()
    if len(values) > room:
        del values[next(iter(values))]  # the oldest
    return value
