"""Build small cache snapshots by hand, for tests of the cache and what reads it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from plexcrate.cache.database import Database
from plexcrate.cache.rows import AlbumRow, ArtistRow, TrackRow
from plexcrate.cache.snapshot import SnapshotBuilder
from plexcrate.cache.text import search_text


def artist(key: int, title: str, *genres: str) -> ArtistRow:
    return ArtistRow(key, 1, title, 100, 100, None, genres)


def album(
    key: int, artist_key: int, title: str, *genres: str, year: int | None = None, live=False
) -> AlbumRow:
    return AlbumRow(key, 1, artist_key, title, "?", year, live, None, 100, 100, None, genres)


def track(
    key: int,
    album_key: int,
    artist_key: int,
    title: str = "Song",
    *,
    artist: str = "Artist",
    album_artist: str | None = None,
    album_title: str = "Album",
    year: int | None = None,
    rating: int | None = None,
    live: bool = False,
    disc: int | None = 1,
    number: int | None = None,
) -> TrackRow:
    album_artist = album_artist or artist
    return TrackRow(
        rating_key=key,
        section_id=1,
        album_key=album_key,
        artist_key=artist_key,
        title=title,
        artist=artist,
        album_artist=album_artist,
        album=album_title,
        year=year,
        duration_ms=200_000,
        user_rating=rating,
        disc_number=disc,
        track_number=number if number is not None else key,
        is_live=live,
        view_count=0,
        added_at=100,
        updated_at=100,
        last_rated_at=None,
        last_viewed_at=None,
        search_text=search_text(title, artist, album_artist, album_title),
    )


def publish(db: Database, artists=(), albums=(), tracks=(), *, machine="server-a") -> int:
    def build(conn: sqlite3.Connection) -> int:
        builder = SnapshotBuilder(conn)
        builder.add_artists(artists)
        builder.add_albums(albums)
        builder.add_tracks(tracks)
        return builder.publish(
            machine_identifier=machine, server_name="Test", synced_at=1000.0, duration_s=1.0
        )

    return db.write(build)


def dump(path: Path) -> list[str]:
    """Everything in the cache file, as SQL, for byte-for-byte comparisons of content."""
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()
