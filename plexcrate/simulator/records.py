"""The log of served requests, for tests that assert on what a client actually sent."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request as the simulator saw it. ``params`` and ``headers`` never contain the token;
    ``token_in_query`` says whether it came in the URL. ``status`` is what was sent (0 when the
    connection was reset or hung without an answer). ``started``/``finished`` are
    ``time.monotonic()`` readings around the time the request was being served (after waiting
    for a ``max_concurrent`` slot), so tests can measure server-side concurrency. ``items`` is
    how many items the answer listed (0 for errors and faults), so tests can weigh what a
    client read. ``unpaged`` marks a list request that named no page (PMS logs those)."""

    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    status: int
    token_in_query: bool
    started: float = 0.0
    finished: float = 0.0
    items: int = 0
    unpaged: bool = False  # a list request without X-Plex-Container-Start/-Size

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class RequestLog:
    """Thread-safe, bounded list of :class:`RequestRecord` (oldest dropped past ``maxlen``)."""

    def __init__(self, maxlen: int = 100_000) -> None:
        self._lock = threading.Lock()
        self._records: deque[RequestRecord] = deque(maxlen=maxlen)
        self.total = 0  # requests recorded since start; clear() does not reset it

    def append(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)
            self.total += 1

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    def snapshot(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def __iter__(self) -> Iterator[RequestRecord]:
        return iter(self.snapshot())

    def __getitem__(self, index: int) -> RequestRecord:
        return self.snapshot()[index]

    def __repr__(self) -> str:
        return f"RequestLog({len(self)} records)"
