"""What the cache stores, one named tuple per kind of row.

The sync engine maps Plex's items into these; the snapshot builder and the refresh's patch write
them. Tuples, because a 100,000-track sync creates 100,000 of them and ``executemany`` takes them
as they are; written by column name (:func:`insert_sql` names each column after its field), so a
column added to a table can never shift another one's data.

``tags`` are (kind, name) pairs (see ``tags.py``), written to the row's link table, not to its own.
"""

from __future__ import annotations

from typing import NamedTuple

Tags = tuple[tuple[str, str], ...]  # (kind, name), e.g. ("genre", "Rock")


class ArtistRow(NamedTuple):
    rating_key: int
    section_id: int
    title: str
    added_at: int | None
    updated_at: int | None
    thumb: str | None  # Plex's path to the art, e.g. /library/metadata/7/thumb/1700000000
    tags: Tags


class AlbumRow(NamedTuple):
    rating_key: int
    section_id: int
    artist_key: int | None
    title: str
    album_artist: str
    year: int | None
    is_live: bool
    track_count: int | None
    added_at: int | None
    updated_at: int | None
    thumb: str | None  # Plex's path to the art, e.g. /library/metadata/7/thumb/1700000000
    tags: Tags


class TrackRow(NamedTuple):
    rating_key: int
    section_id: int
    album_key: int | None
    artist_key: int | None
    title: str
    artist: str
    album_artist: str
    album: str
    year: int | None
    duration_ms: int | None
    user_rating: int | None
    disc_number: int | None
    track_number: int | None
    is_live: bool
    view_count: int
    added_at: int | None
    updated_at: int | None
    last_rated_at: int | None
    last_viewed_at: int | None
    deleted_at: int | None  # Plex's deletedAt: in the trash, so unavailable
    guid: str | None  # plex://track/… or local://…: survives a new rating key
    tags: Tags  # the track's own (PMS 1.40 and later: genres, moods)


Row = ArtistRow | AlbumRow | TrackRow


def columns(row_type: type[Row]) -> tuple[str, ...]:
    """The table columns a row type fills: every field but its tags."""
    return tuple(name for name in row_type._fields if name != "tags")


def insert_sql(verb: str, table: str, row_type: type[Row]) -> str:
    """``INSERT … INTO table (col, …) VALUES (?, …)`` for rows of ``row_type`` given as
    :func:`values` (``verb``: "INSERT", "INSERT OR REPLACE"…)."""
    names = columns(row_type)
    return f"{verb} INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"


def values(row: Row) -> tuple[object, ...]:
    """The row's column values, in :func:`columns` order (tags are the last field)."""
    return row[:-1]
