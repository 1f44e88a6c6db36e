"""Build a complete new library beside the old one, then swap it in atomically.

A :class:`SnapshotBuilder` opens one write transaction, creates empty staging tables and takes rows
as the sync streams them in; a track's tags and year, which come from its album or artist, are
derived as each page of tracks is added (while the sync waits on Plex for the next pages).
:meth:`~SnapshotBuilder.publish` counts each tag's tracks, replaces the live tables with the
staging ones, and commits. Until that commit every reader sees the previous complete cache; if
anything fails first, or the process dies, the transaction never commits and nothing changes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from plexcrate.cache.rows import AlbumRow, ArtistRow, Row, TrackRow, insert_sql, values
from plexcrate.cache.schema import (
    LIBRARY_INDEXES_SQL,
    LIBRARY_TABLES,
    SEARCH_SQL,
    STAGING,
    library_tables_sql,
)
from plexcrate.cache.state import Duration, SyncCursor, record_sync
from plexcrate.cache.tags import TagIds, derive_sql, tag_totals_sql

S = STAGING

_INSERT_ARTIST = insert_sql("INSERT OR REPLACE", f"{S}artists", ArtistRow)
_INSERT_ALBUM = insert_sql("INSERT OR REPLACE", f"{S}albums", AlbumRow)
_INSERT_TRACK = insert_sql("INSERT OR REPLACE", f"{S}tracks", TrackRow)

# What a page of tracks takes from its albums and artists (cache/tags.py), and the same after
# forgetting what was derived for them before: for tracks read twice (the listing moved).
_PAGE = "SELECT rating_key FROM temp.snapshot_page"
_DERIVE_PAGE_AGAIN_SQL = derive_sql(S, scope=_PAGE)
_DERIVE_PAGE_SQL = [sql for sql in _DERIVE_PAGE_AGAIN_SQL if not sql.startswith("DELETE")]


def newest_timestamp_sql(prefix: str = "") -> str:
    """The newest Plex timestamp in a table set: where the next refresh's reads start."""
    p = prefix
    return f"""SELECT max(
        (SELECT max(max(coalesce(added_at, 0), coalesce(updated_at, 0),
                        coalesce(last_rated_at, 0), coalesce(last_viewed_at, 0)))
           FROM {p}tracks),
        (SELECT max(max(coalesce(added_at, 0), coalesce(updated_at, 0))) FROM {p}albums),
        (SELECT max(max(coalesce(added_at, 0), coalesce(updated_at, 0))) FROM {p}artists))"""


# Tracks Plex gave new keys (same guid; after a metadata refresh), found by comparing the
# cache's tracks with the snapshot's before the swap: a saved list naming an old key follows
# it (``cache/playlists.py follow_rekeyed``). An older entry pointing at a key that moved
# again now points at the newest; an old key that is a track again is nobody's alias.
REKEYED_FOUND_SQL = [
    f"""INSERT OR REPLACE INTO rekeyed (old_key, new_key)
        SELECT o.rating_key, n.rating_key FROM {S}tracks n JOIN tracks o ON o.guid = n.guid
        WHERE n.guid IS NOT NULL AND o.rating_key != n.rating_key
          AND o.rating_key NOT IN (SELECT rating_key FROM {S}tracks)""",
    """UPDATE rekeyed SET new_key = (SELECT r.new_key FROM rekeyed r
           WHERE r.old_key = rekeyed.new_key)
       WHERE new_key IN (SELECT old_key FROM rekeyed)""",
    f"DELETE FROM rekeyed WHERE old_key IN (SELECT rating_key FROM {S}tracks)",
]


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
            self._tag_ids = TagIds(conn, f"{S}tags")
            conn.execute(
                "CREATE TEMP TABLE IF NOT EXISTS snapshot_page (rating_key INTEGER PRIMARY KEY)"
            )
        except BaseException:
            self.abort()
            raise

    def add_artists(self, rows: Iterable[ArtistRow]) -> None:
        rows = list(rows)
        self._conn.executemany(_INSERT_ARTIST, map(values, rows))
        self._add_tags("artist_tags", rows)

    def add_albums(self, rows: Iterable[AlbumRow]) -> None:
        rows = list(rows)
        self._conn.executemany(_INSERT_ALBUM, map(values, rows))
        self._add_tags("album_tags", rows)

    def add_tracks(self, rows: Iterable[TrackRow]) -> int:
        """Add a page of tracks, and derive what they take from their albums and artists:
        add those first."""
        conn, rows = self._conn, list(rows)
        conn.execute("DELETE FROM temp.snapshot_page")
        conn.executemany(
            "INSERT OR IGNORE INTO temp.snapshot_page VALUES (?)", [(r.rating_key,) for r in rows]
        )
        read_again = conn.execute(f"SELECT 1 FROM {S}tracks WHERE rating_key IN ({_PAGE})")
        derive = _DERIVE_PAGE_AGAIN_SQL if read_again.fetchone() else _DERIVE_PAGE_SQL
        before = conn.total_changes
        conn.executemany(_INSERT_TRACK, map(values, rows))
        added = conn.total_changes - before
        self.track_count += added
        self._add_tags("track_own_tags", rows)
        for statement in derive:
            conn.execute(statement)
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
        """Count each tag's tracks, and put the staging tables in the place of the live ones,
        indexed, without committing: the transaction goes on (a sync checks the
        result against Plex and patches it before it commits; see sync/full.py)."""
        conn = self._conn
        try:
            conn.execute(tag_totals_sql(S))
            for statement in REKEYED_FOUND_SQL:
                conn.execute(statement)
            conn.execute("DROP TABLE IF EXISTS tracks_fts")  # the index of the tables below
            for table in LIBRARY_TABLES:
                conn.execute(f"DROP TABLE {table}")
            for table in LIBRARY_TABLES:
                conn.execute(f"ALTER TABLE {S}{table} RENAME TO {table}")
            # The text index, and its triggers: what the sync patches next keeps it in step.
            for statement in (*LIBRARY_INDEXES_SQL, *SEARCH_SQL):
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

    def _add_tags(self, table: str, rows: Sequence[Row]) -> None:
        pairs = self._tag_ids.pairs([(row.rating_key, row.tags) for row in rows if row.tags])
        self._conn.executemany(f"INSERT OR IGNORE INTO {S}{table} VALUES (?, ?)", pairs)
