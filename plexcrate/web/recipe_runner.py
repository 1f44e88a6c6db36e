"""Recipe refreshes in the background: one daemon thread, one refresh at a time.

After a sync commits, the service asks for the refreshes the new library calls for
(:meth:`RecipeRunner.after_sync`); the probe's tick asks for the daily and weekly ones that are
due and the ones owed since Plex failed (:meth:`RecipeRunner.check`); the API queues a refresh by
hand and awaits it. Everything runs on the runner's thread, never the event loop: it reads the
cache on its own reader connection and writes through the writer thread like everyone else, so
reads go on meanwhile, and a sync never waits for it (a refresh waits for the sync's commit).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future

from plexcrate.cache.database import Database
from plexcrate.cache.recipes import Refresh, Why, all_recipes, pause_all
from plexcrate.cache.state import read_sync_state
from plexcrate.config import Settings
from plexcrate.plex.client import PlexClient
from plexcrate.sync.recipes import (
    RecipeGone,
    RecipePaused,
    RefreshFailed,
    RefreshResult,
    refresh_recipe,
    server_changed_why,
)

log = logging.getLogger(__name__)

_Job = Callable[[], object]
CHECK_EVERY_S = 60.0  # how often the probe's tick looks for due and owed refreshes


class RecipeRunner:
    def __init__(
        self,
        db: Database,
        settings: Callable[[], Settings],
        *,
        clock: Callable[[], float] = time.time,
        check_every_s: float = CHECK_EVERY_S,
    ) -> None:
        self.db = db
        self.check_every_s = check_every_s
        self._checked = -float("inf")
        self._settings = settings
        self.clock = clock
        self._jobs: queue.SimpleQueue[tuple[_Job, Future[object]] | None] = queue.SimpleQueue()
        self._queued: dict[int, Future[object]] = {}  # recipe id → its refresh waiting to run
        self._lock = threading.Lock()
        self._client: PlexClient | None = None
        self._closed = False
        self._idle = threading.Event()
        self._idle.set()
        self._thread = threading.Thread(target=self._run, name="recipe-refresh", daemon=True)
        self._thread.start()

    # --- asking for refreshes -----------------------------------------------------------------

    def refresh(self, recipe_id: int, why: Why) -> Future[object]:
        """Queue a refresh (one already waiting for this recipe is the same one)."""
        with self._lock:
            waiting = self._queued.get(recipe_id)
            if waiting is not None:
                return waiting
            future: Future[object] = Future()
            self._queued[recipe_id] = future
        self._put(lambda: self._refresh(recipe_id, why), future)
        return future

    def after_sync(self) -> None:
        """A sync has committed: pause the recipes of another server, refresh the rest."""
        self._put(lambda: self._after_sync(), Future())

    def check(self, *, now: bool = False) -> None:
        """Queue the due daily/weekly refreshes and the owed ones, when nothing else waits:
        every ``check_every_s`` at most, or ``now`` (Plex has just come back)."""
        at = time.monotonic()
        if not now and at - self._checked < self.check_every_s:
            return
        if self._idle.is_set():
            self._checked = at
            self._put(lambda: self._queue_due(Why.SCHEDULE), Future())

    def idle(self) -> bool:
        return self._idle.is_set() and not self._queued

    # --- on the runner's thread ---------------------------------------------------------------

    def _after_sync(self) -> None:
        state = self.db.read(read_sync_state)
        server = state.machine_identifier
        if server is not None:
            why = server_changed_why(state.server_name)
            paused = self.db.write(lambda conn: pause_all(conn, why, server=server))
            if paused:
                log.warning("%d recipes paused: the Plex server changed.", paused)
        self._queue_due(Why.SYNC)

    def _queue_due(self, why: Why) -> None:
        now = self.clock()
        for recipe in self.db.read(all_recipes):
            if recipe.paused:
                continue
            if recipe.owed is not None:
                self.refresh(recipe.id, Why.RETRY)
            elif why is Why.SYNC and recipe.refresh is Refresh.AFTER_SYNC:
                self.refresh(recipe.id, Why.SYNC)
            elif recipe.due(now):
                self.refresh(recipe.id, Why.SCHEDULE)

    def _refresh(self, recipe_id: int, why: Why) -> RefreshResult:
        with self._lock:
            self._queued.pop(recipe_id, None)  # from now on, a new ask queues a new refresh
        settings = self._settings()
        if not settings.plex_configured:
            raise RefreshFailed("No Plex server is configured.")
        with PlexClient.from_settings(settings) as client:
            self._client = client
            try:
                return refresh_recipe(self.db, client, recipe_id, why, clock=self.clock)
            finally:
                self._client = None

    def _put(self, job: _Job, future: Future[object]) -> None:
        if self._closed:
            future.set_exception(RuntimeError("plexcrate is shutting down"))
            return
        self._idle.clear()
        self._jobs.put((job, future))

    def _run(self) -> None:
        while (item := self._jobs.get()) is not None:
            job, future = item
            try:
                result = job()
            except (RecipeGone, RecipePaused, RefreshFailed) as error:
                log.info("A recipe was not refreshed: %s", error)
                future.set_exception(error)
            except Exception as error:
                if not self._closed:
                    log.exception("A recipe refresh failed unexpectedly")
                future.set_exception(error)
            else:
                future.set_result(result)
            if self._jobs.empty():
                self._idle.set()

    # --- shutdown -----------------------------------------------------------------------------

    def close(self, wait: float = 5.0) -> None:
        """Stop after the refresh running now (its Plex client is closed under it)."""
        self._closed = True
        client = self._client
        if client is not None:
            client.close()
        self._jobs.put(None)
        self._thread.join(wait)
