"""Blocking entry point for the CLI and benchmarks (``python -m plexcrate.simulator``)."""

from __future__ import annotations

import argparse
import gc
import signal
import threading
from collections.abc import Callable, Sequence
from typing import Any

from plexcrate.simulator.faults import Latency
from plexcrate.simulator.library import SimLibrary
from plexcrate.simulator.server import PlexSimulator


def run_simulator(
    tracks: int = 1000,
    seed: int = 1,
    host: str = "127.0.0.1",
    port: int = 32400,
    token: str = "simulator-token",
    latency: Latency | None = None,
    music_sections: int = 1,
    on_ready: Callable[[PlexSimulator], None] | None = None,
    *,
    generous: bool = False,
    strict: bool = False,
) -> None:
    """Generate a library and serve it until SIGINT/SIGTERM. Prints nothing; ``on_ready`` is
    called once the server listens (useful with ``port=0``)."""
    lib = SimLibrary.generate(tracks=tracks, seed=seed, music_sections=music_sections)
    # This process exists to serve the library: move its (acyclic, long-lived) objects out of
    # the garbage collector's view, which otherwise rescans them all during every big page
    # (about a third of the time spent rendering a 1,000-track page).
    gc.freeze()
    done = threading.Event()
    previous = _install_signal_handlers(done)
    try:
        with PlexSimulator(
            lib, token=token, host=host, port=port, latency=latency, generous=generous,
            strict=strict,
        ) as sim:  # fmt: skip
            if on_ready is not None:
                on_ready(sim)
            done.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _install_signal_handlers(done: threading.Event) -> dict[int, Any]:
    """Stop on SIGINT/SIGTERM; returns the handlers they replaced."""

    def stop(signum: int, frame: object) -> None:
        done.set()

    previous: dict[int, Any] = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[signum] = signal.signal(signum, stop)
        except ValueError:  # not the main thread: the caller stops us some other way
            break
    return previous


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m plexcrate.simulator",
        description="Serve a synthetic music library over the Plex Media Server API.",
    )
    parser.add_argument("--tracks", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=32400)
    parser.add_argument("--token", default="simulator-token")
    parser.add_argument("--music-sections", type=int, choices=(1, 2), default=1)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    parser.add_argument("--latency-per-item", type=float, default=0.0, help="seconds per item")
    parser.add_argument("--max-concurrent", type=int, default=None)
    parser.add_argument(
        "--generous", action="store_true", help="list every tag (not like a real server)"
    )
    parser.add_argument(
        "--strict", action="store_true", help="refuse list requests without paging (400)"
    )
    parser.add_argument(
        "--print-url", action="store_true", help="print the server URL once listening"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    latency = None
    if args.latency or args.latency_per_item or args.max_concurrent:
        latency = Latency(args.latency, args.latency_per_item, args.max_concurrent)

    def announce(sim: PlexSimulator) -> None:
        if args.print_url:
            print(sim.url, flush=True)

    run_simulator(
        tracks=args.tracks,
        seed=args.seed,
        host=args.host,
        port=args.port,
        token=args.token,
        latency=latency,
        music_sections=args.music_sections,
        on_ready=announce,
        generous=args.generous,
        strict=args.strict,
    )
