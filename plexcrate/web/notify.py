"""Instant refresh: a change Plex announces starts a sync within seconds, polling stays behind.

While the app runs, a daemon thread listens to Plex's notifications (``PlexClient.notifications``:
server-sent events). A timeline entry about a music item (an artist, album or track) that Plex
has finished processing (state 5) or deleted (state 9) marks the library as changed; the event
loop then waits for the burst to end (``QUIET_S`` without another, at most ``MAX_WAIT_S`` after
the first: a scan announces every track it adds) and starts one sync. A sync already running
may have read past the change, so one more follows it. A broken stream is opened again after a
growing pause; meanwhile the probe and the staleness checks (``watch.py``) go on as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from plexcrate.plex.client import PlexClient
from plexcrate.plex.errors import PlexError
from plexcrate.web.models import SyncReason
from plexcrate.web.service import LibraryService, SyncNotStarted

log = logging.getLogger(__name__)

MUSIC_TYPES = frozenset({8, 9, 10})  # artist, album, track
SETTLED_STATES = frozenset({5, 9})  # processed, deleted
QUIET_S = 2.0
MAX_WAIT_S = 8.0
RETRY_S = (1.0, 2.0, 5.0, 15.0, 30.0)


def library_changed(container: dict[str, Any]) -> bool:
    """Whether a notification says a music item was processed or deleted."""
    if container.get("type") != "timeline":
        return False
    entries = container.get("TimelineEntry")
    if not isinstance(entries, list):
        return False
    return any(
        isinstance(entry, dict)
        and _int(entry.get("type")) in MUSIC_TYPES
        and _int(entry.get("state")) in SETTLED_STATES
        for entry in entries
    )


def _int(value: object) -> int | None:
    if not isinstance(value, int | str):
        return None
    try:
        return int(value)
    except ValueError:
        return None


class ChangeListener:
    """Listens to the configured server while running; ``changes`` counts what it heard."""

    def __init__(
        self, service: LibraryService, *, quiet_s: float = QUIET_S, max_wait_s: float = MAX_WAIT_S
    ) -> None:
        self.service = service
        self.quiet_s, self.max_wait_s = quiet_s, max_wait_s
        self.changes = 0
        self._stop = threading.Event()
        self._client: PlexClient | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last_change = 0.0
        self._pending: asyncio.Task[None] | None = None

    def start(self) -> None:
        if not self.service.settings.plex_configured:
            return
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._listen, name="plex-notifications", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        self._stop.set()
        client = self._client
        if client is not None:
            client.close()  # breaks the stream the thread is reading
        if self._pending is not None:
            self._pending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pending

    # ----------------------------------------------------------------------------- the thread
    def _listen(self) -> None:
        failures = 0
        while not self._stop.is_set():
            self._client = PlexClient.from_settings(self.service.settings, retries=0)
            try:
                for container in self._client.notifications():
                    failures = 0
                    if library_changed(container):
                        self._call(self._changed)
            except PlexError as error:
                if not self._stop.is_set():
                    log.info("Not listening to Plex's notifications for now: %s", error)
            finally:
                self._client.close()
            failures += 1
            self._stop.wait(RETRY_S[min(failures, len(RETRY_S)) - 1])

    def _call(self, fn: Callable[[], None]) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(fn)

    # ----------------------------------------------------------------------------- the loop
    def _changed(self) -> None:
        self.changes += 1
        self._last_change = time.monotonic()
        if self._pending is None or self._pending.done():
            self._pending = asyncio.create_task(self._sync_after_burst())

    async def _sync_after_burst(self) -> None:
        first = time.monotonic()
        while True:
            quiet_until = self._last_change + self.quiet_s
            now = time.monotonic()
            if now >= quiet_until or now - first >= self.max_wait_s:
                break
            await asyncio.sleep(min(quiet_until, first + self.max_wait_s) - now)
        while self.service.is_syncing:  # it may have read past the change: one more after it
            await asyncio.sleep(0.25)
        if self.service.state.is_empty:
            return  # the first sync is the user's to start
        log.info("Plex announced a change in the music library; syncing.")
        with contextlib.suppress(SyncNotStarted):
            self.service.start_sync(SyncReason.PLEX_CHANGED)
