"""Art on disk: pictures by key in one folder, at most so many bytes, least recently used out first.

Each picture is a file named by its key (a hash of Plex's art path and the size asked for). A file
is written under a temporary name and renamed into place, so a reader never sees half a picture,
and a crash leaves at worst a temporary file, cleared at the next start. A picture's last use is
its file's modification time, so the order of eviction survives a restart.

Called from worker threads only (never on the event loop): every method may touch the disk.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
import uuid
from collections import OrderedDict
from pathlib import Path
from typing import BinaryIO

log = logging.getLogger(__name__)

_TEMPORARY = ".tmp-"
TOUCH_AFTER = 60.0  # seconds: a picture used again within this is not re-dated on disk


def sniff(data: bytes) -> str | None:
    """The picture's media type from its first bytes, or None if it is no picture we serve."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


class ArtStore:
    """Pictures in ``folder``, ``max_bytes`` at most in all."""

    def __init__(self, folder: Path, max_bytes: int) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        # key → (size in bytes, when last used), least recently used first; None until loaded.
        self._files: OrderedDict[str, tuple[int, float]] | None = None
        self._total = 0
        self._write_failed = False  # said once in the log, not once a picture

    @property
    def total_bytes(self) -> int:
        with self._lock:
            self._load()
            return self._total

    def get(self, key: str) -> bytes | None:
        """The picture's bytes, or None; a picture found counts as just used."""
        opened = self.open(key)
        if opened is None:
            return None
        with opened:
            return opened.read()

    def open(self, key: str) -> BinaryIO | None:
        """The picture's file, open for reading (the caller closes it), or None; a picture
        found counts as just used. An open file stays readable even if eviction deletes it
        meanwhile, so serving it never races the bound."""
        with self._lock:
            files = self._load()
            entry = files.get(key)
            if entry is None:
                return None
            files.move_to_end(key)
            now = time.time()
            stale = now - entry[1] > TOUCH_AFTER
            if stale:
                files[key] = (entry[0], now)
        path = self.folder / key
        try:
            opened = path.open("rb")
        except OSError:  # gone from the disk behind our back (or unreadable): a miss
            self._forget(key)
            return None
        if stale:
            with contextlib.suppress(OSError):
                os.utime(path, (now, now))
        return opened

    def put(self, key: str, data: bytes) -> None:
        """Keep a picture, evicting the least recently used ones beyond the bound. A disk that
        refuses (full, read-only) only costs the caching: the failure is logged once."""
        if len(data) > self.max_bytes:
            return
        try:
            self._write(key, data)
        except OSError as error:
            if not self._write_failed:
                log.warning("Art is not kept on disk: %s could not be written (%s).", key, error)
                self._write_failed = True
            return
        with self._lock:
            files = self._load()
            old = files.pop(key, None)
            self._total += len(data) - (old[0] if old else 0)
            files[key] = (len(data), time.time())
            evicted = self._over_the_bound()
        self._delete(evicted)

    def _write(self, key: str, data: bytes) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = self.folder / f"{_TEMPORARY}{uuid.uuid4().hex}"
        try:
            temporary.write_bytes(data)
            os.replace(temporary, self.folder / key)
        except BaseException:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise

    def _over_the_bound(self) -> list[str]:
        """Take the least recently used pictures out of the index until the rest fit (with the
        lock held); returns their keys, for their files to be deleted."""
        files = self._load()
        evicted = []
        while self._total > self.max_bytes and files:
            gone, (size, _) = files.popitem(last=False)
            self._total -= size
            evicted.append(gone)
        return evicted

    def _delete(self, keys: list[str]) -> None:
        for key in keys:
            with contextlib.suppress(OSError):  # gone already, or a disk that refuses: no matter
                (self.folder / key).unlink()

    def _forget(self, key: str) -> None:
        with self._lock:
            entry = self._load().pop(key, None)
            if entry is not None:
                self._total -= entry[0]

    def _load(self) -> OrderedDict[str, tuple[int, float]]:
        """The index of the folder, read once (with the lock held)."""
        if self._files is not None:
            return self._files
        found = sorted(_scan(self.folder))
        self._files = OrderedDict((name, (size, used)) for used, name, size in found)
        self._total = sum(size for _, _, size in found)
        self._delete(self._over_the_bound())  # PLEXCRATE_ART_CACHE_MB may have shrunk
        return self._files


def _scan(folder: Path) -> list[tuple[float, str, int]]:
    """(last used, key, size) of every picture in ``folder``; temporary files left by a crash
    mid-write are deleted."""
    found = []
    try:
        entries = list(os.scandir(folder))
    except OSError:  # not there yet, or not a folder we can read: nothing kept
        return []
    for entry in entries:
        if not entry.is_file(follow_symlinks=False):
            continue
        if entry.name.startswith(_TEMPORARY):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
            continue
        try:
            stat = entry.stat(follow_symlinks=False)
        except OSError:  # deleted meanwhile
            continue
        found.append((stat.st_mtime, entry.name, stat.st_size))
    return found
