"""The app's lifecycle: Plex going away and back, a stale cache, a changed server, an empty cache
with Plex down. Each test starts the real app in uvicorn against the simulator."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

import pytest
from conftest import TOKEN, StartApp, restartable
from test_api_sync import SLOW, sync_runs
from web_harness import AppServer, closed_port, fill_cache, set_synced_at, wait_until

from plexcrate.config import Settings
from plexcrate.simulator import PlexSimulator, SimLibrary
from plexcrate.sync.mapping import MAPPING_VERSION

HOUR = 3600.0


def probes(plex: PlexSimulator) -> int:
    return sum(1 for record in plex.requests if record.path == "/identity")


def wait_for_probes(app: AppServer, plex: PlexSimulator, count: int) -> None:
    """Let the probe run ``count`` more times, so the start checks have certainly run."""
    target = probes(plex) + count
    wait_until(lambda: probes(plex) >= target, what=f"{count} probes")


# --- Plex offline -----------------------------------------------------------------------------


def test_plex_going_away_and_coming_back_flips_plex_connected(
    start_app: StartApp, app_settings: Settings, plex: PlexSimulator
) -> None:
    fill_cache(app_settings.cache_path, plex.url, TOKEN)
    restartable(plex)
    app = start_app()
    app.wait_for_status(lambda s: s["plex_connected"], what="connected")

    plex.stop()
    offline = app.wait_for_status(lambda s: not s["plex_connected"], timeout=30, what="offline")
    # Everything is still served from the cache.
    assert offline["track_count"] == 600 and offline["error"] is None
    assert app.tracks(exclude_live="false")["total"] == 600
    assert app.stats(exclude_live="false")["total_tracks"] == 600

    plex.start()
    app.wait_for_status(lambda s: s["plex_connected"], timeout=30, what="back online")


def test_plex_connected_is_unknown_until_the_first_probe_answers(
    start_app: StartApp, plex: PlexSimulator
) -> None:
    """Not "offline" in the moment after start: the UI would flash a false warning."""
    plex.faults.inject("hang", path="/identity", params=None, hang_seconds=6.0)
    app = start_app()
    assert app.status()["plex_connected"] is None
    app.wait_for_status(lambda s: s["plex_connected"] is False, what="the probe to time out")
    app.wait_for_status(lambda s: s["plex_connected"] is True, what="the next probe")


def test_the_status_says_why_plex_does_not_answer_and_which_server_it_is(
    start_app: StartApp, app_settings: Settings, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    fill_cache(app_settings.cache_path, plex.url, TOKEN)
    restartable(plex)
    app = start_app()
    online = app.wait_for_status(lambda s: s["plex_connected"], what="connected")
    assert online["plex_error"] is None
    # The server's id, for links into the Plex web app; from the cache, so offline too.
    assert online["machine_identifier"] == sim_library.machine_identifier
    url = plex.url
    plex.stop()
    offline = app.wait_for_status(lambda s: s["plex_connected"] is False, what="offline")
    assert offline["plex_error"] == (
        f"Cannot reach Plex at {url}: connection refused (while asking who it is)."
    )
    assert offline["machine_identifier"] == sim_library.machine_identifier
    plex.start()
    back = app.wait_for_status(lambda s: s["plex_connected"], what="back online")
    assert back["plex_error"] is None


def test_an_empty_cache_with_plex_offline_fails_fast_and_says_what_to_check(
    start_app: StartApp,
) -> None:
    port = closed_port()
    app = start_app(plex_url=f"http://127.0.0.1:{port}")
    assert app.sync().json() == {"started": True, "blocking": True}
    failed = app.wait_for_sync_to_end(timeout=30)
    # Fast because a refused connection is not waited for (no timeout in the message).
    assert failed["error"].startswith(
        f"Cannot reach Plex at http://127.0.0.1:{port}: connection refused"
    )
    assert "Check that Plex is running and that PLEX_URL points to it." in failed["error"]
    assert failed["plex_connected"] is False and failed["track_count"] == 0
    # ... and the app keeps running.
    assert app.get("/api/health").json()["status"] == "ok"
    assert app.tracks() == {"total": 0, "seed": None, "tracks": []}


# --- staleness --------------------------------------------------------------------------------


def test_a_stale_cache_syncs_by_itself_on_start(
    start_app: StartApp, app_settings: Settings, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    fill_cache(app_settings.cache_path, plex.url, TOKEN)
    an_hour_ago = time.time() - HOUR
    set_synced_at(app_settings.cache_path, an_hour_ago)
    sim_library.add_album(tracks=4)

    app = start_app(stale_after_hours=0.5)  # fractions of an hour are allowed

    status = app.wait_for_status(
        lambda s: s["sync_reason"] == "stale" and not s["is_syncing"], what="the stale sync"
    )
    assert status["error"] is None and status["is_stale"] is False
    assert status["track_count"] == len(sim_library.tracks) == 604
    assert sync_runs(plex) == 2  # fill_cache's, then the app's


@pytest.mark.parametrize("cache", ["fresh", "empty"])
def test_a_fresh_or_empty_cache_does_not_sync_on_start(
    start_app: StartApp, app_settings: Settings, plex: PlexSimulator, cache: str
) -> None:
    if cache == "fresh":
        fill_cache(app_settings.cache_path, plex.url, TOKEN)
        set_synced_at(app_settings.cache_path, time.time() - 0.4 * HOUR)
    runs = sync_runs(plex)
    app = start_app(stale_after_hours=0.5)
    wait_for_probes(app, plex, 3)
    status = app.status()
    assert status["plex_connected"] and not status["is_syncing"]
    assert status["sync_reason"] is None and status["is_stale"] is False
    assert sync_runs(plex) == runs


def test_a_cache_mapped_by_older_rules_syncs_in_full_on_start(
    start_app: StartApp, app_settings: Settings, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    """A cache written before the mapping rules changed (an upgrade) is rebuilt as soon as
    Plex answers, though it is fresh: its rows may be wrong, and a week is too long to wait."""
    fill_cache(app_settings.cache_path, plex.url, TOKEN)
    set_synced_at(app_settings.cache_path, time.time() - 0.1 * HOUR)
    conn = sqlite3.connect(app_settings.cache_path)
    with conn:
        conn.execute("UPDATE sync_state SET mapping_version = ?", (MAPPING_VERSION - 1,))
    conn.close()
    runs = sync_runs(plex)
    app = start_app(stale_after_hours=24)
    status = app.wait_for_status(
        lambda s: s["sync_reason"] == "outdated" and not s["is_syncing"], what="the rebuild"
    )
    assert status["error"] is None and status["last_sync_kind"] == "full"
    assert sync_runs(plex) == runs + 1
    wait_for_probes(app, plex, 3)  # and once rebuilt, no more
    assert sync_runs(plex) == runs + 1


def test_a_stale_cache_syncs_once_plex_answers_when_it_was_down_at_start(
    start_app: StartApp, app_settings: Settings, plex: PlexSimulator
) -> None:
    fill_cache(app_settings.cache_path, plex.url, TOKEN)
    set_synced_at(app_settings.cache_path, time.time() - 2 * HOUR)
    restartable(plex).stop()

    app = start_app(stale_after_hours=1)
    offline = app.wait_for_status(lambda s: s["is_stale"] and not s["plex_connected"])
    assert not offline["is_syncing"] and offline["error"] is None  # no doomed sync

    plex.start()
    status = app.wait_for_status(
        lambda s: s["sync_reason"] == "stale" and not s["is_syncing"], what="the stale sync"
    )
    assert status["error"] is None and not status["is_stale"]


# --- a changed server -------------------------------------------------------------------------


def watch_server_change(app: AppServer) -> list[tuple[dict[str, Any], int, dict[str, Any]]]:
    """(status, track total, status) samples from now until the sync ends.

    Each total is read between two statuses, so a test knows what held before and after it.
    """
    samples = []
    before = app.status()
    while True:
        total = app.tracks(exclude_live="false", limit=1)["total"]
        after = app.status()
        samples.append((before, total, after))
        if not after["is_syncing"] and after["sync_reason"] is not None:
            return samples
        before = after


@pytest.mark.parametrize("when", ["at start", "before a manual sync"])
def test_a_changed_server_is_cleared_at_once_and_its_library_synced(
    start_app: StartApp,
    app_settings: Settings,
    plex: PlexSimulator,
    sim_library: SimLibrary,
    when: str,
) -> None:
    fill_cache(app_settings.cache_path, plex.url, TOKEN)
    if when == "before a manual sync":
        app = start_app()
        wait_for_probes(app, plex, 2)
    plex.latency = SLOW
    sim_library.set_machine_identifier("a-reinstalled-server")
    sim_library.add_album(tracks=3)
    if when == "at start":
        app = start_app()
    else:
        assert app.sync().json() == {"started": True, "blocking": False}

    samples = watch_server_change(app)

    # From the moment the change is known, no old track is served: the old library had 600
    # tracks, the new one 603, and snapshots are atomic, so every read finds 0 (cleared) or 603.
    after_notice = [total for before, total, _ in samples if before["server_changed"]]
    assert after_notice, "the status never said the server changed"
    assert set(after_notice) <= {0, 603}, "an old track was served after the server changed"
    cleared = [
        total
        for before, total, after in samples
        if before["server_changed"] and after["is_syncing"] and after["track_count"] == 0
    ]
    assert 0 in cleared, "the cleared cache was never observed while the new library synced"
    noticed = next(i for i, (before, _, _) in enumerate(samples) if before["server_changed"])
    assert all(s[0]["server_changed"] for s in samples[noticed:]), "the notice went away"
    final = samples[-1][2]
    assert final["error"] is None
    final_total = app.tracks(exclude_live="false", limit=1)["total"]
    assert final["track_count"] == final_total == len(sim_library.tracks) == 603
    assert "previous server's tracks were cleared" in final["server_changed"]
    expected_reason = "server_changed" if when == "at start" else "manual"
    assert final["sync_reason"] == expected_reason
