"""Reading the cache: tracks by filters, counts and per-genre / per-decade facets.

Every filter is SQL over indexed columns; nothing is filtered in Python. Functions take a
connection, so callers choose the transaction: :meth:`Database.read` runs each call in one
snapshot, which keeps a page and its total consistent while a sync swaps the library.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from plexcrate.cache.text import fold

_DECADE = re.compile(r"^(\d{3})0s$")

MAX_RATING = 10


class Order(StrEnum):
    DEFAULT = "default"  # album artist, album, disc, track, then rating_key
    RANDOM = "random"  # a shuffle that is stable for a given seed, so it can be paged


def parse_decade(text: str) -> int:
    """``"1990s"`` → ``1990``. Raises ValueError for anything else."""
    match = _DECADE.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a decade; write it like 1990s")
    return int(match.group(1)) * 10


def decade_name(decade: int) -> str:
    return f"{decade}s"


@dataclass(frozen=True, slots=True)
class TrackFilter:
    """Which tracks to show. Empty fields don't restrict; values within a field are OR'ed."""

    genres: tuple[str, ...] = ()
    decades: tuple[int, ...] = ()  # first year of each decade: 1990 for the 1990s
    min_rating: int = 0  # 0–10, Plex's scale; 0 means "any, including unrated"
    exclude_live: bool = False
    text: str = ""  # every word must appear in the title, artist, album artist or album

    def sql(self, *, without: str | None = None) -> tuple[str, dict[str, Any]]:
        """A WHERE clause over ``tracks t`` and its named parameters.

        ``without`` names one facet ("genres" or "decades") to leave out, for facet counts.
        """
        clauses: list[str] = []
        params: dict[str, Any] = {}

        def bind(value: Any) -> str:
            name = f"f{len(params)}"
            params[name] = value
            return f":{name}"

        if self.genres and without != "genres":
            names = ", ".join(bind(genre) for genre in self.genres)
            clauses.append(
                "t.rating_key IN (SELECT tg.rating_key FROM track_genres tg"
                f" JOIN genres g ON g.id = tg.genre_id WHERE g.name IN ({names}))"
            )
        if self.decades and without != "decades":
            ranges = [f"t.year BETWEEN {bind(d)} AND {bind(d + 9)}" for d in self.decades]
            clauses.append("(" + " OR ".join(ranges) + ")")
        if self.min_rating > 0:
            clauses.append(f"t.user_rating >= {bind(self.min_rating)}")
        if self.exclude_live:
            clauses.append("t.is_live = 0")
        for word in fold(self.text).split():
            clauses.append(f"t.search_text LIKE {bind('%' + _escape_like(word) + '%')} ESCAPE '\\'")
        return (" AND ".join(clauses) or "1"), params


@dataclass(frozen=True, slots=True)
class Track:
    rating_key: int
    title: str
    artist: str
    album_artist: str
    album: str
    album_key: int | None
    year: int | None
    duration_ms: int | None
    user_rating: int | None
    disc_number: int | None
    track_number: int | None
    is_live: bool
    view_count: int
    genres: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class TrackPage:
    total: int  # every match, not just this page
    tracks: list[Track]


@dataclass(frozen=True, slots=True)
class Facet:
    name: str
    count: int


@dataclass(frozen=True, slots=True)
class LibraryStats:
    total_tracks: int
    genres: list[Facet]
    decades: list[Facet]


TRACK_COLUMNS = """t.rating_key, t.title, t.artist, t.album_artist, t.album, t.album_key, t.year,
    t.duration_ms, t.user_rating, t.disc_number, t.track_number, t.is_live, t.view_count,
    (SELECT group_concat(g.name, char(31)) FROM track_genres tg JOIN genres g ON g.id = tg.genre_id
     WHERE tg.rating_key = t.rating_key)"""

_DEFAULT_ORDER = (
    "t.album_artist COLLATE NOCASE, t.album COLLATE NOCASE, t.disc_number, t.track_number,"
    " t.rating_key"
)


def shuffle_key(alias: str = "t") -> str:
    """A keyed shuffle of ``alias.rating_key`` by ``:seed``, in plain SQL: a 31-bit hash.

    SQLite has no XOR (a ^ b = (a | b) - (a & b)); values are kept below 2^31 before each
    multiplication so the arithmetic never leaves 64-bit integers.
    """
    key = f"{alias}.rating_key"
    mixed = f"((({key} | :seed) - ({key} & :seed)) & 2147483647) * 2654435761 & 2147483647"
    return f"(({mixed}) * 40503 + :seed) & 2147483647"


_RANDOM_ORDER = f"{shuffle_key()}, t.rating_key"


def find_tracks(
    conn: sqlite3.Connection,
    flt: TrackFilter,
    *,
    order: Order = Order.DEFAULT,
    limit: int = 100,
    offset: int = 0,
    seed: int = 0,
) -> TrackPage:
    where, params = flt.sql()
    order_by = _RANDOM_ORDER if order is Order.RANDOM else _DEFAULT_ORDER
    rows = conn.execute(
        f"SELECT {TRACK_COLUMNS} FROM tracks t WHERE {where}"
        f" ORDER BY {order_by} LIMIT :limit OFFSET :offset",
        {**params, "seed": seed & 0x7FFFFFFF, "limit": limit, "offset": offset},
    ).fetchall()
    total = count_tracks(conn, flt)
    return TrackPage(total=total, tracks=[row_to_track(row) for row in rows])


def count_tracks(conn: sqlite3.Connection, flt: TrackFilter) -> int:
    where, params = flt.sql()
    return conn.execute(f"SELECT count(*) FROM tracks t WHERE {where}", params).fetchone()[0]


def library_stats(conn: sqlite3.Connection, flt: TrackFilter | None = None) -> LibraryStats:
    """Totals and facets. Each facet ignores its own filter, so a genre's count is what the
    track list would show with that genre selected (alone) and every other filter as it is."""
    flt = flt or TrackFilter()
    where, params = flt.sql(without="genres")
    genres = conn.execute(
        f"""SELECT g.name, count(*) AS n FROM tracks t
            JOIN track_genres tg ON tg.rating_key = t.rating_key
            JOIN genres g ON g.id = tg.genre_id
            WHERE {where} GROUP BY g.id ORDER BY n DESC, g.name COLLATE NOCASE""",
        params,
    ).fetchall()
    where, params = flt.sql(without="decades")
    decades = conn.execute(
        f"""SELECT t.year / 10 * 10 AS decade, count(*) FROM tracks t
            WHERE t.year IS NOT NULL AND {where} GROUP BY decade ORDER BY decade""",
        params,
    ).fetchall()
    return LibraryStats(
        total_tracks=count_tracks(conn, flt),
        genres=[Facet(name, count) for name, count in genres],
        decades=[Facet(decade_name(decade), count) for decade, count in decades],
    )


def row_to_track(row: tuple[Any, ...]) -> Track:
    """A :class:`Track` from a row selected with :data:`TRACK_COLUMNS`."""
    *fields, genres = row
    fields[11] = bool(fields[11])  # is_live
    return Track(*fields, genres=genres.split("\x1f") if genres else [])


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
