"""Running the app under uvicorn, on a socket bound beforehand.

Binding first means a busy port fails with a plain message before anything starts, and the URL
printed is one that answers (``--port 0`` picks a free port and prints it).
"""

from __future__ import annotations

import contextlib
import socket

import uvicorn
from fastapi import FastAPI

from plexcrate.web.logs import log_config


class PortUnavailable(OSError):
    """The address can't be listened on; ``str()`` says which and why."""


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on connections whose socket says so,
    # and without it Nagle holds each response body until the client's delayed ACK (40 ms).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise PortUnavailable(
            f"Cannot listen on {host}:{port} ({error.strerror or error}). "
            "Is plexcrate already running? Pick another port with --port."
        ) from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    if host in ("0.0.0.0", "::"):  # listening everywhere: this machine answers on loopback
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def run(app: FastAPI, sock: socket.socket) -> None:
    """Serve until SIGINT/SIGTERM."""
    config = uvicorn.Config(app, log_config=log_config(), timeout_graceful_shutdown=10)
    # uvicorn shuts down cleanly on Ctrl-C, then raises the signal again for its caller; that
    # is a normal end for a command-line server, not an error.
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(config).run(sockets=[sock])
