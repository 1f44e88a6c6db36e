"""The API's reads of the cache, answered as JSON bytes built on the reader thread.

A page can hold 1,000 tracks: orjson turns the query's dataclasses into JSON in well under a
millisecond, inside the same read job, so the event loop only passes bytes along. The shapes match
``models.TrackPageBody`` and ``models.LibraryStatsBody`` (the tests check every response).
"""

from __future__ import annotations

import secrets
import sqlite3

import orjson

from plexcrate.cache.database import Database
from plexcrate.cache.queries import Order, TrackFilter, find_tracks, library_stats
from plexcrate.web.params import MAX_SEED


async def track_page_json(
    db: Database, flt: TrackFilter, *, order: Order, limit: int, offset: int, seed: int | None
) -> bytes:
    if order is Order.RANDOM and seed is None:
        seed = secrets.randbelow(MAX_SEED + 1)  # a new shuffle; the client pages it by its seed
    elif order is not Order.RANDOM:
        seed = None

    def read(conn: sqlite3.Connection) -> bytes:
        page = find_tracks(conn, flt, order=order, limit=limit, offset=offset, seed=seed or 0)
        return orjson.dumps({"total": page.total, "seed": seed, "tracks": page.tracks})

    return await db.aread(read)


async def stats_json(db: Database, flt: TrackFilter) -> bytes:
    return await db.aread(lambda conn: orjson.dumps(library_stats(conn, flt)))
