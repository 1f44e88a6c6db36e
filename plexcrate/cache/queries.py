"""Reading the cache: tracks by filters and sorts, counts, and facets.

Every filter is SQL over indexed columns, from its declaration in ``filters.py``; nothing is
filtered in Python. Functions take a connection, so callers choose the transaction:
:meth:`Database.read` runs each call in one snapshot, which keeps a page and its total consistent
while a sync swaps the library.

Two tables can answer a filter: ``tracks`` (through its covering indexes), and ``track_tags``,
whose links carry copies of every filter column. A filter naming tags of some kind ("genre=Rock")
is *driven* by that tag's links (one range of their primary key) rather than by a scan of every
track, and a facet is counted from its kind's links alone.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field, make_dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from plexcrate.cache.filters import (
    Facet,
    TagFilter,
    TrackFilter,
)
from plexcrate.cache.state import cached_tracks
from plexcrate.cache.tags import TRACK_FIELDS, track_fields
from plexcrate.isotime import iso_utc

# --- order -----------------------------------------------------------------------------------

# Plex's own order for a music library: by album artist, album, disc and track; the rating key
# last, so that paging is exact (no track twice, none skipped) whatever the ties.
DEFAULT_TERMS = (
    "t.album_artist COLLATE NOCASE",
    "t.album COLLATE NOCASE",
    "t.disc_number",
    "t.track_number",
    "t.rating_key",
)

# What each sort orders by; ties keep Plex's order, and a missing value sorts last either way.
SORT_KEYS = {
    "title": "t.title COLLATE NOCASE",
    "artist": "t.artist COLLATE NOCASE",
    "album": "t.album COLLATE NOCASE",
    "year": "t.year",
    "added": "t.added_at",
    "rating": "t.user_rating",
    "plays": "t.view_count",
    "last_played": "t.last_viewed_at",
    "duration": "t.duration_ms",
}
SORTS = ("default", "random", *SORT_KEYS, *(f"-{key}" for key in SORT_KEYS))
_NULLABLE = {"year", "added", "rating", "last_played", "duration"}


class Order(StrEnum):
    """The older ``order`` parameter: Plex's order, or a shuffle."""

    DEFAULT = "default"
    RANDOM = "random"


@dataclass(frozen=True, slots=True)
class Sort:
    """How a track list is ordered: ``default``, ``random`` or a key, descending with ``-``."""

    name: str = "default"

    def __post_init__(self) -> None:
        if self.name not in SORTS:
            raise ValueError(f"{self.name!r} is not a sort; use one of {', '.join(SORTS)}")

    @property
    def is_random(self) -> bool:
        return self.name == "random"

    def terms(self) -> list[str]:
        """ORDER BY terms, each "expr" or "expr DESC", ending in Plex's order."""
        if self.is_random:
            return [shuffle_key(), "t.rating_key"]
        key = self.name.lstrip("-")
        if key not in SORT_KEYS:
            return list(DEFAULT_TERMS)
        expr, direction = SORT_KEYS[key], " DESC" if self.name.startswith("-") else ""
        missing_last = [f"{expr.split()[0]} IS NULL"] if key in _NULLABLE else []
        return [*missing_last, expr + direction, *DEFAULT_TERMS]


def reversed_terms(terms: list[str]) -> list[str]:
    return [t[: -len(" DESC")] if t.endswith(" DESC") else f"{t} DESC" for t in terms]


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


# --- filters as SQL --------------------------------------------------------------------------


class Params(dict[str, Any]):
    """Named query parameters; :meth:`bind` adds one and returns its placeholder."""

    def bind(self, value: Any) -> str:
        name = f"f{len(self)}"
        self[name] = value
        return f":{name}"


def where(
    flt: TrackFilter,
    params: Params,
    *,
    without: Facet | None = None,
    driver: TagFilter | None = None,
    on_links: bool = False,
) -> str:
    """The filter's WHERE clause over ``t`` (``tracks`` or ``track_tags``).

    ``without``: leave out the filter counted in that facet. ``driver``: that tag filter is
    answered by the links ``t`` themselves being of its tags (``t`` is ``track_tags``).
    ``on_links``: ``t`` is ``track_tags``, read by tag (as with a driver).
    """
    clauses = []
    for spec, value in flt.specs():
        if without is not None and spec.facet is without:
            continue
        if spec is driver:
            assert isinstance(spec, TagFilter)
            clauses.append(f"t.tag_id IN ({spec.tag_ids(value, params.bind)})")
        elif driver is not None or on_links:
            # Tested on the driver's links, never used to find them: by its rating keys the
            # planner would read every link of every track another tag or a search finds
            # (67 ms where the driver's range takes 7). A unary + hides the column's index.
            clauses.append(_not_indexed(spec.clause(value, params.bind)))
        else:
            clauses.append(spec.clause(value, params.bind))
    return " AND ".join(clauses) or "1"


def _not_indexed(clause: str) -> str:
    return "+" + clause if clause.startswith("t.rating_key ") else clause


def driver_of(flt: TrackFilter, without: Facet | None = None) -> TagFilter | None:
    """The tag filter whose links can answer ``flt`` (the first one naming tags to include),
    but for one counted in ``without``."""
    for spec, _ in flt.specs():
        counted_out = without is not None and spec.facet is without
        if isinstance(spec, TagFilter) and not spec.exclude and not counted_out:
            return spec
    return None


# Every filter column and nothing else, so a scan never reads a row of the (wide) table.
BY_FILTERS = "tracks t INDEXED BY idx_tracks_filter"


def matching_keys(flt: TrackFilter, params: Params) -> str:
    """A SELECT of the matching tracks' keys, by the cheapest way in."""
    driver = driver_of(flt)
    if driver is not None:
        links = where(flt, params, driver=driver)
        return f"SELECT DISTINCT t.rating_key FROM track_tags t WHERE {links}"
    if flt.words:  # the text index finds the few matches; their rows are looked up by key
        return f"SELECT t.rating_key FROM tracks t WHERE {where(flt, params)}"
    return f"SELECT t.rating_key FROM {BY_FILTERS} WHERE {where(flt, params)}"


def count_tracks(conn: sqlite3.Connection, flt: TrackFilter) -> int:
    """How many tracks match: from an index or the links of a tag alone."""
    params = Params()
    driver = driver_of(flt)
    if driver is not None:
        # A track has a tag once, so one tag's links count its tracks; several may share one.
        counted = "count(*)" if len(flt.get(driver.name)) == 1 else "count(DISTINCT t.rating_key)"
        sql = f"SELECT {counted} FROM track_tags t WHERE {where(flt, params, driver=driver)}"
    elif flt.words:
        sql = f"SELECT count(*) FROM tracks t WHERE {where(flt, params)}"
    else:
        sql = f"SELECT count(*) FROM {BY_FILTERS} WHERE {where(flt, params)}"
    return conn.execute(sql, params).fetchone()[0]


# --- tracks ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrackColumns:
    """A track's own fields; :data:`Track` adds its tags."""

    rating_key: int
    title: str
    artist: str
    album_artist: str
    album: str
    album_key: int | None
    artist_key: int | None
    year: int | None
    duration_ms: int | None
    user_rating: int | None
    disc_number: int | None
    track_number: int | None
    is_live: bool
    view_count: int
    added_at: str | None  # ISO 8601 UTC
    last_played_at: str | None


# A track: its own fields, then a field per kind of tag shown on it (genres, styles, moods,
# album_types, label…), as the kinds are declared (cache/tags.py TRACK_FIELDS).
if TYPE_CHECKING:
    Track = TrackColumns
else:
    Track = make_dataclass(
        "Track",
        [
            (name, str | None, field(default=None))
            if first
            else (name, list[str], field(default_factory=list))
            for name, _, first in TRACK_FIELDS
        ],
        bases=(TrackColumns,),
        frozen=True,
        slots=True,
    )
    Track.__module__ = __name__  # (make_dataclass takes a module from Python 3.12 on)


@dataclass(frozen=True, slots=True)
class TrackPage:
    total: int  # every match, not just this page
    tracks: list[Track]


# A track's tags come from a subquery that runs once per row it is listed for: select these only
# for the rows of a page (see find_tracks), never for every match of a sort.
TRACK_COLUMNS = """t.rating_key, t.title, t.artist, t.album_artist, t.album, t.album_key,
    t.artist_key, t.year, t.duration_ms, t.user_rating, t.disc_number, t.track_number,
    t.is_live, t.view_count, t.added_at, t.last_viewed_at,
    (SELECT group_concat(g.kind || char(30) || g.name, char(31)) FROM track_tags tt
     JOIN tags g ON g.id = tt.tag_id WHERE tt.rating_key = t.rating_key AND g.kind != 'artist')"""


def row_to_track(row: tuple[Any, ...]) -> Track:
    """A :class:`Track` from a row selected with :data:`TRACK_COLUMNS`."""
    (
        rating_key,
        title,
        artist,
        album_artist,
        album,
        album_key,
        artist_key,
        year,
        duration_ms,
        user_rating,
        disc_number,
        track_number,
        is_live,
        view_count,
        added_at,
        last_viewed_at,
        tags,
    ) = row
    return Track(
        rating_key=rating_key,
        title=title,
        artist=artist,
        album_artist=album_artist,
        album=album,
        album_key=album_key,
        artist_key=artist_key,
        year=year,
        duration_ms=duration_ms,
        user_rating=user_rating,
        disc_number=disc_number,
        track_number=track_number,
        is_live=bool(is_live),
        view_count=view_count,
        added_at=iso_utc(added_at),
        last_played_at=iso_utc(last_viewed_at),
        **track_fields(tags),
    )


def find_tracks(
    conn: sqlite3.Connection,
    flt: TrackFilter,
    *,
    sort: Sort = Sort(),
    limit: int = 100,
    offset: int = 0,
    seed: int = 0,
    total: int | None = None,
) -> TrackPage:
    """A page of the matching tracks, and how many match (``total``, when the caller knows).

    The page's keys come first, found in indexes alone where the order allows, and only then
    the page's own rows and tags: a sort or a deep offset handles keys, not whole rows.
    """
    if total is None:
        total = count_tracks(conn, flt)
    order_by = sort.terms()
    keys_order = order_by
    if offset > total // 2:
        # Nearer the end: count from there, in the reverse order (a page's keys are sorted or
        # walked up to their offset, so this halves the worst case), and sort the page back.
        offset, limit = max(total - offset - limit, 0), max(min(limit, total - offset), 0)
        keys_order = reversed_terms(order_by)
    params = Params()
    keys = _page_keys(conn, flt, sort, total, offset + limit, params)
    rows = conn.execute(
        f"""WITH page AS MATERIALIZED (
                {keys} ORDER BY {", ".join(keys_order)} LIMIT :limit OFFSET :offset)
            SELECT {TRACK_COLUMNS} FROM page JOIN tracks t USING (rating_key)
            ORDER BY {", ".join(order_by)}""",
        {**params, **shuffle_params(seed), "limit": limit, "offset": offset},
    ).fetchall()
    return TrackPage(total=total, tracks=[row_to_track(row) for row in rows])


def _page_keys(
    conn: sqlite3.Connection, flt: TrackFilter, sort: Sort, total: int, wanted: int, params: Params
) -> str:
    """A SELECT over ``tracks t`` of the matching keys with the sort's columns, to be ordered
    and cut to a page."""
    few = driver_of(flt) is not None or bool(flt.words)
    if sort.name == "default" and not (few and _sorting_beats_walking(conn, total, wanted)):
        # Walk the order's own index (it holds every filter column) and stop at the page. The
        # planner would rather sort the matches of a "selective" filter, which reads a row of
        # the table per match for its sort key: 40 ms for a decade, against 5 ms this way.
        browse = "tracks t INDEXED BY idx_tracks_browse"
        return f"SELECT t.rating_key FROM {browse} WHERE {where(flt, params)}"
    if few:
        # A rare tag's (or a search's) tracks are found first and sorted: walking an index for
        # them would test every track up to the page (2-4× slower; measured).
        # CROSS JOIN: from the matches to their rows, never the other way round (the planner
        # would walk an index in the sort's order and test each of 100,000 tracks instead).
        matching = matching_keys(flt, params)
        return f"""SELECT t.rating_key FROM ({matching}) m
                   CROSS JOIN tracks t ON t.rating_key = m.rating_key"""
    return f"SELECT t.rating_key FROM tracks t WHERE {where(flt, params)}"


def _sorting_beats_walking(conn: sqlite3.Connection, matches: int, wanted: int) -> bool:
    """Whether sorting ``matches`` tracks costs less than walking the browse index until
    ``wanted`` of them are found: about ``wanted × library ÷ matches`` entries walked, where
    sorting costs about a track read per match, some six walked entries (measured at 100,000)."""
    return 6 * matches * matches <= wanted * cached_tracks(conn)


def escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
