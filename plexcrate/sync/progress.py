"""Progress of a running sync, shared between the sync thread and whoever shows it."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import StrEnum


class Phase(StrEnum):
    CONNECTING = "connecting"
    ARTISTS = "reading_artists"
    ALBUMS = "reading_albums"
    TRACKS = "reading_tracks"
    SAVING = "saving"


@dataclass(frozen=True, slots=True)
class ProgressSnapshot:
    phase: Phase
    current: int  # tracks read so far
    total: int  # tracks the server reported; never below ``current``


class SyncProgress:
    """Counts tracks as they land. ``current`` only ever goes up during one sync, even when
    the sync starts over (a refresh that gives way to a full sync): :meth:`new_pass` counts the
    new pass's tracks on top of those already counted, and its totals likewise."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._phase = Phase.CONNECTING
        self._current = 0
        self._total = 0
        self._pass_start = 0  # tracks counted before the current pass began
        self._server: str | None = None  # the machineIdentifier of the server being read

    @property
    def server(self) -> str | None:
        """The machineIdentifier of the server this sync reads; None until it has asked."""
        return self._server

    def set_server(self, machine_identifier: str) -> None:
        self._server = machine_identifier

    def new_pass(self) -> None:
        with self._lock:
            self._phase = Phase.CONNECTING
            self._pass_start = self._current

    def set_phase(self, phase: Phase) -> None:
        with self._lock:
            self._phase = phase

    def set_total(self, total: int) -> None:
        """The tracks this pass expects to read."""
        with self._lock:
            self._total = max(self._pass_start + total, self._current)

    def advance(self, count: int) -> None:
        with self._lock:
            self._current += max(count, 0)
            self._total = max(self._total, self._current)

    def snapshot(self) -> ProgressSnapshot:
        with self._lock:
            return ProgressSnapshot(self._phase, self._current, self._total)
