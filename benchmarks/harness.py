"""What every benchmark needs: a simulated Plex in its own process, a measured command, a table.

The simulator runs in a separate process so that its work (rendering pages) is not counted as
ours, and so that the process we measure holds nothing but plexcrate.
"""

from __future__ import annotations

import atexit
import json
import math
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import httpx

TOKEN = "benchmark-token"
ROOT = Path(__file__).resolve().parents[1]
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
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PLEX_", "PLEXCRATE_"))}
    return {
        **environ,
        "PLEX_URL": url,
        "PLEX_TOKEN": TOKEN,
        "PLEXCRATE_DATA_DIR": str(data_dir),
        **extra,
    }


def unreachable_plex() -> str:
    """A Plex URL where nothing listens: the app serves its cache and never syncs."""
    return f"http://127.0.0.1:{free_port()}"


@contextmanager
def app_server(env: Mapping[str, str], *, timeout: float = 60) -> Iterator[AppServer]:
    """``plexcrate serve`` in its own process, once its status answers."""
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [PLEXCRATE, "serve", "--port", str(port)],
        env=dict(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, timeout=10) as http:
            deadline = started + timeout
            while True:
                if process.poll() is not None:
                    error = process.stderr.read().decode() if process.stderr else ""
                    raise RuntimeError(f"plexcrate serve exited with {process.returncode}: {error}")
                try:
                    if http.get("/api/library/status").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.perf_counter() > deadline:
                    raise TimeoutError("plexcrate serve did not answer")
                time.sleep(0.005)
        yield AppServer(url, process, time.perf_counter() - started)
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True, slots=True)
class AppServer:
    url: str
    process: subprocess.Popen[bytes]
    first_status_s: float  # from spawning the process to its first status answer

    def peak_rss_mb(self) -> float:
        return peak_rss_mb(self.process.pid)


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory so far (the kernel's high-water mark, VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc: peak memory is measured on Linux only")


@cache
def _synced_caches() -> Path:
    root = Path(tempfile.mkdtemp(prefix="plexcrate-bench-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return root


def synced_cache(tracks: int, seed: int = 1) -> Path:
    """A data folder holding a cache synced from a simulated library of ``tracks`` tracks.

    Built once per run (by ``plexcrate sync``, see :func:`cache_build`) and copied for each
    caller, who gets a folder of its own that no process has opened yet.
    """
    cache_build(tracks, seed)
    copy = Path(tempfile.mkdtemp(prefix="plexcrate-bench-", dir=_synced_caches()))
    shutil.copytree(_synced_caches() / f"{tracks}-{seed}", copy, dirs_exist_ok=True)
    return copy


@cache
def cache_build(tracks: int, seed: int = 1) -> Measured:
    """The ``plexcrate sync`` that built :func:`synced_cache`'s cache: its time and memory."""
    with simulator(tracks, seed=seed) as url:
        done = measure(
            [PLEXCRATE, "sync"], plexcrate_env(url, _synced_caches() / f"{tracks}-{seed}")
        )
    if done.returncode != 0:
        raise RuntimeError(f"plexcrate sync failed:\n{done.output}")
    return done


def latencies(
    benchmark: str, what: str, samples_ms: Sequence[float], p95_target_ms: float
) -> list[Result]:
    """p50, p95 (with its target) and max of latency samples, in milliseconds."""
    p50, p95, worst = percentiles(samples_ms)
    n = f"{len(samples_ms):,} requests"
    return [
        Result(benchmark, f"{what}: p50 ({n})", p50, "ms"),
        Result(
            benchmark,
            f"{what}: p95",
            p95,
            "ms",
            target=f"< {p95_target_ms:g} ms",
            met=p95 < p95_target_ms,
        ),
        Result(benchmark, f"{what}: max", worst, "ms"),
    ]


def percentiles(samples: Sequence[float]) -> tuple[float, float, float]:
    """p50, p95 and max (percentiles by linear interpolation, like numpy's default)."""
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[94], max(samples)


def load_average() -> str:
    """The machine's load when the run started or ended: the figures are only as quiet as it."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f}"


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
        value = "n/a" if math.isnan(r.value) else f"{r.value:,.2f} {r.unit}".rstrip()
        lines.append(f"| {r.benchmark} | {r.figure} | {value} | {r.target} | {met} |")
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class ClientRun:
    """One run of a program of ``benchmarks.clients``: its own timing of the work, and the
    process's wall time and peak memory."""

    seconds: float
    items: int
    process: Measured


def run_client(
    program: str, url: str, *args: str, env: Mapping[str, str] | None = None
) -> ClientRun:
    environ = {**(env or os.environ), "PLEX_TOKEN": TOKEN}
    environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), environ.get("PYTHONPATH")]))
    done = measure([PYTHON, "-m", "benchmarks.clients", program, url, *args], environ)
    if done.returncode != 0:
        raise RuntimeError(f"benchmarks.clients {program} failed:\n{done.output}")
    report = json.loads(done.output.strip().splitlines()[-1])
    return ClientRun(report["seconds"], report["items"], done)
