"""What every benchmark needs: a simulated Plex in its own process, a measured command, a table.

The simulator runs in a separate process so that its work (rendering pages) is not counted as
ours, and so that the process we measure holds nothing but plexcrate.
"""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

TOKEN = "benchmark-token"
PYTHON = sys.executable
PLEXCRATE = str(Path(sys.executable).with_name("plexcrate"))


@dataclass(frozen=True, slots=True)
class Result:
    """One measured figure, with its target when it has one."""

    benchmark: str
    figure: str
    value: float
    unit: str
    target: str = ""
    met: bool | None = None  # None: no target


@dataclass(frozen=True, slots=True)
class Measured:
    seconds: float
    peak_rss_mb: float
    returncode: int
    output: str


@dataclass(frozen=True, slots=True)
class Latency:
    """The simulator's latency model: per request, per item, and requests served at once."""

    per_request: float = 0.0
    per_item: float = 0.0
    max_concurrent: int | None = None

    def args(self) -> list[str]:
        args = ["--latency", str(self.per_request), "--latency-per-item", str(self.per_item)]
        if self.max_concurrent:
            args += ["--max-concurrent", str(self.max_concurrent)]
        return args


# Close to a real Plex server on a small NAS (issue 6): 30 ms a request plus 0.3 ms an item,
# at most 4 requests served at once.
NAS_LATENCY = Latency(per_request=0.030, per_item=0.0003, max_concurrent=4)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def simulator(tracks: int, *, latency: Latency | None = None, seed: int = 1) -> Iterator[str]:
    """A Plex simulator with ``tracks`` tracks in its own process; yields its URL."""
    port = free_port()
    command = [PYTHON, "-m", "plexcrate.simulator", "--tracks", str(tracks), "--seed", str(seed)]
    command += ["--port", str(port), "--token", TOKEN, *(latency.args() if latency else [])]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(30)


def _wait_until_up(url: str, process: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the simulator exited with {process.returncode}")
        try:
            httpx.get(f"{url}/identity", timeout=1).raise_for_status()
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise TimeoutError("the simulator did not start")


def plexcrate_env(url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PLEX_URL": url,
        "PLEX_TOKEN": TOKEN,
        "PLEXCRATE_DATA_DIR": str(data_dir),
        **extra,
    }


def measure(command: Sequence[str], env: Mapping[str, str]) -> Measured:
    """Run a command to the end; its wall time and peak resident memory (from wait4)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    assert process.stdout is not None
    output = process.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return Measured(seconds, usage.ru_maxrss / 1024, process.returncode, output)


def machine() -> str:
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = platform.processor() or platform.machine()
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory_gb:.0f} GiB RAM, "
        f"Python {platform.python_version()}, SQLite {_sqlite_version()}, {platform.system()}"
    )


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


def table(results: Sequence[Result]) -> str:
    """A Markdown table, ready to paste into docs/performance.md."""
    lines = ["| benchmark | figure | value | target | met |", "| --- | --- | --- | --- | --- |"]
    for r in results:
        met = "" if r.met is None else ("yes" if r.met else "**no**")
        lines.append(
            f"| {r.benchmark} | {r.figure} | {r.value:,.2f} {r.unit} | {r.target} | {met} |"
        )
    return "\n".join(lines)
