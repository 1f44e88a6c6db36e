"""SQLite behind an async server: reads on worker threads, every write on one writer thread.

Readers each get their own connection and run a whole function inside one read transaction, so
every answer comes from one snapshot of the cache. All writes go through a single writer thread fed
by a queue, so writes never contend with each other and the event loop never waits on a long write
(a full sync is one long write). WAL mode lets readers carry on while the writer works.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from plexcrate.cache.schema import ForeignCacheFile, migrate

T = TypeVar("T")
Job = Callable[[sqlite3.Connection], T]

BUSY_TIMEOUT_MS = 5_000


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


class Database:
    """The cache file, with a pool of reader threads and one writer thread."""

    def __init__(self, path: Path, *, read_workers: int = 4) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
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

    def read(self, fn: Job[T]) -> T:
        """Run ``fn`` on this thread's reader connection, inside one read transaction."""
        conn = self._reader()
        conn.execute("BEGIN")
        try:
            return fn(conn)
        finally:
            conn.execute("COMMIT")

    async def aread(self, fn: Job[T]) -> T:
        """:meth:`read` on a worker thread, so the event loop stays free."""
        return await asyncio.wrap_future(self._read_pool.submit(self.read, fn))

    def _reader(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path, readonly=True)
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
                future.set_exception(error)
            else:
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
