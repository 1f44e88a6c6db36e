"""POST /api/library/sync and the sync's status, against the simulator over loopback."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from conftest import TOKEN, StartApp
from web_harness import fill_cache

from plexcrate.config import Settings
from plexcrate.simulator import Latency, PlexSimulator, SimLibrary

# Slow enough that a 600-track sync takes about a second: long enough to watch it, short enough
# to keep the suite quick.
SLOW = Latency(per_request=0.08)


def sync_runs(plex: PlexSimulator) -> int:
    """How many syncs the simulator has served: each lists the music sections once."""
    return sum(1 for record in plex.requests if record.path == "/library/sections")


def test_twenty_simultaneous_requests_start_exactly_one_sync(
    start_app: StartApp, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    app = start_app()
    plex.latency = SLOW
    barrier = threading.Barrier(20)

    def post(_: int) -> httpx.Response:
        with httpx.Client(base_url=app.url, timeout=10) as client:
            barrier.wait()
            return client.post("/api/library/sync", json={})

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(post, range(20)))

    started = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code == 409]
    assert len(started) == 1 and len(refused) == 19
    assert started[0].json() == {"started": True, "blocking": True}
    assert all(r.json() == {"error": "Sync already in progress"} for r in refused)

    app.wait_for_sync_to_end()
    assert sync_runs(plex) == 1
    assert app.status()["track_count"] == len(sim_library.tracks)
    assert app.sync().status_code == 200  # and once it has ended, another may start


def test_a_sync_blocks_only_while_the_cache_is_empty(start_app: StartApp) -> None:
    app = start_app()
    assert app.sync().json() == {"started": True, "blocking": True}
    app.wait_for_sync_to_end()
    assert app.sync().json() == {"started": True, "blocking": False}
    app.wait_for_sync_to_end()


def test_progress_counts_tracks_up_to_the_total(
    start_app: StartApp, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    app = start_app()
    plex.latency = SLOW
    assert app.sync().status_code == 200
    seen: list[dict[str, Any]] = []
    while (status := app.status())["is_syncing"]:
        seen.append(status)

    progress = [s["sync_progress"] for s in seen]
    assert all(p is not None for p in progress)
    currents = [p["current"] for p in progress]
    assert currents == sorted(currents), "progress went backwards"
    assert all(p["current"] <= p["total"] for p in progress)
    assert {p["total"] for p in progress if p["total"]} == {len(sim_library.tracks)}
    assert len(set(currents)) >= 3, "progress should move in steps of a page"
    phases = [s["phase"] for s in seen]
    assert "reading_tracks" in phases and "idle" not in phases

    assert status["track_count"] == len(sim_library.tracks)
    assert status["sync_progress"] is None and status["phase"] == "idle"
    assert status["sync_reason"] == "manual" and status["error"] is None
    assert status["synced_at"].endswith("Z")


def test_the_cache_is_served_while_a_sync_runs_and_status_never_waits_on_plex(
    start_app: StartApp, app_settings: Settings, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    fill_cache(app_settings.cache_path, plex.url, TOKEN)
    app = start_app()
    app.wait_for_status(lambda s: s["plex_connected"])
    # Plex now takes 30 s to answer anything: a status that asked it would time out below.
    plex.faults.inject("hang", path=None, params=None, times=None, hang_seconds=30)
    assert app.sync().status_code == 200

    quick = httpx.Client(base_url=app.url, timeout=5.0)
    for _ in range(20):
        status = quick.get("/api/library/status").json()
        assert status["is_syncing"]
        assert status["track_count"] == len(sim_library.tracks)
        page = quick.get("/api/tracks", params={"exclude_live": "false", "limit": 1}).json()
        assert page["total"] == len(sim_library.tracks)
    quick.close()
    plex.faults.clear()
    plex.stop()  # releases the hung requests, so the sync ends (failing) at once


def test_a_failed_sync_keeps_the_cache_and_its_error_until_the_next_success(
    start_app: StartApp, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    app = start_app()
    assert app.sync().status_code == 200
    before = app.wait_for_sync_to_end()
    sim_library.add_album(tracks=5)  # a sync that wrongly committed would show these
    plex.faults.inject("status", status=500, times=None)  # every track page

    assert app.sync().status_code == 200
    failed = app.wait_for_sync_to_end()
    assert "answered 500" in failed["error"]
    assert failed["track_count"] == before["track_count"] == 600
    assert failed["synced_at"] == before["synced_at"]
    assert app.tracks(exclude_live="false", limit=1)["total"] == 600

    plex.faults.clear()
    plex.latency = SLOW
    assert app.sync().status_code == 200
    retrying = app.status()
    assert retrying["is_syncing"] and retrying["error"] == failed["error"]
    succeeded = app.wait_for_sync_to_end()
    assert succeeded["error"] is None
    assert succeeded["track_count"] == len(sim_library.tracks) == 605


def test_without_a_plex_server_the_cache_is_served_and_sync_is_refused(
    start_app: StartApp, app_settings: Settings, plex: PlexSimulator
) -> None:
    fill_cache(app_settings.cache_path, plex.url, TOKEN)
    app = start_app(plex_url=None, plex_token=None)
    status = app.status()
    assert status["plex_configured"] is False and status["plex_connected"] is False
    assert status["track_count"] == 600
    assert app.tracks(exclude_live="false")["total"] == 600

    response = app.sync()
    assert response.status_code == 409
    assert "No Plex server is configured" in response.json()["error"]
    assert "PLEX_URL" in response.json()["error"]


def test_the_status_counts_a_new_library_as_soon_as_it_is_served(
    start_app: StartApp, plex: PlexSimulator, sim_library: SimLibrary, caplog: Any
) -> None:
    """A page of tracks, then the status: once the first holds the new library, the second
    counts it (it used to say "0 tracks, syncing" for a while after the commit). And the
    duration in the status is the one the log gives."""
    app = start_app()
    plex.latency = SLOW
    assert app.sync().status_code == 200
    samples: list[tuple[int, dict[str, Any]]] = []
    while True:
        total = app.tracks(exclude_live="false", limit=1)["total"]
        status = app.status()
        samples.append((total, status))
        if not status["is_syncing"]:
            break
    assert samples[0][0] == 0 and samples[-1][0] == len(sim_library.tracks)
    for total, status in samples:
        # The status may have moved on after the page was read, never lag behind it.
        if total > 0:
            assert status["track_count"] == total, (total, status)
    duration = samples[-1][1]["last_sync_duration_s"]
    assert f"Synced 600 tracks in {duration:.1f} s." in caplog.text


def test_health_answers_head_requests(start_app: StartApp) -> None:
    app = start_app(plex_url=None, plex_token=None)
    response = app.http.head("/api/health")
    assert response.status_code == 200 and response.content == b""


def test_the_albums_remembered_for_paging_follow_a_sync(
    start_app: StartApp, sim_library: SimLibrary
) -> None:
    # Pages of albums slice one remembered order (web/browse.py): a commit must renew it.
    app = start_app()
    assert app.sync().status_code == 200
    app.wait_for_sync_to_end()

    def albums(**params: Any) -> dict[str, Any]:
        answer = app.http.get("/api/albums", params={"exclude_live": "false", **params})
        assert answer.status_code == 200, answer.text
        return answer.json()

    first = albums(limit=1000)
    assert albums(limit=1000) == first  # remembered, and the same
    added = sim_library.add_album(tracks=3, title="First of All")
    assert app.sync().status_code == 200
    assert app.wait_for_sync_to_end()["error"] is None
    after = albums(limit=1000)
    assert after["total"] == first["total"] + 1
    keys = [a["rating_key"] for a in after["albums"]]
    assert added.rating_key in keys
    assert [key for key in keys if key != added.rating_key] == [
        a["rating_key"] for a in first["albums"]
    ]
