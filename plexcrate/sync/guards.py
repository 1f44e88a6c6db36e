"""What a sync checks before it believes Plex: that the server is still the one it started
with, that the library did not all but vanish, that the counts it plans by stay plausible.

Each check raises before the commit, so the previous cache stays as it was.
"""

from __future__ import annotations

from plexcrate.plex.client import LibType, PlexClient, ServerIdentity
from plexcrate.plex.errors import PlexBadResponse


class ServerChanged(Exception):
    """Another server answers at the Plex URL than the one the sync started reading."""

    def __init__(self, identity: ServerIdentity) -> None:
        super().__init__(identity.machine_identifier)
        self.identity = identity


class ShrinkRefused(Exception):
    """The sync would remove all the cached tracks, or most of them; ``str()`` says so."""


def check_same_server(client: PlexClient, started_with: ServerIdentity) -> None:
    """Ask the server who it is, right before the commit: a snapshot holds one server's items."""
    now = client.identity()
    if now.machine_identifier != started_with.machine_identifier:
        raise ServerChanged(now)


def check_shrink(cached: int, synced: int, *, allow: bool) -> None:
    """Refuse a sync that leaves fewer than half the cached tracks, unless ``allow``.

    A Plex server whose library is being rebuilt, or whose music folder is unmounted, answers
    with an empty or tiny library: publishing it would throw away a good cache. The first sync
    (nothing cached) is never refused, and nor is a new server's (its cache was cleared first).
    """
    if allow or cached == 0 or synced * 2 >= cached:
        return
    share = "all of them" if synced == 0 else f"{cached - synced:,} of them"
    raise ShrinkRefused(
        f"Plex now lists {synced:,} tracks where the cache holds {cached:,}: the sync would "
        f"remove {share}, so the previous library is kept. If the tracks really are gone from "
        "Plex, sync again and confirm (“Sync anyway”, or plexcrate sync --allow-shrink)."
    )


# How far a listing's count may grow while it is read before it is not believed: a library
# being added to grows, but not from 600 items to 5 million between two pages.
GROWTH_FACTOR = 2
GROWTH_SLACK = 1000


def check_growth(libtype: LibType, counted: int, now: int) -> None:
    """A listing counted ``counted`` items and a later page says ``now``: plausible, or not."""
    if now > counted * GROWTH_FACTOR + GROWTH_SLACK:
        raise PlexBadResponse(
            f"Plex's count of {libtype.noun} jumped from {counted:,} to {now:,} while they were "
            "read, so the sync stopped; the previous library is kept."
        )
