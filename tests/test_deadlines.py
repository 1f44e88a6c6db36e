"""A Plex that answers, but so slowly that no single read ever waits long: every request ends at
its deadline (not after a timeout per read), and a sync as a whole ends at its time limit.

The simulator's ``trickle`` fault sends the whole answer, head and body, a few bytes at a time:
before the deadlines, a 404-byte answer at that pace kept a request busy for a minute and more
with a two-second timeout, a sync "syncing" for as long, and the setup check for minutes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import TOKEN, StartApp
from library_factory import dump
from plex_oracle import assert_cache_matches

from plexcrate.cache.database import Database
from plexcrate.plex import client as client_module
from plexcrate.plex.client import LibType, PlexClient
from plexcrate.plex.errors import PlexBadResponse, PlexTimeout
from plexcrate.simulator import Latency, PlexSimulator, SimLibrary
from plexcrate.sync.engine import SyncFailed, SyncOptions, sync_library
from plexcrate.sync.timelimit import TimeLimit

# Far longer than any answer of a busy machine takes; far shorter than a trickle.
TIMEOUT = 2.0
SECTION = "/library/sections/1/all"
# A byte every 0.1 s: each read waits a tenth of a second, an answer takes a minute or more.
TRICKLE = {"kind": "trickle", "trickle_bytes": 1, "trickle_every": 0.1, "times": None}
# A request that ends at its deadline ends within this of it (a loaded machine's slack), where
# one that waited for the whole trickle would take a minute.
SLACK = 5.0
MIDDLE_PAGE = {"type": "10", "X-Plex-Container-Start": "297"}  # pages overlap by one
OPTIONS = SyncOptions(page_size=100, workers=2)


def client_for(plex: PlexSimulator, *, retries: int = 1) -> PlexClient:
    return PlexClient(plex.url, TOKEN, timeout=TIMEOUT, retries=retries, retry_delay=0.0)


@pytest.fixture
def quick_client(plex: PlexSimulator) -> Iterator[PlexClient]:
    with client_for(plex) as client:
        yield client


@pytest.fixture
def before(cache: Database, quick_client: PlexClient, sim_library: SimLibrary) -> list[str]:
    """The cache synced, then Plex changed (so a sync that wrongly committed would show):
    the cache's content, to compare with after a failed sync."""
    sync_library(cache, quick_client, options=OPTIONS)
    sim_library.add_album(tracks=3)
    return dump(cache.path)


def test_a_trickling_answer_ends_at_its_deadline(plex: PlexSimulator) -> None:
    fault = plex.faults.inject(path=SECTION, params={"type": "10"}, **TRICKLE)
    with client_for(plex, retries=0) as client:
        started = time.monotonic()
        with pytest.raises(PlexTimeout, match=r"did not answer within 2 s while counting"):
            client.count(1, LibType.TRACK)
        took = time.monotonic() - started
    assert fault.fired == 1
    # The deadline, give or take a loaded machine; per-read timeouts would have waited minutes.
    assert TIMEOUT <= took < TIMEOUT + SLACK, took


def test_the_probe_ends_at_its_deadline(plex: PlexSimulator) -> None:
    plex.faults.inject(path="/identity", params=None, **TRICKLE)
    with client_for(plex) as client:
        started = time.monotonic()
        assert client.probe() is None
        assert time.monotonic() - started < TIMEOUT + SLACK
        plex.faults.clear()
        assert client.probe() == plex.lib.machine_identifier


def test_a_trickling_page_ends_the_sync_in_time_and_keeps_the_cache(
    cache: Database, quick_client: PlexClient, plex: PlexSimulator, before: list[str]
) -> None:
    plex.faults.inject(path=SECTION, params=MIDDLE_PAGE, **TRICKLE)
    started = time.monotonic()
    with pytest.raises(SyncFailed) as failure:
        sync_library(cache, quick_client, options=OPTIONS, full=True)
    took = time.monotonic() - started
    assert str(failure.value) == ("Plex did not answer within 2 s while reading tracks 298–397.")
    assert took < 2 * TIMEOUT + SLACK, took  # the request and its one retry, and the rest
    assert dump(cache.path) == before


def test_a_trickling_plex_frees_the_app_for_the_next_sync(
    start_app: StartApp, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    app = start_app(plex_timeout=TIMEOUT)
    assert app.sync().status_code == 200
    assert app.wait_for_sync_to_end()["error"] is None
    plex.faults.inject(path=SECTION, params=MIDDLE_PAGE, **TRICKLE)
    assert app.sync(full=True).status_code == 200
    failed = app.wait_for_sync_to_end(timeout=30)
    assert failed["error"].startswith(
        "Plex did not answer within 2 s while reading tracks 298–397."
    )
    assert failed["track_count"] == len(sim_library.tracks)
    plex.faults.clear()
    assert app.sync(full=True).status_code == 200  # not 409: the stuck sync is over
    assert app.wait_for_sync_to_end()["error"] is None


def test_the_setup_check_ends_at_its_deadline(start_app: StartApp, plex: PlexSimulator) -> None:
    app = start_app(plex_url=None, plex_token=None, plex_timeout=TIMEOUT)
    plex.faults.inject(path="/", params=None, **TRICKLE)
    started = time.monotonic()
    response = app.http.post("/api/setup/check", json={"plex_url": plex.url, "plex_token": TOKEN})
    assert response.status_code == 400
    assert response.json()["error"] == (
        "Plex did not answer within 2 s while reading the server's identity."
    )
    assert time.monotonic() - started < TIMEOUT + SLACK


def test_a_playlist_save_ends_at_its_deadline(
    start_app: StartApp, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    app = start_app(plex_timeout=TIMEOUT)
    app.sync()
    app.wait_for_sync_to_end()
    keys = sorted(sim_library.tracks)[:3]
    plex.faults.inject(path="/playlists", params=None, **TRICKLE)
    started = time.monotonic()
    # allow_duplicate: straight to creating it (no look for a playlist of that name first).
    body = {"title": "Slow", "rating_keys": keys, "allow_duplicate": True}
    response = app.http.post("/api/playlists", json=body)
    assert response.status_code == 503
    assert response.json()["error"].startswith("Plex did not answer within 2 s while creating")
    assert time.monotonic() - started < 2 * TIMEOUT + SLACK  # one retry


def test_an_answer_larger_than_any_plex_answer_is_not_held(
    plex: PlexSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The limit is 64 MB; here a smaller one, so the simulator's pages exceed it."""
    monkeypatch.setattr(client_module, "MAX_ANSWER_BYTES", 10_000)
    with client_for(plex, retries=0) as client:
        with pytest.raises(PlexBadResponse, match="Plex sent an answer of more than"):
            client.page(1, LibType.TRACK, 0, 200)
        assert client.count(1, LibType.TRACK) == len(plex.lib.tracks)  # small answers pass


# --- the sync as a whole -----------------------------------------------------------------------


def test_the_time_limit_grows_with_the_library() -> None:
    limit = TimeLimit()
    assert limit.seconds(0) == 600
    assert limit.seconds(100_000) == 600 + 1500  # 35 minutes for 100,000 tracks
    assert TimeLimit(60, 1).seconds(5000) == 65


def test_a_sync_that_outlasts_its_time_limit_is_stopped_and_the_cache_kept(
    cache: Database,
    quick_client: PlexClient,
    plex: PlexSimulator,
    sim_library: SimLibrary,
    before: list[str],
) -> None:
    """Every request answers well within its deadline, but there are too many of them."""
    # Quick to answer who it is and how much it holds; 0.4 s for every page of 100.
    plex.latency = Latency(per_request=0.05, per_item=0.004, max_concurrent=1)
    tight = SyncOptions(page_size=100, workers=2, time_limit=TimeLimit(0.3, 0.0))
    started = time.monotonic()
    with pytest.raises(SyncFailed) as failure:
        sync_library(cache, quick_client, options=tight, full=True)
    assert time.monotonic() - started < 0.3 + SLACK  # stopped, not carried on to the end
    message = str(failure.value)
    assert message.startswith("The sync took longer than the 0.3 s allowed for a library of "), (
        message
    )
    # (Of the cache's 600 tracks, or Plex's 603 once counted: that depends on the machine.)
    assert "tracks, so it was stopped while " in message
    assert message.endswith(
        "the previous library is kept. Plex may be overloaded; if it is just slow, allow "
        "more time with PLEXCRATE_SYNC_TIME_PER_1000_TRACKS."
    )
    assert dump(cache.path) == before
    # The limit belonged to that sync: the client's next one has its own.
    sync_library(cache, quick_client, options=OPTIONS, full=True)
    assert_cache_matches(cache, sim_library)


def test_the_time_limits_are_read_from_the_environment(tmp_path: Path) -> None:
    from plexcrate.config import Settings

    settings = Settings.from_env(
        {"PLEXCRATE_SYNC_TIME_BASE": "120", "PLEXCRATE_SYNC_TIME_PER_1000_TRACKS": "2.5"}
    )
    assert TimeLimit.from_settings(settings).seconds(10_000) == 145
    assert TimeLimit.from_settings(Settings()) == TimeLimit()
