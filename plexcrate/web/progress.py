"""The sync progress the API shows: ``current`` never goes back during one sync.

The engine may start counting again in the middle of a sync (an incremental refresh that gives way
to a full sync resets its ``SyncProgress``). The API promises a count that only goes up, so when
the count restarts, what the earlier pass counted is carried and the new pass adds to it.
"""

from __future__ import annotations

from typing import Protocol

from plexcrate.sync.progress import ProgressSnapshot


class ProgressSource(Protocol):
    def snapshot(self) -> ProgressSnapshot: ...


class MonotonicProgress:
    """Read on the event loop only (by the status), so it needs no lock of its own."""

    def __init__(self, source: ProgressSource) -> None:
        self._source = source
        self._carried = 0  # tracks counted by passes that have since restarted
        self._shown = 0

    def snapshot(self) -> ProgressSnapshot:
        raw = self._source.snapshot()
        if self._carried + raw.current < self._shown:  # the engine started counting again
            self._carried = self._shown
        current = self._carried + raw.current
        self._shown = current
        return ProgressSnapshot(raw.phase, current, self._carried + raw.total)
