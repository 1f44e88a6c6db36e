"""Build a complete new library beside the old one, then swap it in atomically.

A :class:`SnapshotBuilder` opens one write transaction, creates empty staging tables and takes rows
as the sync streams them in. :meth:`~SnapshotBuilder.publish` derives what needs the whole library
(a track's genres and year come from its album or artist), replaces the live tables with the
staging ones, and commits. Until that commit every reader sees the previous complete cache; if
anything fails first, or the process dies, the transaction never commits and nothing changes.
"""

from __future__ import annotations

import sqlite3
import string
from collections.abc import Iterable

from plexcrate.cache.rows import AlbumRow, ArtistRow, TrackRow
from plexcrate.cache.schema import (
    LIBRARY_INDEXES_SQL,
    LIBRARY_TABLES,
    STAGING,
    TRACK_GENRE_COPIES,
    library_tables_sql,
)
from plexcrate.cache.state import Duration, SyncCursor, record_sync

S = STAGING


def row_marks(fields: tuple[str, ...]) -> str:
    """``?, ?, …`` for a row with these fields as its table stores it: artist and album rows
    end with their genres, which go to a link table of their own (``row[:-1]`` is the rest)."""
    return ", ".join("?" * len([name for name in fields if name != "genres"]))


_INSERT_ARTIST = f"INSERT OR REPLACE INTO {S}artists VALUES ({row_marks(ArtistRow._fields)})"
_INSERT_ALBUM = f"INSERT OR REPLACE INTO {S}albums VALUES ({row_marks(AlbumRow._fields)})"
_INSERT_TRACK = f"INSERT OR REPLACE INTO {S}tracks VALUES ({row_marks(TrackRow._fields)})"


def derive_sql(prefix: str = "", scope: str | None = None) -> list[str]:
    """What a track takes from its album and album artist, as SQL over one set of tables.

    A track's year is its album's when the track listing had none; it is live when its album
    is; its genres are its album's, else its album artist's. Plex's track listings don't carry
    album tags, so this is joined here. ``prefix`` names the table set (a snapshot's staging
    tables, or the live ones). ``scope``, a SELECT of track rating keys, limits the work to
    those tracks and first forgets their genres (a refresh); without it every track is derived,
    which is right for freshly loaded tables whose track_genres is empty (a snapshot).
    """
    p = prefix
    in_scope = f" AND {p}tracks.rating_key IN ({scope})" if scope else ""
    t_in_scope = f" AND t.rating_key IN ({scope})" if scope else ""
    forget = [f"DELETE FROM {p}track_genres WHERE rating_key IN ({scope})"] if scope else []
    # The links carry copies of the track's filter columns, so they are written after those
    # columns are derived, and rewritten whenever a track is (a refresh's scope has them all).
    copies = ", ".join(TRACK_GENRE_COPIES)
    t_copies = ", ".join(f"t.{column}" for column in TRACK_GENRE_COPIES)
    return [
        *forget,
        f"""UPDATE {p}tracks SET year = a.year FROM {p}albums a
            WHERE a.rating_key = {p}tracks.album_key AND {p}tracks.year IS NULL
              AND a.year IS NOT NULL{in_scope}""",
        f"""UPDATE {p}tracks SET is_live = 1 FROM {p}albums a
            WHERE a.rating_key = {p}tracks.album_key AND a.is_live = 1
              AND {p}tracks.is_live = 0{in_scope}""",
        f"""INSERT OR IGNORE INTO {p}track_genres (genre_id, rating_key, {copies})
            SELECT g.genre_id, t.rating_key, {t_copies} FROM {p}tracks t
            JOIN {p}album_genres g ON g.album_key = t.album_key
            WHERE 1{t_in_scope}""",
        f"""INSERT OR IGNORE INTO {p}track_genres (genre_id, rating_key, {copies})
            SELECT g.genre_id, t.rating_key, {t_copies} FROM {p}tracks t
            JOIN {p}artist_genres g ON g.artist_key = t.artist_key
            WHERE NOT EXISTS (SELECT 1 FROM {p}album_genres ag WHERE ag.album_key = t.album_key)
              {t_in_scope}""",
    ]


DERIVE_SQL = derive_sql(S)


def newest_timestamp_sql(prefix: str = "") -> str:
    """The newest Plex timestamp in a table set: where the next refresh's reads start."""
    p = prefix
    return f"""SELECT max(
        (SELECT max(max(coalesce(added_at, 0), coalesce(updated_at, 0),
                        coalesce(last_rated_at, 0), coalesce(last_viewed_at, 0)))
           FROM {p}tracks),
        (SELECT max(max(coalesce(added_at, 0), coalesce(updated_at, 0))) FROM {p}albums),
        (SELECT max(max(coalesce(added_at, 0), coalesce(updated_at, 0))) FROM {p}artists))"""


class SnapshotBuilder:
    """One new snapshot of the library, built inside one write transaction on ``conn``."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self.track_count = 0
        conn.execute("BEGIN IMMEDIATE")
        try:
            for table in LIBRARY_TABLES:
                conn.execute(f"DROP TABLE IF EXISTS {S}{table}")
            for statement in library_tables_sql(S):
                conn.execute(statement)
            self._genre_id = GenreIds(conn, f"{S}genres")
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

    def newest_timestamp(self) -> int | None:
        """The newest Plex timestamp among the rows added so far (None for an empty library)."""
        newest = self._conn.execute(newest_timestamp_sql(S)).fetchone()[0]
        return newest or None

    def publish(
        self,
        *,
        machine_identifier: str,
        server_name: str,
        synced_at: float,
        duration_s: Duration,
        kind: str = "full",
        cursor: SyncCursor | None = None,
    ) -> int:
        """Swap the staging tables in and commit. Returns the number of tracks now cached."""
        conn = self._conn
        try:
            self.swap()
            track_count = record_sync(
                conn,
                machine_identifier=machine_identifier,
                server_name=server_name,
                synced_at=synced_at,
                duration_s=duration_s,
                kind=kind,
                cursor=cursor,
            )
            conn.execute("COMMIT")
        except BaseException:
            self.abort()
            raise
        return track_count

    def swap(self) -> None:
        """Derive what needs the whole library, and put the staging tables in the place of the
        live ones, indexed, without committing: the transaction goes on (a sync checks the
        result against Plex and patches it before it commits; see sync/engine.py)."""
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
            # Fresh statistics for the query planner, sampled so this stays quick.
            conn.execute("PRAGMA analysis_limit = 1000")
            conn.execute("ANALYZE")
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    def _add_genres(self, table: str, owners: Iterable[tuple[int, tuple[str, ...]]]) -> None:
        pairs = [(key, self._genre_id(name)) for key, names in owners for name in names]
        self._conn.executemany(f"INSERT OR IGNORE INTO {S}{table} VALUES (?, ?)", pairs)


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def nocase(name: str) -> str:
    """``name`` as SQLite's NOCASE collation compares it: ASCII letters folded, nothing else.

    Not ``str.lower()``: "Électro" and "électro" are two names to NOCASE, so a filter on one
    of them must not have been merged into the other (it would find nothing).
    """
    return name.translate(_ASCII_LOWER)


class GenreIds:
    """Genre ids by name, inserting a row into ``table`` for each name not seen before.

    Names are keyed like the column's NOCASE collation, so "Rock" and "rock" are one genre.
    """

    def __init__(self, conn: sqlite3.Connection, table: str) -> None:
        self._conn = conn
        self._table = table
        self._ids = {nocase(name): gid for gid, name in conn.execute(f"SELECT * FROM {table}")}
        self._next = max(self._ids.values(), default=0) + 1

    def __call__(self, name: str) -> int:
        key = nocase(name)
        genre_id = self._ids.get(key)
        if genre_id is None:
            genre_id = self._ids[key] = self._next
            self._next += 1
            self._conn.execute(f"INSERT INTO {self._table} VALUES (?, ?)", (genre_id, name))
        return genre_id
