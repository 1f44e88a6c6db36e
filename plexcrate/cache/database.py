"""SQLite behind an async server: reads on worker threads, every write on one writer thread.

Readers each get their own connection and run a whole function inside one read transaction, so
every answer comes from one snapshot of the cache. All writes go through a single writer thread fed
by a queue, so writes never contend with each other and the event loop never waits on a long write
(a full sync is one long write). WAL mode lets readers carry on while the writer works.

The write-ahead log holds a whole sync until its commit (a snapshot as big as the library), and
SQLite never shrinks it by itself: after every write, committed or rolled back, it is copied into
the database and truncated, so it neither doubles the cache's size on disk nor keeps a full disk
full after a failed sync. The cache holds someone's library: its files are created readable by
their owner only, in a folder only its owner can enter (see :func:`owner_only`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import TypeVar

from plexcrate.cache import memory
from plexcrate.cache.schema import ForeignCacheFile, migrate

T = TypeVar("T")
Job = Callable[[sqlite3.Connection], T]

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5_000
# A read's time budget is checked every this many SQLite virtual machine steps (a millisecond
# or so of work): rarely enough to cost nothing, often enough to stop a read within a few ms.
BUDGET_CHECK_STEPS = 100_000


class ReadOverBudget(Exception):
    """A read took longer than the time it was given, and was stopped."""


class CacheUnreadable(Exception):
    """The cache file exists but is not a plexcrate cache (corrupt, or another program's file)."""


class CacheUnavailable(Exception):
    """The cache can't be opened for writing, though nothing says the file is bad: the folder
    is read-only, the disk full, or another program holds a lock. Moving the file aside would
    not help (and may not even be possible); the message says what to check."""


# What SQLite says when the file itself is bad (its extended codes start with these names).
_DAMAGE = ("SQLITE_NOTADB", "SQLITE_CORRUPT")


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """A connection configured the way every plexcrate connection is.

    ``isolation_level=None`` leaves transactions to us: readers and the sync open them explicitly.
    """
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    if readonly:
        conn.execute("PRAGMA query_only = ON")
    else:
        # WAL mode is set by _open_writer, once the file is known to be ours: it is written
        # into the file's header, and another program's database must be left as it was.
        # WAL + NORMAL stays consistent after a crash; only the last commit may roll back.
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA cache_size = -32000")  # 32 MB for the writer's big transactions
    return conn


def _open_writer(path: Path) -> sqlite3.Connection:
    conn: sqlite3.Connection | None = None
    try:
        conn = connect(path)
        migrate(conn)  # refuses another program's file before anything is written to it
        conn.execute("PRAGMA journal_mode = WAL")
    except sqlite3.DatabaseError as error:
        if conn is not None:
            conn.close()
        if isinstance(error, ForeignCacheFile) or _is_damage(error):
            raise CacheUnreadable(
                f"{path} is not a plexcrate cache or is damaged: {error}."
            ) from None
        raise CacheUnavailable(
            f"The cache {path} cannot be opened for writing ({error}). Check that the folder "
            f"{path.parent} is writable and its disk not full, then start plexcrate again."
        ) from None
    return conn


def _truncate_wal(conn: sqlite3.Connection) -> None:
    """Copy what the write-ahead log holds into the database, and empty the log file.

    It waits (up to the busy timeout) for readers still on an older snapshot; if they outlast
    it, the log is left for the next write. A failure (a disk still full) changes nothing.
    """
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    except sqlite3.Error as error:
        log.info("The cache's write-ahead log could not be emptied now: %s", error)


def _check_pages(db: Database) -> None:
    try:
        problems = db.read(lambda conn: conn.execute("PRAGMA quick_check(1)").fetchall())
    except sqlite3.DatabaseError as error:
        problems = [(str(error),)]
    if problems != [("ok",)]:
        raise CacheUnreadable(f"{db.path} is damaged: {problems[0][0]}.")


def _is_damage(error: sqlite3.Error) -> bool:
    name = getattr(error, "sqlite_errorname", None) or ""
    return name.startswith(_DAMAGE)


def owner_only(path: Path) -> None:
    """Create the cache file (and its folder) for its owner alone: 0600 in a 0700 folder.

    SQLite creates its files 0644, and its ``-wal`` and ``-shm`` files with the mode of the
    database file, so the file is made here first. An existing cache file (and its sidecars)
    that others may read is tightened; an existing folder is left as it is, since it may be a
    folder the user chose and shares with other things: the files in it are private anyway.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(OSError):  # gone, or another user's: nothing to tighten
            if file.stat().st_mode & 0o077:
                file.chmod(0o600)


class Database:
    """The cache file, with a pool of reader threads and one writer thread."""

    def __init__(self, path: Path, *, read_workers: int = 4) -> None:
        self.path = Path(path)
        try:
            owner_only(self.path)
        except OSError as error:
            raise CacheUnavailable(
                f"The cache {self.path} cannot be created ({error.strerror or error}). Check "
                f"that the folder {self.path.parent} is writable and its disk not full, then "
                "start plexcrate again."
            ) from None
        self._jobs: queue.SimpleQueue[tuple[Job, Future] | None] = queue.SimpleQueue()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._closed = False
        writer = _open_writer(self.path)  # here, so a bad file fails loudly and right away
        self._writer_thread = threading.Thread(
            target=self._run_writer, args=(writer,), name="sqlite-writer", daemon=True
        )
        self._writer_thread.start()
        self._read_pool = ThreadPoolExecutor(max_workers=read_workers, thread_name_prefix="sqlite")

    # --- reads ----------------------------------------------------------------------------

    def read(self, fn: Job[T], *, budget_s: float | None = None) -> T:
        """Run ``fn`` on this thread's reader connection, inside one read transaction.

        ``budget_s``: SQLite stops the read once it has run this long, and
        :class:`ReadOverBudget` is raised, so one costly request cannot hold a reader for long.
        """
        conn = self._reader()
        self._local.deadline = None if budget_s is None else time.monotonic() + budget_s
        memory.begin_read()
        conn.execute("BEGIN")
        try:
            return fn(conn)
        except sqlite3.OperationalError as error:
            if self._local.deadline is not None and str(error) == "interrupted":
                raise ReadOverBudget(f"the read took more than {budget_s:g} s") from None
            raise
        finally:
            self._local.deadline = None
            conn.execute("COMMIT")

    async def aread(self, fn: Job[T], *, budget_s: float | None = None) -> T:
        """:meth:`read` on a worker thread, so the event loop stays free."""
        future = self._read_pool.submit(partial(self.read, fn, budget_s=budget_s))
        return await asyncio.wrap_future(future)

    def _over_budget(self) -> int:
        """SQLite's progress handler: non-zero stops the statement running on this thread."""
        deadline = getattr(self._local, "deadline", None)
        if deadline is None or memory.is_building():  # building a snapshot's memory is no
            return 0  # request's own work (cache/memory.py), and the time spent on it is excused
        return 1 if time.monotonic() - memory.excused() > deadline else 0

    def _reader(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path, readonly=True)
            conn.set_progress_handler(self._over_budget, BUDGET_CHECK_STEPS)
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    # --- writes ---------------------------------------------------------------------------

    def submit_write(self, fn: Job[T]) -> Future[T]:
        """Queue ``fn`` for the writer thread. ``fn`` manages its own transaction."""
        if self._closed:
            raise RuntimeError("the database is closed")
        future: Future[T] = Future()
        self._jobs.put((fn, future))
        return future

    def write(self, fn: Job[T]) -> T:
        return self.submit_write(fn).result()

    async def awrite(self, fn: Job[T]) -> T:
        return await asyncio.wrap_future(self.submit_write(fn))

    def _run_writer(self, conn: sqlite3.Connection) -> None:
        while (job := self._jobs.get()) is not None:
            fn, future = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = fn(conn)
            except BaseException as error:
                if conn.in_transaction:
                    conn.rollback()
                _truncate_wal(conn)
                future.set_exception(error)
            else:
                _truncate_wal(conn)
                future.set_result(result)
        conn.close()

    # --- lifecycle ------------------------------------------------------------------------

    def close(self) -> None:
        """Finish queued writes, then close every connection."""
        if self._closed:
            return
        self._closed = True
        self._jobs.put(None)
        self._writer_thread.join()
        self._read_pool.shutdown(wait=True)
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
        memory.forget(str(self.path))  # what was kept in memory for its snapshots

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def open_or_replace(path: Path) -> tuple[Database, str | None]:
    """Open the cache; if the file is unreadable or damaged, move it aside and start an empty one.

    Returns the database and, when a file was moved, a note saying what happened and where the
    file went. A cache is only a copy of Plex, so a fresh one costs a sync; refusing to start
    would cost a crash loop. The old file is kept, never deleted: it may be somebody's data.

    The file is checked page by page (``PRAGMA quick_check``, about 0.15 s for 100,000 tracks):
    a cache damaged in the middle opens without complaint, then serves wrong pages and fails
    every sync.
    """
    try:
        db = Database(path)
        try:
            _check_pages(db)
        except BaseException:
            db.close()
            raise
        return db, None
    except CacheUnreadable as error:
        aside = path.with_name(f"{path.name}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}")
        path.rename(aside)
        for suffix in ("-wal", "-shm"):
            sidecar = path.with_name(path.name + suffix)
            if sidecar.exists():
                sidecar.rename(aside.with_name(aside.name + suffix))
        note = f"{error} It was moved to {aside.name}; the next sync rebuilds the library."
        return Database(path), note
