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

from plexcrate.cache.recipes import create_recipe_tables
from plexcrate.cache.tags import TAG_TOTALS_SQL, TRACK_TAG_COPIES, TRACK_TAG_COPIES_DDL, derive_sql

APPLICATION_ID = 0x706C7863  # "plxc"

STAGING = "staging_"

# Every table a snapshot replaces, in the order they are created.
LIBRARY_TABLES = (
    "tags",
    "artists",
    "artist_tags",
    "albums",
    "album_tags",
    "tracks",
    "track_own_tags",
    "track_tags",
    "tag_totals",
    "playlists",
    "playlist_items",
)


class ForeignCacheFile(sqlite3.DatabaseError):
    """The file is SQLite, but not a plexcrate cache we can use."""


def library_tables_sql(prefix: str = "") -> list[str]:
    p = prefix
    return [
        # Every kind of tag in one table (each declared in cache/tags.py KINDS), so that each
        # kind is stored, indexed, filtered and counted the same way.
        f"""CREATE TABLE {p}tags (
            id   INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            name TEXT NOT NULL COLLATE NOCASE,
            UNIQUE (kind, name)
        )""",
        f"""CREATE TABLE {p}artists (
            rating_key INTEGER PRIMARY KEY,
            section_id INTEGER NOT NULL,
            title      TEXT NOT NULL,
            added_at   INTEGER,
            updated_at INTEGER,
            thumb      TEXT
        )""",
        # Tags as Plex lists them on each artist, album and track; a track's own tags (PMS
        # 1.40 and later) are its genres and moods.
        f"""CREATE TABLE {p}artist_tags (
            artist_key INTEGER NOT NULL,
            tag_id     INTEGER NOT NULL,
            PRIMARY KEY (artist_key, tag_id)
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
        f"""CREATE TABLE {p}album_tags (
            album_key INTEGER NOT NULL,
            tag_id    INTEGER NOT NULL,
            PRIMARY KEY (album_key, tag_id)
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
            deleted_at     INTEGER,
            guid           TEXT
        )""",
        f"""CREATE TABLE {p}track_own_tags (
            rating_key INTEGER NOT NULL,
            tag_id     INTEGER NOT NULL,
            PRIMARY KEY (rating_key, tag_id)
        ) WITHOUT ROWID""",
        # A track's tags of every kind as they apply to it (derive_sql: its own genres, else
        # its album's, else its artist's; and so on), with copies of the track's filter
        # columns (derive_sql keeps them): a tag's tracks are one range of the primary key, and
        # its count under a filter reads this table alone, not a track row per link.
        f"""CREATE TABLE {p}track_tags (
            tag_id     INTEGER NOT NULL,
            rating_key INTEGER NOT NULL,
            {TRACK_TAG_COPIES_DDL},
            PRIMARY KEY (tag_id, rating_key)
        ) WITHOUT ROWID""",
        # Per tag, its tracks, and those not live: the facets of an unfiltered library (or of
        # one without live recordings, the browser's first screen) without counting a link.
        f"""CREATE TABLE {p}tag_totals (
            tag_id  INTEGER PRIMARY KEY,
            tracks  INTEGER NOT NULL,
            studio  INTEGER NOT NULL
        )""",
        *playlist_tables_sql(p),
    ]


def playlist_tables_sql(prefix: str = "") -> list[str]:
    """Plex's audio playlists and what each holds, in order (``sync/playlists.py`` mirrors
    them): part of the library, so a full sync replaces them with the rest and a server change
    clears them. An item is kept by its key even when it is not a track of the mirrored
    sections (it then matches no track)."""
    p = prefix
    return [
        # ``leaf_count`` and ``updated_at`` are Plex's, as last listed: a refresh reads again
        # only the playlists whose listing differs from them.
        f"""CREATE TABLE {p}playlists (
            id          INTEGER PRIMARY KEY,
            title       TEXT NOT NULL,
            smart       INTEGER NOT NULL DEFAULT 0,
            leaf_count  INTEGER,
            duration_ms INTEGER,
            updated_at  INTEGER
        )""",
        f"""CREATE TABLE {p}playlist_items (
            playlist_id INTEGER NOT NULL,
            position    INTEGER NOT NULL,
            rating_key  INTEGER NOT NULL,
            PRIMARY KEY (playlist_id, position)
        ) WITHOUT ROWID""",
    ]


# Which playlists hold a track (a rule on ``playlist`` reads it the other way, by playlist).
PLAYLIST_INDEX_SQL = "CREATE INDEX idx_playlist_items_track ON playlist_items (rating_key)"

# A track's key by its guid: a full sync finds tracks Plex gave new keys (see REKEYED_SQL).
GUID_INDEX_SQL = "CREATE INDEX idx_tracks_guid ON tracks (guid)"

# The tracks a person can play. A track in Plex's trash (``deleted_at``: its file deleted or
# unreachable, still listed until the trash is emptied) stays a row, so that Plex's counts,
# which include it, still compare with the cache's; every list, facet, pick and search reads
# this instead of ``tracks``.
AVAILABLE_TRACKS = "(SELECT * FROM tracks WHERE deleted_at IS NULL)"
UNAVAILABLE_TRACKS = "(SELECT * FROM tracks WHERE deleted_at IS NOT NULL)"

# Keys Plex replaced (a metadata refresh gives unchanged tracks new ratingKeys, same guid):
# a saved list naming an old key follows it to the new one. Not a library table: a full sync
# adds to it rather than replacing it; a server change clears it.
REKEYED_SQL = """CREATE TABLE rekeyed (
    old_key INTEGER PRIMARY KEY,
    new_key INTEGER NOT NULL
)"""

# Created once the data is in: building an index over loaded rows beats maintaining it per insert.
# The two track indexes the browser reads are *covering* for the filters: a page, its total and
# the facets are found from an index alone, and only the rows of the page itself are read from
# the (wide) table.
LIBRARY_INDEXES_SQL = [
    # The default listing order; the rating_key tie-break makes paging exact. The filter
    # columns after it let a page be found, and a deep one skipped to, within the index.
    """CREATE INDEX idx_tracks_browse ON tracks (album_artist COLLATE NOCASE,
        album COLLATE NOCASE, disc_number, track_number, rating_key, is_live, year,
        user_rating, added_at, view_count)""",
    # Counts, random order and the decade facet; is_live first, since "no live recordings" is
    # the browser's default filter.
    "CREATE INDEX idx_tracks_filter ON tracks (is_live, year, user_rating, added_at, view_count)",
    "CREATE INDEX idx_tracks_album ON tracks (album_key)",
    "CREATE INDEX idx_track_tags_track ON track_tags (rating_key)",
    "CREATE INDEX idx_albums_artist ON albums (artist_key)",
    # A refresh counts a section's tracks and played tracks, in all and per album (covering).
    "CREATE INDEX idx_tracks_section ON tracks (section_id, album_key, view_count)",
    PLAYLIST_INDEX_SQL,
    GUID_INDEX_SQL,
]

# Text search: a word-prefix index over each track's title, artist, album artist and album, its
# content read from ``tracks`` (nothing stored twice). Folding like cache.text.fold: case and
# accents don't matter. The 1- and 2-letter prefix indexes keep a search as-you-type cheap.
FTS_SQL = [
    """CREATE VIRTUAL TABLE tracks_fts USING fts5(title, artist, album_artist, album,
        content='tracks', content_rowid='rating_key',
        tokenize='unicode61 remove_diacritics 2', prefix='1 2')""",
    "INSERT INTO tracks_fts (tracks_fts) VALUES ('rebuild')",
]
# Keep the index in step with ``tracks`` on every later change (a refresh's patch). Created
# after a snapshot's bulk load, which the rebuild above indexes in one go.
_FTS_COLUMNS = "title, artist, album_artist, album"
FTS_TRIGGERS_SQL = [
    f"""CREATE TRIGGER tracks_fts_insert AFTER INSERT ON tracks BEGIN
        INSERT INTO tracks_fts (rowid, {_FTS_COLUMNS})
        VALUES (new.rating_key, new.title, new.artist, new.album_artist, new.album);
    END""",
    f"""CREATE TRIGGER tracks_fts_delete AFTER DELETE ON tracks BEGIN
        INSERT INTO tracks_fts (tracks_fts, rowid, {_FTS_COLUMNS})
        VALUES ('delete', old.rating_key, old.title, old.artist, old.album_artist, old.album);
    END""",
    f"""CREATE TRIGGER tracks_fts_update AFTER UPDATE ON tracks BEGIN
        INSERT INTO tracks_fts (tracks_fts, rowid, {_FTS_COLUMNS})
        VALUES ('delete', old.rating_key, old.title, old.artist, old.album_artist, old.album);
        INSERT INTO tracks_fts (rowid, {_FTS_COLUMNS})
        VALUES (new.rating_key, new.title, new.artist, new.album_artist, new.album);
    END""",
]
SEARCH_SQL = [*FTS_SQL, *FTS_TRIGGERS_SQL]

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
    """Version 1, written as today's layout: a new cache needs none of the conversions below."""
    for statement in (*library_tables_sql(), *LIBRARY_INDEXES_SQL, *SEARCH_SQL):
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


# Versions 3 and 4 changed tables that version 6 replaced (genre links, the search text
# column); a cache older than 6 gets today's layout from _tags_and_search alone.
def _covering_indexes(conn: sqlite3.Connection) -> None:
    """Version 3: copies of the tracks' filter columns in the genre links (now in version 6)."""


def _field_separator(conn: sqlite3.Connection) -> None:
    """Version 4: the search text's field separator (now FTS5, version 6)."""


def _tags_and_search(conn: sqlite3.Connection) -> None:
    """Version 6: every kind of tag in ``tags`` and its link tables (genres were alone in
    ``genres``), the filter columns the new filters read copied into the links, and text search
    by an FTS5 index instead of a ``search_text`` column scanned with LIKE.

    An older cache is converted in place, so that it answers every query until the next sync
    (a full one, since the schema changed) brings the tags the old one never had.
    """
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "genres" not in tables:
        return  # made by version 1 as today's layout
    for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
    ).fetchall():
        conn.execute(f"DROP INDEX {name}")
    for statement in library_tables_sql(prefix="new_"):
        conn.execute(statement)
    old = set(_columns(conn, "tracks"))
    tracks = ", ".join(c for c in _columns(conn, "new_tracks") if c in old)
    conn.execute(f"INSERT INTO new_tracks ({tracks}) SELECT {tracks} FROM tracks")
    for table in ("artists", "albums"):
        conn.execute(f"INSERT INTO new_{table} SELECT * FROM {table}")
    conn.execute("INSERT INTO new_tags (id, kind, name) SELECT id, 'genre', name FROM genres")
    conn.execute("INSERT INTO new_artist_tags SELECT artist_key, genre_id FROM artist_genres")
    conn.execute("INSERT INTO new_album_tags SELECT album_key, genre_id FROM album_genres")
    copies = ", ".join(TRACK_TAG_COPIES)
    conn.execute(
        f"""INSERT INTO new_track_tags (tag_id, rating_key, {copies})
            SELECT g.genre_id, t.rating_key, {", ".join(f"t.{c}" for c in TRACK_TAG_COPIES)}
            FROM track_genres g JOIN tracks t USING (rating_key)"""
    )
    for table in ("genres", "artist_genres", "album_genres", "track_genres", "tracks"):
        conn.execute(f"DROP TABLE {table}")
    for table in ("artists", "albums"):
        conn.execute(f"DROP TABLE {table}")
    for table in LIBRARY_TABLES:
        conn.execute(f"ALTER TABLE new_{table} RENAME TO {table}")
    for statement in (*derive_sql(), TAG_TOTALS_SQL):  # the artists' tags were not there
        conn.execute(statement)
    for statement in (*LIBRARY_INDEXES_SQL, *SEARCH_SQL):
        conn.execute(statement)
    conn.execute("ANALYZE")


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


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


def _generation(conn: sqlite3.Connection) -> None:
    """Version 8: ``sync_state.generation`` names the library's snapshot, for what is kept in
    memory per snapshot (``cache/memory.py``). It starts from a random number, so that two
    cache files never share one, and every write that changes the library moves it."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(sync_state)")}
    if "generation" not in columns:
        conn.execute("ALTER TABLE sync_state ADD COLUMN generation INTEGER NOT NULL DEFAULT 0")
    conn.execute("UPDATE sync_state SET generation = abs(random() % 4611686018427387904)")


def _playlists(conn: sqlite3.Connection) -> None:
    """Version 9: the mirror of Plex's audio playlists (``playlists``, ``playlist_items``), for
    rules on the playlists a track is in. Empty until the next sync, a full one (the schema
    changed). A cache made by ``_initial_schema`` since, or converted by ``_tags_and_search``,
    has them already."""
    for statement in playlist_tables_sql():
        conn.execute(statement.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS", 1))
    conn.execute(PLAYLIST_INDEX_SQL.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1))


def _recipes(conn: sqlite3.Connection) -> None:
    """Recipes, rules that own a Plex playlist, and their refreshes' history
    (``cache/recipes.py``). Not library tables: no sync, server change or later migration
    touches them. ``IF NOT EXISTS``, so the step holds wherever it lands in the list."""
    create_recipe_tables(conn)


def _trash_and_guids(conn: sqlite3.Connection) -> None:
    """Issue 21: each track's ``deleted_at`` (Plex's ``deletedAt``: in the trash, mirrored as
    unavailable) and ``guid`` (which survives Plex giving the track a new key), the
    ``rekeyed`` table of old keys and their new ones, and when the trash was last checked by
    a refresh (``sync_state.trash_checked_at``) and how many tracks are in it
    (``sync_state.unavailable_count``, for the status). The columns are empty until the next sync, a
    full one (the mapping version changed). Written for whatever layout it finds: a new cache
    has the columns from version 1."""
    have = set(_columns(conn, "tracks"))
    for column in ("deleted_at INTEGER", "guid TEXT"):
        if column.split()[0] not in have:
            conn.execute(f"ALTER TABLE tracks ADD COLUMN {column}")
    conn.execute(GUID_INDEX_SQL.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1))
    conn.execute(REKEYED_SQL.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS", 1))
    state = set(_columns(conn, "sync_state"))
    for column in ("unavailable_count INTEGER NOT NULL DEFAULT 0", "trash_checked_at REAL"):
        if column.split()[0] not in state:
            conn.execute(f"ALTER TABLE sync_state ADD COLUMN {column}")


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
    _tags_and_search,
    _generation,
    _playlists,
    _recipes,
    _trash_and_guids,
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
