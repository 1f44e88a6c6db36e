"""Running the real web app under uvicorn on a loopback port inside the test process.

Tests talk to it with httpx, as a browser would. Every response body is kept, so a test (and the
fixture's teardown) can check that the Plex token never leaves the app.
"""

from __future__ import annotations

import contextlib
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import uvicorn
from fastapi import FastAPI

from plexcrate.cache.database import Database
from plexcrate.config import Settings
from plexcrate.plex.client import PlexClient
from plexcrate.simulator import PlexSimulator, SimLibrary
from plexcrate.sync.engine import SyncOptions, SyncResult, sync_library
from plexcrate.web.app import create_app
from plexcrate.web.server import bind, url_of

T = TypeVar("T")

# Small pages, so a 600-track library takes several pages and progress moves in steps.
TEST_SYNC_OPTIONS = SyncOptions(page_size=100, workers=2)
PROBE_INTERVAL = 0.1


def wait_until(predicate: Callable[[], T], *, timeout: float = 15.0, what: str = "") -> T:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        time.sleep(0.02)


class AppServer:
    """The app in uvicorn on a thread, and an httpx client for it."""

    def __init__(self, app: FastAPI, sock: socket.socket | None = None) -> None:
        self.app = app
        self._sock = sock or bind("127.0.0.1", 0)
        self.url = url_of(self._sock)
        # log_config=None: uvicorn leaves logging alone, so its records reach pytest's caplog.
        # A bounded graceful shutdown, as `plexcrate start` has: a request the browser left
        # open (a picture behind the simulator's latency) must not hold the test's teardown.
        config = uvicorn.Config(app, log_config=None, lifespan="on", timeout_graceful_shutdown=5)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True, name="app"
        )
        self.bodies: list[bytes] = []
        self.http = httpx.Client(
            base_url=self.url, timeout=10.0, event_hooks={"response": [self._keep]}
        )

    def _keep(self, response: httpx.Response) -> None:
        response.read()
        self.bodies.append(response.content)

    def start(self) -> AppServer:
        self._thread.start()
        wait_until(
            lambda: self._server.started or not self._thread.is_alive(), what="uvicorn to start"
        )
        assert self._server.started, "the app failed to start"
        return self

    def stop(self) -> None:
        self.http.close()
        self._server.should_exit = True
        self._thread.join(timeout=20)
        self._sock.close()
        assert not self._thread.is_alive(), "the app did not shut down"

    # --- API shortcuts ------------------------------------------------------------------------

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params)

    def status(self) -> dict[str, Any]:
        response = self.http.get("/api/library/status")
        assert response.status_code == 200, response.text
        return response.json()

    def tracks(self, **params: Any) -> dict[str, Any]:
        response = self.http.get("/api/tracks", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def stats(self, **params: Any) -> dict[str, Any]:
        response = self.http.get("/api/library/stats", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def sync(self, *, full: bool = False) -> httpx.Response:
        return self.http.post("/api/library/sync", json={"full": True} if full else {})

    def wait_for_status(
        self, predicate: Callable[[dict[str, Any]], bool], *, timeout: float = 15.0, what: str = ""
    ) -> dict[str, Any]:
        def check() -> dict[str, Any] | None:
            status = self.status()
            return status if predicate(status) else None

        return wait_until(check, timeout=timeout, what=what or "a status")

    def wait_for_sync_to_end(self, timeout: float = 20.0) -> dict[str, Any]:
        return self.wait_for_status(lambda s: not s["is_syncing"], timeout=timeout, what="sync")


def response_to_a_bug(data_dir: Path, detail: str = "a bug") -> httpx.Response:
    """What the app answers when a route raises ``RuntimeError(detail)``: a real app, with one
    broken route added ahead of the static files."""
    broken = create_app(Settings(data_dir=data_dir))

    async def fail() -> None:
        raise RuntimeError(detail)

    broken.router.add_api_route("/api/boom", fail)
    broken.router.routes.insert(0, broken.router.routes.pop())  # before the static mount
    server = AppServer(broken).start()
    try:
        return server.get("/api/boom")
    finally:
        server.stop()


def fill_cache(cache_path: Path, plex_url: str, token: str) -> SyncResult:
    """Sync a cache the way `plexcrate sync` would, before the app starts."""
    with Database(cache_path) as db, PlexClient(plex_url, token, retry_delay=0) as client:
        return sync_library(db, client, options=TEST_SYNC_OPTIONS)


def set_synced_at(cache_path: Path, timestamp: float) -> None:
    """Pretend the last sync happened at ``timestamp`` (for the staleness rules)."""
    conn = sqlite3.connect(cache_path)
    try:
        with conn:
            conn.execute("UPDATE sync_state SET synced_at = ? WHERE id = 1", (timestamp,))
    finally:
        conn.close()


def closed_port() -> int:
    """A loopback port nothing listens on (connection refused)."""
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    sock.close()
    return port


@contextlib.contextmanager
def synced_app(lib: SimLibrary, data_dir: Path, token: str) -> Iterator[AppServer]:
    """A simulator for ``lib`` and the app, synced once through the API, for read-only tests."""
    with PlexSimulator(lib, token=token, strict=True) as plex:
        settings = Settings(
            plex_url=plex.url, plex_token=token, data_dir=data_dir, listen_for_changes=False
        )
        app = create_app(settings, probe_interval=PROBE_INTERVAL, sync_options=TEST_SYNC_OPTIONS)
        server = AppServer(app).start()
        try:
            assert server.sync().status_code == 200
            assert server.wait_for_sync_to_end()["track_count"] == len(lib.tracks)
            yield server
        finally:
            server.stop()
        assert not any(token.encode() in body for body in server.bodies)
