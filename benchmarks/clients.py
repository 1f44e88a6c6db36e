"""The programs the sync benchmarks time, each run in a fresh process of its own:

``python -m benchmarks.clients sync URL DATA_DIR``
    plexcrate's full sync, as ``plexcrate sync --full`` runs it (a cache in DATA_DIR).
``python -m benchmarks.clients floor URL``
    The floor: only download every track page and discard it — one count request, then
    pages of plexcrate's page size, JSON, as many at once as plexcrate asks for, with httpx.
    No decoding, no cache: what no sync over HTTP can beat.
``python -m benchmarks.clients plexapi URL``
    The common way in Python: python-plexapi's ``searchTracks()`` and ``searchAlbums()`` on the
    music section, with plexapi's default page size (100) and its auto-reload off.

Each prints one JSON line: ``seconds`` (the work alone: imports and interpreter start-up are
left out, for every program alike) and ``items`` read. The token comes from the environment
(``PLEX_TOKEN``), like plexcrate's.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import orjson


def sync(url: str, data_dir: str) -> int:
    from plexcrate.cache.database import Database
    from plexcrate.plex.client import PlexClient
    from plexcrate.sync.engine import sync_library

    def work() -> int:
        with (
            Database(Path(data_dir) / "library_cache.db") as db,
            PlexClient(url, os.environ["PLEX_TOKEN"]) as client,
        ):
            return sync_library(db, client, full=True).track_count

    return _timed(work)


def floor(url: str) -> int:
    import httpx

    from plexcrate.sync.engine import PAGE_SIZE, WORKERS

    headers = {"Accept": "application/json", "X-Plex-Token": os.environ["PLEX_TOKEN"]}

    def work() -> int:
        with httpx.Client(base_url=url, headers=headers, timeout=60) as http:

            def get(start: int, size: int) -> bytes:
                response = http.get(
                    "/library/sections/1/all",
                    params={"type": "10"},
                    headers={
                        "X-Plex-Container-Start": str(start),
                        "X-Plex-Container-Size": str(size),
                    },
                )
                response.raise_for_status()
                return response.content

            total = orjson.loads(get(0, 0))["MediaContainer"]["totalSize"]
            with ThreadPoolExecutor(WORKERS) as pool:
                pages = pool.map(
                    lambda start: len(get(start, PAGE_SIZE)), range(0, total, PAGE_SIZE)
                )
                sum(pages)  # every body downloaded, then dropped
            return total

    return _timed(work)


def plexapi(url: str) -> int:
    os.environ["PLEXAPI_PLEXAPI_AUTORELOAD"] = "false"  # plexapi reads it for each object
    from plexapi.server import PlexServer

    def work() -> int:
        music = PlexServer(url, os.environ["PLEX_TOKEN"]).library.section("Music")
        return len(music.searchTracks()) + len(music.searchAlbums())

    return _timed(work)


def _timed(work: Callable[[], int]) -> int:
    started = time.perf_counter()
    items = work()
    print(orjson.dumps({"seconds": time.perf_counter() - started, "items": items}).decode())
    return items


PROGRAMS: dict[str, Callable[..., int]] = {"sync": sync, "floor": floor, "plexapi": plexapi}

if __name__ == "__main__":
    PROGRAMS[sys.argv[1]](*sys.argv[2:])
