"""The progress the API shows only ever goes up during a sync, even if the engine recounts."""

from __future__ import annotations

from plexcrate.sync.progress import Phase, ProgressSnapshot
from plexcrate.web.progress import MonotonicProgress


class Recount:
    """A sync whose engine counts 0 → 40 of 40, then starts over: 0 → 600 of 600."""

    def __init__(self) -> None:
        self.now = ProgressSnapshot(Phase.CONNECTING, 0, 0)

    def snapshot(self) -> ProgressSnapshot:
        return self.now

    def at(self, current: int, total: int) -> None:
        self.now = ProgressSnapshot(Phase.TRACKS, current, total)


def test_the_count_keeps_going_up_when_the_engine_starts_again() -> None:
    engine = Recount()
    shown = MonotonicProgress(engine)
    seen = []
    for current, total in [(0, 40), (20, 40), (40, 40), (0, 0), (0, 600), (300, 600), (600, 600)]:
        engine.at(current, total)
        seen.append(shown.snapshot())
    currents = [s.current for s in seen]
    assert currents == sorted(currents)
    assert all(s.current <= s.total for s in seen)
    assert (seen[-1].current, seen[-1].total) == (640, 640)


def test_an_unbroken_count_is_shown_as_it_is() -> None:
    engine = Recount()
    shown = MonotonicProgress(engine)
    for current in (0, 100, 250, 600):
        engine.at(current, 600)
        assert (shown.snapshot().current, shown.snapshot().total) == (current, 600)


def test_a_restart_missed_between_two_reads_still_never_goes_back() -> None:
    engine = Recount()
    shown = MonotonicProgress(engine)
    engine.at(40, 40)
    assert shown.snapshot().current == 40
    engine.at(500, 600)  # restarted and already past 40 when read again
    assert shown.snapshot().current == 500
