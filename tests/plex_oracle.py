"""What the cache should hold for a simulated library, worked out independently of the sync.

Tests compare the cache with this, field for field, so the mapping rules are written twice: once
in ``plexcrate.sync.mapping`` and once here, from the simulator's own model.
"""

from __future__ import annotations

import math
import sqlite3
import string
from typing import Any

from plexcrate.cache.database import Database
from plexcrate.cache.tags import TRACK_TAG_COPIES
from plexcrate.simulator import SimLibrary
from plexcrate.simulator.images import has_art
from plexcrate.sync.live import is_live_track


def expected_tracks(lib: SimLibrary) -> dict[int, dict[str, Any]]:
    expected = {}
    for track in lib.tracks.values():
        album = lib.albums[track.album_key]
        album_artist = lib.artists[track.artist_key]
        expected[track.rating_key] = {
            "title": track.title,
            "artist": track.original_title or album_artist.title,
            "album_artist": album_artist.title,
            "album": album.title,
            "year": album.year,
            "duration_ms": track.duration,
            "user_rating": None
            if track.user_rating is None
            else math.floor(track.user_rating + 0.5),
            "disc_number": track.disc,
            "track_number": track.index,
            "is_live": is_live_track(track.title, album.title, album.subformats),
            "view_count": track.view_count,
            "added_at": track.added_at,
            "updated_at": track.updated_at,
            "last_rated_at": track.last_rated_at,
            "last_viewed_at": track.last_viewed_at,
            # Each kind from the first of its sources that has any (docs/architecture.md).
            "genre_tags": _tag_set(track.genres or album.genres or album_artist.genres),
            "style_tags": _tag_set(album.styles or album_artist.styles),
            "mood_tags": _tag_set(track.moods or album.moods or album_artist.moods),
            "album_type_tags": _tag_set([*album.formats, *album.subformats]),
            "label_tags": _tag_set([album.studio] if album.studio else []),
            "country_tags": _tag_set(album_artist.countries),
            "artist_tags": _tag_set(
                [track.original_title or album_artist.title, album_artist.title]
            ),
        }
    return expected


# Every declared kind (test_sync checks that none is left out of the rules above).
TAG_KINDS = ("genre", "style", "mood", "album_type", "label", "country", "artist")


def cached_tracks(db: Database) -> dict[int, dict[str, Any]]:
    def read(conn: sqlite3.Connection) -> dict[int, dict[str, Any]]:
        tags: dict[tuple[int, str], list[str]] = {}
        for key, kind, name in conn.execute(
            """SELECT tt.rating_key, g.kind, g.name FROM track_tags tt
               JOIN tags g ON g.id = tt.tag_id"""
        ):
            tags.setdefault((key, kind), []).append(name)
        rows = conn.execute(
            """SELECT rating_key, title, artist, album_artist, album, year, duration_ms,
                      user_rating, disc_number, track_number, is_live, view_count, added_at,
                      updated_at, last_rated_at, last_viewed_at FROM tracks"""
        )
        columns = [c[0] for c in rows.description]
        result = {}
        for row in rows:
            record = dict(zip(columns, row, strict=True))
            key = record.pop("rating_key")
            record["is_live"] = bool(record["is_live"])
            for kind in TAG_KINDS:
                record[f"{kind}_tags"] = _tag_set(tags.get((key, kind), []))
            result[key] = record
        return result

    return db.read(read)


def _tag_set(names: list[str]) -> frozenset[str]:
    # Tag names are one tag whatever their ASCII case, like the cache's NOCASE column.
    return frozenset(_nocase(name.strip()) for name in names if name.strip())


def _nocase(name: str) -> str:
    return name.translate(str.maketrans(string.ascii_uppercase, string.ascii_lowercase))


def expected_art(lib: SimLibrary) -> dict[str, dict[int, str | None]]:
    """Each album's and artist's art path, as PMS names it (the few without art: None)."""

    def path(key: int, updated_at: int) -> str | None:
        return f"/library/metadata/{key}/thumb/{updated_at}" if has_art(key) else None

    return {
        "albums": {k: path(k, a.updated_at) for k, a in lib.albums.items()},
        "artists": {k: path(k, a.updated_at) for k, a in lib.artists.items()},
    }


def cached_art(db: Database) -> dict[str, dict[int, str | None]]:
    def read(conn: sqlite3.Connection) -> dict[str, dict[int, str | None]]:
        return {
            table: dict(conn.execute(f"SELECT rating_key, thumb FROM {table}").fetchall())
            for table in ("albums", "artists")
        }

    return db.read(read)


def assert_cache_matches(db: Database, lib: SimLibrary) -> None:
    assert cached_art(db) == expected_art(lib)
    expected, actual = expected_tracks(lib), cached_tracks(db)
    assert actual.keys() == expected.keys(), (
        f"missing {sorted(expected.keys() - actual.keys())[:10]}, "
        f"phantom {sorted(actual.keys() - expected.keys())[:10]}"
    )
    wrong = {k: (actual[k], expected[k]) for k in expected if actual[k] != expected[k]}
    assert not wrong, f"{len(wrong)} tracks differ, e.g. {next(iter(wrong.items()))}"


def library_contents(db: Database) -> dict[str, dict[Any, Any]]:
    """Every row of the library tables, keyed by rating key, with tag ids replaced by names.

    Two caches of the same library compare equal whichever ids their tags were given (a full
    sync numbers tags afresh; a refresh keeps the numbers it has).
    """

    def read(conn: sqlite3.Connection) -> dict[str, dict[Any, Any]]:
        names = {
            tag_id: (kind, name.lower())
            for tag_id, kind, name in conn.execute("SELECT id, kind, name FROM tags")
        }

        def links(table: str, owner: str) -> dict[Any, Any]:
            found: dict[int, set[tuple[str, str]]] = {}
            for key, tag_id in conn.execute(f"SELECT {owner}, tag_id FROM {table}"):
                found.setdefault(key, set()).add(names[tag_id])
            return {key: frozenset(tags) for key, tags in found.items()}

        def rows(table: str) -> dict[Any, Any]:
            return {row[0]: row for row in conn.execute(f"SELECT * FROM {table}")}

        return {
            "artists": rows("artists"),
            "albums": rows("albums"),
            "tracks": rows("tracks"),
            "artist_tags": links("artist_tags", "artist_key"),
            "album_tags": links("album_tags", "album_key"),
            "track_own_tags": links("track_own_tags", "rating_key"),
            "track_tags": links("track_tags", "rating_key"),
            "tags": {name: True for name in names.values()},
            "tag_totals": {
                names[tag_id]: (tracks, studio)
                for tag_id, tracks, studio in conn.execute("SELECT * FROM tag_totals")
            },
            # track_tags carries copies of its track's filter columns: none may be stale.
            "stale_track_tag_copies": {
                row[0]: row
                for row in conn.execute(
                    f"""SELECT tt.rating_key FROM track_tags tt JOIN tracks t USING (rating_key)
                        WHERE {" OR ".join(f"tt.{c} IS NOT t.{c}" for c in TRACK_TAG_COPIES)}"""
                )
            },
        }

    return db.read(read)


def assert_same_library(actual: Database, expected: Database) -> None:
    """The two caches hold the same library, table by table, row by row."""
    mine, theirs = library_contents(actual), library_contents(expected)
    for table, rows in theirs.items():
        got = mine[table]
        missing = sorted(rows.keys() - got.keys())[:5]
        extra = sorted(got.keys() - rows.keys())[:5]
        wrong = [(got[k], rows[k]) for k in rows.keys() & got.keys() if got[k] != rows[k]]
        assert not (missing or extra or wrong), (
            f"{table}: missing {missing}, extra {extra}, {len(wrong)} differ, e.g. {wrong[:1]}"
        )
