"""The library behind the API: the cache, what the status reports, and the one sync runner.

Everything here runs on the event loop and only awaits: the sync runs on a daemon thread, reads
go through :meth:`Database.aread`. The status is assembled from fields in memory, so it answers
in microseconds whatever the sync or Plex are doing.

Only a sync thread writes the library (a changed server is cleared by the sync that follows it;
the one other writer is a playlist save, which writes that playlist's mirror: web/playlists.py),
and :meth:`LibraryService.start_sync` checks and sets its flag without awaiting in between, so
of any number of simultaneous requests exactly one starts a sync.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import replace

from plexcrate.cache.database import Database
from plexcrate.cache.state import SyncState, read_sync_state
from plexcrate.config import Settings
from plexcrate.isotime import iso_utc
from plexcrate.plex.client import PlexClient, ServerIdentity
from plexcrate.plex.errors import PlexTimeout, PlexUnreachable
from plexcrate.sync.engine import (
    SyncFailed,
    SyncOptions,
    SyncResult,
    sync_library,
)
from plexcrate.sync.guards import ShrinkRefused
from plexcrate.sync.progress import SyncProgress
from plexcrate.sync.timelimit import TimeLimit
from plexcrate.web import reads
from plexcrate.web.limits import READ_BUDGET_S, ReadLimits
from plexcrate.web.models import IDLE, LibraryStatus, SyncPhase, SyncProgressBody, SyncReason
from plexcrate.web.recipe_runner import RecipeRunner
from plexcrate.web.threads import DaemonCall

log = logging.getLogger(__name__)

SYNC_IN_PROGRESS = "Sync already in progress"
NOT_CONFIGURED = (
    "No Plex server is configured: set PLEX_URL and PLEX_TOKEN and restart plexcrate "
    "(or run `plexcrate demo` to try it with a simulated server)."
)
INTERNAL_SYNC_ERROR = (
    "The sync stopped because of an internal error; the previous library is kept. "
    "The server log has the details."
)
REACHABILITY_HINT = "Check that Plex is running and that PLEX_URL points to it."


class SyncNotStarted(Exception):
    """A sync could not start; ``str()`` says why, fit for the user."""


class LibraryService:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        options: SyncOptions | None = None,
        clock: Callable[[], float] = time.time,
        notice: str | None = None,
        read_budget_s: float = READ_BUDGET_S,
    ) -> None:
        self.settings = settings
        self.db = db
        self.reads = ReadLimits(db, budget_s=read_budget_s)  # what clients may make it read
        defaults = SyncOptions(time_limit=TimeLimit.from_settings(settings))
        self.options = replace(options or defaults, libraries=settings.music_libraries)
        self.clock = clock
        # Set by the PlexWatcher's probe; None until its first answer, which is not "offline".
        self.plex_connected: bool | None = None
        self.plex_error: str | None = None  # why the last probe got no answer
        self._state = SyncState()
        self._state_version = 0  # bumped on every change, so a slow reload can't undo a newer one
        self._syncing = False
        self._shrink_refused = False  # the last sync would have removed most tracks
        self._progress: SyncProgress | None = None
        self._reason: SyncReason | None = None
        self._error: str | None = None
        self._server_changed: str | None = None
        self._notice = notice  # e.g. an unreadable cache file was moved aside at start
        self._sync_client: PlexClient | None = None
        self._sync_call: DaemonCall | None = None
        self._sync_task: asyncio.Task[None] | None = None
        self._closing = False
        self._db_closed = False
        self._warming: asyncio.Future[None] | None = None
        self.recipes = RecipeRunner(db, lambda: self.settings, clock=clock)

    # --- what the cache holds ---------------------------------------------------------------

    @property
    def state(self) -> SyncState:
        return self._state

    @property
    def is_syncing(self) -> bool:
        return self._syncing

    def is_stale(self) -> bool:
        return self._state.is_stale(now=self.clock(), max_age_hours=self.settings.stale_after_hours)

    async def reload_state(self) -> None:
        """Re-read ``sync_state`` (cheap), e.g. after a sync or a ``plexcrate sync`` elsewhere."""
        version = self._state_version
        state = await self.db.aread(read_sync_state)
        if version == self._state_version:
            self._set_state(state)

    def _set_state(self, state: SyncState) -> None:
        self._state = state
        self._state_version += 1

    # --- status -----------------------------------------------------------------------------

    def mirrors_another(self, machine_identifier: str) -> bool:
        """Whether the cache holds tracks of a server other than ``machine_identifier``."""
        cached = self._state.machine_identifier
        return not self._state.is_empty and cached not in (None, machine_identifier)

    def server_answering(self, machine_identifier: str) -> None:
        """The probe found ``machine_identifier`` at the Plex URL, and the cache holds another
        server's tracks. A sync that follows clears them (``watch.py``), but one running now,
        still reading the previous server, only notices before its commit: until then the
        status says that the tracks shown are the previous server's (saves are refused)."""
        reading = self._progress.server if self._progress and self._syncing else None
        if reading in (None, machine_identifier) or self._server_changed is not None:
            return  # no sync, or one of this server's: it clears the cache itself
        self._server_changed = (
            f"The Plex server at {self.settings.plex_url} now answers as another server. The "
            "tracks shown are the previous server's, and playlists can't be saved to it: they "
            "will be cleared and the new server's library synced in their place."
        )
        log.warning("%s", self._server_changed)

    def status(self) -> LibraryStatus:
        state = self._state
        progress = self._progress.snapshot() if self._progress and self._syncing else None
        return LibraryStatus(
            track_count=state.available_count,
            unavailable_tracks=state.unavailable_count,
            synced_at=iso_utc(state.synced_at),
            is_syncing=self._syncing,
            sync_progress=(
                SyncProgressBody(current=progress.current, total=progress.total)
                if progress
                else None
            ),
            phase=SyncPhase(progress.phase.value if progress else IDLE),
            sync_reason=self._reason,
            error=self._error,
            plex_configured=self.settings.plex_configured,
            plex_connected=self.plex_connected if self.settings.plex_configured else False,
            server_name=state.server_name or None,
            machine_identifier=state.machine_identifier or None,
            plex_error=self.plex_error if self.settings.plex_configured else None,
            plex_account=self.settings.plex_account if self.settings.plex_configured else None,
            is_stale=self.is_stale(),
            server_changed=self._server_changed,
            notice=self._notice,
            last_sync_kind=state.sync_kind,
            last_sync_duration_s=state.sync_duration_s,
            shrink_refused=self._shrink_refused and not self._syncing,
        )

    # --- syncing ----------------------------------------------------------------------------

    def start_sync(
        self, reason: SyncReason, *, full: bool = False, allow_shrink: bool = False
    ) -> bool:
        """Start a sync in the background. Returns whether it blocks (the cache is empty).
        ``allow_shrink``: publish it even if most of the cached tracks would go.

        No await between the check and the set of the flag: that is what makes the 409
        race-free.
        """
        if not self.settings.plex_configured:
            raise SyncNotStarted(NOT_CONFIGURED)
        if self._syncing or self._closing:
            raise SyncNotStarted(SYNC_IN_PROGRESS)
        self._syncing = True
        client = PlexClient.from_settings(self.settings)
        self._sync_client, self._reason = client, reason
        self._progress = SyncProgress()
        self._server_changed = None  # set again by this sync if the server changed once more
        self._sync_task = asyncio.create_task(
            self._run_sync(client, self._progress, full, allow_shrink)
        )
        log.info("Sync started (%s).", reason.value)
        return self._state.is_empty

    async def _run_sync(
        self, client: PlexClient, progress: SyncProgress, full: bool, allow_shrink: bool
    ) -> None:
        loop = asyncio.get_running_loop()

        def on_server_replaced(identity: ServerIdentity) -> None:
            loop.call_soon_threadsafe(self._server_replaced, identity)

        def on_commit(state: SyncState) -> None:
            loop.call_soon_threadsafe(self._committed, state)

        def sync() -> tuple[SyncResult, SyncState]:
            result = sync_library(
                self.db,
                client,
                progress,
                self.options,
                full=full,
                on_server_replaced=on_server_replaced,
                allow_shrink=allow_shrink,
                on_commit=on_commit,
            )
            self._warm()  # before the sync says it has ended: the next read is quick
            return result, self.db.read(read_sync_state)

        call = DaemonCall(sync, name="plexcrate-sync")
        self._sync_call = call
        outcome: tuple[SyncResult, SyncState] | None = None
        try:
            call.start()
            outcome = await call.result()
        except SyncFailed as error:
            self._error = explain_failure(error)
            self._shrink_refused = isinstance(error.__cause__, ShrinkRefused)
            log.warning("Sync failed: %s", self._error)
        except Exception:
            if self._closing:
                log.info("Sync stopped: plexcrate is shutting down; the previous cache is kept.")
            else:
                log.exception("Sync failed unexpectedly")
                self._error = INTERNAL_SYNC_ERROR
        finally:
            client.close()
            if outcome is None:  # a failed sync may still have cleared a changed server's cache
                await self._reload_after_sync()
            self._finish_sync(outcome)

    def warm_in_background(self) -> None:
        """Build the reads' memory for the cache as it is (at start). On a reader thread of
        the cache's own, so that closing the cache waits for it: a connection closed under a
        read in progress could take the process down."""
        if not self._db_closed and not self._closing:
            self._warming = asyncio.ensure_future(self._warm_on_a_reader())

    async def _warm_on_a_reader(self) -> None:
        try:
            await self.db.aread(reads.warm)
        except Exception as error:  # a closed or cleared cache: the next read builds it
            log.info("The query engine was not built ahead: %s", error)

    def _warm(self) -> None:
        try:
            self.db.read(reads.warm)
        except Exception as error:  # a closed or cleared cache: the next read builds it
            log.info("The query engine was not built ahead: %s", error)

    def _committed(self, state: SyncState) -> None:
        """The sync has committed (on the event loop, scheduled by the writer thread right after
        the commit): the status counts what the readers now see at once, while the sync's
        thread tidies up (the WAL checkpoint); it says "syncing" until that ends, as a new sync
        must wait for it."""
        self._set_state(state)
        self._error = self._notice = None
        self._shrink_refused = False

    def _finish_sync(self, outcome: tuple[SyncResult, SyncState] | None) -> None:
        """The new state and the end of the sync, in one step: no await in between."""
        if outcome is not None:
            result, state = outcome
            self._committed(state)
            log.info("Synced %d tracks in %.1f s.", result.track_count, result.duration_s)
            self.recipes.after_sync()  # in the background, one after the other
        self._syncing, self._progress, self._sync_client = False, None, None

    def _server_replaced(self, identity: ServerIdentity) -> None:
        """The sync cleared the cache of another server (on the event loop, from its thread)."""
        had_tracks = not self._state.is_empty
        self._set_state(SyncState(machine_identifier=identity.machine_identifier))
        if not had_tracks:
            return
        name = f"“{identity.name}”" if identity.name else "another server"
        self._server_changed = (
            f"The Plex server at {self.settings.plex_url} is now {name}, not the server this "
            "library came from, so the previous server's tracks were cleared and this server's "
            "library is synced in their place."
        )
        log.warning("%s", self._server_changed)

    async def _reload_after_sync(self) -> None:
        if self._db_closed:
            return
        try:
            await self.reload_state()
        except Exception:  # the status keeps the previous state; the next probe tick retries
            log.exception("Could not read the cache's state after a sync")

    # --- configuration ----------------------------------------------------------------------

    def use_settings(self, settings: Settings) -> None:
        """Switch to another Plex server (the setup screen). Refused while a sync runs: it is
        writing the previous server's library."""
        if self._syncing:
            raise SyncNotStarted("A sync is running; change the server when it has finished.")
        self.settings = settings
        self.options = replace(self.options, libraries=settings.music_libraries)
        self.plex_connected = None  # until the new server's first probe answers
        self.plex_error = None
        self._error = None

    # --- shutdown ---------------------------------------------------------------------------

    async def close(self, *, wait: float = 5.0) -> None:
        """Stop a running sync (it rolls back) and close the cache.

        There is no way to cancel ``sync_library`` itself, so its Plex client is closed under it:
        its next request fails, and the snapshot it was building is rolled back.
        """
        self._closing = True
        task, client = self._sync_task, self._sync_client
        if task is not None and not task.done():
            if client is not None:
                client.close()
            await asyncio.wait({task}, timeout=wait)
        self.recipes.close()
        call = self._sync_call
        if call is not None and call.is_alive():
            # Closing the database would wait for the sync's transaction; leave it to the
            # process exit, which discards the uncommitted snapshot.
            log.warning("The sync did not stop within %.0f s; leaving it to roll back.", wait)
            return
        self.db.close()
        self._db_closed = True


def explain_failure(error: SyncFailed) -> str:
    """The sync's message, plus what to check when Plex could not be reached at all."""
    message = str(error)
    if isinstance(error.__cause__, PlexUnreachable | PlexTimeout):
        message = f"{message} {REACHABILITY_HINT}"
    return message
