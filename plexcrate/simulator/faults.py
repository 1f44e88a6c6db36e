"""Latency model and fault plan: how the simulator misbehaves like a slow or flaky server."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

FAULT_KINDS = ("status", "reset", "truncate", "hang", "trickle", "total", "swap", "short", "repeat")
# Kinds that change the answer (or what answers) rather than replace it.
ANSWERING_KINDS = frozenset({"truncate", "trickle", "total", "swap"})
# Faults in what a listing's page holds rather than in the transport (see listing._chunk).
PAGE_FAULTS = frozenset({"short", "repeat"})
# inject()'s default target: the track listing of section 1, i.e. a sync's page requests.
TRACK_PAGES_PATH = "/library/sections/1/all"
TRACK_PAGES_PARAMS: Mapping[str, str] = MappingProxyType({"type": "10"})


@dataclass(frozen=True, slots=True)
class Latency:
    """Per-request and per-returned-item delay, and how many requests are served at once.

    ``max_concurrent`` models a small NAS: requests beyond it wait for a free slot before any
    work starts. None means unbounded.
    """

    per_request: float = 0.0
    per_item: float = 0.0
    max_concurrent: int | None = None

    def __post_init__(self) -> None:
        if self.per_request < 0 or self.per_item < 0:
            raise ValueError("latency must not be negative")
        if self.max_concurrent is not None and self.max_concurrent < 1:
            raise ValueError("max_concurrent must be >= 1 or None")

    def delay(self, items: int) -> float:
        return self.per_request + self.per_item * items


class Gate:
    """A concurrency limit for one Latency setting (replaced whenever latency is set, so
    requests already inside release the gate they entered)."""

    def __init__(self, limit: int | None) -> None:
        self._slots = threading.BoundedSemaphore(limit) if limit else None

    def __enter__(self) -> Gate:
        if self._slots is not None:
            self._slots.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._slots is not None:
            self._slots.release()


@dataclass(slots=True)
class Fault:
    """One injected fault. It counts the requests it matches from the moment it is injected and
    fires on the ``nth`` of them and the ``times - 1`` after it (forever when times is None)."""

    kind: str
    path: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    nth: int = 1
    times: int | None = 1
    status: int = 500
    hang_seconds: float = 60.0
    trickle_bytes: int = 16  # "trickle": this many bytes at a time...
    trickle_every: float = 0.1  # ...then this long a pause
    total_size: Any = None  # "total": the totalSize the answer claims
    library: Any = None  # "swap": the SimLibrary that answers from this request on
    count: int = 1  # items a "short" page lacks, or a "repeat" page starts early
    seen: int = 0
    fired: int = 0
    released: threading.Event = field(default_factory=threading.Event)

    def release(self) -> None:
        """End the hangs of this fault now (and make later ones end at once)."""
        self.released.set()

    def matches(
        self, path: str, params: Mapping[str, str], header: Callable[[str], str | None]
    ) -> bool:
        if self.path is not None and path != self.path:
            return False
        for name, expected in self.params.items():
            actual = params.get(name)
            if actual is None:
                actual = header(name)
            if actual != expected:
                return False
        return True

    def consider(
        self, path: str, params: Mapping[str, str], header: Callable[[str], str | None]
    ) -> bool:
        """Count a request; True when this fault fires for it."""
        if not self.matches(path, params, header):
            return False
        self.seen += 1
        last = None if self.times is None else self.nth + self.times - 1
        if self.seen < self.nth or (last is not None and self.seen > last):
            return False
        self.fired += 1
        return True


class FaultPlan:
    """The faults injected into a running simulator; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def inject(
        self,
        kind: str,
        path: str | None = TRACK_PAGES_PATH,
        params: Mapping[str, Any] | None = TRACK_PAGES_PARAMS,
        nth: int = 1,
        times: int | None = 1,
        status: int = 500,
        hang_seconds: float = 60.0,
        trickle_bytes: int = 16,
        trickle_every: float = 0.1,
        total_size: Any = None,
        library: Any = None,
        count: int = 1,
    ) -> Fault:
        """Add a fault: ``kind`` is "status" (answer ``status``), "reset" (TCP RST), "truncate"
        (advertise the full Content-Length, send half, close), "hang" (answer nothing for
        ``hang_seconds``, until :meth:`Fault.release` or until the simulator stops, then
        close), "trickle" (send the whole
        answer, head and body, ``trickle_bytes`` at a time every ``trickle_every`` seconds),
        "total" (claim ``total_size`` as the container's totalSize: 5000000000, "abc", 0),
        "swap" (another server now answers at this address: ``library``, a SimLibrary, serves
        this request and every one after it; in-process only), "short" (a listing's page
        holds ``count`` items fewer than asked, though more follow) or "repeat" (a page starts
        ``count`` items before the offset asked, which its container still names: keys of the
        page before come again, and as many at its end are left out).

        By default it targets the first music section's track pages (what a sync fetches);
        ``path=None`` matches every path and ``params=None`` (or ``{}``) every query."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
        if nth < 1 or (times is not None and times < 1):
            raise ValueError("nth and times must be >= 1")
        if kind == "status" and not 100 <= status <= 599:
            raise ValueError("status must be an HTTP status code")
        if kind == "trickle" and (trickle_bytes < 1 or trickle_every < 0):
            raise ValueError("trickle_bytes must be >= 1 and trickle_every >= 0")
        if kind == "swap" and library is None:
            raise ValueError("a swap needs the library to swap in")
        if count < 1:
            raise ValueError("count must be >= 1")
        values = {str(k): str(v) for k, v in (params or {}).items()}
        fault = Fault(
            kind, path, values, nth, times, status, float(hang_seconds),
            int(trickle_bytes), float(trickle_every), total_size, library, count,
        )  # fmt: skip
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pick(
        self, path: str, params: Mapping[str, str], header: Callable[[str], str | None]
    ) -> Fault | None:
        """The fault to apply to this request, if any. Every matching fault counts the request,
        so several faults keep independent counts; the earliest injected one wins."""
        chosen: Fault | None = None
        with self._lock:
            for fault in self._faults:
                if fault.consider(path, params, header) and chosen is None:
                    chosen = fault
        return chosen

    def __len__(self) -> int:
        with self._lock:
            return len(self._faults)

    def __iter__(self) -> Iterator[Fault]:
        with self._lock:
            return iter(list(self._faults))


class Hooks:
    """Actions run when matching requests have been answered: a test's way to change the
    library at a precise moment of a sync (say, after the 40th page of tracks). Thread-safe;
    matching and counting as for a :class:`Fault`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hooks: list[tuple[Fault, Callable[[], object]]] = []

    def add(
        self,
        action: Callable[[], object],
        path: str | None = TRACK_PAGES_PATH,
        params: Mapping[str, Any] | None = TRACK_PAGES_PARAMS,
        nth: int = 1,
        times: int | None = 1,
    ) -> Fault:
        """Run ``action()`` after the ``nth`` matching request (and ``times - 1`` more) has
        been answered and before its answer is sent, on the thread serving it."""
        if nth < 1 or (times is not None and times < 1):
            raise ValueError("nth and times must be >= 1")
        trigger = Fault("hook", path, {str(k): str(v) for k, v in (params or {}).items()}, nth,
                        times)  # fmt: skip
        with self._lock:
            self._hooks.append((trigger, action))
        return trigger

    def due(
        self, path: str, params: Mapping[str, str], header: Callable[[str], str | None]
    ) -> list[Callable[[], object]]:
        """The actions this request triggers (each matching hook counts it)."""
        with self._lock:
            return [action for trigger, action in self._hooks
                    if trigger.consider(path, params, header)]  # fmt: skip

    def clear(self) -> None:
        with self._lock:
            self._hooks.clear()
