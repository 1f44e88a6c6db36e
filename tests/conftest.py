"""Shared fixtures: a simulated Plex server on loopback, a cache, and a client for them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from plexcrate.cache.database import Database
from plexcrate.plex.client import PlexClient
from plexcrate.simulator import PlexSimulator, SimLibrary

TOKEN = "test-token-do-not-log"


@pytest.fixture
def sim_library() -> SimLibrary:
    return SimLibrary.generate(tracks=600, seed=3)


@pytest.fixture
def plex(sim_library: SimLibrary) -> Iterator[PlexSimulator]:
    with PlexSimulator(sim_library, token=TOKEN) as simulator:
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
