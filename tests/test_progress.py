"""Sync progress only ever goes up during one sync, even when the sync starts over."""

from __future__ import annotations

from plexcrate.sync.progress import Phase, SyncProgress


def test_progress_counts_tracks_up_to_the_total() -> None:
    progress = SyncProgress()
    progress.set_total(600)
    progress.advance(250)
    snapshot = progress.snapshot()
    assert (snapshot.current, snapshot.total) == (250, 600)


def test_a_new_pass_counts_on_top_of_the_first() -> None:
    progress = SyncProgress()
    progress.set_phase(Phase.TRACKS)
    progress.set_total(40)
    progress.advance(40)
    progress.new_pass()  # a refresh gave way to a full sync of 600 tracks
    assert progress.snapshot().phase is Phase.CONNECTING
    assert progress.snapshot().current == 40
    progress.set_total(600)
    seen = []
    for _ in range(6):
        progress.advance(100)
        seen.append(progress.snapshot())
    assert [s.current for s in seen] == [140, 240, 340, 440, 540, 640]
    assert all(s.total == 640 for s in seen)


def test_the_total_never_falls_below_what_was_counted() -> None:
    progress = SyncProgress()
    progress.set_total(10)
    progress.advance(15)  # the library grew while it was read
    assert progress.snapshot().total == 15
    progress.set_total(5)
    assert progress.snapshot().total == 15
