"""``GET /api/search``: what the search box shows as you type, artists, albums and tracks
ranked by relevance (``cache/search.py``), each shaped as in their own lists.

The index is kept per snapshot (``cache/memory.py``): the first search after a commit builds it
on its reader, every later one reads it. The rows of the hits are read from SQLite in the same
transaction, so a hit is never a key the snapshot lacks, and the JSON is built there too.
"""

from __future__ import annotations

import sqlite3
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response

from plexcrate.cache.browse import ALBUMS, ARTISTS, Grouping
from plexcrate.cache.filters import MAX_SEARCH
from plexcrate.cache.queries import TRACK_COLUMNS, Track, row_to_track
from plexcrate.cache.search import SearchIndex, search_index
from plexcrate.cache.text import search_words
from plexcrate.web.errors import BUSY_RESPONSES, VALIDATION_RESPONSES
from plexcrate.web.models import SearchBody
from plexcrate.web.service import LibraryService

router = APIRouter(prefix="/api", tags=["search"])

MAX_HITS = 50  # of each kind
DEFAULT_HITS = 10
EMPTY = orjson.dumps({"artists": [], "albums": [], "tracks": []})
RESPONSES: dict[int | str, dict[str, Any]] = {**VALIDATION_RESPONSES, **BUSY_RESPONSES}


def _service(request: Request) -> LibraryService:
    return request.app.state.library


Library = Annotated[LibraryService, Depends(_service)]
SearchText = Annotated[
    str,
    Query(
        max_length=MAX_SEARCH,
        description="What was typed. Each word finds the names and titles it begins, ignoring "
        "case, accents and punctuation; words run together ('acdc') and small typos in names "
        "('beatels') are found too, below the exact matches. Words past the tenth are ignored.",
    ),
]
Limit = Annotated[int, Query(ge=1, le=MAX_HITS, description="At most this many of each kind.")]


@router.get("/search", response_model=SearchBody, responses=RESPONSES)
async def get_search(service: Library, q: SearchText = "", limit: Limit = DEFAULT_HITS) -> Response:
    """Artists, albums and tracks that the search finds, each kind best first: a match in a
    name or title before one in an album, whole words before their beginnings, and then the
    most played and best rated."""
    if not search_words(q):
        return Response(EMPTY, media_type="application/json")

    def read(conn: sqlite3.Connection) -> bytes:
        index = search_index(conn)
        hits = index.search(q, limit)
        return orjson.dumps(
            {
                "artists": groups_at(conn, index, ARTISTS, hits.artists),
                "albums": groups_at(conn, index, ALBUMS, hits.albums),
                "tracks": tracks_at(conn, hits.tracks),
            }
        )

    # Untimed: the first search of a snapshot builds its index (seconds at 500,000 tracks on
    # a slow machine); every other read here is a few rows by key.
    body = await service.reads.read(read, search=True, timed=False)
    return Response(body, media_type="application/json")


def tracks_at(conn: sqlite3.Connection, keys: list[int]) -> list[Track]:
    """The tracks of these keys, in their order."""
    if not keys:
        return []
    rows = conn.execute(
        f"""WITH page AS MATERIALIZED (SELECT value AS key, key AS position FROM json_each(?))
            SELECT {TRACK_COLUMNS} FROM page p JOIN tracks t ON t.rating_key = p.key
            ORDER BY p.position""",
        (orjson.dumps(keys).decode(),),
    ).fetchall()
    return [row_to_track(row) for row in rows]


def groups_at(
    conn: sqlite3.Connection, index: SearchIndex, grouping: Grouping, keys: list[int]
) -> list[Any]:
    """The albums or artists of these keys, in their order, shaped and counted as an unfiltered
    list shows them (``browse.py``'s rows). The counts come from the index: no need of the
    query engine's masks (a pass over every track) to count a few groups' tracks."""
    found = []
    for key in keys:
        tracks, albums = index.counts(grouping.name, key)
        row = conn.execute(
            f"SELECT {grouping.selected} FROM {grouping.table} a WHERE a.rating_key = :key",
            {"key": key, "matching": tracks, "albums": albums},
        ).fetchone()
        if row is not None and tracks:
            found.append(grouping.make(row))
    return found
