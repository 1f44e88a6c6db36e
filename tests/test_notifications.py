"""Instant refresh: Plex's notifications (server-sent events) start a sync within seconds of a
change in the music library, one for a burst; polling stays as the fallback."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from conftest import TOKEN, StartApp
from web_harness import wait_until

from plexcrate.plex.client import PlexClient
from plexcrate.plex.errors import PlexAuthError
from plexcrate.simulator import PlexSimulator, SimLibrary
from plexcrate.web.notify import library_changed


def listen(url: str, token: str, into: list[dict[str, Any]]) -> threading.Thread:
    def run() -> None:
        with PlexClient(url, token, timeout=5) as client:
            for container in client.notifications(quiet_for=5):
                into.append(container)
                if len(into) >= 4:
                    return

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_the_simulator_streams_timeline_entries_as_plex_does(
    plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    heard: list[dict[str, Any]] = []
    listen(plex.url, TOKEN, heard)
    wait_until(lambda: sim_library.timeline._listeners, what="the stream to open")
    album = sim_library.add_album(tracks=2)
    wait_until(lambda: len(heard) >= 4, what="four notifications")
    created, created_tracks, processed, _ = heard
    assert created["type"] == "timeline"
    [entry] = created["TimelineEntry"]
    assert entry == {
        "identifier": "com.plexapp.plugins.library",
        "sectionID": album.section_id,
        "itemID": album.rating_key,
        "type": 9,
        "title": album.title,
        "state": 0,
        "metadataState": "",
        "updatedAt": entry["updatedAt"],
    }
    assert [e["type"] for e in created_tracks["TimelineEntry"]] == [10, 10]
    assert processed["TimelineEntry"][0]["state"] == 5
    assert not library_changed(created) and library_changed(processed)
    # The token travels in a header, never in the logged address.
    [record] = [r for r in plex.requests if r.path == "/:/eventsource/notifications"]
    assert not record.token_in_query


def test_the_stream_needs_the_token(plex: PlexSimulator) -> None:
    with PlexClient(plex.url, "wrong", timeout=5) as client, pytest.raises(PlexAuthError):
        next(client.notifications())


@pytest.mark.parametrize(
    ("container", "changed"),
    [
        ({"type": "timeline", "TimelineEntry": [{"type": 10, "state": 5}]}, True),
        ({"type": "timeline", "TimelineEntry": [{"type": "9", "state": "9"}]}, True),
        ({"type": "timeline", "TimelineEntry": [{"type": 10, "state": 1}]}, False),
        ({"type": "timeline", "TimelineEntry": [{"type": 1, "state": 5}]}, False),  # a movie
        ({"type": "activity", "TimelineEntry": [{"type": 10, "state": 5}]}, False),
        ({"type": "timeline", "TimelineEntry": "junk"}, False),
        ({"type": "timeline", "TimelineEntry": [None, {"type": [], "state": 5}]}, False),
    ],
)
def test_only_a_processed_or_deleted_music_item_counts_as_a_change(
    container: dict[str, Any], changed: bool
) -> None:
    assert library_changed(container) is changed


def test_a_change_in_plex_is_synced_within_seconds_and_a_burst_syncs_once(
    start_app: StartApp, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    app = start_app(listen_for_changes=True)
    assert app.sync().status_code == 200
    before = app.wait_for_sync_to_end()
    wait_until(lambda: sim_library.timeline._listeners, what="the app to listen")
    syncs = sync_requests(plex)

    changed_at = time.monotonic()
    for _ in range(3):  # a scan adding three albums: one sync for the burst
        sim_library.add_album(tracks=4)
    status = app.wait_for_status(
        lambda s: s["track_count"] == before["track_count"] + 12 and not s["is_syncing"],
        timeout=15,
    )
    assert time.monotonic() - changed_at < 15
    assert status["sync_reason"] == "plex_changed"
    time.sleep(3)  # a second sync would have started by now
    assert sync_requests(plex) == syncs + 1


def test_ratings_and_plays_send_nothing_and_start_no_sync(
    start_app: StartApp, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    app = start_app(listen_for_changes=True)
    assert app.sync().status_code == 200
    app.wait_for_sync_to_end()
    wait_until(lambda: sim_library.timeline._listeners, what="the app to listen")
    syncs = sync_requests(plex)
    key = next(iter(sim_library.tracks))
    sim_library.rate_track(key, 10)
    sim_library.play_track(key)
    time.sleep(3)
    assert sync_requests(plex) == syncs


def sync_requests(plex: PlexSimulator) -> int:
    """How many syncs reached Plex: each starts by asking for the server's identity at /."""
    return sum(1 for r in plex.requests if r.path == "/library/sections")
