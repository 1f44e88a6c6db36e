"""The ``sync_state`` singleton: which server the cache mirrors, and when it was last complete."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from plexcrate.cache.schema import LIBRARY_TABLES, SCHEMA_VERSION

# How long a sync took, or a function that says so when asked (at the moment it is recorded).
Duration = float | Callable[[], float]


@dataclass(frozen=True, slots=True)
class SyncState:
    machine_identifier: str | None = None
    server_name: str | None = None
    synced_at: float | None = None  # Unix seconds of the last complete sync
    track_count: int = 0
    sync_duration_s: float | None = None
    sync_kind: str | None = None  # "full" or "incremental"
    schema_version: int | None = None  # the schema the last sync wrote
    # Where the next refresh starts reading (see SyncCursor); None until a sync records one.
    watermark: int | None = None
    read_window_s: float | None = None
    section_ids: str | None = None
    full_synced_at: float | None = None  # Unix seconds of the last *full* sync
    # The version of the mapping rules (sync.mapping.MAPPING_VERSION) the library was written
    # with; None before schema 5 or when unknown.
    mapping_version: int | None = None
    unavailable_count: int = 0  # of track_count, those in Plex's trash (deletedAt)
    trash_checked_at: float | None = None  # Unix seconds: the last listing of every track

    @property
    def available_count(self) -> int:
        """The tracks lists, facets and picks are made of."""
        return self.track_count - self.unavailable_count

    @property
    def is_empty(self) -> bool:
        return self.track_count == 0

    def is_stale(self, *, now: float, max_age_hours: float) -> bool:
        """Whether a cache holding tracks is older than ``max_age_hours``."""
        if self.is_empty or self.synced_at is None:
            return False
        return now - self.synced_at > max_age_hours * 3600


@dataclass(frozen=True, slots=True)
class SyncCursor:
    """What the next incremental refresh needs from this sync.

    ``watermark`` is the newest Plex timestamp (server clock, whole seconds) among what was read;
    ``window_s`` how long the reads took; ``section_ids`` the music libraries mirrored ("1,3").
    """

    watermark: int | None
    window_s: float
    section_ids: str


def read_sync_state(conn: sqlite3.Connection) -> SyncState:
    row = conn.execute(
        """SELECT machine_identifier, server_name, synced_at, track_count, sync_duration_s,
                  sync_kind, schema_version, watermark, read_window_s, section_ids,
                  full_synced_at, mapping_version, unavailable_count, trash_checked_at
           FROM sync_state WHERE id = 1"""
    ).fetchone()
    return SyncState(*row) if row else SyncState()


def record_sync(
    conn: sqlite3.Connection,
    *,
    machine_identifier: str,
    server_name: str,
    synced_at: float,
    duration_s: Duration,
    kind: str,
    cursor: SyncCursor | None = None,
    mapping_version: int | None = None,
) -> int:
    """Write a completed sync into ``sync_state`` (inside the caller's transaction).

    Returns the number of tracks now cached. Without a cursor, or without the mapping version,
    the next sync is a full one. ``duration_s`` may be a function, asked here: the work before
    the commit counts too.
    """
    track_count = cached_tracks(conn)
    conn.execute(
        """UPDATE sync_state SET machine_identifier = :machine, server_name = :name,
               synced_at = :at, track_count = :tracks, sync_duration_s = :duration,
               sync_kind = :kind, schema_version = :schema, watermark = :watermark,
               unavailable_count = :unavailable,
               read_window_s = :window, section_ids = :sections, mapping_version = :mapping,
               full_synced_at = CASE WHEN :kind = 'full' THEN :at ELSE full_synced_at END,
               trash_checked_at = CASE WHEN :kind = 'full' THEN :at ELSE trash_checked_at END,
               generation = generation + 1
           WHERE id = 1""",
        {
            "machine": machine_identifier,
            "name": server_name,
            "at": synced_at,
            "tracks": track_count,
            "unavailable": unavailable_tracks(conn),
            "duration": duration_s() if callable(duration_s) else duration_s,
            "kind": kind,
            "schema": SCHEMA_VERSION,
            "watermark": cursor.watermark if cursor else None,
            "window": cursor.window_s if cursor else None,
            "sections": cursor.section_ids if cursor else None,
            "mapping": mapping_version,
        },
    )
    return track_count


def clear_library(conn: sqlite3.Connection, *, machine_identifier: str | None = None) -> None:
    """Empty the cache in one transaction, remembering which server it now belongs to."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        for table in (*LIBRARY_TABLES, "rekeyed"):  # another server's keys mean nothing here
            conn.execute(f"DELETE FROM {table}")
        conn.execute(
            """UPDATE sync_state SET machine_identifier = ?, server_name = NULL,
                   synced_at = NULL, track_count = 0, sync_duration_s = NULL, sync_kind = NULL,
                   watermark = NULL, read_window_s = NULL, section_ids = NULL,
                   full_synced_at = NULL, mapping_version = NULL, unavailable_count = 0,
                   trash_checked_at = NULL, generation = generation + 1
               WHERE id = 1""",
            (machine_identifier,),
        )
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def move_generation(conn: sqlite3.Connection) -> None:
    """Name a new snapshot of the library (``cache/memory.py``), for a write outside a sync
    (a playlist saved by plexcrate). Inside the caller's transaction."""
    conn.execute("UPDATE sync_state SET generation = generation + 1 WHERE id = 1")


def cached_tracks(conn: sqlite3.Connection) -> int:
    """How many tracks the library tables hold (as this connection's transaction sees them),
    unavailable ones (in Plex's trash) included: Plex counts them too."""
    return conn.execute("SELECT count(*) FROM tracks").fetchone()[0]


def unavailable_tracks(conn: sqlite3.Connection) -> int:
    """How many cached tracks are in Plex's trash (listed with ``deletedAt``)."""
    return conn.execute("SELECT count(*) FROM tracks WHERE deleted_at IS NOT NULL").fetchone()[0]
