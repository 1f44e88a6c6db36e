"""The `serve`, `demo` and `start` commands, wired for real; only the blocking server loop is
replaced by a driver that serves the app on the command's own socket and talks to it."""

from __future__ import annotations

import re
import socket
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import TOKEN
from fastapi import FastAPI
from web_harness import AppServer

from plexcrate import cli
from plexcrate.simulator import PlexSimulator
from plexcrate.web import server as web_server
from plexcrate.web.server import bind

NO_PLEX: dict[str, str | None] = {"PLEX_URL": None, "PLEX_TOKEN": None}


class Driver:
    """Stands in for ``server.run``: serves the app briefly and records what it saw."""

    def __init__(self, *, sync: bool = False) -> None:
        self.sync = sync
        self.statuses: list[dict[str, Any]] = []

    def __call__(self, app: FastAPI, sock: socket.socket) -> None:
        served = AppServer(app, sock).start()
        try:
            self.statuses.append(served.status())
            if self.sync:
                assert served.sync().json()["blocking"] is True
                self.statuses.append(served.wait_for_sync_to_end())
        finally:
            served.stop()


def invoke(monkeypatch: pytest.MonkeyPatch, driver: Driver, *args: str, **env: Any) -> Result:
    monkeypatch.setattr(web_server, "run", driver)
    return CliRunner().invoke(cli.main, list(args), env=env, catch_exceptions=False)


def announced_url(result: Result) -> str:
    match = re.search(r"plexcrate is running at (http://127\.0\.0\.1:\d+)$", result.stdout, re.M)
    assert match, result.output
    return match.group(1)


def test_demo_serves_a_synthetic_library_from_data_demo(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    driver = Driver(sync=True)
    result = invoke(
        monkeypatch, driver, "demo", "--tracks", "80", "--port", "0",
        PLEXCRATE_DATA_DIR=None, **NO_PLEX,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    announced_url(result)
    first, synced = driver.statuses
    assert first["plex_configured"] and first["track_count"] == 0
    assert synced["error"] is None and synced["track_count"] == 80
    assert (tmp_path / "data" / "demo" / "library_cache.db").exists()


def test_start_without_a_plex_server_runs_the_demo(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    driver = Driver()
    result = invoke(
        monkeypatch, driver, "start", "--port", "0", PLEXCRATE_DATA_DIR=str(tmp_path), **NO_PLEX
    )
    assert result.exit_code == 0, result.output
    assert "starts its demo" in result.stderr
    assert "simulated Plex server with 20,000 tracks" in result.stderr
    assert driver.statuses[0]["plex_configured"] is True


def test_start_with_a_plex_server_serves_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, plex: PlexSimulator
) -> None:
    driver = Driver(sync=True)
    result = invoke(
        monkeypatch, driver, "start", "--port", "0",
        PLEX_URL=plex.url, PLEX_TOKEN=TOKEN, PLEXCRATE_DATA_DIR=str(tmp_path),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "demo" not in result.output
    announced_url(result)
    assert driver.statuses[-1]["track_count"] == 600
    assert (tmp_path / "library_cache.db").exists()


def test_serve_on_a_busy_port_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    busy = bind("127.0.0.1", 0)
    try:
        port = str(busy.getsockname()[1])
        result = invoke(
            monkeypatch, Driver(), "serve", "--port", port, PLEXCRATE_DATA_DIR=str(tmp_path)
        )
    finally:
        busy.close()
    assert result.exit_code == 1
    assert f"Cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "--port" in result.stderr


def test_serve_moves_a_cache_file_that_is_not_ours_aside_and_starts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Refusing to start would be a crash loop under a supervisor; the file is kept aside."""
    (tmp_path / "library_cache.db").write_bytes(b"not a database at all" * 100)
    driver = Driver()
    result = invoke(
        monkeypatch, driver, "serve", "--port", "0", PLEXCRATE_DATA_DIR=str(tmp_path), **NO_PLEX
    )
    assert result.exit_code == 0, result.output
    notice = driver.statuses[0]["notice"]
    assert "is not a plexcrate cache" in notice
    assert "moved to library_cache.db.unreadable-" in notice
    (moved,) = tmp_path.glob("library_cache.db.unreadable-*")
    assert moved.read_bytes() == b"not a database at all" * 100
