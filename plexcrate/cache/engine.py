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

import re
import sqlite3
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from plexcrate.cache.memory import for_snapshot, give_back_freed_memory
from plexcrate.cache.rules import (
    All,
    AnyOf,
    Condition,
    FieldType,
    Not,
    Op,
    Rule,
)
from plexcrate.cache.schema import AVAILABLE_TRACKS, UNAVAILABLE_TRACKS
from plexcrate.cache.shuffle import shuffled
from plexcrate.cache.tags import nocase

Mask = npt.NDArray[np.bool_]
Positions = npt.NDArray[np.int32]
Keys = npt.NDArray[np.int64]
Column = npt.NDArray[Any]  # a number per track, float (NaN: missing)


NUL = "\0"
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def fold_case(text: str) -> str:
    """``text`` with case and accents gone, as a text condition compares it ("Björk" is
    "bjork"). Lengths may change ("ß" is "ss"), so a joined text is folded whole and split
    after."""
    if text.isascii():
        return text.lower()
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text.casefold()))


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
    fold: Callable[[str], str] = field(default=lambda text: fold_case(text))

    @classmethod
    def of(
        cls, codes: Positions, distinct: list[str], fold: Callable[[str], str] | None = None
    ) -> TextColumn:
        """From each track's value as a number (:func:`encode`) and the values so numbered;
        ``fold`` says what doesn't matter (by default case and accents)."""
        fold = fold or fold_case
        # Folded all at once: one pass of C over the joined values, not one call per value.
        folded = fold(NUL.join(distinct)).split(NUL)
        encoded = [value.encode() for value in folded]
        lengths = np.fromiter((len(b) + 1 for b in encoded), dtype=np.int64, count=len(encoded))
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
        buffer = np.frombuffer(b"\0".join(encoded) + b"\0", dtype=np.uint8)
        return cls(codes, buffer, starts, fold)

    @property
    def nbytes(self) -> int:
        return self.codes.nbytes + self.buffer.nbytes + self.starts.nbytes

    def matching(self, op: Op, text: str) -> Mask:
        """Per track, whether its value ``op`` (is, contains, starts_with) ``text``."""
        needle = np.frombuffer(self.fold(text).encode(), dtype=np.uint8)
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
    _name_columns: dict[str, TextColumn] = field(default_factory=dict)
    _ranks: dict[str, npt.NDArray[np.int64]] = field(default_factory=dict)

    @property
    def nbytes(self) -> int:
        names = sum(column.nbytes for column in self._name_columns.values())
        names += sum(ranks.nbytes for ranks in self._ranks.values())
        return self.starts.nbytes + self.tracks.nbytes + names

    def numbers(self, kind: str, names: Iterable[str]) -> list[int]:
        found = (self.ids.get((kind, nocase(name))) for name in names)
        return [number for number in found if number is not None]

    def of(self, number: int) -> Positions:
        return self.tracks[self.starts[number] : self.starts[number + 1]]

    def of_kind(self, kind: str) -> Positions:
        first, last = self.kinds.get(kind, (0, 0))
        return self.tracks[self.starts[first] : self.starts[last]]

    def counts(
        self, kind: str, mask: Mask, named: str = "", limit: int | None = None
    ) -> list[tuple[str, int]]:
        """Per tag of ``kind`` (``named``: whose name holds that, ASCII case aside), how many
        of its tracks ``mask`` holds, most first, then by name as SQLite's NOCASE orders
        them; tags with none left out, at most ``limit``."""
        first, last = self.kinds.get(kind, (0, 0))
        if first == last:
            return []
        low, high = self.starts[first], self.starts[last]
        if low == high:
            return []
        # Per tag, the sum of the mask over its slice: one gather and one reduceat over the
        # tags that have a slice (each runs to the next one's start, its own end).
        held_by = np.take(mask.view(np.uint8), self.tracks[low:high])
        bounds = self.starts[first : last + 1] - low
        some = bounds[1:] > bounds[:-1]
        counted = np.zeros(last - first, dtype=np.int32)
        counted[some] = np.add.reduceat(held_by, bounds[:-1][some], dtype=np.int32)
        if named:
            counted[~self._names_of(kind).matching(Op.CONTAINS, named)] = 0
        held = np.flatnonzero(counted)
        held = held[np.lexsort((self._name_ranks(kind)[held], -counted[held]))][:limit]
        return [(self.names[first + i], int(counted[i])) for i in held]

    def _name_ranks(self, kind: str) -> npt.NDArray[np.int64]:
        """Each tag of a kind's place in NOCASE order (made on first use)."""
        found = self._ranks.get(kind)
        if found is None:
            first, last = self.kinds[kind]
            keys = [name.encode().lower() for name in self.names[first:last]]
            found = np.empty(len(keys), dtype=np.int64)
            found[sorted(range(len(keys)), key=keys.__getitem__)] = np.arange(len(keys))
            self._ranks[kind] = found
        return found

    def _names_of(self, kind: str) -> TextColumn:
        """A kind's names as a text column (made on first use), compared as SQLite's NOCASE
        and LIKE compare them: ASCII letters folded, nothing else."""
        found = self._name_columns.get(kind)
        if found is None:
            first, last = self.kinds[kind]
            codes = np.arange(last - first, dtype=np.int32)
            found = TextColumn.of(codes, self.names[first:last], nocase)
            self._name_columns[kind] = found
        return found


# --- the library ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Groups:
    """Albums or artists: their keys, and per track the group it belongs to (-1: none)."""

    keys: Keys
    of_track: Positions
    sort_ranks: dict[str, npt.NDArray[np.float64]]  # a group's own sort values (title, year…)
    by_key: npt.NDArray[np.intp]  # the groups' numbers in rating key order

    @property
    def nbytes(self) -> int:
        own = sum(rank.nbytes for rank in self.sort_ranks.values())
        return self.keys.nbytes + self.of_track.nbytes + self.by_key.nbytes + own

    def numbers(self, keys: npt.NDArray[np.int64]) -> npt.NDArray[np.intp]:
        """The numbers of these groups' keys (each one a group's)."""
        return self.by_key[np.searchsorted(self.keys[self.by_key], keys)]


# Sorts by text read each value's rank in SQLite's NOCASE order (what the cache's sorts always
# used), found by SQLite itself.
_TEXT_SORTS = ("title", "artist", "album")


@dataclass
class Library:
    """One snapshot's tracks as columns, their tags and texts, their albums and artists."""

    keys: Keys  # rating keys, in Plex's order
    numbers: dict[str, Column]
    live: Mask
    texts: dict[str, TextColumn]
    tags: TagLinks
    albums: Groups
    artists: Groups
    text_ranks: dict[str, npt.NDArray[np.int32]]
    playlists: dict[int, Positions] = field(default_factory=dict)
    _by_key: Positions = field(init=False)  # positions in rating key order
    _sorted_keys: Keys = field(init=False)
    _sorts: dict[str, Positions] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        self._by_key = np.argsort(self.keys, kind="stable").astype(np.int32)
        self._sorted_keys = self.keys[self._by_key]

    @property
    def size(self) -> int:
        return len(self.keys)

    @property
    def nbytes(self) -> int:
        arrays: list[Any] = [self.keys, self.live, self._by_key, self._sorted_keys]
        arrays += [*self.numbers.values(), *self.text_ranks.values(), *self._sorts.values()]
        arrays += list(self.playlists.values())
        held = sum(a.nbytes for a in arrays)
        held += sum(text.nbytes for text in self.texts.values())
        return held + self.tags.nbytes + self.albums.nbytes + self.artists.nbytes

    # --- keys and positions ---

    def positions(self, keys: npt.ArrayLike) -> Positions:
        """The positions of these rating keys (those the library holds)."""
        wanted = np.asarray(keys, dtype=np.int64)
        sorted_keys = self._sorted_keys
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
        if c.field == "duration":  # whole seconds, as a rule states them
            return _compare(np.floor(self.library.numbers["duration_ms"] / 1000), c.op, c.value)
        return _compare(self.library.numbers[c.field], c.op, c.value)

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
    """The engine's columns for the snapshot ``conn`` reads, built once per snapshot: the
    available tracks (every answer but ``include_unavailable``'s is made of them alone)."""
    return for_snapshot(conn, "engine", build)


def trash_library(conn: sqlite3.Connection) -> Library:
    """The same over the tracks in Plex's trash (a few, usually): what
    ``include_unavailable`` adds, filtered and sorted by the same code."""
    return for_snapshot(conn, "engine-trash", lambda c: build(c, UNAVAILABLE_TRACKS))


def build(conn: sqlite3.Connection, tracks: str = AVAILABLE_TRACKS) -> Library:
    """Every column the engine reads, from one read transaction over the library tables.

    Tables are read a chunk of rows at a time, each chunk in one statement whose columns come
    back as a few long strings (``group_concat``) parsed by numpy: a row at a time, Python
    would spend seconds and hundreds of megabytes on tuples at 500,000 tracks, and a whole
    table in one string would hold it all twice at once.
    """
    columns, texts = _track_columns(conn, tracks)
    ranks = {name: _nocase_ranks(*coded) for name, coded in texts.items()}
    # Plex's order: album artist, album, disc, track (a missing number first, as SQLite
    # sorts NULL), then the rating key.
    plex_order = np.lexsort(
        (
            columns.pop("rating_key"),
            np.nan_to_num(columns.pop("track_number"), nan=-np.inf),
            np.nan_to_num(columns.pop("disc_number"), nan=-np.inf),
            ranks["album"],
            ranks["album_artist"],
        )
    )
    keys = columns.pop("key")[plex_order]
    numbers = {  # each read column let go as soon as it is reordered
        name: columns.pop(name)[plex_order].astype(_DTYPES.get(name, np.float64))
        for name in list(columns)
    }
    lib = Library(
        keys=keys,
        numbers=numbers,
        live=numbers.pop("is_live") == 1,
        texts={
            name: TextColumn.of(texts[name][0][plex_order], texts[name][1])
            for name in ("title", "album", "album_artist")
        },
        tags=_tag_links(conn, keys),
        albums=_NO_GROUPS,
        artists=_NO_GROUPS,
        text_ranks={name: ranks[name][plex_order] for name in _TEXT_SORTS},
    )
    lib.albums = _groups(conn, numbers.pop("album_key"), "albums", _ALBUM_GROUP)
    lib.artists = _groups(conn, numbers.pop("artist_key"), "artists", _ARTIST_GROUP)
    lib.playlists = _playlists(conn, lib)
    give_back_freed_memory()
    return lib


CHUNK = 50_000  # rows read in one statement
_MISSING = -(2**62)  # stands for NULL in a number column while it is read
# The tracks' columns as the engine names them: (SQL column, name).
_NUMBER_COLUMNS = {
    "rating_key": "rating_key",
    "year": "year",
    "user_rating": "rating",
    "view_count": "plays",
    "duration_ms": "duration_ms",
    "added_at": "added",
    "last_viewed_at": "last_played",
    "is_live": "is_live",
    "album_key": "album_key",
    "artist_key": "artist_key",
    "disc_number": "disc_number",
    "track_number": "track_number",
}
# Small whole numbers are exact as float32 (up to 16 million): half the memory of float64.
_DTYPES = {"year": np.float32, "rating": np.float32, "plays": np.float32}
_TEXT_COLUMNS = ("title", "artist", "album", "album_artist")
_UNIT = "\x1f"  # between text values: no name from Plex holds it (checked below)


class _Numbering:
    """Numbers distinct values as they come, chunk by chunk."""

    def __init__(self, size: int) -> None:
        self.numbers: dict[str, int] = {}
        self.codes = np.zeros(size, dtype=np.int32)

    def add(self, at: int, values: list[str]) -> None:
        numbers = self.numbers
        self.codes[at : at + len(values)] = np.fromiter(
            (numbers.setdefault(v, len(numbers)) for v in values), np.int32, len(values)
        )

    def result(self) -> tuple[Positions, list[str]]:
        return self.codes, list(self.numbers)


def _track_columns(
    conn: sqlite3.Connection, tracks: str
) -> tuple[dict[str, Column], dict[str, tuple[Positions, list[str]]]]:
    """Every column the engine reads of ``tracks`` (the available ones, or the trash's: a
    track in Plex's trash left out here is in no mask), in rating key order: numbers as float
    arrays (NaN: missing; the keys themselves as integers under ``key``), texts numbered."""
    (size,) = conn.execute(f"SELECT count(*) FROM {tracks}").fetchone()
    numbers: dict[str, Column] = {
        name: np.zeros(size, dtype=np.float64) for name in _NUMBER_COLUMNS.values()
    }
    keys = np.zeros(size, dtype=np.int64)
    texts = {name: _Numbering(size) for name in _TEXT_COLUMNS}
    concat = [f"group_concat(coalesce({c}, {_MISSING}))" for c in _NUMBER_COLUMNS]
    concat += [f"group_concat({column}, char(31))" for column in _TEXT_COLUMNS]
    statement = f"""SELECT count(*), max(rating_key), {", ".join(concat)} FROM (
        SELECT * FROM {tracks} WHERE rating_key > ? ORDER BY rating_key
        LIMIT {CHUNK})"""
    at, after = 0, -(2**63)
    while at < size:
        count, after, *values = conn.execute(statement, (after,)).fetchone()
        if not count:
            break
        for name, text in zip(numbers, values, strict=False):
            parsed = np.fromstring(text, dtype=np.int64, sep=",")
            column = numbers[name][at : at + count]
            column[:] = parsed
            column[parsed == _MISSING] = np.nan
            if name == "rating_key":
                keys[at : at + count] = parsed
        for name, text in zip(_TEXT_COLUMNS, values[len(numbers) :], strict=True):
            parts = text.split(_UNIT)
            if len(parts) != count:  # a value held the separator: read them one by one
                rows = conn.execute(
                    f"""SELECT {name} FROM {tracks}
                        WHERE rating_key > ? AND rating_key <= ?
                        ORDER BY rating_key""",
                    (int(keys[at - 1]) if at else -(2**63), after),
                )
                parts = [value for (value,) in rows]
            texts[name].add(at, parts)
        at += count
    numbers["key"] = keys
    return numbers, {name: numbering.result() for name, numbering in texts.items()}


def _nocase_ranks(codes: Positions, distinct: list[str]) -> npt.NDArray[np.int32]:
    """Each value's dense rank in SQLite's NOCASE order (bytes, ASCII letters folded)."""
    keys = [value.encode().lower() for value in distinct]
    ordered = sorted(range(len(keys)), key=keys.__getitem__)
    rank = np.zeros(len(keys), dtype=np.int32)
    current = -1
    previous: bytes | None = None
    for number in ordered:
        if keys[number] != previous:
            current, previous = current + 1, keys[number]
        rank[number] = current
    return rank[codes]


_NO_GROUPS = Groups(np.zeros(0, np.int64), np.zeros(0, np.int32), {}, np.zeros(0, np.intp))


def _tag_links(conn: sqlite3.Connection, keys: Keys) -> TagLinks:
    tags = conn.execute("SELECT id, kind, name FROM tags ORDER BY kind, id").fetchall()
    names = [name for _, _, name in tags]
    kinds: dict[str, tuple[int, int]] = {}
    ids: dict[tuple[str, str], int] = {}
    number_of = np.full((max((t[0] for t in tags), default=0) + 1,), -1, dtype=np.int32)
    for number, (tag_id, kind, name) in enumerate(tags):
        first, _ = kinds.get(kind, (number, number))
        kinds[kind] = (first, number + 1)
        ids[(kind, nocase(name))] = number
        number_of[tag_id] = number
    (size,) = conn.execute("SELECT count(*) FROM track_tags").fetchone()
    counts = np.zeros(len(names), dtype=np.int64)
    positions = np.zeros(size, dtype=np.int32)
    by_key = np.argsort(keys, kind="stable").astype(np.int32)
    sorted_keys = keys[by_key]
    links_of = dict(conn.execute("SELECT tag_id, tracks FROM tag_totals").fetchall())
    at = 0
    # Whole tags a statement, in the order they are numbered, so each batch sorted by tag
    # follows the one before: no sort of every link, which would take as much memory again.
    for batch in _batches([tag_id for tag_id, _, _ in tags], links_of, CHUNK * 4):
        (text,) = conn.execute(
            """SELECT group_concat(tag_id || ',' || rating_key) FROM track_tags
               WHERE tag_id IN (SELECT value FROM json_each(?))""",
            (orjson.dumps(batch).decode(),),
        ).fetchone()
        links = np.fromstring(text or "", dtype=np.int64, sep=",").reshape(-1, 2)
        found = np.minimum(np.searchsorted(sorted_keys, links[:, 1]), max(len(keys) - 1, 0))
        held = sorted_keys[found] == links[:, 1] if len(keys) else np.zeros(0, dtype=bool)
        tag_numbers, tag_positions = number_of[links[held, 0]], by_key[found[held]]
        order = np.argsort(tag_numbers, kind="stable")
        positions[at : at + len(order)] = tag_positions[order]
        counts += np.bincount(tag_numbers, minlength=len(names))
        at += len(order)
    positions = positions[:at]
    starts = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    return TagLinks(names, kinds, ids, starts, positions)


def _batches(ids: list[int], sizes: dict[int, int], most: int) -> Iterator[list[int]]:
    """``ids`` in order, cut into runs of about ``most`` links (a tag larger is alone)."""
    batch: list[int] = []
    held = 0
    for tag_id in ids:
        size = sizes.get(tag_id, 0)
        if batch and held + size > most:
            yield batch
            batch, held = [], 0
        batch.append(tag_id)
        held += size
    if batch:
        yield batch


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
    owners: Column,
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
    return Groups(keys, of_track, ranks, order)


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
