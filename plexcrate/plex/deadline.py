"""Deadlines for whole requests, where httpx only has timeouts for each network operation.

httpx bounds each connect, each read and each write; a server that trickles a few bytes every
second never trips a two-second read timeout, and one answer can then take hours. Here every
network operation of a request is bounded by the time left until that request's deadline, so the
request ends at its deadline (headers or body, connecting or reading) whatever the server does.

The deadline belongs to the thread that makes the request (:meth:`DeadlineBackend.until`): a
synchronous httpx client does all of a request's network work on the caller's thread, and the
sync's page requests run several at once, each on a thread of its own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

from plexcrate.plex.tls import client_ssl_context, plex_direct_ip


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's blocking sockets, each operation bounded by the calling thread's deadline."""

    def __init__(self) -> None:
        self._sockets = httpcore.SyncBackend()
        self._local = threading.local()

    @contextmanager
    def until(self, deadline: float) -> Iterator[None]:
        """Network work on this thread must end by ``deadline`` (``time.monotonic()``)."""
        previous = getattr(self._local, "deadline", None)
        self._local.deadline = deadline if previous is None else min(previous, deadline)
        try:
            yield
        finally:
            self._local.deadline = previous

    def bound(self, timeout: float | None, late: type[Exception]) -> float | None:
        """``timeout``, shortened to the time left; ``late`` is raised once none is left."""
        deadline = getattr(self._local, "deadline", None)
        if deadline is None:
            return timeout
        left = deadline - time.monotonic()
        if left <= 0:
            raise late("the deadline has passed")
        return left if timeout is None else min(timeout, left)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        limit = self.bound(timeout, httpcore.ConnectTimeout)
        # A plex.direct name carries its IP: connect there, no DNS asked. TLS still checks the
        # certificate against the name (httpcore's start_tls gets the URL's host, not this).
        address = plex_direct_ip(host) or host
        stream = self._sockets.connect_tcp(address, port, limit, local_address, socket_options)
        return _BoundedStream(stream, self)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        limit = self.bound(timeout, httpcore.ConnectTimeout)
        return _BoundedStream(self._sockets.connect_unix_socket(path, limit, socket_options), self)

    def sleep(self, seconds: float) -> None:
        self._sockets.sleep(seconds)


class _BoundedStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream, backend: DeadlineBackend) -> None:
        self._stream = stream
        self._backend = backend

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._backend.bound(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._backend.bound(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        limit = self._backend.bound(timeout, httpcore.ConnectTimeout)
        return _BoundedStream(
            self._stream.start_tls(ssl_context, server_hostname, limit), self._backend
        )

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


def deadline_transport(backend: DeadlineBackend, limits: httpx.Limits) -> httpx.HTTPTransport:
    """httpx's own transport over ``backend``'s sockets.

    httpx has no setting for the network backend, so its connection pool is replaced by one
    built the same way with ours (pinned versions; ``tests/test_deadlines.py`` fails if a new
    httpx stops using it).
    """
    transport = httpx.HTTPTransport(limits=limits, trust_env=False)
    transport._pool = httpcore.ConnectionPool(
        ssl_context=client_ssl_context(),  # verified, always; SSL_CERT_FILE is honoured
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=backend,
    )
    return transport
