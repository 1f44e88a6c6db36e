"""The ``sync_state`` singleton: which server the cache mirrors, and when it was last complete."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from plexcrate.cache.schema import LIBRARY_TABLES


@dataclass(frozen=True, slots=True)
class SyncState:
    machine_identifier: str | None = None
    server_name: str | None = None
    synced_at: float | None = None  # Unix seconds of the last complete sync
    track_count: int = 0
    sync_duration_s: float | None = None
    sync_kind: str | None = None  # "full" or "incremental"
    schema_version: int | None = None  # the schema the last sync wrote

    @property
    def is_empty(self) -> bool:
        return self.track_count == 0

    def is_stale(self, *, now: float, max_age_hours: float) -> bool:
        """Whether a cache holding tracks is older than ``max_age_hours``."""
        if self.is_empty or self.synced_at is None:
            return False
        return now - self.synced_at > max_age_hours * 3600


def read_sync_state(conn: sqlite3.Connection) -> SyncState:
    row = conn.execute(
        """SELECT machine_identifier, server_name, synced_at, track_count, sync_duration_s,
                  sync_kind, schema_version
           FROM sync_state WHERE id = 1"""
    ).fetchone()
    return SyncState(*row) if row else SyncState()


def clear_library(conn: sqlite3.Connection, *, machine_identifier: str | None = None) -> None:
    """Empty the cache in one transaction, remembering which server it now belongs to."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        for table in LIBRARY_TABLES:
            conn.execute(f"DELETE FROM {table}")
        conn.execute(
            """UPDATE sync_state SET machine_identifier = ?, server_name = NULL,
                   synced_at = NULL, track_count = 0, sync_duration_s = NULL, sync_kind = NULL
               WHERE id = 1""",
            (machine_identifier,),
        )
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
