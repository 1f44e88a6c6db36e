"""The mirror of Plex's audio playlists: which tracks each holds, in order.

Written by a sync (``sync/playlists.py``, inside the sync's transaction, so it commits or rolls
back with the library), and by plexcrate's own playlist saves (:func:`write_playlist`, a
transaction of its own). Read by the query engine: :func:`playlist_members` for a rule on
``playlist``, :func:`mirrored_playlists` for the choice of playlists.

Items are kept by rating key whatever they are: a key that is not a track of the mirrored
sections simply matches no track.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import orjson

from plexcrate.cache.state import move_generation


@dataclass(frozen=True, slots=True)
class PlaylistRow:
    """A playlist as Plex lists it. ``leaf_count`` and ``updated_at`` say whether its items
    need reading again."""

    id: int  # Plex's ratingKey
    title: str
    smart: bool
    leaf_count: int | None
    duration_ms: int | None
    updated_at: int | None


@dataclass(frozen=True, slots=True)
class MirroredPlaylist:
    id: int
    title: str
    smart: bool
    count: int  # items mirrored (tracks, as a rule)


@dataclass(frozen=True, slots=True)
class PlaylistMembers:
    """Every playlist's items as two parallel arrays, by playlist id then position: a
    playlist's keys are one slice (:meth:`of`), and ``np.isin`` against a set of them is a
    mask over the tracks."""

    playlist_ids: npt.NDArray[np.int64]
    rating_keys: npt.NDArray[np.int64]

    def of(self, playlist_id: int) -> npt.NDArray[np.int64]:
        """The rating keys of one playlist, in its order (empty for a playlist not mirrored)."""
        ids = self.playlist_ids
        start, end = np.searchsorted(ids, [playlist_id, playlist_id + 1])
        return self.rating_keys[start:end]

    def of_any(self, playlist_ids: Collection[int]) -> npt.NDArray[np.int64]:
        """The rating keys in any of the playlists, sorted, each once."""
        wanted = np.fromiter(playlist_ids, dtype=np.int64, count=len(playlist_ids))
        return np.unique(self.rating_keys[np.isin(self.playlist_ids, wanted)])


_UPSERT = """INSERT INTO playlists (id, title, smart, leaf_count, duration_ms, updated_at)
    VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (id) DO UPDATE SET title = excluded.title, smart = excluded.smart,
        leaf_count = excluded.leaf_count, duration_ms = excluded.duration_ms,
        updated_at = excluded.updated_at"""


def cached_playlists(conn: sqlite3.Connection) -> dict[int, PlaylistRow]:
    """Every mirrored playlist as Plex last listed it, by id."""
    return {
        row[0]: PlaylistRow(row[0], row[1], bool(row[2]), row[3], row[4], row[5])
        for row in conn.execute(
            "SELECT id, title, smart, leaf_count, duration_ms, updated_at FROM playlists"
        )
    }


def put_playlist(
    conn: sqlite3.Connection, row: PlaylistRow, item_keys: Sequence[int] | None
) -> None:
    """Write a playlist as listed, and its items when they were read (None: keep the cached
    ones). Inside the caller's transaction."""
    conn.execute(
        _UPSERT,
        (row.id, row.title, int(row.smart), row.leaf_count, row.duration_ms, row.updated_at),
    )
    if item_keys is None:
        return
    conn.execute("DELETE FROM playlist_items WHERE playlist_id = ?", (row.id,))
    conn.executemany(
        "INSERT INTO playlist_items (playlist_id, position, rating_key) VALUES (?, ?, ?)",
        ((row.id, position, key) for position, key in enumerate(item_keys)),
    )


def drop_playlists(conn: sqlite3.Connection, playlist_ids: Collection[int]) -> None:
    """Forget playlists Plex no longer has. Inside the caller's transaction."""
    pairs = [(playlist_id,) for playlist_id in playlist_ids]
    conn.executemany("DELETE FROM playlist_items WHERE playlist_id = ?", pairs)
    conn.executemany("DELETE FROM playlists WHERE id = ?", pairs)


def write_playlist(
    conn: sqlite3.Connection,
    machine_identifier: str,
    playlist_id: int,
    playlist: tuple[PlaylistRow, Sequence[int]] | None,
) -> bool:
    """One playlist as Plex has it now (None: deleted), in a transaction of its own, outside
    a sync: after plexcrate itself saved, renamed or deleted it. Written only if the cache
    mirrors that server (checked in the transaction: a sync may have cleared it meanwhile).
    Moves the generation, so what is kept in memory for the library follows. Returns whether
    it wrote."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        row = conn.execute(
            "SELECT machine_identifier, synced_at FROM sync_state WHERE id = 1"
        ).fetchone()
        if row is None or row[0] != machine_identifier or row[1] is None:
            conn.execute("ROLLBACK")
            return False
        if playlist is None:
            drop_playlists(conn, [playlist_id])
        else:
            put_playlist(conn, *playlist)
        move_generation(conn)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return True


def mirrored_playlists(conn: sqlite3.Connection) -> list[MirroredPlaylist]:
    """Every mirrored playlist with how many items it holds, by title (case aside)."""
    return [
        MirroredPlaylist(playlist_id, title, bool(smart), count)
        for playlist_id, title, smart, count in conn.execute(
            """SELECT p.id, p.title, p.smart,
                      (SELECT count(*) FROM playlist_items i WHERE i.playlist_id = p.id)
               FROM playlists p ORDER BY p.title COLLATE NOCASE, p.id"""
        )
    ]


def playlist_members(conn: sqlite3.Connection) -> PlaylistMembers:
    """Every playlist's items, by playlist id then position (the table's own order: one
    scan of its primary key)."""
    rows = conn.execute(
        "SELECT playlist_id, rating_key FROM playlist_items ORDER BY playlist_id, position"
    ).fetchall()
    pairs = np.array(rows, dtype=np.int64).reshape(-1, 2)
    return PlaylistMembers(np.ascontiguousarray(pairs[:, 0]), np.ascontiguousarray(pairs[:, 1]))


def playlists_of(conn: sqlite3.Connection, rating_key: int) -> list[int]:
    """The playlists holding a track (by the index on rating_key)."""
    return [
        playlist_id
        for (playlist_id,) in conn.execute(
            "SELECT DISTINCT playlist_id FROM playlist_items WHERE rating_key = ? "
            "ORDER BY playlist_id",
            (rating_key,),
        )
    ]


def follow_rekeyed(conn: sqlite3.Connection, keys: Sequence[int]) -> list[int]:
    """``keys`` with each key Plex replaced (a new ratingKey, the same guid: ``rekeyed``)
    taken to its new key, in order: a list picked before a metadata refresh still lands."""
    if not keys:
        return []
    new = dict(
        conn.execute(
            "SELECT old_key, new_key FROM rekeyed "
            "WHERE old_key IN (SELECT value FROM json_each(?))",
            (orjson.dumps(list(keys)).decode(),),
        ).fetchall()
    )
    return [new.get(key, key) for key in keys]
