"""How long a sync may take in all, so that a Plex answering every request just in time (or a
bogus count that schedules endless requests) cannot keep a sync running, and further syncs
refused, for hours.

Each request already has its own deadline (``PLEXCRATE_PLEX_TIMEOUT``); the sync as a whole may
take ``base_s`` plus ``per_1000_tracks_s`` for every 1,000 tracks of the library, counting the
larger of what the cache holds and what Plex says it holds (known once the listings are
counted). With the defaults, 10 minutes plus 15 s per 1,000 tracks: 35 minutes for 100,000
tracks, about ten times what a full sync of that many takes on a slow NAS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from plexcrate.plex.client import PlexClient
from plexcrate.plex.errors import PlexOutOfTime

if TYPE_CHECKING:
    from plexcrate.config import Settings

BASE_S = 600.0
PER_1000_TRACKS_S = 15.0


@dataclass(frozen=True, slots=True)
class TimeLimit:
    base_s: float = BASE_S
    per_1000_tracks_s: float = PER_1000_TRACKS_S

    @classmethod
    def from_settings(cls, settings: Settings) -> TimeLimit:
        """PLEXCRATE_SYNC_TIME_BASE and PLEXCRATE_SYNC_TIME_PER_1000_TRACKS."""
        return cls(settings.sync_time_base_s, settings.sync_time_per_1000_tracks_s)

    def seconds(self, tracks: int) -> float:
        return self.base_s + self.per_1000_tracks_s * max(tracks, 0) / 1000


class SyncTimer:
    """The time limit of one sync, enforced by its Plex client: past it, the next request (or
    the one in flight) fails with :class:`PlexOutOfTime`, and the sync rolls back."""

    def __init__(self, client: PlexClient, limit: TimeLimit, started: float) -> None:
        self._client = client
        self._limit = limit
        self._started = started
        self.tracks = 0
        self.allow_for(0)

    def allow_for(self, tracks: int) -> None:
        """The library holds at least ``tracks`` tracks: the limit grows (never shrinks)."""
        self.tracks = max(self.tracks, tracks)
        self._client.limit_time(self._started + self.seconds)

    @property
    def seconds(self) -> float:
        return self._limit.seconds(self.tracks)

    def stop(self) -> None:
        self._client.limit_time(None)

    def explain(self, error: PlexOutOfTime) -> str:
        return (
            f"The sync took longer than the {_duration(self.seconds)} allowed for a library of "
            f"{self.tracks:,} tracks, so it was stopped while {error.doing}; the previous "
            "library is kept. Plex may be overloaded; if it is just slow, allow more time with "
            "PLEXCRATE_SYNC_TIME_PER_1000_TRACKS."
        )


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.3g} s"
    return f"{seconds / 60:.0f} min"
