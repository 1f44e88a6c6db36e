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

import contextlib
import ctypes
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def library_generation(conn: sqlite3.Connection) -> int:
    """The generation of the library this connection's transaction reads."""
    row = conn.execute("SELECT generation FROM sync_state WHERE id = 1").fetchone()
    return row[0] if row else 0


def _database_file(conn: sqlite3.Connection) -> str:
    return os.path.realpath(conn.execute("PRAGMA database_list").fetchone()[2])


class _Kept:
    """The value of the newest snapshot, and (weakly) the one it replaced, which readers whose
    transaction began before the commit may still ask for."""

    __slots__ = ("generation", "lock", "previous", "previous_generation", "value")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.generation: int | None = None
        self.value: Any = None
        self.previous: Callable[[], Any] = lambda: None
        self.previous_generation: int | None = None


_kept: dict[tuple[str, str], _Kept] = {}
_kept_lock = threading.Lock()
# One build at a time, whatever it builds: each holds a library's worth of memory while it
# runs, and two at once (the engine and the search index, after a commit) would add up.
_building = threading.Lock()


def _build(conn: sqlite3.Connection, build: Callable[[sqlite3.Connection], T]) -> T:
    with _building:
        _this_thread.building = True
        try:
            return build(conn)
        finally:
            _this_thread.building = False


class _ThisThread(threading.local):
    building = False  # a build runs on this thread now
    excused_s = 0.0  # seconds this thread's reads spent building, or waiting for a build


_this_thread = _ThisThread()


def excused() -> float:
    """Seconds the current read spent on (or waiting for) a build: not its own work, so not
    counted against its time budget (``Database.read``). Reset by :func:`begin_read`."""
    return _this_thread.excused_s


def is_building() -> bool:
    """Whether a build runs on this thread now (its statements have no time budget)."""
    return _this_thread.building


def begin_read() -> None:
    _this_thread.excused_s = 0.0


def for_snapshot(
    conn: sqlite3.Connection, name: str, build: Callable[[sqlite3.Connection], T]
) -> T:
    """``build(conn)`` for the snapshot ``conn`` reads, built once and then shared.

    Call it inside a read transaction. One value is kept per database file and ``name``: the
    previous snapshot's is let go when the next one's build begins (and lives on only while
    readers of the old snapshot hold it). Threads asking meanwhile wait for that build rather
    than repeat it.
    """
    generation = library_generation(conn)
    key = (_database_file(conn), name)
    with _kept_lock:
        kept = _kept.setdefault(key, _Kept())
    if kept.generation == generation:
        return kept.value
    started = time.monotonic()
    try:
        return _build_or_wait(conn, kept, generation, build)
    finally:
        _this_thread.excused_s += time.monotonic() - started


def _build_or_wait(
    conn: sqlite3.Connection, kept: _Kept, generation: int, build: Callable[[sqlite3.Connection], T]
) -> T:
    with kept.lock:
        if kept.generation == generation:
            return kept.value
        if kept.previous_generation == generation:
            # A reader still on the snapshot before the last commit: it gets that snapshot's
            # value while anyone holds it, else one built for it alone (never kept, so old
            # and new readers can't take turns replacing each other's).
            older = kept.previous()
            return older if older is not None else _build(conn, build)
        # The previous snapshot's value is let go before the build, not after: readers still
        # on it hold it while they need it, and memory never holds two without a reason.
        if kept.value is not None:
            kept.previous, kept.previous_generation = _weak(kept.value), kept.generation
        kept.value, kept.generation = None, None
        value = _build(conn, build)
        kept.value, kept.generation = value, generation
        return value


def give_back_freed_memory() -> None:
    """Hand memory freed after a big job back to the system: glibc keeps freed heap for reuse,
    so the next big job would come on top of this one's high-water mark. ctypes releases the
    GIL for the call. Elsewhere than glibc, nothing."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _weak(value: Any) -> Callable[[], Any]:
    try:
        return weakref.ref(value)
    except TypeError:  # a value that can't be referred to weakly is not kept at all
        return lambda: None


def forget(path: str) -> None:
    """Drop everything kept for one database file (it was closed or deleted)."""
    path = os.path.realpath(path)
    with _kept_lock:
        for key in [key for key in _kept if key[0] == path]:
            del _kept[key]
