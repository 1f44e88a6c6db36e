"""Shared fixtures: a simulated Plex server on loopback, a cache, a client for them, and the web
app running in uvicorn against them."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from web_harness import PROBE_INTERVAL, TEST_SYNC_OPTIONS, AppServer

from plexcrate.cache.database import Database
from plexcrate.config import Settings
from plexcrate.plex.client import PlexClient
from plexcrate.simulator import PlexSimulator, SimLibrary
from plexcrate.web.app import create_app

TOKEN = "test-token-do-not-log"

# Property-based tests (hypothesis, and schemathesis on top of it) give the same answer every run
# in CI: the "ci" profile derandomizes them (examples follow from each test's source) and keeps no
# example database. Local runs explore with a new seed each time; a failure they find is added to
# its test as an explicit @example, so that CI checks it from then on. HYPOTHESIS_PROFILE picks a
# profile by hand ("ci" reproduces CI's examples locally).
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("explore", deadline=None, print_blob=True)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE")
    or ("ci" if os.environ.get("CI", "").lower() in ("true", "1") else "explore")
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: a test of tens of seconds (run by default; -m 'not slow' skips them)"
    )


@pytest.fixture
def sim_library() -> SimLibrary:
    return SimLibrary.generate(tracks=600, seed=3)


@pytest.fixture
def plex(sim_library: SimLibrary) -> Iterator[PlexSimulator]:
    # Strict: a list request without paging fails the test (PMS says it will refuse those).
    with PlexSimulator(sim_library, token=TOKEN, strict=True) as simulator:
        yield simulator


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Database]:
    db = Database(tmp_path / "library_cache.db")
    yield db
    db.close()


@pytest.fixture
def client(plex: PlexSimulator) -> Iterator[PlexClient]:
    with PlexClient(plex.url, TOKEN, timeout=2.0, retry_delay=0.0) as plex_client:
        yield plex_client


@pytest.fixture
def app_settings(tmp_path: Path, plex: PlexSimulator) -> Settings:
    """The web app's settings: the simulator, a cache in tmp_path, short timeouts. Not
    listening to Plex's notifications: a test's own changes to the simulator would start syncs
    of their own beside the test's (tests/test_notifications.py turns it on)."""
    return Settings(
        plex_url=plex.url,
        plex_token=TOKEN,
        data_dir=tmp_path,
        plex_timeout=2.0,
        listen_for_changes=False,
    )


StartApp = Callable[..., AppServer]


@pytest.fixture
def start_app(app_settings: Settings, caplog: pytest.LogCaptureFixture) -> Iterator[StartApp]:
    """Start the app (``start_app(**setting_overrides)``); stopped at teardown, which also
    checks that the token appeared in no response body and no log line."""
    caplog.set_level(logging.INFO)
    servers: list[AppServer] = []

    def start(**overrides: Any) -> AppServer:
        settings = replace(app_settings, **overrides)
        app = create_app(settings, probe_interval=PROBE_INTERVAL, sync_options=TEST_SYNC_OPTIONS)
        server = AppServer(app).start()
        servers.append(server)
        return server

    yield start
    for server in reversed(servers):
        server.stop()
    for server in servers:
        assert not any(TOKEN.encode() in body for body in server.bodies)
    assert TOKEN not in caplog.text


@pytest.fixture
def synced_server(start_app: StartApp) -> AppServer:
    """The app, its cache synced once through the API from the simulator (600 tracks)."""
    server = start_app()
    assert server.sync().status_code == 200
    server.wait_for_sync_to_end()
    return server


def restartable(simulator: PlexSimulator) -> PlexSimulator:
    """Pin a running simulator to its port, so stop() then start() brings it back there."""
    simulator.port = int(simulator.url.rsplit(":", 1)[1])
    return simulator
