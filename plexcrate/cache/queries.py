"""Reading the cache: tracks by filters, rules and sorts, and their counts.

Which tracks match, and in what order, is the query engine's answer (``engine.py``: the
library's columns in memory, a rule as a mask over them); the rows of a page are then read from
SQLite by key. Functions take a connection, so callers choose the transaction:
:meth:`Database.read` runs each call in one snapshot, and the engine's columns are those of the
same snapshot, which keeps a page and its total consistent while a sync swaps the library.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field, make_dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import numpy.typing as npt
import orjson

from plexcrate.cache import engine
from plexcrate.cache.engine import Evaluator, Library, Mask
from plexcrate.cache.filters import TrackFilter
from plexcrate.cache.search import search_index
from plexcrate.cache.shuffle import PRIME
from plexcrate.cache.tags import TRACK_FIELDS, track_fields
from plexcrate.cache.text import search_words
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
    return f"(({alias}.rating_key * :shuffle_a + :shuffle_b) % {PRIME})"


# --- which tracks ----------------------------------------------------------------------------


class Params(dict[str, Any]):
    """Named query parameters; :meth:`bind` adds one and returns its placeholder."""

    def bind(self, value: Any) -> str:
        name = f"f{len(self)}"
        self[name] = value
        return f":{name}"


def evaluator(conn: sqlite3.Connection) -> Evaluator:
    """The engine over the snapshot ``conn`` reads, its searches answered by the search index
    (``search.py``: the FTS5 index's answers, in a millisecond however broad the words)."""
    lib = engine.library(conn)
    return Evaluator(lib, lambda words: search_index(conn).matching(words))


def matching(conn: sqlite3.Connection, flt: TrackFilter) -> tuple[Library, Mask]:
    """The library's columns, and which tracks match ``flt``."""
    found = evaluator(conn)
    return found.library, found.mask(flt.as_rule())


def count_tracks(conn: sqlite3.Connection, flt: TrackFilter) -> int:
    """How many tracks match."""
    if flt.is_everything:
        return engine.library(conn).size
    return int(np.count_nonzero(matching(conn, flt)[1]))


def page_positions(
    lib: Library, mask: Mask, sort: Sort, *, seed: int, offset: int, limit: int
) -> npt.NDArray[np.int32]:
    """The positions of one page of the matching tracks, in the sort's order."""
    if sort.is_random:
        found = np.flatnonzero(mask)
        end = min(offset + limit, len(found))
        if offset >= end:
            return np.zeros(0, dtype=np.int32)
        shuffled = lib.shuffle_keys(seed, found)
        # Only the page's place is sorted: the tracks before it and after it stay unordered.
        kth = sorted({offset, end - 1})
        near = np.argpartition(shuffled, kth)[offset:end]
        return found[near[np.argsort(shuffled[near])]].astype(np.int32)
    if sort.name == "default":
        return np.flatnonzero(mask)[offset : offset + limit].astype(np.int32)
    order = lib.order(sort.name)
    return order[mask[order]][offset : offset + limit]


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
    unavailable: bool = False  # in Plex's trash: listed only when asked (include_unavailable)


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
_ROW_COLUMNS = """t.rating_key, t.title, t.artist, t.album_artist, t.album, t.album_key,
    t.artist_key, t.year, t.duration_ms, t.user_rating, t.disc_number, t.track_number,
    t.is_live, t.view_count, t.added_at, t.last_viewed_at"""
TRACK_COLUMNS = f"""{_ROW_COLUMNS},
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
        # (To a type checker a Track is its columns; these are the tag fields added to them.)
        **cast(dict[str, Any], track_fields(tags)),
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
    include_unavailable: bool = False,
) -> TrackPage:
    """A page of the matching tracks, and how many match (``total``, when the caller knows).
    ``include_unavailable``: the tracks in Plex's trash that match too, after the others,
    marked ``unavailable``.

    The engine finds the page's keys; only the page's own rows and tags are read from SQLite.
    """
    lib, mask = matching(conn, flt)
    available = int(np.count_nonzero(mask)) if total is None or include_unavailable else total
    positions = page_positions(lib, mask, sort, seed=seed, offset=offset, limit=limit)
    tracks = tracks_by_key(conn, lib.keys[positions].tolist())
    if not include_unavailable:
        return TrackPage(total=available, tracks=tracks)
    # The tracks in Plex's trash come after the available ones, each part in the sort's order,
    # chosen by the same rule over the trash's own (small) engine.
    trash = engine.trash_library(conn)
    found = Evaluator(trash, lambda words: _trash_matching(conn, words)).mask(flt.as_rule())
    rest = limit - len(tracks)
    if rest > 0:
        more = page_positions(
            trash, found, sort, seed=seed, offset=max(offset - available, 0), limit=rest
        )
        unavailable = tracks_by_key(conn, trash.keys[more].tolist())
        tracks += [replace(track, unavailable=True) for track in unavailable]
    return TrackPage(total=available + int(np.count_nonzero(found)), tracks=tracks)


def _trash_matching(conn: sqlite3.Connection, words: tuple[str, ...]) -> list[int]:
    """The keys of the tracks in Plex's trash that a search's words find, as the search index
    finds them among the others (each word begins a word of the title, artist, album artist
    or album). The trash is small: its rows are read and folded here."""
    found = []
    for key, *texts in conn.execute(
        "SELECT rating_key, title, artist, album_artist, album FROM tracks "
        "WHERE deleted_at IS NOT NULL"
    ):
        own = search_words(" ".join(text or "" for text in texts))
        if all(any(word.startswith(w) for word in own) for w in words):
            found.append(key)
    return found


def tracks_by_key(conn: sqlite3.Connection, keys: list[int]) -> list[Track]:
    """These tracks, in this order (those the cache holds).

    The rows and their tags are two statements over the page's keys: a tag subquery per row
    (as :data:`TRACK_COLUMNS` has it) costs three times as much for a page of 250.
    """
    if not keys:
        return []
    page = {"keys": orjson.dumps(keys).decode()}
    rows = conn.execute(
        f"""SELECT {_ROW_COLUMNS} FROM json_each(:keys) p
            JOIN tracks t ON t.rating_key = p.value ORDER BY p.key""",
        page,
    ).fetchall()
    tags = dict(
        conn.execute(
            """SELECT tt.rating_key, group_concat(g.kind || char(30) || g.name, char(31))
               FROM json_each(:keys) p JOIN track_tags tt ON tt.rating_key = p.value
               JOIN tags g ON g.id = tt.tag_id WHERE g.kind != 'artist'
               GROUP BY tt.rating_key""",
            page,
        ).fetchall()
    )
    return [row_to_track((*row, tags.get(row[0]))) for row in rows]
