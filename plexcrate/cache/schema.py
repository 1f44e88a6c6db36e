"""The cache's tables, indexes and migrations.

The library lives in a *set* of tables (artists, albums, tracks and their genres). A sync builds
the whole set again under a staging prefix and swaps it in, so the DDL is written once, as a
function of the prefix. Indexes are created after the bulk load, under their final names.

``PRAGMA user_version`` counts applied migrations; ``PRAGMA application_id`` marks the file as
ours, so a foreign SQLite file in the data folder is refused rather than written into.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

APPLICATION_ID = 0x706C7863  # "plxc"

STAGING = "staging_"

# Every table a snapshot replaces, in the order they are created.
LIBRARY_TABLES = (
    "genres",
    "artists",
    "artist_genres",
    "albums",
    "album_genres",
    "tracks",
    "track_genres",
)


class ForeignCacheFile(sqlite3.DatabaseError):
    """The file is SQLite, but not a plexcrate cache we can use."""


# The columns of ``tracks`` that track_genres copies, as they are declared there.
TRACK_GENRE_COPIES = ("is_live", "year", "user_rating")
TRACK_GENRE_COPIES_DDL = "is_live INTEGER NOT NULL DEFAULT 0, year INTEGER, user_rating INTEGER"


def library_tables_sql(prefix: str = "") -> list[str]:
    p = prefix
    return [
        f"""CREATE TABLE {p}genres (
            id   INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE
        )""",
        f"""CREATE TABLE {p}artists (
            rating_key INTEGER PRIMARY KEY,
            section_id INTEGER NOT NULL,
            title      TEXT NOT NULL,
            added_at   INTEGER,
            updated_at INTEGER,
            thumb      TEXT
        )""",
        f"""CREATE TABLE {p}artist_genres (
            artist_key INTEGER NOT NULL,
            genre_id   INTEGER NOT NULL,
            PRIMARY KEY (artist_key, genre_id)
        ) WITHOUT ROWID""",
        f"""CREATE TABLE {p}albums (
            rating_key   INTEGER PRIMARY KEY,
            section_id   INTEGER NOT NULL,
            artist_key   INTEGER,
            title        TEXT NOT NULL,
            album_artist TEXT NOT NULL,
            year         INTEGER,
            is_live      INTEGER NOT NULL DEFAULT 0,
            track_count  INTEGER,
            added_at     INTEGER,
            updated_at   INTEGER,
            thumb        TEXT
        )""",
        f"""CREATE TABLE {p}album_genres (
            album_key INTEGER NOT NULL,
            genre_id  INTEGER NOT NULL,
            PRIMARY KEY (album_key, genre_id)
        ) WITHOUT ROWID""",
        f"""CREATE TABLE {p}tracks (
            rating_key     INTEGER PRIMARY KEY,
            section_id     INTEGER NOT NULL,
            album_key      INTEGER,
            artist_key     INTEGER,
            title          TEXT NOT NULL,
            artist         TEXT NOT NULL,
            album_artist   TEXT NOT NULL,
            album          TEXT NOT NULL,
            year           INTEGER,
            duration_ms    INTEGER,
            user_rating    INTEGER,
            disc_number    INTEGER,
            track_number   INTEGER,
            is_live        INTEGER NOT NULL DEFAULT 0,
            view_count     INTEGER NOT NULL DEFAULT 0,
            added_at       INTEGER,
            updated_at     INTEGER,
            last_rated_at  INTEGER,
            last_viewed_at INTEGER,
            search_text    TEXT NOT NULL DEFAULT ''
        )""",
        # A track's genres, with copies of the track's filter columns (derive_sql keeps them):
        # the per-genre counts under a filter then read this table alone, not one track row
        # per link (50 ms instead of 9 at 100,000 tracks).
        f"""CREATE TABLE {p}track_genres (
            genre_id    INTEGER NOT NULL,
            rating_key  INTEGER NOT NULL,
            {TRACK_GENRE_COPIES_DDL},
            PRIMARY KEY (genre_id, rating_key)
        ) WITHOUT ROWID""",
    ]


# Created once the data is in: building an index over loaded rows beats maintaining it per insert.
# The two track indexes the browser reads are *covering* for the filters (live, year, rating,
# text): a page, its total and the facets are found from an index alone, and only the rows of
# the page itself are read from the (wide) table.
LIBRARY_INDEXES_SQL = [
    # The default listing order; the rating_key tie-break makes paging exact. The filter
    # columns after it let a page be found, and a deep one skipped to, within the index.
    """CREATE INDEX idx_tracks_browse ON tracks (album_artist COLLATE NOCASE,
        album COLLATE NOCASE, disc_number, track_number, rating_key, is_live, year,
        user_rating, search_text)""",
    # Counts, random order and the decade facet; is_live first, since "no live recordings" is
    # the browser's default filter, and the text last, so that a search scans this index alone.
    "CREATE INDEX idx_tracks_filter ON tracks (is_live, year, user_rating, search_text)",
    "CREATE INDEX idx_tracks_album ON tracks (album_key)",
    "CREATE INDEX idx_track_genres_track ON track_genres (rating_key)",
    "CREATE INDEX idx_albums_artist ON albums (artist_key)",
    # A refresh counts a section's tracks and played tracks, in all and per album (covering).
    "CREATE INDEX idx_tracks_section ON tracks (section_id, album_key, view_count)",
]

SYNC_STATE_SQL = """CREATE TABLE sync_state (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    machine_identifier TEXT,
    server_name        TEXT,
    synced_at          REAL,
    track_count        INTEGER NOT NULL DEFAULT 0,
    sync_duration_s    REAL,
    sync_kind          TEXT,
    schema_version     INTEGER
)"""


def _initial_schema(conn: sqlite3.Connection) -> None:
    for statement in library_tables_sql():
        conn.execute(statement)
    for statement in LIBRARY_INDEXES_SQL:
        conn.execute(statement)
    conn.execute(SYNC_STATE_SQL)
    conn.execute("INSERT INTO sync_state (id) VALUES (1)")


def _refresh_cursor(conn: sqlite3.Connection) -> None:
    """Version 2: what an incremental refresh needs to know about the last sync.

    ``watermark`` is the newest Plex timestamp the cache has seen and ``read_window_s`` how long
    the reads behind it took (see ``sync/incremental.py``); ``section_ids`` the music libraries
    mirrored; ``full_synced_at`` when the last *full* sync finished.
    """
    for column in (
        "watermark INTEGER",
        "read_window_s REAL",
        "section_ids TEXT",
        "full_synced_at REAL",
    ):
        conn.execute(f"ALTER TABLE sync_state ADD COLUMN {column}")


def _covering_indexes(conn: sqlite3.Connection) -> None:
    """Version 3: copies of the tracks' filter columns in track_genres, and covering indexes.

    Written for whatever layout it finds, since a new cache gets today's tables from version 1
    already. The next sync is a full one (the schema changed), but until then the cache as it
    is answers every query, as fast as a new one.
    """
    columns = {row[1] for row in conn.execute("PRAGMA table_info(track_genres)")}
    for column in TRACK_GENRE_COPIES_DDL.split(", "):
        if column.split()[0] not in columns:
            conn.execute(f"ALTER TABLE track_genres ADD COLUMN {column}")
    copies = ", ".join(TRACK_GENRE_COPIES)
    conn.execute(
        f"""UPDATE track_genres SET ({copies}) = (SELECT {copies} FROM tracks t
            WHERE t.rating_key = track_genres.rating_key)"""
    )
    for name in ("idx_tracks_year", "idx_tracks_rating", *_index_names()):
        conn.execute(f"DROP INDEX IF EXISTS {name}")
    for statement in LIBRARY_INDEXES_SQL:
        conn.execute(statement)
    conn.execute("ANALYZE")


def _field_separator(conn: sqlite3.Connection) -> None:
    """Version 4: the fields of a track's search text are joined by U+001F, not " | " (which
    the search "|" found in every track). Rewritten here so searches agree at once; a field
    that itself held " | " is exact again after the next sync, a full one (the schema changed)."""
    conn.execute(
        """UPDATE tracks SET search_text = replace(search_text, ' | ', char(31))
           WHERE instr(search_text, ' | ') > 0"""
    )


def _art_paths(conn: sqlite3.Connection) -> None:
    """Version 5: each album's and artist's ``thumb``, Plex's path to its art (the art API
    fetches it). Empty until the next sync, a full one (the schema changed); written for
    whatever layout it finds, as a new cache has the column from version 1 already."""
    for table in ("artists", "albums"):
        columns = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        if "thumb" not in columns:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN thumb TEXT")


def _mapping_version(conn: sqlite3.Connection) -> None:
    """Version 6: which version of the mapping rules (how Plex items become rows: live rules,
    where genres come from) wrote the library; another version means a full sync. NULL for a
    cache written before, whose albums took their tags from listings that cut them short.
    (Written for whatever layout it finds, like version 3.)"""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(sync_state)")}
    if "mapping_version" in columns:
        conn.execute("UPDATE sync_state SET mapping_version = NULL")
    else:
        conn.execute("ALTER TABLE sync_state ADD COLUMN mapping_version INTEGER")


def _index_names() -> list[str]:
    return [statement.split()[2] for statement in LIBRARY_INDEXES_SQL]


# Append only: each entry moves the schema one version up.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _initial_schema,
    _refresh_cursor,
    _covering_indexes,
    _field_separator,
    _art_paths,
    _mapping_version,
]

SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection) -> None:
    """Bring a new or older cache file up to :data:`SCHEMA_VERSION`."""
    application_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    has_tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
    if application_id not in (0, APPLICATION_ID) or (version == 0 and has_tables):
        raise ForeignCacheFile("the file belongs to another program")
    if version > SCHEMA_VERSION:
        raise ForeignCacheFile(
            f"it was written by a newer plexcrate (schema {version}; this one knows "
            f"{SCHEMA_VERSION})"
        )
    for target in range(version + 1, SCHEMA_VERSION + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            MIGRATIONS[target - 1](conn)
            conn.execute(f"PRAGMA user_version = {target}")
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
