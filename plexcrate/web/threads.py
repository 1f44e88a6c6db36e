"""Run blocking work (Plex requests, a whole sync) on its own daemon thread and await it.

Not ``asyncio.to_thread``: its threads belong to the loop's default executor, which
``asyncio.run`` joins at exit with no time limit (Python 3.11). A sync reading 100k tracks, or a
request to a Plex server that hangs, would then hold the process open after Ctrl-C. A daemon
thread never does: if it is still blocked at exit, the process ends anyway, and SQLite rolls
back whatever it had not committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class DaemonCall(threading.Thread, Generic[T]):
    """One call of ``fn`` on a new daemon thread; :meth:`result` awaits its outcome."""

    def __init__(self, fn: Callable[[], T], *, name: str) -> None:
        super().__init__(name=name, daemon=True)
        self._fn = fn
        self._loop = asyncio.get_running_loop()
        self._future: asyncio.Future[T] = self._loop.create_future()

    def run(self) -> None:
        try:
            result = self._fn()
        except BaseException as error:
            self._deliver(_set_exception, error)
        else:
            self._deliver(_set_result, result)

    def _deliver(self, setter: Callable[..., None], value: object) -> None:
        # RuntimeError: the loop has closed, so nobody is waiting any more.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(setter, self._future, value)

    async def result(self) -> T:
        return await self._future


async def in_daemon_thread(fn: Callable[[], T], *, name: str) -> T:
    """``await fn()`` run on a daemon thread of its own."""
    call = DaemonCall(fn, name=name)
    call.start()
    return await call.result()


def _set_result(future: asyncio.Future[T], result: T) -> None:
    if not future.done():  # the awaiting task may have been cancelled meanwhile
        future.set_result(result)


def _set_exception(future: asyncio.Future[object], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)
