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

    def sql(self, *, without: str | None = None, links: bool = False) -> tuple[str, dict[str, Any]]:
        """A WHERE clause over ``tracks t`` and its named parameters.

        ``without`` names one facet ("genres" or "decades") to leave out, for facet counts.
        ``links``: over ``track_genres t`` instead, whose links carry copies of the tracks'
        filter columns (all but the text, which this filter must then not have).
        """
        if links and self.words:
            raise ValueError("track_genres has no text to search")
        clauses, params = self.clauses(links=links)
        where = [clause for name, clause in clauses.items() if name != without]
        return (" AND ".join(where) or "1"), params

    def clauses(self, *, links: bool = False) -> tuple[dict[str, str], dict[str, Any]]:
        """The conditions of :meth:`sql`, by what they filter on ("genres", "decades",
        "rating", "live", "text"): only those the filter has."""
        clauses: dict[str, str] = {}
        params: dict[str, Any] = {}

        def bind(value: Any) -> str:
            name = f"f{len(params)}"
            params[name] = value
            return f":{name}"

        if self.genres:
            names = ", ".join(bind(genre) for genre in self.genres)
            if links:
                clauses["genres"] = f"t.genre_id IN (SELECT id FROM genres WHERE name IN ({names}))"
            else:
                clauses["genres"] = (
                    "t.rating_key IN (SELECT tg.rating_key FROM track_genres tg"
                    f" JOIN genres g ON g.id = tg.genre_id WHERE g.name IN ({names}))"
                )
        if self.decades:
            ranges = [f"t.year BETWEEN {bind(d)} AND {bind(d + 9)}" for d in self.decades]
            clauses["decades"] = "(" + " OR ".join(ranges) + ")"
        if self.min_rating > 0:
            clauses["rating"] = f"t.user_rating >= {bind(self.min_rating)}"
        if self.exclude_live:
            clauses["live"] = "t.is_live = 0"
        if self.words:
            likes = [
                f"t.search_text LIKE {bind('%' + _escape_like(word) + '%')} ESCAPE '\\'"
                for word in self.words
            ]
            clauses["text"] = " AND ".join(likes)
        return clauses, params

    @property
    def words(self) -> list[str]:
        """The words of the text, as the tracks' search text is folded (each once)."""
        return list(dict.fromkeys(fold(self.text).split()))

    def by_links(self, without: str | None = None) -> bool:
        """Whether the genres' links answer this filter alone (see :func:`count_tracks`)."""
        return bool(self.genres) and without != "genres" and not self.words


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


# The genres subquery runs once per row it is listed for: select these only for the rows of a
# page (see find_tracks), never for every match of a sort.
TRACK_COLUMNS = """t.rating_key, t.title, t.artist, t.album_artist, t.album, t.album_key, t.year,
    t.duration_ms, t.user_rating, t.disc_number, t.track_number, t.is_live, t.view_count,
    (SELECT group_concat(g.name, char(31)) FROM track_genres tg JOIN genres g ON g.id = tg.genre_id
     WHERE tg.rating_key = t.rating_key)"""

_DEFAULT_ORDER = (
    "t.album_artist COLLATE NOCASE, t.album COLLATE NOCASE, t.disc_number, t.track_number,"
    " t.rating_key"
)


def shuffle_key(alias: str = "t") -> str:
    """A keyed shuffle of ``alias.rating_key``, in plain SQL, with :func:`shuffle_params`.

    ``(key * a + b) mod p`` for the prime p = 2^31 - 1 is a permutation of the keys below p,
    and every seed picks its own a and b, so seeds give unrelated orders. Three operations a
    row: a random order is sorted over every match, so the key's cost is paid 100,000 times.
    """
    return f"(({alias}.rating_key * :shuffle_a + :shuffle_b) % {_PRIME})"


_PRIME = 2_147_483_647  # 2^31 - 1: key * a stays far inside SQLite's 64-bit integers


def shuffle_params(seed: int) -> dict[str, int]:
    """The parameters of :func:`shuffle_key` for ``seed``: a in [1, p), b in [0, p)."""
    a = _mix(seed) % (_PRIME - 1) + 1
    b = _mix(seed ^ 0x5DEECE66D) % _PRIME
    return {"shuffle_a": a, "shuffle_b": b}


def _mix(value: int) -> int:
    """splitmix64's finalizer: nearby seeds give unrelated numbers."""
    value = (value + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return value ^ (value >> 31)


_RANDOM_ORDER = f"{shuffle_key()}, t.rating_key"


def find_tracks(
    conn: sqlite3.Connection,
    flt: TrackFilter,
    *,
    order: Order = Order.DEFAULT,
    limit: int = 100,
    offset: int = 0,
    seed: int = 0,
    total: int | None = None,
) -> TrackPage:
    """A page of the matching tracks, and how many match (``total``, when the caller knows).

    The page's keys come first, found in indexes alone, and only then the page's own rows and
    genres: a sort or a deep offset handles keys, not whole rows with their genres.
    """
    if total is None:
        total = count_tracks(conn, flt)
    order_by = _RANDOM_ORDER if order is Order.RANDOM else _DEFAULT_ORDER
    keys_order = order_by
    if offset > total // 2:
        # Nearer the end: count from there, in the reverse order (a page's keys are sorted or
        # walked up to their offset, so this halves the worst case), and sort the page back.
        offset, limit = max(total - offset - limit, 0), max(min(limit, total - offset), 0)
        keys_order = ", ".join(f"{term} DESC" for term in order_by.split(", "))
    by_links = flt.by_links()
    if order is Order.RANDOM:
        # Every match is visited to be shuffled, wherever the page is.
        keys, params = _keys_by_links(flt) if by_links else _keys_by_filters(flt)
    elif by_links and _sorting_beats_walking(conn, total, offset + limit):
        # A rare genre's tracks are found in its links and sorted: walking the browse index
        # for them would test every track's genres up to the page (2-4× slower; measured).
        keys, params = _keys_by_links(flt)
    else:
        # Walk the order's own index (it holds every filter column) and stop at the page. The
        # planner would rather sort the matches of a "selective" filter, which reads a row of
        # the table per match for its sort key: 40 ms for a decade, against 5 ms this way.
        where, params = flt.sql()
        keys = f"SELECT t.rating_key FROM tracks t INDEXED BY idx_tracks_browse WHERE {where}"
    rows = conn.execute(
        f"""WITH page AS MATERIALIZED (
                {keys} ORDER BY {keys_order} LIMIT :limit OFFSET :offset)
            SELECT {TRACK_COLUMNS} FROM page JOIN tracks t USING (rating_key)
            ORDER BY {order_by}""",
        {**params, **shuffle_params(seed), "limit": limit, "offset": offset},
    ).fetchall()
    return TrackPage(total=total, tracks=[row_to_track(row) for row in rows])


# Every filter column and nothing else, so a scan never reads a row of the (wide) table.
_BY_FILTERS = "tracks t INDEXED BY idx_tracks_filter"


def _keys_by_filters(flt: TrackFilter) -> tuple[str, dict[str, Any]]:
    where, params = flt.sql()
    return f"SELECT t.rating_key FROM {_BY_FILTERS} WHERE {where}", params


def _keys_by_links(flt: TrackFilter) -> tuple[str, dict[str, Any]]:
    """The matching keys from the genres' links (see :meth:`TrackFilter.by_links`)."""
    links, params = flt.sql(links=True)
    # The links list a track once per genre asked for: IN keeps each once.
    keys = f"""SELECT t.rating_key FROM tracks t WHERE t.rating_key IN
               (SELECT t.rating_key FROM track_genres t WHERE {links})"""
    return keys, params


def _sorting_beats_walking(conn: sqlite3.Connection, matches: int, wanted: int) -> bool:
    """Whether sorting ``matches`` tracks costs less than walking the browse index until
    ``wanted`` of them are found: about ``wanted × library ÷ matches`` entries walked, where
    sorting costs about a track read per match, some six walked entries (measured at 100,000)."""
    library = conn.execute("SELECT count(*) FROM tracks").fetchone()[0]
    return 6 * matches * matches <= wanted * library


def count_tracks(conn: sqlite3.Connection, flt: TrackFilter) -> int:
    """How many tracks match. Counted from an index alone: idx_tracks_filter, or, with genres
    to match (and no text), their links, whose copies of the filter columns answer the rest
    (a genre's tracks are one range of track_genres' primary key)."""
    if flt.by_links():
        links, params = flt.sql(links=True)
        # A track is listed once per genre asked for that it has.
        counted = "count(DISTINCT t.rating_key)" if len(flt.genres) > 1 else "count(*)"
        sql = f"SELECT {counted} FROM track_genres t WHERE {links}"
    else:
        where, params = flt.sql()
        sql = f"SELECT count(*) FROM {_BY_FILTERS} WHERE {where}"
    return conn.execute(sql, params).fetchone()[0]


def library_stats(
    conn: sqlite3.Connection, flt: TrackFilter | None = None, *, total: int | None = None
) -> LibraryStats:
    """Totals and facets. Each facet ignores its own filter, so a genre's count is what the
    track list would show with that genre selected (alone) and every other filter as it is.
    ``total``: the tracks matching ``flt``, when the caller knows."""
    flt = flt or TrackFilter()
    if flt.words:
        total, genres, decades = _stats_of_a_search(conn, flt)
    else:
        total = count_tracks(conn, flt) if total is None else total
        genres, decades = _genre_counts(conn, flt), _decade_counts(conn, flt)
    return LibraryStats(
        total_tracks=total,
        genres=[Facet(name, count) for name, count in genres],
        decades=[Facet(decade_name(decade), count) for decade, count in decades],
    )


def _stats_of_a_search(
    conn: sqlite3.Connection, flt: TrackFilter
) -> tuple[int, list[tuple[str, int]], list[tuple[int, int]]]:
    """The total and both facets of a filter with a text, from one pass over the text.

    Matching the text is a scan of every track (LIKE '%word%' has no index): once here, where
    the total and each facet would take one each. The tracks that match all but the genres and
    decades are kept, with whether they pass each of those two; each figure then counts those
    that pass the filters it does not leave out.
    """
    clauses, params = flt.clauses()
    base = " AND ".join(c for name, c in clauses.items() if name not in ("genres", "decades"))
    in_genres, in_decades = clauses.get("genres", "1"), clauses.get("decades", "1")
    rows = conn.execute(
        f"""WITH base AS MATERIALIZED (
                SELECT t.rating_key, t.year, {in_genres} AS in_genres, {in_decades} AS in_decades
                FROM {_BY_FILTERS} WHERE {base})
            SELECT 0, NULL, count(*) FROM base WHERE in_genres AND in_decades
            UNION ALL
            SELECT 1, year / 10 * 10, count(*) FROM base
            WHERE in_genres AND year IS NOT NULL GROUP BY 2
            UNION ALL
            SELECT 2, g.name, n FROM (
                SELECT tg.genre_id, count(*) AS n FROM base
                CROSS JOIN track_genres tg ON tg.rating_key = base.rating_key
                WHERE in_decades GROUP BY tg.genre_id)
            JOIN genres g ON g.id = genre_id
            ORDER BY 1, 3 DESC, 2 COLLATE NOCASE""",
        params,
    ).fetchall()
    total = next(count for part, _, count in rows if part == 0)
    decades = sorted((decade, count) for part, decade, count in rows if part == 1)
    genres = [(name, count) for part, name, count in rows if part == 2]
    return total, genres, decades


def _genre_counts(conn: sqlite3.Connection, flt: TrackFilter) -> list[tuple[str, int]]:
    """Per genre, for a filter without text (:func:`_stats_of_a_search` has the others)."""
    # Genre by genre, each a range of the links, filtered on their copies of the tracks'
    # columns: one pass over the links, and no sort of every match (as a GROUP BY needs).
    where, params = flt.sql(without="genres", links=True)
    sql = f"""WITH counts AS MATERIALIZED (
                  SELECT g.name, (SELECT count(*) FROM track_genres t
                                  WHERE t.genre_id = g.id AND {where}) AS n
                  FROM genres g)
              SELECT name, n FROM counts WHERE n > 0 ORDER BY n DESC, name COLLATE NOCASE"""
    return conn.execute(sql, params).fetchall()


def _decade_counts(conn: sqlite3.Connection, flt: TrackFilter) -> list[tuple[int, int]]:
    # Per year first, then the hundred-odd years are summed into decades.
    if flt.by_links("decades"):
        links, params = flt.sql(without="decades", links=True)
        per_year = f"""SELECT t.year, count(DISTINCT t.rating_key) AS n FROM track_genres t
                       WHERE t.year IS NOT NULL AND {links} GROUP BY t.year"""
    else:
        # Grouped by (live, year), idx_tracks_filter's own order: no sort of every match.
        where, params = flt.sql(without="decades")
        per_year = f"""SELECT t.year, count(*) AS n FROM {_BY_FILTERS}
                       WHERE t.year IS NOT NULL AND {where} GROUP BY t.is_live, t.year"""
    return conn.execute(
        f"""SELECT year / 10 * 10 AS decade, sum(n) FROM ({per_year})
            GROUP BY decade ORDER BY decade""",
        params,
    ).fetchall()


def row_to_track(row: tuple[Any, ...]) -> Track:
    """A :class:`Track` from a row selected with :data:`TRACK_COLUMNS`."""
    *fields, genres = row
    fields[11] = bool(fields[11])  # is_live
    return Track(*fields, genres=genres.split("\x1f") if genres else [])


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
