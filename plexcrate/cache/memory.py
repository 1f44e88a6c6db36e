"""What is kept in memory for one committed snapshot of the library.

Some answers are cheaper from arrays in memory than from SQL (the query engine's columns, the
search index). Such a structure is built from SQLite once per snapshot, inside a read
transaction (so it is exactly that snapshot), shared by every reader thread, and built again
when a commit changes the library. SQLite stays the store and the source of truth.

A snapshot is named by ``sync_state.generation``: every write that changes the library tables
moves it (``state.record_sync``, ``state.clear_library``), and it starts from a random number,
so two cache files never share one.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def library_generation(conn: sqlite3.Connection) -> int:
    """The generation of the library this connection's transaction reads."""
    row = conn.execute("SELECT generation FROM sync_state WHERE id = 1").fetchone()
    return row[0] if row else 0


def _database_file(conn: sqlite3.Connection) -> str:
    return conn.execute("PRAGMA database_list").fetchone()[2]


class _Kept:
    __slots__ = ("generation", "lock", "value")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.generation: int | None = None
        self.value: Any = None


_kept: dict[tuple[str, str], _Kept] = {}
_kept_lock = threading.Lock()


def for_snapshot(
    conn: sqlite3.Connection, name: str, build: Callable[[sqlite3.Connection], T]
) -> T:
    """``build(conn)`` for the snapshot ``conn`` reads, built once and then shared.

    Call it inside a read transaction. One value is kept per database file and ``name``: the
    previous snapshot's is dropped as soon as the next one is built, so memory holds two only
    while a build runs. Threads asking meanwhile wait for that build rather than repeat it.
    """
    generation = library_generation(conn)
    key = (_database_file(conn), name)
    with _kept_lock:
        kept = _kept.setdefault(key, _Kept())
    if kept.generation == generation:
        return kept.value
    with kept.lock:
        if kept.generation != generation:
            value = build(conn)
            kept.value, kept.generation = value, generation
        return kept.value


def forget(path: str) -> None:
    """Drop everything kept for one database file (it was closed or deleted)."""
    with _kept_lock:
        for key in [key for key in _kept if key[0] == path]:
            del _kept[key]
