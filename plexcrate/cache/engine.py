"""The query engine: the library as columns in memory, a rule as a mask over them.

SQLite is the store and the source of truth; for answering *which tracks* (a rule, a sort, a
page, facets, albums and artists grouped) it is faster to hold what those questions read as
numpy arrays, one entry per track, and to answer every rule as a boolean mask: a tag is a slice
of positions, a comparison one vectorized pass, a facet a running sum over a kind's links, a
page one pass over a sort's permutation. No question walks the library row by row, so none has
a slow path: the cost follows the library's size in C loops, never the rule's shape or a
planner's choice.

:class:`Library` is built from one snapshot (``memory.for_snapshot``: once per commit, shared by
the reader threads). Tracks are held in Plex's own order (album artist, album, disc, track),
so a track's *position* is its rank in the default sort. The rows of a page are still read
from SQLite, by key.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from plexcrate.cache.memory import for_snapshot
from plexcrate.cache.rules import (
    All,
    AnyOf,
    Condition,
    FieldType,
    Not,
    Op,
    Rule,
)
from plexcrate.cache.shuffle import shuffled
from plexcrate.cache.tags import nocase
from plexcrate.cache.text import fold

Mask = npt.NDArray[np.bool_]
Positions = npt.NDArray[np.int32]
Keys = npt.NDArray[np.int64]


# --- text columns -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TextColumn:
    """A text column, folded (case and accents don't matter): each distinct value once, in one
    buffer of UTF-8 bytes separated by NUL, and each track's value as a code into them.

    A substring is found by comparing the whole buffer with the needle's first byte, then the
    candidates with each next byte: a few vectorized passes over a few megabytes, whatever the
    needle. UTF-8 never puts a character's bytes inside another's, so byte matches are
    character matches, and no needle holds the separator.
    """

    codes: Positions  # per track, its value's number
    buffer: npt.NDArray[np.uint8]
    starts: npt.NDArray[np.int64]  # where each value begins in the buffer

    @classmethod
    def of(cls, values: Iterable[str]) -> TextColumn:
        numbers: dict[str, int] = {}
        codes = np.fromiter(
            (numbers.setdefault(fold(value), len(numbers)) for value in values), dtype=np.int32
        )
        encoded = [value.encode() for value in numbers]
        lengths = np.fromiter((len(b) + 1 for b in encoded), dtype=np.int64, count=len(encoded))
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
        buffer = np.frombuffer(b"\0".join(encoded) + b"\0", dtype=np.uint8)
        return cls(codes, buffer, starts)

    @property
    def nbytes(self) -> int:
        return self.codes.nbytes + self.buffer.nbytes + self.starts.nbytes

    def matching(self, op: Op, text: str) -> Mask:
        """Per track, whether its value ``op`` (is, contains, starts_with) ``text``."""
        needle = np.frombuffer(fold(text).encode(), dtype=np.uint8)
        if not len(needle):
            return np.ones(len(self.codes), dtype=bool)
        span = len(self.buffer) - len(needle)
        found = np.flatnonzero(self.buffer[: span + 1] == needle[0])
        for offset, byte in enumerate(needle[1:], start=1):
            found = found[self.buffer[found + offset] == byte]
        value = np.searchsorted(self.starts, found, side="right") - 1
        if op in (Op.IS, Op.STARTS_WITH):
            at_start = found == self.starts[value]
            found, value = found[at_start], value[at_start]
        if op is Op.IS:
            value = value[self.buffer[found + len(needle)] == 0]
        chosen = np.zeros(len(self.starts), dtype=bool)
        chosen[value] = True
        return chosen[self.codes]


# --- tags -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TagLinks:
    """Every tag's tracks, tags numbered kind by kind: tag ``i``'s tracks are
    ``tracks[starts[i]:starts[i + 1]]`` (positions, ascending), a kind's tags one range."""

    names: list[str]
    kinds: dict[str, tuple[int, int]]  # kind → its tags' range of numbers
    ids: dict[tuple[str, str], int]  # (kind, name as NOCASE folds it) → number
    starts: npt.NDArray[np.int64]
    tracks: Positions

    @property
    def nbytes(self) -> int:
        return self.starts.nbytes + self.tracks.nbytes

    def numbers(self, kind: str, names: Iterable[str]) -> list[int]:
        found = (self.ids.get((kind, nocase(name))) for name in names)
        return [number for number in found if number is not None]

    def of(self, number: int) -> Positions:
        return self.tracks[self.starts[number] : self.starts[number + 1]]

    def of_kind(self, kind: str) -> Positions:
        first, last = self.kinds.get(kind, (0, 0))
        return self.tracks[self.starts[first] : self.starts[last]]

    def counts(self, kind: str, mask: Mask) -> list[tuple[str, int]]:
        """Per tag of ``kind``, how many of its tracks ``mask`` holds (tags with none left out)."""
        first, last = self.kinds.get(kind, (0, 0))
        if first == last:
            return []
        low, high = self.starts[first], self.starts[last]
        running = np.concatenate(([0], np.cumsum(mask[self.tracks[low:high]], dtype=np.int64)))
        bounds = self.starts[first : last + 1] - low
        counted = running[bounds[1:]] - running[bounds[:-1]]
        held = np.flatnonzero(counted)
        return [(self.names[first + i], int(counted[i])) for i in held]


# --- the library ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Groups:
    """Albums or artists: their keys, and per track the group it belongs to (-1: none)."""

    keys: Keys
    of_track: Positions
    default_rank: Positions  # each group's place in its list's default order
    sort_ranks: dict[str, npt.NDArray[np.float64]]  # a group's own sort values (title, year…)

    @property
    def nbytes(self) -> int:
        own = sum(rank.nbytes for rank in self.sort_ranks.values())
        return self.keys.nbytes + self.of_track.nbytes + self.default_rank.nbytes + own


# Sorts by text read each value's rank in SQLite's NOCASE order (what the cache's sorts always
# used), found by SQLite itself.
_TEXT_SORTS = {"title": "title", "artist": "artist", "album": "album"}
_PLEX_ORDER = """album_artist COLLATE NOCASE, album COLLATE NOCASE, disc_number, track_number,
    rating_key"""


@dataclass
class Library:
    """One snapshot's tracks as columns, their tags and texts, their albums and artists."""

    keys: Keys  # rating keys, in Plex's order
    numbers: dict[str, npt.NDArray[np.float64]]
    live: Mask
    texts: dict[str, TextColumn]
    tags: TagLinks
    albums: Groups
    artists: Groups
    text_ranks: dict[str, npt.NDArray[np.float64]]
    playlists: dict[int, Positions] = field(default_factory=dict)
    _by_key: npt.NDArray[np.int64] = field(init=False)
    _sorts: dict[str, Positions] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        self._by_key = np.argsort(self.keys, kind="stable").astype(np.int64)

    @property
    def size(self) -> int:
        return len(self.keys)

    @property
    def nbytes(self) -> int:
        arrays: list[Any] = [self.keys, self.live, self._by_key]
        arrays += [*self.numbers.values(), *self.text_ranks.values(), *self._sorts.values()]
        arrays += list(self.playlists.values())
        held = sum(a.nbytes for a in arrays)
        held += sum(text.nbytes for text in self.texts.values())
        return held + self.tags.nbytes + self.albums.nbytes + self.artists.nbytes

    # --- keys and positions ---

    def positions(self, keys: npt.ArrayLike) -> Positions:
        """The positions of these rating keys (those the library holds)."""
        wanted = np.asarray(keys, dtype=np.int64)
        sorted_keys = self.keys[self._by_key]
        at = np.searchsorted(sorted_keys, wanted)
        at = np.minimum(at, max(len(sorted_keys) - 1, 0))
        if not len(sorted_keys):
            return np.zeros(0, dtype=np.int32)
        held = sorted_keys[at] == wanted
        return self._by_key[at[held]].astype(np.int32)

    def mask_of(self, positions: npt.ArrayLike) -> Mask:
        mask = np.zeros(self.size, dtype=bool)
        mask[np.asarray(positions, dtype=np.int64)] = True
        return mask

    # --- orders ---

    def order(self, name: str) -> Positions:
        """Every position, in the order of a sort (``title``, ``-added``…): a missing value
        last either way, ties in Plex's order. Found once per snapshot and sort."""
        if name in ("default", ""):
            return np.arange(self.size, dtype=np.int32)
        found = self._sorts.get(name)
        if found is None:
            key = name.lstrip("-")
            values = self.text_ranks.get(key)
            if values is None:
                values = self.numbers[_SORT_NUMBERS[key]]
            if name.startswith("-"):
                values = -values  # NaN stays NaN, and argsort puts NaN last
            found = np.argsort(values, kind="stable").astype(np.int32)
            with self._lock:
                self._sorts[name] = found
        return found

    def shuffle_keys(
        self, seed: int, positions: npt.NDArray[np.intp] | Positions
    ) -> npt.NDArray[np.int64]:
        """These tracks' places in the shuffle ``seed`` (the order SQL gives it too)."""
        return shuffled(self.keys[positions], seed)


_SORT_NUMBERS = {
    "year": "year",
    "added": "added",
    "rating": "rating",
    "plays": "plays",
    "last_played": "last_played",
    "duration": "duration_ms",
}


# --- evaluating a rule ------------------------------------------------------------------------

SearchKeys = Callable[[tuple[str, ...]], npt.ArrayLike]


@dataclass
class Evaluator:
    """Turns rules into masks over one :class:`Library`. ``search`` finds the rating keys of
    a search's words (the search index)."""

    library: Library
    search: SearchKeys

    def mask(self, rule: Rule) -> Mask:
        lib = self.library
        if isinstance(rule, All):
            mask = np.ones(lib.size, dtype=bool)
            for member in rule.rules:
                mask &= self.mask(member)
            return mask
        if isinstance(rule, AnyOf):
            mask = np.zeros(lib.size, dtype=bool)
            for member in rule.rules:
                mask |= self.mask(member)
            return mask
        if isinstance(rule, Not):
            return ~self.mask(rule.rule)
        return self.condition(rule)

    def condition(self, c: Condition) -> Mask:
        kind = c.spec.type
        if kind is FieldType.TAGS:
            return self._sets(c, lambda names: self._tagged(c.field, names))
        if kind is FieldType.DECADE:
            return self._sets(c, self._decades)
        if kind is FieldType.TEXT:
            return self._text(c)
        if kind is FieldType.NUMBER:
            return self._number(c)
        if kind is FieldType.DATE:
            return self._date(c)
        if kind is FieldType.BOOL:
            return self.library.live.copy() if c.value else ~self.library.live
        if kind is FieldType.PLAYLIST:
            return self._sets(c, self._in_playlists)
        return self.library.mask_of(self.library.positions(self.search(c.value)))

    def _sets(self, c: Condition, having: Callable[[Sequence[Any]], Mask]) -> Mask:
        """is/any_of/none_of/is_not/all_of/is_empty for a field whose values are sets."""
        op = c.op
        if op in (Op.IS_EMPTY, Op.IS_NOT_EMPTY):
            some = having(())  # no values: any value at all
            return ~some if op is Op.IS_EMPTY else some
        values = c.value if isinstance(c.value, tuple) else (c.value,)
        if op is Op.ALL_OF:
            mask = np.ones(self.library.size, dtype=bool)
            for value in values:
                mask &= having((value,))
            return mask
        found = having(values)
        return ~found if op in (Op.IS_NOT, Op.NONE_OF) else found

    def _tagged(self, kind: str, names: Sequence[str]) -> Mask:
        tags = self.library.tags
        if not names:
            return self.library.mask_of(tags.of_kind(kind))
        mask = np.zeros(self.library.size, dtype=bool)
        for number in tags.numbers(kind, names):
            mask[tags.of(number)] = True
        return mask

    def _decades(self, decades: Sequence[int]) -> Mask:
        year = self.library.numbers["year"]
        if not decades:
            return ~np.isnan(year)
        mask = np.zeros(self.library.size, dtype=bool)
        for decade in decades:
            mask |= (year >= decade) & (year <= decade + 9)
        return mask

    def _in_playlists(self, ids: Sequence[int]) -> Mask:
        lists = self.library.playlists
        chosen = ids or list(lists)
        mask = np.zeros(self.library.size, dtype=bool)
        for playlist in chosen:
            members = lists.get(playlist)
            if members is not None:
                mask[members] = True
        return mask

    def _text(self, c: Condition) -> Mask:
        column = self.library.texts[c.field]
        if c.op is Op.IS_NOT:
            return ~column.matching(Op.IS, c.value)
        if c.op is Op.NOT_CONTAINS:
            return ~column.matching(Op.CONTAINS, c.value)
        return column.matching(c.op, c.value)

    def _number(self, c: Condition) -> Mask:
        values = self.library.numbers[c.field]
        if c.field == "duration":
            values = np.floor(values)
        return _compare(values, c.op, c.value)

    def _date(self, c: Condition) -> Mask:
        values = self.library.numbers[c.field]
        op = c.op
        if op is Op.IS_EMPTY:
            return np.isnan(values)
        if op is Op.IS_NOT_EMPTY:
            return ~np.isnan(values)
        with np.errstate(invalid="ignore"):
            if op is Op.IN_LAST_DAYS:
                return values >= c.value
            if op is Op.NOT_IN_LAST_DAYS:
                return ~(values >= c.value)
            if op is Op.BEFORE:
                return values < c.value
            return values >= c.value  # AFTER: from the start of the next day


def _compare(values: npt.NDArray[np.float64], op: Op, value: Any) -> Mask:
    with np.errstate(invalid="ignore"):
        if op is Op.IS:
            return values == value
        if op is Op.IS_NOT:
            return ~(values == value)
        if op is Op.LT:
            return values < value
        if op is Op.LE:
            return values <= value
        if op is Op.GT:
            return values > value
        if op is Op.GE:
            return values >= value
        if op is Op.BETWEEN:
            low, high = value
            return (values >= low) & (values <= high)
        if op is Op.IS_EMPTY:
            return np.isnan(values)
        return ~np.isnan(values)  # IS_NOT_EMPTY


# --- building -------------------------------------------------------------------------------


def library(conn: sqlite3.Connection) -> Library:
    """The engine's columns for the snapshot ``conn`` reads, built once per snapshot."""
    return for_snapshot(conn, "engine", build)


def build(conn: sqlite3.Connection) -> Library:
    """Every column the engine reads, from one read transaction over the library tables."""
    rows = conn.execute(
        f"""SELECT rating_key, year, user_rating, view_count, duration_ms, added_at,
                   last_viewed_at, is_live, album_key, artist_key
            FROM tracks ORDER BY {_PLEX_ORDER}"""
    ).fetchall()
    table = np.array(rows, dtype=np.float64).reshape(len(rows), 10)
    del rows
    keys = table[:, 0].astype(np.int64)
    numbers = {
        "year": table[:, 1].copy(),
        "rating": table[:, 2].copy(),
        "plays": table[:, 3].copy(),
        "duration": table[:, 4] / 1000,
        "duration_ms": table[:, 4].copy(),
        "added": table[:, 5].copy(),
        "last_played": table[:, 6].copy(),
    }
    live = table[:, 7] == 1
    album_keys, artist_keys = table[:, 8], table[:, 9]
    del table
    lib = Library(
        keys=keys,
        numbers=numbers,
        live=live,
        texts=_texts(conn),
        tags=_tag_links(conn, keys),
        albums=Groups(np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int32), {}),
        artists=Groups(np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int32), {}),
        text_ranks=_text_ranks(conn, keys),
    )
    lib.albums = _groups(conn, lib, album_keys, "albums", _ALBUM_GROUP)
    lib.artists = _groups(conn, lib, artist_keys, "artists", _ARTIST_GROUP)
    lib.playlists = _playlists(conn, lib)
    return lib


def _texts(conn: sqlite3.Connection) -> dict[str, TextColumn]:
    columns = {}
    for name in ("title", "album", "album_artist"):
        values = conn.execute(f"SELECT {name} FROM tracks ORDER BY {_PLEX_ORDER}")
        columns[name] = TextColumn.of(value for (value,) in values)
    return columns


def _text_ranks(conn: sqlite3.Connection, keys: Keys) -> dict[str, npt.NDArray[np.float64]]:
    """Per text sort, each track's dense rank in NOCASE order, by position."""
    ranks = {}
    order = np.argsort(keys, kind="stable")
    for sort, column in _TEXT_SORTS.items():
        rows = conn.execute(
            f"""SELECT dense_rank() OVER (ORDER BY {column} COLLATE NOCASE)
                FROM tracks ORDER BY rating_key"""
        ).fetchall()
        by_key = np.array(rows, dtype=np.float64).reshape(-1)
        rank = np.empty(len(keys), dtype=np.float64)
        rank[order] = by_key
        ranks[sort] = rank
    return ranks


def _tag_links(conn: sqlite3.Connection, keys: Keys) -> TagLinks:
    tags = conn.execute("SELECT id, kind, name FROM tags ORDER BY kind, id").fetchall()
    names = [name for _, _, name in tags]
    kinds: dict[str, tuple[int, int]] = {}
    ids: dict[tuple[str, str], int] = {}
    number_of = np.full((max((t[0] for t in tags), default=0) + 1,), -1, dtype=np.int64)
    for number, (tag_id, kind, name) in enumerate(tags):
        first, _ = kinds.get(kind, (number, number))
        kinds[kind] = (first, number + 1)
        ids[(kind, nocase(name))] = number
        number_of[tag_id] = number
    links = np.array(
        conn.execute("SELECT tag_id, rating_key FROM track_tags").fetchall(), dtype=np.int64
    ).reshape(-1, 2)
    sorted_keys_order = np.argsort(keys, kind="stable")
    at = np.searchsorted(keys[sorted_keys_order], links[:, 1])
    at = np.minimum(at, max(len(keys) - 1, 0))
    held = (keys[sorted_keys_order][at] == links[:, 1]) if len(keys) else np.zeros(0, bool)
    numbers = number_of[links[held, 0]]
    positions = sorted_keys_order[at[held]]
    order = np.lexsort((positions, numbers))
    numbers, positions = numbers[order], positions[order].astype(np.int32)
    starts = np.searchsorted(numbers, np.arange(len(names) + 1)).astype(np.int64)
    return TagLinks(names, kinds, ids, starts, positions)


@dataclass(frozen=True, slots=True)
class _GroupSpec:
    default_order: str  # the list's own order, over the table's columns
    sorts: dict[str, str]  # a sort read from the group's own row: its column


_ALBUM_GROUP = _GroupSpec(
    "album_artist COLLATE NOCASE, title COLLATE NOCASE, rating_key",
    {"title": "title", "artist": "album_artist", "album": "title", "year": "year",
     "added": "added_at"},
)  # fmt: skip
_ARTIST_GROUP = _GroupSpec(
    "title COLLATE NOCASE, rating_key",
    {"title": "title", "artist": "title", "album": "title", "added": "added_at"},
)


def _groups(
    conn: sqlite3.Connection,
    lib: Library,
    owners: npt.NDArray[np.float64],
    table: str,
    spec: _GroupSpec,
) -> Groups:
    """Albums or artists: each in its list's default order, with its own sort values."""
    keys = np.array(
        conn.execute(f"SELECT rating_key FROM {table} ORDER BY {spec.default_order}").fetchall(),
        dtype=np.int64,
    ).reshape(-1)
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    owner_keys = np.nan_to_num(owners, nan=-1).astype(np.int64)
    at = np.minimum(np.searchsorted(sorted_keys, owner_keys), max(len(keys) - 1, 0))
    if len(keys):
        of_track = np.where(sorted_keys[at] == owner_keys, order[at], -1).astype(np.int32)
    else:
        of_track = np.full(len(owner_keys), -1, dtype=np.int32)
    default_rank = np.empty(len(keys), dtype=np.int32)
    default_rank[:] = np.arange(len(keys), dtype=np.int32)
    ranks: dict[str, npt.NDArray[np.float64]] = {}
    for sort, column in spec.sorts.items():
        if column in ("title", "album_artist"):
            expr = f"dense_rank() OVER (ORDER BY {column} COLLATE NOCASE)"
        else:
            expr = column
        values = conn.execute(
            f"SELECT {expr} FROM {table} ORDER BY {spec.default_order}"
        ).fetchall()
        ranks[sort] = np.array(values, dtype=np.float64).reshape(-1)
    return Groups(keys, of_track, default_rank, ranks)


def _playlists(conn: sqlite3.Connection, lib: Library) -> dict[int, Positions]:
    """Each mirrored Plex playlist's tracks (none before the cache mirrors playlists)."""
    has = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'playlist_items'"
    ).fetchone()
    if not has:
        return {}
    rows = np.array(
        conn.execute("SELECT playlist_id, rating_key FROM playlist_items").fetchall(),
        dtype=np.int64,
    ).reshape(-1, 2)
    found: dict[int, Positions] = {}
    for playlist in np.unique(rows[:, 0]):
        found[int(playlist)] = lib.positions(rows[rows[:, 0] == playlist, 1])
    return found
