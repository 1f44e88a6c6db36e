"""``plexcrate`` as the command line runs it, with two hooks for the crash tests (set by env):

- ``HOLD_SWAP_MARKER=<path>``: when a sync records itself, just before its commit (for a full
  sync: the old tables dropped and the new ones renamed in their place, checked against Plex,
  all still uncommitted), the marker file is created and the sync waits there forever, so a test
  can kill the process at exactly that moment. The first ``HOLD_SWAP_SKIP`` (default 0) syncs
  are recorded as usual.
- ``PAGE_CACHE_KB=<n>``: a small page cache for the writer, so a sync's uncommitted pages spill
  into the WAL file long before its commit (what a big library does anyway): a kill then leaves
  a WAL holding half a snapshot, which recovery must ignore.

``python tests/serve_hooked.py serve --port 0``.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

from plexcrate.cache import database, patch, snapshot
from plexcrate.cli import main

if marker := os.environ.get("HOLD_SWAP_MARKER"):
    record_sync = snapshot.record_sync
    skip = [int(os.environ.get("HOLD_SWAP_SKIP", "0"))]

    def held_record_sync(*args: Any, **kwargs: Any) -> int:
        if skip[0] > 0:
            skip[0] -= 1
            return record_sync(*args, **kwargs)
        Path(marker).write_text(str(os.getpid()))
        while True:  # until kill -9
            time.sleep(60)
        return record_sync(*args, **kwargs)

    # A full sync records through its final patch (sync/engine.py), a snapshot alone (tests'
    # library_factory) through publish().
    snapshot.record_sync = held_record_sync  # type: ignore[assignment]
    patch.record_sync = held_record_sync  # type: ignore[assignment]

if cache_kb := os.environ.get("PAGE_CACHE_KB"):
    connect = database.connect

    def small_cache_connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
        conn = connect(path, readonly=readonly)
        conn.execute(f"PRAGMA cache_size = -{int(cache_kb)}")
        return conn

    database.connect = small_cache_connect  # type: ignore[assignment]

if __name__ == "__main__":
    sys.exit(main())
