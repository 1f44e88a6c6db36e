"""Watching Plex from the background: is it there, is it still the same server, is the cache stale.

Every ``interval`` seconds a probe asks Plex's ``/identity`` (on a thread, with a short timeout),
so ``plex_connected`` turns false within ``interval + timeout`` of Plex going away, and a server
that now answers with another machineIdentifier than the cache's is noticed within ``interval``.

The library checks (a changed server clears the cache and resyncs; a stale cache resyncs) run at
start, again whenever Plex comes back after being unreachable (a NAS that boots plexcrate before
Plex, or a server swapped while Plex was down), and whenever the probe finds another server. They
never start a sync while one runs: a sync checks the server itself before it commits (and starts
over as the new server's when it changed), and meanwhile the status says that the tracks shown
are the previous server's, and playlist saves are refused (``plex/playlists.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from plexcrate.config import Settings
from plexcrate.plex.client import PlexClient, ServerIdentity
from plexcrate.plex.errors import PlexError
from plexcrate.sync.engine import outdated_reason
from plexcrate.web.models import SyncReason
from plexcrate.web.notify import ChangeListener
from plexcrate.web.service import LibraryService, SyncNotStarted
from plexcrate.web.threads import in_daemon_thread

log = logging.getLogger(__name__)

# The probe's timeout follows its interval, within these: never so short that a busy machine
# (or a NAS with its disks spun down) reads as Plex being away.
MAX_PROBE_TIMEOUT = 5.0
MIN_PROBE_TIMEOUT = 2.5


class PlexWatcher:
    def __init__(self, service: LibraryService, settings: Settings, *, interval: float) -> None:
        assert settings.plex_url and settings.plex_token
        self.service = service
        self.interval = interval
        self.timeout = min(MAX_PROBE_TIMEOUT, max(MIN_PROBE_TIMEOUT, interval))
        self._client = PlexClient.from_settings(settings, timeout=self.timeout, retries=0)
        self._checks_due = True  # at start, and again after every disconnection

    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:  # a bug here must not end the probing for good
                log.exception("The Plex probe failed unexpectedly")
            await asyncio.sleep(self.interval)

    async def tick(self) -> None:
        if not self.service.is_syncing:  # a sync updates the state itself when it ends
            await self.service.reload_state()  # notices a `plexcrate sync` run elsewhere
        answer = await in_daemon_thread(self._client.check_identity, name="plex-probe")
        machine_identifier = answer.machine_identifier
        self.service.plex_error = answer.problem
        if machine_identifier is None:
            self._set_connected(False)
            return
        if self.service.mirrors_another(machine_identifier):
            self.service.server_answering(machine_identifier)
            self._checks_due = True
        if self._checks_due:
            self._checks_due = not await self.check_library()
        came_back = self.service.plex_connected is not True
        # Said after the checks: once the status says Plex is there, whatever they decided
        # (a resync of a stale cache, of a changed server) has started.
        self._set_connected(True)
        if not self.service.is_syncing:
            self.service.recipes.check(now=came_back)  # due and owed recipe refreshes

    def _set_connected(self, connected: bool) -> None:
        if connected != self.service.plex_connected:
            log.info("Plex is %s.", "reachable" if connected else "unreachable")
        self.service.plex_connected = connected
        if not connected:
            self._checks_due = True

    async def check_library(self) -> bool:
        """Resync when the server changed or the cache is stale. False if Plex didn't answer."""
        if self.service.is_syncing:
            return True
        try:
            identity = await in_daemon_thread(self._client.identity, name="plex-identity")
        except PlexError as error:
            log.info("Could not check the Plex server yet: %s", error)
            return False
        reason = self._reason_to_sync(identity)
        if reason is not None:
            # SyncNotStarted: someone started one meanwhile, and it checks the same things.
            with contextlib.suppress(SyncNotStarted):
                self.service.start_sync(reason)
        return True

    def _reason_to_sync(self, identity: ServerIdentity) -> SyncReason | None:
        state = self.service.state
        cached = state.machine_identifier
        # An empty cache never syncs by itself: the first sync is the user's to start.
        if state.is_empty:
            return None
        if cached is not None and cached != identity.machine_identifier:
            return SyncReason.SERVER_CHANGED
        if outdated_reason(state) is not None:  # not in a week: its rows may be wrong now
            return SyncReason.OUTDATED
        if self.service.is_stale():
            return SyncReason.STALE
        return None

    def close(self) -> None:
        self._client.close()


class Watching:
    """The :class:`PlexWatcher` of whichever server is configured, running as a task.

    :meth:`restart` follows a change of server made on the setup screen.
    """

    def __init__(self, service: LibraryService, *, interval: float) -> None:
        self.service = service
        self.interval = interval
        self._watcher: PlexWatcher | None = None
        self._task: asyncio.Task[None] | None = None
        self.listener: ChangeListener | None = None

    def start(self) -> None:
        settings = self.service.settings
        if settings.plex_configured:
            self._watcher = PlexWatcher(self.service, settings, interval=self.interval)
            self._task = asyncio.create_task(self._watcher.run())
            if settings.listen_for_changes:
                self.listener = ChangeListener(self.service)
                self.listener.start()

    async def stop(self) -> None:
        if self.listener is not None:
            await self.listener.stop()
            self.listener = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._watcher is not None:
            self._watcher.close()
        self._watcher = self._task = None

    async def restart(self) -> None:
        await self.stop()
        self.start()
