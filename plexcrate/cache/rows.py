"""What the cache stores, one named tuple per kind of row.

The sync engine maps Plex's items into these; the snapshot builder writes them. Tuples, because a
100,000-track sync creates 100,000 of them and ``executemany`` takes them as they are.
"""

from __future__ import annotations

from typing import NamedTuple


class ArtistRow(NamedTuple):
    rating_key: int
    section_id: int
    title: str
    added_at: int | None
    updated_at: int | None
    thumb: str | None  # Plex's path to the art, e.g. /library/metadata/7/thumb/1700000000
    genres: tuple[str, ...]


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
    genres: tuple[str, ...]


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
    search_text: str
