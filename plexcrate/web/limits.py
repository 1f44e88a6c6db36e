"""How much reading one client can make the app do, so that no client starves the others.

The cache is read by a few threads (``Database``'s reader pool). Most reads are index lookups
of a few milliseconds, but a text search scans every track once per word (``LIKE '%word%'`` has
no index), and a client sending costly searches in a loop would otherwise fill every reader and
the queue before them, so everyone else's requests wait behind its searches. So:

- a search has at most :data:`MAX_SEARCH_WORDS` words (``params.py``, a 422 naming the rule);
- text searches use at most :data:`SEARCH_SLOTS` readers at once, leaving the others to the
  requests that are not searches; at most :data:`MAX_WAITING_SEARCHES` more wait for a slot,
  beyond that a search is answered 503 at once, with ``Retry-After``;
- at most :data:`MAX_PENDING_READS` reads may be running or waiting in all (503 beyond);
- every read gets :data:`READ_BUDGET_S` of SQLite's time: SQLite stops it past that (503).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from typing import TypeVar

from plexcrate.cache.database import Database
from plexcrate.cache.filters import MAX_SEARCH_WORDS as MAX_SEARCH_WORDS

T = TypeVar("T")

SEARCH_SLOTS = 2  # of the reader pool's 4 threads
MAX_WAITING_SEARCHES = 64  # seconds of searches; more waiting is a client flooding the app
MAX_PENDING_READS = 256
READ_BUDGET_S = 5.0  # far above any read of a 200,000-track cache (searches included)

TOO_MANY_SEARCHES = (
    "Too many searches are running at once, so this one was not started; try again in a moment."
)
TOO_MANY_READS = "plexcrate is answering too many requests at once; try again in a moment."


class TooBusy(Exception):
    """Too much is already waiting to be read; ``str()`` says so, fit for the user."""


class ReadLimits:
    """The limits above, around one :class:`Database` (on the event loop only)."""

    def __init__(self, db: Database, *, budget_s: float = READ_BUDGET_S) -> None:
        self.db = db
        self.budget_s = budget_s
        self._search_slots = asyncio.Semaphore(SEARCH_SLOTS)
        self._waiting_searches = 0
        self._pending = 0

    async def read(
        self, fn: Callable[[sqlite3.Connection], T], *, search: bool = False, timed: bool = True
    ) -> T:
        """``fn`` on a reader, within the limits. ``search``: it matches text (costly).
        ``timed=False``: no time budget, for a read whose SQL is bounded by itself but which may
        first build what is kept for the snapshot (``cache/memory.py``): a build is no one
        client's cost, and stopped halfway it would only start again with the next request."""
        if self._pending >= MAX_PENDING_READS:
            raise TooBusy(TOO_MANY_READS)
        self._pending += 1
        budget_s = self.budget_s if timed else None
        try:
            if not search:
                return await self.db.aread(fn, budget_s=budget_s)
            await self._search_slot()
            try:
                return await self.db.aread(fn, budget_s=budget_s)
            finally:
                self._search_slots.release()
        finally:
            self._pending -= 1

    async def _search_slot(self) -> None:
        if self._search_slots.locked() and self._waiting_searches >= MAX_WAITING_SEARCHES:
            raise TooBusy(TOO_MANY_SEARCHES)
        self._waiting_searches += 1
        try:
            await self._search_slots.acquire()
        finally:
            self._waiting_searches -= 1
