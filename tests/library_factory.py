"""Build small cache snapshots by hand, for tests of the cache and what reads it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from plexcrate.cache.database import Database
from plexcrate.cache.rows import AlbumRow, ArtistRow, Tags, TrackRow
from plexcrate.cache.snapshot import SnapshotBuilder


def tags(**kinds: tuple[str, ...] | list[str] | str | None) -> Tags:
    """``tags(genre=("Rock",), label="Sub Pop")`` as (kind, name) pairs."""
    pairs: list[tuple[str, str]] = []
    for kind, names in kinds.items():
        if isinstance(names, str):
            names = (names,)
        pairs.extend((kind, name) for name in names or ())
    return tuple(pairs)


def artist(
    key: int,
    title: str,
    *genres: str,
    styles: tuple[str, ...] = (),
    moods: tuple[str, ...] = (),
    countries: tuple[str, ...] = (),
) -> ArtistRow:
    artist_tags = tags(genre=genres, style=styles, mood=moods, country=countries)
    return ArtistRow(key, 1, title, 100, 100, None, artist_tags)


def album(
    key: int,
    artist_key: int,
    title: str,
    *genres: str,
    year: int | None = None,
    live: bool = False,
    styles: tuple[str, ...] = (),
    moods: tuple[str, ...] = (),
    types: tuple[str, ...] = (),
    label: str | None = None,
) -> AlbumRow:
    album_tags = tags(genre=genres, style=styles, mood=moods, album_type=types, label=label)
    return AlbumRow(key, 1, artist_key, title, "?", year, live, None, 100, 100, None, album_tags)


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
    genres: tuple[str, ...] = (),
    moods: tuple[str, ...] = (),
    added_at: int = 100,
    plays: int = 0,
    last_played: int | None = None,
    duration_ms: int | None = 200_000,
    deleted_at: int | None = None,
    guid: str | None = None,
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
        duration_ms=duration_ms,
        user_rating=rating,
        disc_number=disc,
        track_number=number if number is not None else key,
        is_live=live,
        view_count=plays,
        added_at=added_at,
        updated_at=100,
        last_rated_at=None,
        last_viewed_at=last_played,
        deleted_at=deleted_at,
        guid=guid,
        tags=tags(genre=genres, mood=moods),
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
