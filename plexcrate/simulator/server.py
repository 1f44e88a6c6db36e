"""The HTTP server: a stdlib ThreadingHTTPServer speaking the PMS API over keep-alive HTTP/1.1.

Plain ``http.server`` (rather than an async framework) gives socket-level control over the
faults: a reset is SO_LINGER 0 then close, a truncation advertises more Content-Length than it
sends, a hang holds the connection without answering.
"""

from __future__ import annotations

import contextlib
import hmac
import queue
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import unquote

import orjson

from plexcrate.simulator import admin, routes
from plexcrate.simulator.faults import (
    ANSWERING_KINDS,
    PAGE_FAULTS,
    Fault,
    FaultPlan,
    Gate,
    Hooks,
    Latency,
)
from plexcrate.simulator.library import SimLibrary
from plexcrate.simulator.listing import parse_int
from plexcrate.simulator.messages import Request, Response, ServerMode, error
from plexcrate.simulator.misbehave import with_total
from plexcrate.simulator.query import parse_query
from plexcrate.simulator.records import RequestLog, RequestRecord

TOKEN = "X-Plex-Token"
NOTIFICATIONS_PATH = "/:/eventsource/notifications"
STREAM_TICK_S = 0.2  # how soon a stream notices the simulator stopping
PING_EVERY_S = 10.0
# Paths PMS answers without a token.
_PUBLIC_PATHS = frozenset({"/identity"})


class PlexSimulator:
    """A running (or startable) simulated Plex Media Server around a :class:`SimLibrary`.

    ``faults``, ``hooks`` and ``latency`` can be changed while it runs; ``requests`` logs what
    it served. Use as a context manager or call :meth:`start` / :meth:`stop`.

    It answers like a real PMS: listings cut tag lists short and leave release types out.
    ``generous=True`` lists every tag instead (what the simulator did before issue 12; for
    comparisons). ``strict=True`` refuses a list request without X-Plex-Container-Start and
    -Size with 400, as PMS says it will; otherwise such requests are served, logged as a
    warning and marked ``unpaged`` in ``requests``.
    """

    def __init__(
        self,
        lib: SimLibrary,
        token: str = "simulator-token",
        host: str = "127.0.0.1",
        port: int = 0,
        latency: Latency | None = None,
        *,
        generous: bool = False,
        strict: bool = False,
        tls: ssl.SSLContext | None = None,
        secure_required: bool = False,
    ) -> None:
        self.lib = lib
        self.token = token
        # Tokens plex.tv handed to users the server is shared with (their accessToken).
        self.guest_tokens: set[str] = set()
        # With ``tls`` (a server-side context holding the certificate) the port speaks https as
        # well as http, as PMS's does; ``secure_required`` ("Secure connections: Required")
        # closes a plain-http connection without a word.
        self.tls = tls
        self.secure_required = secure_required
        self.host = host
        self.port = port
        self.mode = ServerMode(generous=generous, strict=strict)
        self.faults = FaultPlan()
        self.hooks = Hooks()
        self.requests = RequestLog()
        self._latency: tuple[Latency | None, Gate] = (None, Gate(None))
        self.latency = latency
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------------------- settings
    @property
    def latency(self) -> Latency | None:
        return self._latency[0]

    @latency.setter
    def latency(self, value: Latency | None) -> None:
        # One tuple assignment, so a request always sees a latency with its matching gate.
        self._latency = (value, Gate(value.max_concurrent if value else None))

    def latency_state(self) -> tuple[Latency | None, Gate]:
        return self._latency

    def on_request(self, action: Callable[[], object], **where: Any) -> Fault:
        """Run ``action()`` once the ``nth`` request matching ``path`` and ``params`` has been
        answered, before its answer goes out (by default: the nth page of the first section's
        tracks; see :meth:`Hooks.add`). Requests served later see what it changed."""
        return self.hooks.add(action, **where)

    def unpaged_requests(self) -> list[RequestRecord]:
        """The list requests that named no page (what PMS warns about)."""
        return [record for record in self.requests if record.unpaged]

    def swap_library(self, lib: SimLibrary) -> None:
        """Another server now answers at this address (its own machineIdentifier and library):
        a Plex reinstalled, or another machine given this one's address. Requests already
        being answered finish from the library they started with."""
        self.lib = lib

    def authorized(self, token: str | None) -> bool:
        if token is None:
            return False
        return hmac.compare_digest(token.encode(), self.token.encode()) or any(
            hmac.compare_digest(token.encode(), guest.encode()) for guest in self.guest_tokens
        )

    def pause(self, seconds: float, until: threading.Event | None = None) -> None:
        """Sleep, but wake up at once when the simulator stops (or ``until`` is set)."""
        if until is None:
            if seconds > 0:
                self._stopping.wait(seconds)
            return
        end = time.monotonic() + seconds
        while not (until.is_set() or self._stopping.is_set()) and time.monotonic() < end:
            until.wait(min(0.05, max(end - time.monotonic(), 0)))

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    # ----------------------------------------------------------------------------- lifecycle
    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the simulator is not running")
        host = self.host if self.host not in ("", "0.0.0.0") else "127.0.0.1"
        return f"http://{host}:{self.bound_port}"

    @property
    def bound_port(self) -> int:
        if self._server is None:
            raise RuntimeError("the simulator is not running")
        return int(self._server.server_address[1])

    def start(self) -> PlexSimulator:
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server((self.host, self.port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"plex-simulator:{self._server.server_address[1]}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; open keep-alive connections are closed and hung requests released."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> PlexSimulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() closes connections itself instead of waiting for them
    allow_reuse_address = True
    request_queue_size = 128  # a burst of parallel clients must not hit SYN retries

    def __init__(self, address: tuple[str, int], simulator: PlexSimulator) -> None:
        self.simulator = simulator
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn) that can stall for seconds.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def finish_request(self, request: Any, client_address: Any) -> None:
        sim = self.simulator
        if sim.tls is None and not sim.secure_required:
            super().finish_request(request, client_address)
            return
        conn = self._secure(request)
        if conn is None:
            return
        try:
            super().finish_request(conn, client_address)
        finally:
            with contextlib.suppress(OSError):
                conn.close()

    def _secure(self, sock: socket.socket) -> socket.socket | None:
        """The connection, in TLS if the client began a handshake (its first byte is 0x16), as
        PMS tells the two apart on one port; None (closed, unanswered) for plain http when
        secure connections are required, or for a handshake that failed."""
        sim = self.simulator
        sock.settimeout(10)
        try:
            first = sock.recv(1, socket.MSG_PEEK)
            if first == b"\x16" and sim.tls is not None:
                return sim.tls.wrap_socket(sock, server_side=True)
        except (OSError, ssl.SSLError):
            sock.close()
            return None
        if sim.secure_required or not first:
            # The request is read, then the connection closed without a word (a FIN: closing
            # with the request unread would send a reset instead).
            with contextlib.suppress(OSError):
                sock.settimeout(0.2)
                sock.recv(65536)
            sock.close()
            return None
        return sock

    def track(self, conn: socket.socket) -> None:
        with self._connections_lock:
            self._connections.add(conn)

    def untrack(self, conn: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(conn)

    def close_connections(self) -> None:
        with self._connections_lock:
            conns = list(self._connections)
        for conn in conns:
            with contextlib.suppress(OSError):  # already closed by its handler
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up (and stop() cutting connections) is normal; anything else is a bug.
        if isinstance(sys.exc_info()[1], OSError) or self.simulator.stopping:
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 300  # idle keep-alive connections are dropped after five minutes
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in one write, but disable Nagle anyway: a small trailing
        # segment waiting for a delayed ACK costs 40 ms per response on loopback.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        """Access logs are noise for tests and benchmarks."""

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_GET

    # ----------------------------------------------------------------------------- dispatch
    def _dispatch(self) -> None:
        sim = self.server.simulator
        req, token, token_in_query = self._parse()
        if req.path.startswith(admin.PREFIX):
            authorized = sim.authorized(token)
            self._send(admin.handle(sim, req) if authorized else error(401, "Unauthorized"))
            return
        # Each request is logged *before* its answer goes out, so a client that has its
        # response can rely on finding the request in ``sim.requests``.
        started = time.monotonic()
        if req.path not in _PUBLIC_PATHS and not sim.authorized(token):
            response = error(401, "Unauthorized")
            self._record(req, response.status, token_in_query, started)
            self._send(response)
            return
        if req.path == NOTIFICATIONS_PATH:
            self._record(req, 200, token_in_query, started)
            self._stream_notifications(sim, req)
            return
        req.mode = sim.mode
        fault = sim.faults.pick(req.path, req.params, req.header)
        if fault is not None and fault.kind in PAGE_FAULTS:
            req.page_fault, fault = fault, None
        if fault is not None and fault.kind not in ANSWERING_KINDS:
            self._misbehave(fault, req, token_in_query, started)
            return
        if fault is not None and fault.kind == "swap":
            sim.swap_library(fault.library)
        response, started, finished = self._respond(req)
        if fault is not None and fault.kind == "total":
            response = with_total(response, fault.total_size)
        self._record(
            req, response.status, token_in_query, started, finished, response.items,
            response.unpaged,
        )  # fmt: skip
        for action in sim.hooks.due(req.path, req.params, req.header):
            action()
        if fault is not None and fault.kind == "truncate":
            self._send_truncated(response)
        elif fault is not None and fault.kind == "trickle":
            self._send_trickled(response, fault)
        else:
            self._send(response)

    def _parse(self) -> tuple[Request, str | None, bool]:
        raw_path, _, raw_query = self.path.partition("?")
        pairs = parse_query(raw_query)
        query_token = next((v for k, v in pairs if k == TOKEN), None)
        pairs = [(k, v) for k, v in pairs if k != TOKEN]
        params: dict[str, str] = {}
        for key, value in pairs:
            params.setdefault(key, value)
        length = parse_int(self.headers.get("Content-Length"), 0) or 0
        body = self.rfile.read(length) if length > 0 else b""
        want_json = "application/json" in (self.headers.get("Accept") or "")
        req = Request(self.command, unquote(raw_path), pairs, params, self._header, want_json, body)
        token = self.headers.get(TOKEN) or query_token
        return req, token, query_token is not None

    def _header(self, name: str) -> str | None:
        return self.headers.get(name)

    def _respond(self, req: Request) -> tuple[Response, float, float]:
        """Route the request inside the latency gate, then hold it for the modelled delay."""
        sim = self.server.simulator
        latency, gate = sim.latency_state()
        with gate:
            started = time.monotonic()
            try:
                response = routes.route(sim.lib, req)
            except Exception:
                traceback.print_exc(file=sys.stderr)
                response = error(500)
            if latency is not None:
                sim.pause(latency.delay(response.items))
            finished = time.monotonic()
        return response, started, finished

    def _record(
        self,
        req: Request,
        status: int,
        token_in_query: bool,
        started: float,
        finished: float | None = None,
        items: int = 0,
        unpaged: bool = False,
    ) -> None:
        headers = {k: v for k, v in self.headers.items() if k.lower() != TOKEN.lower()}
        record = RequestRecord(
            req.method, req.path, dict(req.params), headers, status, token_in_query,
            started, finished if finished is not None else time.monotonic(), items, unpaged,
        )  # fmt: skip
        self.server.simulator.requests.append(record)

    # ----------------------------------------------------------------------------- faults
    def _misbehave(self, fault: Fault, req: Request, token_in_query: bool, started: float) -> None:
        """Apply a status, hang or reset fault (logged with status 0 when nothing is sent)."""
        if fault.kind == "status":
            self._record(req, fault.status, token_in_query, started)
            self._send(error(fault.status))
        elif fault.kind == "hang":
            self.server.simulator.pause(fault.hang_seconds, until=fault.released)
            self._record(req, 0, token_in_query, started)
            self.close_connection = True  # then close without a word
        else:
            self._record(req, 0, token_in_query, started)
            self._reset()

    def _reset(self) -> None:
        """Abort the connection with a TCP RST: linger 0, then close the real socket."""
        self.close_connection = True
        sock = self.connection
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()  # the makefile() reader holds the fd open; release it first
        sock.close()

    def _send_truncated(self, response: Response) -> None:
        """Advertise the full Content-Length, send half the body, then close."""
        body = response.body
        advertised = len(body) if len(body) > 1 else len(body) + 64
        self._send(response, body=body[: len(body) // 2], length=advertised)
        self.close_connection = True

    def _send_trickled(self, response: Response, fault: Fault) -> None:
        """The whole answer, head included, a few bytes at a time: a server (or a network) so
        slow that no single read waits long, while the answer takes minutes."""
        self.close_connection = True
        data = self._encode(response)
        sim = self.server.simulator
        for start in range(0, len(data), fault.trickle_bytes):
            if sim.stopping:
                break
            self.wfile.write(data[start : start + fault.trickle_bytes])
            sim.pause(fault.trickle_every)

    # ----------------------------------------------------------------------------- push
    def _stream_notifications(self, sim: PlexSimulator, req: Request) -> None:
        """Server-sent events: each notification as ``event: <type>`` with the container as
        ``data``, a ``ping`` when nothing happened for a while, until either side goes away.
        ``filters=timeline,activity`` narrows the types, as on PMS."""
        wanted = {t for t in req.params.get("filters", "").split(",") if t}
        timeline = sim.lib.timeline
        listener = timeline.subscribe()
        self.close_connection = True
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
            f"Date: {self.date_time_string()}\r\nConnection: close\r\n\r\n"
        )
        quiet = 0.0
        try:
            self.wfile.write(head.encode("latin-1"))
            while not sim.stopping:
                try:
                    container = listener.get(timeout=STREAM_TICK_S)
                except queue.Empty:
                    quiet += STREAM_TICK_S
                    if quiet >= PING_EVERY_S:
                        quiet = 0.0
                        self.wfile.write(b"event: ping\ndata: {}\n\n")
                    continue
                kind = container["NotificationContainer"]["type"]
                if wanted and kind not in wanted:
                    continue
                data = orjson.dumps(container).decode()
                self.wfile.write(f"event: {kind}\ndata: {data}\n\n".encode())
        except OSError:
            pass  # the listener went away
        finally:
            timeline.unsubscribe(listener)

    # ----------------------------------------------------------------------------- output
    def _send(self, response: Response, body: bytes | None = None, length: int = -1) -> None:
        self.wfile.write(self._encode(response, body, length))  # one write: no Nagle stall

    def _encode(self, response: Response, body: bytes | None = None, length: int = -1) -> bytes:
        payload = response.body if body is None else body
        phrase = HTTPStatus(response.status).phrase if response.status in _STATUSES else ""
        lines = [
            f"HTTP/1.1 {response.status} {phrase}",
            f"Content-Type: {response.content_type}",
            f"Content-Length: {length if length >= 0 else len(payload)}",
            "X-Plex-Protocol: 1.0",
            "Cache-Control: no-cache",
            f"Date: {self.date_time_string()}",
        ]
        lines.extend(f"{k}: {v}" for k, v in response.headers.items())
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        return head + payload


_STATUSES = frozenset(s.value for s in HTTPStatus)
