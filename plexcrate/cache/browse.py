"""Albums and artists: the library grouped, under the same filters and sorts as the track list.

An album (or an artist) is listed when one of its tracks matches the filters; its counts are of
the tracks that match. The sorts are the track list's, read for a group: an album's year, title
and artist are its own, its rating the best of its matching tracks', its plays and length their
sums, its last play the latest. Ties keep Plex's order; a value a group lacks sorts it last.

A list is read in two steps: :func:`group_order` finds every matching group's key in order (from
the engine's columns: the matching tracks' groups counted, then sorted by the group's own values
or by what its matching tracks hold), and :func:`groups_at` reads the groups of a page of keys.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from plexcrate.cache.engine import Groups, Library, Mask
from plexcrate.cache.filters import TrackFilter
from plexcrate.cache.queries import (
    TRACK_COLUMNS,
    Sort,
    Track,
    matching,
    row_to_track,
)
from plexcrate.cache.shuffle import shuffled
from plexcrate.cache.tags import TagKind


@dataclass(frozen=True, slots=True)
class Album:
    rating_key: int
    title: str
    album_artist: str
    artist_key: int | None
    year: int | None
    track_count: int  # its tracks in the library
    matching_tracks: int  # those the filters let through
    genres: list[str] = field(default_factory=list)
    album_types: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Artist:
    rating_key: int
    title: str
    album_count: int  # its albums with a matching track
    track_count: int  # its matching tracks


def _tags_of(links: str, owner: str) -> str:
    return f"""(SELECT group_concat(tg.kind || char(30) || tg.name, char(31)) FROM {links} l
               JOIN tags tg ON tg.id = l.tag_id WHERE l.{owner} = a.rating_key)"""


def _album(row: tuple[Any, ...]) -> Album:
    key, title, album_artist, artist_key, year, track_count, matching, tags = row
    genres: list[str] = []
    types: list[str] = []
    for pair in sorted(tags.split("\x1f"), key=str.casefold) if tags else ():
        kind, name = pair.split("\x1e", 1)
        if kind == TagKind.GENRE:
            genres.append(name)
        elif kind == TagKind.ALBUM_TYPE:
            types.append(name)
    return Album(key, title, album_artist, artist_key, year, track_count, matching, genres, types)


# How a group sorts by what its matching tracks hold: (the tracks' column, how it is combined).
# A group's own values (its title, year, when added) are in engine.Groups.sort_ranks.
_FROM_TRACKS = {
    "rating": ("rating", "max"),
    "plays": ("plays", "sum"),
    "last_played": ("last_played", "max"),
    "duration": ("duration_ms", "sum"),
    "year": ("year", "min"),  # an artist's (an album has its own)
}


@dataclass(frozen=True, slots=True)
class Grouping:
    """How the matching tracks are grouped: into which of the engine's groups (``albums`` or
    ``artists``), and what a page's row selects (over the group's row ``a``) and becomes."""

    name: str
    table: str
    selected: str  # the row's columns before the counts
    make: Callable[[tuple[Any, ...]], Any]

    def groups(self, lib: Library) -> Groups:
        return lib.albums if self.name == "albums" else lib.artists


ALBUMS = Grouping(
    name="albums",
    table="albums",
    selected="""a.rating_key, a.title, a.album_artist, a.artist_key, a.year,
        coalesce(a.track_count, 0), :matching, """
    + _tags_of("album_tags", "album_key"),
    make=lambda row: _album(row),
)
ARTISTS = Grouping(
    name="artists",
    table="artists",
    selected="a.rating_key, a.title, :albums, :matching",
    make=lambda row: Artist(*row),
)


def group_order(
    conn: sqlite3.Connection, flt: TrackFilter, grouping: Grouping, *, sort: Sort, seed: int = 0
) -> npt.NDArray[np.int64]:
    """The keys of every group with a matching track, in the sort's order: ties in the list's
    own order, a value a group lacks last either way. A caller paging through one list keeps
    this and reads each page with :func:`groups_at`."""
    lib, mask = matching(conn, flt)
    groups = grouping.groups(lib)
    owners = groups.of_track[mask]
    held = np.flatnonzero(np.bincount(owners[owners >= 0], minlength=len(groups.keys)))
    if sort.is_random:
        return groups.keys[held[np.argsort(shuffled(groups.keys[held], seed))]]
    key = sort.name.lstrip("-")
    values = groups.sort_ranks.get(key)
    if values is None and key in _FROM_TRACKS:
        values = _combined(lib, groups, mask, *_FROM_TRACKS[key])
    if values is None:  # the list's own order (held is in it)
        return groups.keys[held]
    chosen = values[held]
    if sort.name.startswith("-"):
        chosen = -chosen  # NaN stays NaN, and argsort puts NaN last
    return groups.keys[held[np.argsort(chosen, kind="stable")]]


def _combined(
    lib: Library, groups: Groups, mask: Mask, column: str, how: str
) -> npt.NDArray[np.float64]:
    """Per group, its matching tracks' ``column`` combined (max, min or sum; NaN when none of
    them has a value, as SQL's aggregates give NULL)."""
    values = lib.numbers[column]
    chosen = mask & (groups.of_track >= 0) & ~np.isnan(values)
    owners, picked = groups.of_track[chosen], values[chosen]
    result = np.full(len(groups.keys), np.nan)
    if how == "sum":
        has = np.bincount(owners, minlength=len(groups.keys)) > 0
        sums = np.bincount(owners, weights=picked, minlength=len(groups.keys))
        result[has] = sums[has]
    elif how == "max":
        result[:] = -np.inf
        np.maximum.at(result, owners, picked)
        result[np.isneginf(result)] = np.nan
    else:
        result[:] = np.inf
        np.minimum.at(result, owners, picked)
        result[np.isposinf(result)] = np.nan
    return result


def groups_at(
    conn: sqlite3.Connection,
    flt: TrackFilter,
    grouping: Grouping,
    keys: Sequence[int] | npt.NDArray[np.int64],
) -> list[Any]:
    """The groups of these keys, in their order, with the counts of their matching tracks."""
    if len(keys) == 0:
        return []
    lib, mask = matching(conn, flt)
    groups = grouping.groups(lib)
    wanted = np.asarray(keys, dtype=np.int64)
    numbers = groups.numbers(wanted)
    # One more slot, never chosen, that a track of no group (-1) reads.
    on_page = np.zeros(len(groups.keys) + 1, dtype=bool)
    on_page[numbers] = True
    page_mask = mask & on_page[groups.of_track]
    owners = groups.of_track[page_mask]
    tracks = np.bincount(owners, minlength=len(groups.keys))[numbers]
    albums = np.zeros(len(numbers), dtype=np.int64)
    if grouping is ARTISTS:
        pairs = np.unique(np.stack([owners, lib.albums.of_track[page_mask]]), axis=1)
        pairs = pairs[:, pairs[1] >= 0]
        albums = np.bincount(pairs[0], minlength=len(groups.keys))[numbers]
    found = []
    for key, matching_tracks, album_count in zip(keys, tracks, albums, strict=True):
        row = conn.execute(
            f"SELECT {grouping.selected} FROM {grouping.table} a WHERE a.rating_key = :key",
            {"key": int(key), "matching": int(matching_tracks), "albums": int(album_count)},
        ).fetchone()
        if row is not None:
            found.append(grouping.make(row))
    return found


@dataclass(frozen=True, slots=True)
class AlbumPage:
    album: Album
    tracks: list[Track]


@dataclass(frozen=True, slots=True)
class ArtistPage:
    artist: Artist
    albums: list[Album]


def album_page(conn: sqlite3.Connection, rating_key: int) -> AlbumPage | None:
    """An album and every track of it that is available (not in Plex's trash), in disc and
    track order; None if there is no such album."""
    row = conn.execute(
        f"""SELECT a.rating_key, a.title, a.album_artist, a.artist_key, a.year,
                   coalesce(a.track_count, 0), (SELECT count(*) FROM tracks t
                   WHERE t.album_key = a.rating_key AND t.deleted_at IS NULL),
                   {_tags_of("album_tags", "album_key")}
            FROM albums a WHERE a.rating_key = ?""",
        (rating_key,),
    ).fetchone()
    if row is None:
        return None
    tracks = conn.execute(
        f"""SELECT {TRACK_COLUMNS} FROM tracks t WHERE t.album_key = ? AND t.deleted_at IS NULL
            ORDER BY t.disc_number, t.track_number, t.title COLLATE NOCASE, t.rating_key""",
        (rating_key,),
    ).fetchall()
    return AlbumPage(_album(row), [row_to_track(track) for track in tracks])


def artist_page(conn: sqlite3.Connection, rating_key: int) -> ArtistPage | None:
    """An artist and its albums, oldest first; None if there is no such artist."""
    row = conn.execute(
        """SELECT a.rating_key, a.title,
                  (SELECT count(*) FROM albums b WHERE b.artist_key = a.rating_key),
                  (SELECT count(*) FROM tracks t WHERE t.artist_key = a.rating_key
                   AND t.deleted_at IS NULL)
           FROM artists a WHERE a.rating_key = ?""",
        (rating_key,),
    ).fetchone()
    if row is None:
        return None
    albums = conn.execute(
        f"""SELECT a.rating_key, a.title, a.album_artist, a.artist_key, a.year,
                   coalesce(a.track_count, 0), (SELECT count(*) FROM tracks t
                   WHERE t.album_key = a.rating_key AND t.deleted_at IS NULL),
                   {_tags_of("album_tags", "album_key")}
            FROM albums a WHERE a.artist_key = ?
            ORDER BY a.year IS NULL, a.year, a.title COLLATE NOCASE, a.rating_key""",
        (rating_key,),
    ).fetchall()
    return ArtistPage(Artist(*row), [_album(album) for album in albums])
