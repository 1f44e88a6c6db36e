"""Change the live library in place, inside one write transaction: how a refresh writes.

A full sync builds a new snapshot beside the old one (``snapshot.py``). A refresh changes few
rows, so a :class:`LibraryPatch` writes them straight into the live tables, inside one ``BEGIN
IMMEDIATE`` transaction. WAL readers keep seeing the previous state until :meth:`finish`
commits; a failure (or a kill) before that leaves the cache exactly as it was.

Rows are staged in TEMP tables of the writer's connection (none of it reaches the file) and
compared with the cached ones in SQL, so that only what differs is written: listing an
unchanged track, album or artist again costs no write. What changed is noted as it is written:

- temp triggers on ``tracks`` note every track written (its derived fields are recomputed at the
  end), every track removed (its tags go), and the albums they left or joined (their
  ``track_count`` is recounted), whichever code path wrote the row;
- an album whose track-facing fields changed (title, artist, year, live) or whose track counts
  disagree with Plex's must have its tracks read again (:meth:`next_rereads`; a re-read
  between :meth:`forget_seen` and :meth:`drop_unseen` also removes what Plex no longer lists);
  an album or artist whose tags changed, or whose tracks take a changed field from it, has
  its tracks' derived fields recomputed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

import orjson

from plexcrate.cache.rows import AlbumRow, ArtistRow, Row, TrackRow, insert_sql, values
from plexcrate.cache.schema import LIBRARY_TABLES, library_tables_sql
from plexcrate.cache.state import Duration, SyncCursor, record_sync
from plexcrate.cache.tags import UNAVAILABLE_KEYS, TagIds, derive_sql

# Staged rows have the library tables' own columns, so they compare with cached rows by EXCEPT.
_STAGED = dict(zip(LIBRARY_TABLES, library_tables_sql("temp.inc_"), strict=True))
_BOOKKEEPING = {
    "inc_viewed": "album_key INTEGER PRIMARY KEY, viewed INTEGER",  # staged albums' viewedLeafCount
    "inc_changed": "rating_key INTEGER PRIMARY KEY",  # staged rows that differ from the cache
    "inc_seen": "rating_key INTEGER PRIMARY KEY",  # tracks listed since a re-read began
    "inc_scope": "rating_key INTEGER PRIMARY KEY",  # tracks whose derived fields to recompute
    "inc_gone": "rating_key INTEGER PRIMARY KEY",  # tracks removed (their tags go)
    "inc_recount": "album_key INTEGER PRIMARY KEY",  # albums whose tracks came or went
    "inc_reread": "album_key INTEGER PRIMARY KEY, section_id INTEGER NOT NULL",
    # Albums and artists whose tracks' derived fields (tags, live, year) must be recomputed.
    "inc_rederive_albums": "album_key INTEGER PRIMARY KEY",
    "inc_rederive_artists": "artist_key INTEGER PRIMARY KEY",
    "inc_unlinked": "tag_id INTEGER PRIMARY KEY",  # tags that lost a link: still used?
}
_TEMP_TABLES = {
    **{
        f"inc_{table}": _STAGED[table]
        for table in LIBRARY_TABLES
        # (Derived tables have no staging; playlists are written by sync/playlists.py.)
        if table not in ("tags", "track_tags", "tag_totals", "playlists", "playlist_items")
    },
    **{name: f"CREATE TEMP TABLE {name} ({columns})" for name, columns in _BOOKKEEPING.items()},
}
_TEMP_TRIGGERS = {
    "inc_track_added": """CREATE TEMP TRIGGER inc_track_added AFTER INSERT ON main.tracks BEGIN
        INSERT OR IGNORE INTO inc_scope VALUES (new.rating_key);
        INSERT OR IGNORE INTO inc_recount SELECT new.album_key WHERE new.album_key IS NOT NULL;
    END""",
    "inc_track_removed": """CREATE TEMP TRIGGER inc_track_removed AFTER DELETE ON main.tracks BEGIN
        INSERT OR IGNORE INTO inc_gone VALUES (old.rating_key);
        INSERT OR IGNORE INTO inc_recount SELECT old.album_key WHERE old.album_key IS NOT NULL;
    END""",
    # A tag whose last link goes is dropped at the end (see finish).
    **{
        f"inc_unlinked_{links}": f"""CREATE TEMP TRIGGER inc_unlinked_{links}
            AFTER DELETE ON main.{links} BEGIN
                INSERT OR IGNORE INTO inc_unlinked VALUES (old.tag_id);
            END"""
        for links in ("artist_tags", "album_tags", "track_own_tags", "track_tags")
    },
}

_STAGE_TRACK = insert_sql("INSERT OR REPLACE", "inc_tracks", TrackRow)
_STAGE_ALBUM = insert_sql("INSERT OR REPLACE", "inc_albums", AlbumRow)
_STAGE_ARTIST = insert_sql("INSERT OR REPLACE", "inc_artists", ArtistRow)


def _differing_tags(links: str, owner: str, candidates: str) -> str:
    """Staged rows among ``candidates`` (a table or a subquery of staged rows) whose tags in
    ``links`` (owned by column ``owner``) differ from the cached ones."""
    staged = f"inc_{links}"
    return f"""SELECT s.rating_key FROM {candidates} s WHERE
        EXISTS (SELECT tag_id FROM {staged} WHERE {owner} = s.rating_key
                EXCEPT SELECT tag_id FROM {links} WHERE {owner} = s.rating_key)
        OR EXISTS (SELECT tag_id FROM {links} WHERE {owner} = s.rating_key
                EXCEPT SELECT tag_id FROM {staged} WHERE {owner} = s.rating_key)"""


# Cached albums whose tracks carry a stale copy of an album field (parentTitle,
# grandparentTitle and parentYear are on every track row; the live flag is folded into its
# tracks'): their tracks are read again, and derived again even where the rows read are
# unchanged (an album turned live leaves its tracks' own rows as they were).
_CHANGED_ALBUMS = """
    SELECT s.rating_key, s.section_id FROM inc_albums s JOIN albums a ON a.rating_key = s.rating_key
    WHERE s.title IS NOT a.title OR s.album_artist IS NOT a.album_artist OR s.year IS NOT a.year
       OR s.is_live IS NOT a.is_live OR s.artist_key IS NOT a.artist_key"""
_MARK_CHANGED_ALBUMS = [
    f"INSERT OR IGNORE INTO inc_reread (album_key, section_id) {_CHANGED_ALBUMS}",
    f"INSERT OR IGNORE INTO inc_rederive_albums SELECT rating_key FROM ({_CHANGED_ALBUMS})",
]


def _miscounted_albums(cached_counts: str) -> str:
    """Albums where Plex counts other tracks (leafCount) or other played tracks
    (viewedLeafCount) than the cache holds: a track went without a trace (deleted, or marked
    unplayed). ``cached_counts`` gives the cache's counts per album."""
    return f"""
    INSERT OR IGNORE INTO inc_reread (album_key, section_id)
    SELECT s.rating_key, s.section_id FROM inc_albums s
    LEFT JOIN inc_viewed v ON v.album_key = s.rating_key
    LEFT JOIN ({cached_counts}) c ON c.album_key = s.rating_key
    WHERE (s.track_count IS NOT NULL AND s.track_count != coalesce(c.tracks, 0))
       OR (v.viewed IS NOT NULL AND v.viewed != coalesce(c.played, 0))"""


_COUNT_COLUMNS = "album_key, count(*) AS tracks, sum(view_count > 0) AS played"
# A few staged albums: look their tracks up. All of a section's: one pass over its index range.
_MARK_MISCOUNTED_FEW = _miscounted_albums(
    f"""SELECT {_COUNT_COLUMNS} FROM tracks
        WHERE album_key IN (SELECT rating_key FROM inc_albums) GROUP BY album_key"""
)
_MARK_MISCOUNTED_ALL = _miscounted_albums(
    f"SELECT {_COUNT_COLUMNS} FROM tracks WHERE section_id = :section GROUP BY album_key"
)


# The totals of the tags that lost a link or have a track derived again (its links are new).
_TOUCHED_TAGS = """SELECT tag_id FROM inc_unlinked UNION
    SELECT tag_id FROM track_tags WHERE rating_key IN (SELECT rating_key FROM inc_scope)"""
_RECOUNT_TAGS = [
    f"DELETE FROM tag_totals WHERE tag_id IN ({_TOUCHED_TAGS})",
    f"""INSERT INTO tag_totals (tag_id, tracks, studio)
        SELECT tag_id, count(*), sum(is_live = 0) FROM track_tags
        WHERE tag_id IN ({_TOUCHED_TAGS}) AND rating_key NOT IN ({UNAVAILABLE_KEYS})
        GROUP BY tag_id""",
]

# Tags that lost a link in this patch and have none left. Each candidate is looked up in
# track_tags by its primary key; the source links have no index by tag, so they are read once
# (only when a candidate is still unused by tracks).
_DROP_UNUSED_TAGS = """DELETE FROM tags WHERE id IN (
    SELECT u.tag_id FROM inc_unlinked u
    WHERE NOT EXISTS (SELECT 1 FROM track_tags WHERE tag_id = u.tag_id)
      AND u.tag_id NOT IN (SELECT tag_id FROM album_tags)
      AND u.tag_id NOT IN (SELECT tag_id FROM artist_tags)
      AND u.tag_id NOT IN (SELECT tag_id FROM track_own_tags))"""


@dataclass(frozen=True, slots=True)
class LibraryCounts:
    """How much one music section holds (in the cache, or by Plex's count)."""

    tracks: int
    played: int  # tracks played at least once
    albums: int
    artists: int


class LibraryPatch:
    """Changes to the live library, made inside one write transaction on ``conn``.

    ``begin=False``: the transaction is already open (a full sync's, whose freshly swapped-in
    library is checked against Plex and patched before it commits)."""

    def __init__(self, conn: sqlite3.Connection, *, begin: bool = True) -> None:
        self._conn = conn
        self.newest: int | None = None  # the newest Plex timestamp among the rows written
        if begin:
            conn.execute("BEGIN IMMEDIATE")
        try:
            self._drop_temp()
            for statement in (*_TEMP_TABLES.values(), *_TEMP_TRIGGERS.values()):
                conn.execute(statement)
            self._tag_ids = TagIds(conn, "tags")
        except BaseException:
            self.abort()
            raise

    # --- tracks -------------------------------------------------------------------------------

    def put_tracks(self, rows: Sequence[TrackRow]) -> None:
        """Write tracks as Plex lists them now. Only rows that differ from the cached ones are
        written (new tracks included), so listing a track again costs no write."""
        c = self._conn
        c.executemany(_STAGE_TRACK, map(values, rows))
        self._stage_tags("inc_track_own_tags", rows)
        c.execute("INSERT OR IGNORE INTO inc_seen SELECT rating_key FROM inc_tracks")
        c.execute(
            """INSERT INTO inc_changed SELECT rating_key FROM (
                   SELECT * FROM inc_tracks EXCEPT SELECT * FROM tracks
                   WHERE rating_key IN (SELECT rating_key FROM inc_tracks))"""
        )
        c.execute(
            "INSERT OR IGNORE INTO inc_changed "
            + _differing_tags("track_own_tags", "rating_key", "inc_tracks")
        )
        # Delete, then insert (rather than INSERT OR REPLACE) so the triggers see the old row.
        changed = "SELECT rating_key FROM inc_changed"
        c.execute(f"DELETE FROM tracks WHERE rating_key IN ({changed})")
        c.execute(f"INSERT INTO tracks SELECT * FROM inc_tracks WHERE rating_key IN ({changed})")
        c.execute(f"DELETE FROM track_own_tags WHERE rating_key IN ({changed})")
        c.execute(
            f"""INSERT INTO track_own_tags SELECT * FROM inc_track_own_tags
                WHERE rating_key IN ({changed})"""
        )
        for table in ("inc_tracks", "inc_track_own_tags", "inc_changed"):
            c.execute(f"DELETE FROM {table}")
        self._saw(
            max(r.added_at or 0, r.updated_at or 0, r.last_rated_at or 0, r.last_viewed_at or 0)
            for r in rows
        )

    def forget_seen(self) -> None:
        """Start a re-read: from now on, :meth:`drop_unseen` keeps only the tracks listed."""
        self._conn.execute("DELETE FROM inc_seen")

    def drop_unseen(self, album_keys: Sequence[int]) -> None:
        """The albums' tracks were all just listed: their cached tracks not among them are gone
        from Plex."""
        marks = ", ".join("?" * len(album_keys))
        self._conn.execute(
            f"""DELETE FROM tracks WHERE album_key IN ({marks})
                AND rating_key NOT IN (SELECT rating_key FROM inc_seen)""",
            album_keys,
        )

    def next_rereads(self, section_id: int, limit: int) -> list[int]:
        """Take up to ``limit`` albums of a section whose tracks must be read again."""
        keys = [
            key
            for (key,) in self._conn.execute(
                "SELECT album_key FROM inc_reread WHERE section_id = ? ORDER BY album_key LIMIT ?",
                (section_id, limit),
            )
        ]
        self._conn.executemany("DELETE FROM inc_reread WHERE album_key = ?", ((k,) for k in keys))
        return keys

    def trashed(self, section_id: int) -> dict[int, int]:
        """The section's cached tracks in Plex's trash, with their ``deleted_at``."""
        return dict(
            self._conn.execute(
                "SELECT rating_key, deleted_at FROM tracks "
                "WHERE section_id = ? AND deleted_at IS NOT NULL",
                (section_id,),
            )
        )

    def cached_keys(self, keys: Sequence[int]) -> set[int]:
        """Which of ``keys`` the cache holds as tracks."""
        return {
            key
            for (key,) in self._conn.execute(
                "SELECT rating_key FROM tracks "
                "WHERE rating_key IN (SELECT value FROM json_each(?))",
                (orjson.dumps(list(keys)).decode(),),
            )
        }

    def mark_trash_checked(self, at: float) -> None:
        """Every track's trash state was just listed (committed with the patch)."""
        self._conn.execute("UPDATE sync_state SET trash_checked_at = ? WHERE id = 1", (at,))

    # --- artists and albums -------------------------------------------------------------------

    def known_updates(self) -> dict[int, int | None]:
        """Every cached album's and artist's ``updated_at``, by rating key: an item Plex lists
        with the same one has the tags the cache holds (an edit moves it)."""
        return dict(
            self._conn.execute(
                "SELECT rating_key, updated_at FROM albums "
                "UNION ALL SELECT rating_key, updated_at FROM artists"
            )
        )

    def stage_artists(self, rows: Sequence[ArtistRow], keep_tags: Collection[int] = ()) -> None:
        """Stage artists from a listing. ``keep_tags``: those whose tags were not read in full
        (unchanged since the cache read them): they keep the cached ones."""
        self._conn.executemany(_STAGE_ARTIST, map(values, rows))
        self._stage_tags("inc_artist_tags", [r for r in rows if r.rating_key not in keep_tags])
        self._keep_tags("artist", keep_tags)
        self._saw(max(r.added_at or 0, r.updated_at or 0) for r in rows)

    def stage_albums(
        self,
        rows: Sequence[AlbumRow],
        viewed: Sequence[int | None],
        keep_tags: Collection[int] = (),
    ) -> None:
        """Stage albums from a listing, with Plex's count of played tracks of each.
        ``keep_tags``: as for :meth:`stage_artists`; an album's live flag is of its tags."""
        self._conn.executemany(_STAGE_ALBUM, map(values, rows))
        self._conn.executemany(
            "INSERT OR REPLACE INTO inc_viewed VALUES (?, ?)",
            zip((r.rating_key for r in rows), viewed, strict=True),
        )
        self._stage_tags("inc_album_tags", [r for r in rows if r.rating_key not in keep_tags])
        self._keep_tags("album", keep_tags)
        self._saw(max(r.added_at or 0, r.updated_at or 0) for r in rows)

    def _keep_tags(self, owner: str, keys: Collection[int]) -> None:
        """Staged rows of ``owner`` take the cached tags (and an album its live flag)."""
        if not keys:
            return
        c = self._conn
        c.execute("CREATE TEMP TABLE IF NOT EXISTS inc_keep (rating_key INTEGER PRIMARY KEY)")
        c.execute("DELETE FROM inc_keep")
        c.executemany("INSERT OR IGNORE INTO inc_keep VALUES (?)", ((key,) for key in keys))
        c.execute(
            f"""INSERT OR IGNORE INTO inc_{owner}_tags SELECT {owner}_key, tag_id
                FROM {owner}_tags WHERE {owner}_key IN (SELECT rating_key FROM inc_keep)"""
        )
        if owner == "album":
            c.execute(
                """UPDATE inc_albums SET is_live = a.is_live FROM albums a
                   WHERE a.rating_key = inc_albums.rating_key
                     AND inc_albums.rating_key IN (SELECT rating_key FROM inc_keep)"""
            )

    def apply_artists(self, *, complete_section: int | None = None) -> list[int]:
        """Write the staged artists. Returns the cached artists whose name changed: their
        albums' rows (and so their tracks) carry the old name.

        ``complete_section``: the staged artists are all of that section's, so any other
        cached artist of the section is gone from Plex.
        """
        renamed = [
            key
            for (key,) in self._conn.execute(
                """SELECT s.rating_key FROM inc_artists s
                   JOIN artists a ON a.rating_key = s.rating_key WHERE s.title IS NOT a.title"""
            )
        ]
        self._apply("artist", complete_section)
        return renamed

    def apply_albums(self, *, complete_section: int | None = None) -> None:
        """Write the staged albums, and note which albums need their tracks read again.

        Call it after the tracks Plex listed as changed are in, so that an album's new tracks
        count. ``complete_section``: the staged albums are all of that section's, so any other
        cached album of the section is gone from Plex, with its tracks.
        """
        for statement in _MARK_CHANGED_ALBUMS:
            self._conn.execute(statement)
        if complete_section is None:
            self._conn.execute(_MARK_MISCOUNTED_FEW)
        else:
            self._conn.execute(_MARK_MISCOUNTED_ALL, {"section": complete_section})
            self._conn.execute(
                """DELETE FROM tracks WHERE section_id = ?
                   AND album_key NOT IN (SELECT rating_key FROM inc_albums)""",
                (complete_section,),
            )
        self._apply("album", complete_section)
        self._conn.execute("DELETE FROM inc_viewed")

    def _apply(self, owner: str, complete_section: int | None) -> None:
        """Write the staged rows of ``owner`` ("artist" or "album") and their tags, then empty
        the staging. Only what differs is written, so an unchanged listing costs no write."""
        c = self._conn
        table, links, key = f"{owner}s", f"{owner}_tags", f"{owner}_key"
        # A complete listing comes after one of everything updated since the watermark, whose
        # tags were compared in full; of the rest only rows that changed can have new tags
        # (a tag edit moves updatedAt), and comparing 10,000 albums' tags is not free.
        candidates = f"inc_{table}"
        if complete_section is not None:
            candidates = f"(SELECT * FROM inc_{table} EXCEPT SELECT * FROM {table})"
        c.execute(
            f"INSERT OR IGNORE INTO inc_rederive_{table} " + _differing_tags(links, key, candidates)
        )
        c.execute(
            f"""DELETE FROM {links} WHERE {key} IN (SELECT {key} FROM inc_rederive_{table}
                WHERE {key} IN (SELECT rating_key FROM inc_{table}))"""
        )
        c.execute(
            f"""INSERT OR IGNORE INTO {links} SELECT g.{key}, g.tag_id
                FROM inc_{links} g JOIN inc_rederive_{table} r USING ({key})"""
        )
        c.execute(
            f"INSERT OR REPLACE INTO {table} SELECT * FROM inc_{table} EXCEPT SELECT * FROM {table}"
        )
        if complete_section is not None:
            gone = f"""SELECT rating_key FROM {table} WHERE section_id = ?
                       AND rating_key NOT IN (SELECT rating_key FROM inc_{table})"""
            c.execute(f"DELETE FROM {links} WHERE {key} IN ({gone})", (complete_section,))
            c.execute(f"DELETE FROM {table} WHERE rating_key IN ({gone})", (complete_section,))
        c.execute(f"DELETE FROM inc_{table}")
        c.execute(f"DELETE FROM inc_{links}")

    # --- checking and finishing ---------------------------------------------------------------

    def changed_library(self) -> bool:
        """Whether the patch so far wrote or removed a track, or changed what tracks take
        from an album or artist (a smart playlist's items may follow)."""
        (changed,) = self._conn.execute(
            """SELECT EXISTS (SELECT 1 FROM inc_scope) OR EXISTS (SELECT 1 FROM inc_gone)
                   OR EXISTS (SELECT 1 FROM inc_rederive_albums)
                   OR EXISTS (SELECT 1 FROM inc_rederive_artists)"""
        ).fetchone()
        return bool(changed)

    def counts(self, section_id: int) -> LibraryCounts:
        """What the patched cache holds in one section, to compare with Plex's counts."""
        c = self._conn
        tracks, played = c.execute(
            "SELECT count(*), coalesce(sum(view_count > 0), 0) FROM tracks WHERE section_id = ?",
            (section_id,),
        ).fetchone()
        (albums,) = c.execute(
            "SELECT count(*) FROM albums WHERE section_id = ?", (section_id,)
        ).fetchone()
        (artists,) = c.execute(
            "SELECT count(*) FROM artists WHERE section_id = ?", (section_id,)
        ).fetchone()
        return LibraryCounts(tracks, played, albums, artists)

    def finish(
        self,
        *,
        machine_identifier: str,
        server_name: str,
        synced_at: float,
        duration_s: Duration,
        cursor: SyncCursor,
        kind: str = "incremental",
        mapping_version: int | None = None,
    ) -> int:
        """Re-derive what the changes touched, record the sync and commit. Returns the number
        of tracks now cached."""
        c = self._conn
        try:
            gone = "SELECT rating_key FROM inc_gone"
            c.execute(f"DELETE FROM track_tags WHERE rating_key IN ({gone})")
            # (A track rewritten by put_tracks is "gone" too, for a moment: its own tags stay.)
            c.execute(
                f"""DELETE FROM track_own_tags WHERE rating_key IN ({gone})
                    AND rating_key NOT IN (SELECT rating_key FROM tracks)"""
            )
            # Tracks not rewritten that take tags, a live flag or a year from a changed album
            # or artist.
            c.execute(
                """INSERT OR IGNORE INTO inc_scope SELECT rating_key FROM tracks
                   WHERE album_key IN (SELECT album_key FROM inc_rederive_albums)"""
            )
            # (By index, through the artist's albums: a track's album artist is its album's.)
            c.execute(
                """INSERT OR IGNORE INTO inc_scope SELECT t.rating_key FROM albums a
                   JOIN tracks t ON t.album_key = a.rating_key
                   WHERE a.artist_key IN (SELECT artist_key FROM inc_rederive_artists)"""
            )
            for statement in derive_sql(scope="SELECT rating_key FROM inc_scope"):
                c.execute(statement)
            # Plex's leafCount is the number of the album's tracks; keep it so for albums whose
            # tracks came or went without the album row being listed again.
            c.execute(
                """UPDATE albums SET track_count =
                       (SELECT count(*) FROM tracks t WHERE t.album_key = albums.rating_key)
                   WHERE rating_key IN (SELECT album_key FROM inc_recount)
                     AND track_count IS NOT NULL"""
            )
            for statement in _RECOUNT_TAGS:
                c.execute(statement)
            c.execute(_DROP_UNUSED_TAGS)
            self._drop_temp()
            track_count = record_sync(
                c,
                machine_identifier=machine_identifier,
                server_name=server_name,
                synced_at=synced_at,
                duration_s=duration_s,
                kind=kind,
                cursor=cursor,
                mapping_version=mapping_version,
            )
            c.execute("COMMIT")
        except BaseException:
            self.abort()
            raise
        return track_count

    def abort(self) -> None:
        """Roll everything back; the temp tables and triggers, made in the transaction, go too."""
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    # --- helpers ------------------------------------------------------------------------------

    def _stage_tags(self, table: str, rows: Sequence[Row]) -> None:
        pairs = self._tag_ids.pairs([(row.rating_key, row.tags) for row in rows if row.tags])
        self._conn.executemany(f"INSERT OR IGNORE INTO {table} VALUES (?, ?)", pairs)

    def _saw(self, timestamps: Iterable[int]) -> None:
        newest = max(timestamps, default=0)
        if newest and (self.newest is None or newest > self.newest):
            self.newest = newest

    def _drop_temp(self) -> None:
        for name in _TEMP_TRIGGERS:
            self._conn.execute(f"DROP TRIGGER IF EXISTS temp.{name}")
        for name in (*_TEMP_TABLES, "inc_keep"):
            self._conn.execute(f"DROP TABLE IF EXISTS temp.{name}")
