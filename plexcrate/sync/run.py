"""What one sync works with: its options, the server it reads, the clock, the checks it makes
before it commits; and the errors and results it ends with. Shared by the entry point
(``engine.py``), the refresh and the full sync (``full.py``)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from plexcrate.cache.patch import LibraryPatch
from plexcrate.cache.state import SyncCursor, SyncState, cached_tracks, read_sync_state
from plexcrate.plex.client import MusicSection, PlexClient, ServerIdentity
from plexcrate.sync.guards import check_same_server, check_shrink
from plexcrate.sync.incremental import read_changes
from plexcrate.sync.mapping import MAPPING_VERSION
from plexcrate.sync.playlists import mirror_playlists
from plexcrate.sync.progress import Phase, SyncProgress
from plexcrate.sync.timelimit import SyncTimer, TimeLimit

PAGE_SIZE = 1000
WORKERS = 5


class SyncFailed(Exception):
    """A sync did not complete; the previous cache is intact. ``str()`` is fit for users."""


@dataclass(frozen=True, slots=True)
class SyncResult:
    track_count: int
    duration_s: float
    machine_identifier: str
    server_name: str
    # The machineIdentifier of the server whose cache was cleared first, when the server changed.
    replaced_server: str | None = None
    kind: str = "full"  # "full" or "incremental"
    reason: str = ""  # why a full sync was done (empty for an incremental refresh)


@dataclass(frozen=True, slots=True)
class SyncOptions:
    libraries: tuple[str, ...] = ()  # music library titles to mirror; empty means all
    page_size: int = PAGE_SIZE
    workers: int = WORKERS
    # A full sync at least this often, even when refreshes would do: it bounds how long anything
    # a refresh cannot see (a back-dated rating, a server clock set back) stays wrong.
    full_sync_every_days: float | None = 7.0
    # A refresh lists every track to see what went into Plex's trash or came back (nothing
    # else shows it: sync/incremental.py, step 2b) when the last such listing is this old.
    trash_check_every_s: float = 3600.0
    time_limit: TimeLimit = field(default_factory=TimeLimit)  # a whole sync's (timelimit.py)


@dataclass(frozen=True, slots=True)
class Run:
    """What one sync works with, once the server has been asked who it is."""

    client: PlexClient
    identity: ServerIdentity
    sections: list[MusicSection]
    progress: SyncProgress
    options: SyncOptions
    clock: Callable[[], float]
    started: float  # time.monotonic() when the sync began: its reads are all after this
    timer: SyncTimer
    cached_tracks: int  # what the cache held when the sync began (after a server change: 0)
    allow_shrink: bool  # publish even if most of the cached tracks would go (guards.py)
    on_commit: Callable[[SyncState], None] | None

    @property
    def section_ids(self) -> str:
        return ",".join(str(section.id) for section in sorted(self.sections, key=_by_id))

    def cursor(self, watermark: int | None) -> SyncCursor:
        return SyncCursor(watermark, time.monotonic() - self.started, self.section_ids)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def commit(
        self, conn: sqlite3.Connection, patch: LibraryPatch, *, watermark: int | None, kind: str
    ) -> int:
        """The library read: Plex's playlists are mirrored (``playlists.py``), then the last
        checks (still the same server, not most tracks gone), then ``patch`` commits with this
        sync's record. Whoever shows the status is told, on the writer thread, the moment
        readers see it. Returns the number of tracks cached."""
        self.progress.set_phase(Phase.SAVING)
        mirror_playlists(
            conn,
            self.client,
            workers=self.options.workers,
            library_changed=patch.changed_library(),
        )
        check_same_server(self.client, self.identity)
        check_shrink(self.cached_tracks, cached_tracks(conn), allow=self.allow_shrink)
        track_count = patch.finish(
            machine_identifier=self.identity.machine_identifier,
            server_name=self.identity.name,
            synced_at=self.clock(),
            duration_s=self.elapsed,
            cursor=self.cursor(watermark),
            kind=kind,
            mapping_version=MAPPING_VERSION,
        )
        if self.on_commit is not None:
            self.on_commit(read_sync_state(conn))
        return track_count


def _by_id(section: MusicSection) -> int:
    return section.id


def read_changes_since(
    patch: LibraryPatch,
    run: Run,
    since: int,
    *,
    counts_only: bool = False,
    trash_checked_at: float | None = None,
) -> None:
    """Bring ``patch`` level with Plex for the sync's sections (sync/incremental.py);
    ``trash_checked_at``: checking every track's trash state, at this time."""
    options = run.options
    read_changes(
        patch,
        run.client,
        run.sections,
        run.progress,
        since=since,
        page_size=options.page_size,
        workers=options.workers,
        counts_only=counts_only,
        trash_checked_at=trash_checked_at,
    )


def trash_check_due(state: SyncState, now: float, every_s: float) -> bool:
    """Whether a refresh should list every track for its trash state (see SyncOptions)."""
    return state.trash_checked_at is None or now - state.trash_checked_at >= every_s
