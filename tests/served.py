"""``plexcrate serve`` in a process of its own, for tests that kill it, stop it or starve it.

Its output (uvicorn's log and ours, stdout and stderr together) is collected line by line, so a
test can wait for a line and check that no line ever held the Plex token.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
from web_harness import wait_until

PLEXCRATE = Path(sys.executable).parent / "plexcrate"
HOOKED = Path(__file__).parent / "serve_hooked.py"
RUNNING = re.compile(r"plexcrate is running at (http://\S+)")


def clean_environment(**extra: str) -> dict[str, str]:
    """This environment without any plexcrate or Plex setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLEX", "PYTEST"))}
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


class Served:
    """One ``plexcrate serve --port 0`` process (``hooked``: through ``serve_hooked.py``;
    ``prefix``: a command that runs it, like ``unshare``)."""

    def __init__(
        self,
        data_dir: Path,
        plex_url: str | None,
        token: str,
        *,
        hooked: bool = False,
        prefix: Sequence[str] = (),
        **env: str,
    ) -> None:
        settings = {
            "PLEXCRATE_DATA_DIR": str(data_dir),
            "PLEXCRATE_PROBE_INTERVAL": "0.5",
            "PLEXCRATE_LISTEN_FOR_CHANGES": "false",  # see app_settings in conftest.py
        }
        if plex_url:
            settings |= {"PLEX_URL": plex_url, "PLEX_TOKEN": token}
        command = [sys.executable, str(HOOKED)] if hooked else [str(PLEXCRATE)]
        self.process = subprocess.Popen(
            [*prefix, *command, "serve", "--port", "0"],
            env=clean_environment(**settings, **env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.url: str | None = None
        self.http: httpx.Client | None = None

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def started(self, timeout: float = 30.0) -> Served:
        """Wait until it listens; fail with its output if it exits instead."""

        def url() -> str | None:
            match = next((m for line in self.lines if (m := RUNNING.search(line))), None)
            if match is None and self.process.poll() is not None:
                self._reader.join(5)
                raise AssertionError(
                    f"plexcrate exited ({self.process.returncode}):\n{self.output}"
                )
            return match.group(1) if match else None

        self.url = wait_until(url, timeout=timeout, what="plexcrate to listen")
        self.http = httpx.Client(base_url=self.url, timeout=10.0)
        # The line is printed just before uvicorn starts: wait until it answers.
        wait_until(self._answers, timeout=timeout, what="plexcrate to answer")
        return self

    def _answers(self) -> bool:
        assert self.http is not None
        try:
            return self.http.get("/api/health").status_code == 200
        except httpx.TransportError:
            return False

    # --- the API ------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        assert self.http is not None
        response = self.http.get("/api/library/status")
        assert response.status_code == 200, f"{response.text}\n{self.output}"
        return response.json()

    def wait_for_status(
        self, predicate: Callable[[dict[str, Any]], bool], *, timeout: float = 60.0, what: str = ""
    ) -> dict[str, Any]:
        def check() -> dict[str, Any] | None:
            status = self.status()
            return status if predicate(status) else None

        return wait_until(check, timeout=timeout, what=what or "a status")

    def sync(self, *, full: bool = False) -> None:
        assert self.http is not None
        response = self.http.post("/api/library/sync", json={"full": full})
        assert response.status_code == 200, response.text

    def synced(self, *, full: bool = False, timeout: float = 120.0) -> dict[str, Any]:
        self.sync(full=full)
        return self.wait_for_status(lambda s: not s["is_syncing"], timeout=timeout, what="sync")

    def tracks(self, **params: Any) -> dict[str, Any]:
        assert self.http is not None
        response = self.http.get("/api/tracks", params=params)
        assert response.status_code == 200, f"{response.text}\n{self.output}"
        return response.json()

    # --- the end ------------------------------------------------------------------------------

    def kill(self) -> None:
        """kill -9: no handler runs, nothing is flushed or rolled back by us."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self._close_client()

    def terminate(self, timeout: float = 30.0) -> float:
        """SIGTERM, as a service manager stops it; returns how long it took to exit."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout)
        self._close_client()
        return time.monotonic() - started

    def exited(self, timeout: float = 30.0) -> int:
        code = self.process.wait(timeout)
        self._reader.join(5)
        return code

    def _close_client(self) -> None:
        self._reader.join(5)
        if self.http is not None:
            self.http.close()

    def __enter__(self) -> Served:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self._close_client()
