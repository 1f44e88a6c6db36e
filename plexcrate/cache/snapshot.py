"""Build a complete new library beside the old one, then swap it in atomically.

A :class:`SnapshotBuilder` opens one write transaction, creates empty staging tables and takes rows
as the sync streams them in. :meth:`~SnapshotBuilder.publish` derives what needs the whole library
(a track's genres and year come from its album or artist), replaces the live tables with the
staging ones, and commits. Until that commit every reader sees the previous complete cache; if
anything fails first, or the process dies, the transaction never commits and nothing changes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from plexcrate.cache.rows import AlbumRow, ArtistRow, TrackRow
from plexcrate.cache.schema import (
    LIBRARY_INDEXES_SQL,
    LIBRARY_TABLES,
    SCHEMA_VERSION,
    STAGING,
    library_tables_sql,
)

S = STAGING

_INSERT_ARTIST = f"INSERT OR REPLACE INTO {S}artists VALUES (?, ?, ?, ?, ?)"
_INSERT_ALBUM = f"INSERT OR REPLACE INTO {S}albums VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_INSERT_TRACK = (
    f"INSERT OR REPLACE INTO {S}tracks VALUES ({', '.join('?' * len(TrackRow._fields))})"
)

# A track's year is its album's; its genres are its album's, else its album artist's; it is live
# when its album is. Plex's track listings don't carry album tags, so this is joined here, in SQL.
DERIVE_SQL = [
    f"""UPDATE {S}tracks SET year = a.year FROM {S}albums a
        WHERE a.rating_key = {S}tracks.album_key AND {S}tracks.year IS NULL
          AND a.year IS NOT NULL""",
    f"""UPDATE {S}tracks SET is_live = 1 FROM {S}albums a
        WHERE a.rating_key = {S}tracks.album_key AND a.is_live = 1 AND {S}tracks.is_live = 0""",
    f"""INSERT OR IGNORE INTO {S}track_genres (genre_id, rating_key)
        SELECT g.genre_id, t.rating_key FROM {S}tracks t
        JOIN {S}album_genres g ON g.album_key = t.album_key""",
    f"""INSERT OR IGNORE INTO {S}track_genres (genre_id, rating_key)
        SELECT g.genre_id, t.rating_key FROM {S}tracks t
        JOIN {S}artist_genres g ON g.artist_key = t.artist_key
        WHERE NOT EXISTS (SELECT 1 FROM {S}album_genres ag WHERE ag.album_key = t.album_key)""",
]


class SnapshotBuilder:
    """One new snapshot of the library, built inside one write transaction on ``conn``."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._genre_ids: dict[str, int] = {}
        self.track_count = 0
        conn.execute("BEGIN IMMEDIATE")
        try:
            for table in LIBRARY_TABLES:
                conn.execute(f"DROP TABLE IF EXISTS {S}{table}")
            for statement in library_tables_sql(S):
                conn.execute(statement)
        except BaseException:
            self.abort()
            raise

    def add_artists(self, rows: Iterable[ArtistRow]) -> None:
        rows = list(rows)
        self._conn.executemany(_INSERT_ARTIST, (row[:-1] for row in rows))
        self._add_genres("artist_genres", ((row.rating_key, row.genres) for row in rows))

    def add_albums(self, rows: Iterable[AlbumRow]) -> None:
        rows = list(rows)
        self._conn.executemany(_INSERT_ALBUM, (row[:-1] for row in rows))
        self._add_genres("album_genres", ((row.rating_key, row.genres) for row in rows))

    def add_tracks(self, rows: Iterable[TrackRow]) -> int:
        before = self._conn.total_changes
        self._conn.executemany(_INSERT_TRACK, rows)
        added = self._conn.total_changes - before
        self.track_count += added
        return added

    def publish(
        self,
        *,
        machine_identifier: str,
        server_name: str,
        synced_at: float,
        duration_s: float,
        kind: str = "full",
    ) -> int:
        """Swap the staging tables in and commit. Returns the number of tracks now cached."""
        conn = self._conn
        try:
            for statement in DERIVE_SQL:
                conn.execute(statement)
            for table in LIBRARY_TABLES:
                conn.execute(f"DROP TABLE {table}")
            for table in LIBRARY_TABLES:
                conn.execute(f"ALTER TABLE {S}{table} RENAME TO {table}")
            for statement in LIBRARY_INDEXES_SQL:
                conn.execute(statement)
            track_count = conn.execute("SELECT count(*) FROM tracks").fetchone()[0]
            conn.execute(
                """UPDATE sync_state SET machine_identifier = ?, server_name = ?, synced_at = ?,
                       track_count = ?, sync_duration_s = ?, sync_kind = ?, schema_version = ?
                   WHERE id = 1""",
                (
                    machine_identifier,
                    server_name,
                    synced_at,
                    track_count,
                    duration_s,
                    kind,
                    SCHEMA_VERSION,
                ),
            )
            # Fresh statistics for the query planner, sampled so this stays quick.
            conn.execute("PRAGMA analysis_limit = 1000")
            conn.execute("ANALYZE")
            conn.execute("COMMIT")
        except BaseException:
            self.abort()
            raise
        return track_count

    def abort(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    def _add_genres(self, table: str, owners: Iterable[tuple[int, tuple[str, ...]]]) -> None:
        pairs = [(key, self._genre_id(name)) for key, names in owners for name in names]
        self._conn.executemany(f"INSERT OR IGNORE INTO {S}{table} VALUES (?, ?)", pairs)

    def _genre_id(self, name: str) -> int:
        # Keyed like the column's NOCASE collation, so "Rock" and "rock" are one genre.
        key = name.lower()
        genre_id = self._genre_ids.get(key)
        if genre_id is None:
            genre_id = len(self._genre_ids) + 1
            self._genre_ids[key] = genre_id
            self._conn.execute(f"INSERT INTO {S}genres VALUES (?, ?)", (genre_id, name))
        return genre_id
