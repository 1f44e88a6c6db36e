"""Drawing a recipe's tracks: which of a rule's matches, how many, in what order.

A draw takes the rule's matches (the query engine's mask), leaves out what must never come back
(tracks removed by hand), holds first what it must keep (tracks added by hand, then, in
``update`` mode, the last draw's tracks that still match, in their order), and fills up to the
limit (a number of tracks, or of minutes) from the rest in the recipe's order: a sort, or a seeded
shuffle (weighted by rating with ``favour_rating``, as ``picker.py`` weighs). Caps per artist and
per album count what is held too.

``dedupe`` keeps one copy of a song: :func:`song_key` folds an artist and a title to what the
song is called (case, accents, "feat." and edition suffixes aside), and versions whose lengths are
within 5 s of each other are one song; of them the studio version, then the better rated, is the
one drawn. The songs of a snapshot are found once (``memory.for_snapshot``), for every recipe.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from plexcrate.cache import memory
from plexcrate.cache.engine import Library, Mask
from plexcrate.cache.picker import UNRATED_AS  # the builder's weights, for the same wish
from plexcrate.cache.queries import SORTS, evaluator
from plexcrate.cache.rules import Rule
from plexcrate.cache.text import fold

SAME_SONG_MS = 5_000  # versions of a song whose lengths differ by no more are one song
MAX_TRACKS = 5000
_CHUNK = 500  # candidates whose rows are read in one statement

# "feat. X" and its kin, to the end of the title or artist (or of the bracket they open).
_FEAT = re.compile(r"[\(\[]?\s*\b(?:feat|ft|featuring)\b\.?.*$")
# A bracketed or dashed suffix naming an edition: "(Remastered 2009)", "- 2011 Remaster",
# "[Live at Wembley]", "(Mono Version)".
_EDITION_WORDS = (
    r"remaster(?:ed)?|live|mono|stereo|version|deluxe|edition|explicit|clean|bonus|single|"
    r"radio edit|album edit|re-?recorded"
)
_EDITION = re.compile(
    rf"\s*(?:[\(\[][^\)\]]*\b(?:{_EDITION_WORDS})\b[^\)\]]*[\)\]]|\s-\s.*\b(?:{_EDITION_WORDS})\b.*)$"
)
_NOT_WORD = re.compile(r"[^\w]+")


def song_title(title: str) -> str:
    """A title as the song is called: folded, without "feat." or edition suffixes."""
    text = fold(title)
    text = _FEAT.sub("", text)
    while True:  # "Song (Live) - 2011 Remaster": every suffix, from the end
        shorter = _EDITION.sub("", text)
        if shorter == text:
            break
        text = shorter
    return _NOT_WORD.sub(" ", text).strip() or fold(title)


def song_artist(artist: str) -> str:
    """An artist as a song's is called: folded, without the featured artists."""
    text = _FEAT.sub("", fold(artist))
    return _NOT_WORD.sub(" ", text).strip() or fold(artist)


def song_key(artist: str, title: str) -> str:
    """Two tracks with the same key (and lengths within 5 s) are one song."""
    return f"{song_artist(artist)}\x1f{song_title(title)}"


# --- the songs of a snapshot -------------------------------------------------------------------


def songs(conn: sqlite3.Connection) -> npt.NDArray[np.int64]:
    """Per track (by the engine's positions), the number of its song; built once a snapshot."""
    lib = evaluator(conn).library
    return memory.for_snapshot(conn, "songs", lambda c: _build_songs(c, lib))


def _build_songs(conn: sqlite3.Connection, lib: Library) -> npt.NDArray[np.int64]:
    rows = conn.execute("SELECT rating_key, artist, title, duration_ms FROM tracks").fetchall()
    numbers: dict[str, int] = {}
    names = np.zeros(lib.size, dtype=np.int64)
    durations = np.zeros(lib.size, dtype=np.float64)
    if rows:
        keys = np.fromiter((row[0] for row in rows), np.int64, len(rows))
        at = lib.positions(keys)
        if len(at) != len(rows):  # a snapshot and its engine always agree; be safe anyway
            return np.arange(lib.size, dtype=np.int64)
        names[at] = np.fromiter(
            (numbers.setdefault(song_key(r[1], r[2]), len(numbers)) for r in rows),
            np.int64,
            len(rows),
        )
        durations[at] = [np.nan if r[3] is None else r[3] for r in rows]
    # Within a name, lengths in order: a gap of more than 5 s starts another song.
    order = np.lexsort((np.nan_to_num(durations, nan=-1e18), names))
    gap = np.diff(durations[order]) > SAME_SONG_MS
    unknown = np.isnan(durations[order][1:]) | np.isnan(durations[order][:-1])
    new_name = np.diff(names[order]) != 0
    starts = np.concatenate(([True], new_name | gap | unknown))
    song = np.empty(lib.size, dtype=np.int64)
    song[order] = np.cumsum(starts) - 1
    return song


def best_versions(lib: Library, song: npt.NDArray[np.int64], mask: Mask) -> Mask:
    """Of the matching tracks, one per song: the studio version, then the better rated, then
    the first in Plex's order."""
    found = np.flatnonzero(mask)
    if not len(found):
        return mask
    rating = np.nan_to_num(lib.numbers["rating"][found].astype(np.float64), nan=-1.0)
    order = np.lexsort((found, -rating, lib.live[found], song[found]))
    ranked = found[order]
    first = np.concatenate(([True], np.diff(song[ranked]) != 0))
    best = np.zeros_like(mask)
    best[ranked[first]] = True
    return best


# --- drawing -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DrawSpec:
    tracks: int | None = 50  # at most this many tracks, or
    minutes: float | None = None  # tracks until the playlist lasts this long
    sort: str = "random"
    favour_rating: bool = False
    max_per_artist: int | None = None
    max_per_album: int | None = None
    dedupe: bool = False

    def __post_init__(self) -> None:
        if self.sort not in SORTS:
            raise ValueError(f"{self.sort!r} is not a sort; use one of {', '.join(SORTS)}")


@dataclass(frozen=True, slots=True)
class Drawn:
    keys: list[int]  # the draw's own tracks, in order (what is held by hand is not among them)
    duration_ms: int  # of those and of what was held by hand


@dataclass(frozen=True, slots=True)
class _Row:
    key: int
    artist: str
    album: int | None
    duration_ms: int | None


class _Tally:
    """What the playlist holds so far, against the limit and the caps."""

    def __init__(self, spec: DrawSpec) -> None:
        self.spec = spec
        self.count = 0
        self.ms = 0
        self.artists: dict[str, int] = {}
        self.albums: dict[int, int] = {}

    def full(self) -> bool:
        spec = self.spec
        if spec.minutes is not None:
            return self.ms >= spec.minutes * 60_000 or self.count >= MAX_TRACKS
        return self.count >= min(spec.tracks or 0, MAX_TRACKS)

    def fits(self, row: _Row) -> bool:
        spec = self.spec
        if spec.minutes is not None and row.duration_ms is None:
            return False  # its length unknown, the playlist's would be a guess
        if spec.max_per_artist and self.artists.get(row.artist, 0) >= spec.max_per_artist:
            return False
        return not (
            spec.max_per_album
            and row.album is not None
            and self.albums.get(row.album, 0) >= spec.max_per_album
        )

    def add(self, row: _Row) -> None:
        self.count += 1
        self.ms += row.duration_ms or 0
        self.artists[row.artist] = self.artists.get(row.artist, 0) + 1
        if row.album is not None:
            self.albums[row.album] = self.albums.get(row.album, 0) + 1


def draw(
    conn: sqlite3.Connection,
    rule: Rule,
    spec: DrawSpec,
    *,
    seed: int,
    pinned: Sequence[int] = (),
    keep: Sequence[int] = (),
    exclude: Sequence[int] = (),
) -> Drawn:
    """The recipe's tracks for the snapshot ``conn`` reads.

    ``pinned``: tracks added by hand, held whatever the rule says (they count toward the limit
    and the caps, and are not in the answer); ``keep``: tracks to hold first, in their order,
    if they still match (``update`` mode); ``exclude``: never drawn.
    """
    found = evaluator(conn)
    lib = found.library
    matches = found.mask(rule)
    tally = _Tally(spec)
    for row in _rows(conn, list(dict.fromkeys(pinned))):
        tally.add(row)
    never = set(exclude) | set(pinned)
    kept_at = lib.positions([k for k in dict.fromkeys(keep) if k not in never])
    kept_at = kept_at[matches[kept_at]]
    chosen: list[int] = []
    for row in _rows(conn, lib.keys[kept_at].tolist()):
        if not tally.full() and tally.fits(row):
            tally.add(row)
            chosen.append(row.key)
    candidates = matches.copy()
    candidates[lib.positions([*never, *chosen])] = False
    if spec.dedupe:
        song = songs(conn)
        held = np.isin(song, song[lib.positions([*pinned, *chosen])])
        candidates = best_versions(lib, song, candidates) & ~held
    for row in _in_order(conn, lib, candidates, spec, seed):
        if tally.full():
            break
        if tally.fits(row):
            tally.add(row)
            chosen.append(row.key)
    return Drawn(keys=chosen, duration_ms=tally.ms)


def _in_order(
    conn: sqlite3.Connection, lib: Library, candidates: Mask, spec: DrawSpec, seed: int
) -> Iterator[_Row]:
    """The candidates' rows in the draw's order, read a chunk at a time as the draw needs."""
    found = np.flatnonzero(candidates)
    order: npt.NDArray[Any]
    if spec.sort == "random":
        shuffle = lib.shuffle_keys(seed, found)
        if spec.favour_rating:
            uniform = ((shuffle & 0xFFFFFF) + 1) / 16_777_218.0
            rating = np.nan_to_num(lib.numbers["rating"][found].astype(np.float64), nan=UNRATED_AS)
            order = found[np.lexsort((lib.keys[found], -np.log(uniform) / 2.0 ** (rating / 2)))]
        else:
            order = found[np.lexsort((lib.keys[found], shuffle))]
    else:
        every = lib.order(spec.sort)
        order = every[candidates[every]]
    for start in range(0, len(order), _CHUNK):
        yield from _rows(conn, lib.keys[order[start : start + _CHUNK]].tolist())


def _rows(conn: sqlite3.Connection, keys: list[int]) -> list[_Row]:
    """These tracks' artist (case aside), album and length, in this order (those held)."""
    if not keys:
        return []
    rows = conn.execute(
        """SELECT t.rating_key, lower(t.artist), t.album_key, t.duration_ms
           FROM json_each(?) p JOIN tracks t ON t.rating_key = p.value ORDER BY p.key""",
        (orjson.dumps(keys).decode(),),
    )
    return [_Row(*row) for row in rows]


def duration_of(conn: sqlite3.Connection, keys: Sequence[int]) -> int:
    """The length of these tracks (those the cache holds), in ms."""
    return sum(row.duration_ms or 0 for row in _rows(conn, list(keys)))
