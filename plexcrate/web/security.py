"""Who may talk to the app, from where, and what its pages may do: one pure ASGI middleware.

Every request goes through five checks, in this order, before it reaches a route:

1. **Host** (DNS rebinding). A hostile web page can point a name it controls at 127.0.0.1; the
   browser then treats the app as that page's own origin. Its requests carry that name in the
   ``Host`` header, so a request is served only when ``Host`` is an IP address (a rebinding
   needs a name), ``localhost``, or a name listed in ``PLEXCRATE_ALLOWED_HOSTS`` (``*``: any).
2. **Password**. With ``PLEXCRATE_PASSWORD`` set, everything but ``/api/health`` needs HTTP
   Basic credentials with that password (any user name); the browser asks for them once.
3. **Origin** (cross-site requests). A POST, PUT, PATCH or DELETE whose ``Origin`` (else the
   ``Referer``'s origin) names another host or port than the request was sent to is refused;
   so is ``Origin: null``. A request with neither header comes from a program (curl, a script),
   not from a web page: browsers send ``Origin`` on every cross-origin POST.
4. **JSON**. Those methods must say ``Content-Type: application/json``. A page elsewhere can
   only send that after a CORS preflight, which this app never grants, so even a browser that
   sent no ``Origin`` could not forge one.
5. **Size**. A request body may hold at most :data:`MAX_BODY_BYTES` (1 MiB; the largest the
   app needs, a playlist of 5,000 tracks, is under 100 KB). A larger ``Content-Length`` is
   refused with 413 before a byte of the body is read; a body sent without one (chunked) is
   read up to the limit, then refused, so no client can make the app hold more.

Every response, refusals and error pages included, carries a Content-Security-Policy without
inline scripts or styles, ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY`` and
``Referrer-Policy: same-origin``.

Not ``BaseHTTPMiddleware``: it buffers streaming responses. :func:`protect` installs the guard
outside Starlette's own error middleware, so even the 500 page of a bug gets the headers.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import secrets
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

import orjson
from fastapi import FastAPI

from plexcrate.config import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
)
_OURS = frozenset(name for name, _ in SECURITY_HEADERS)

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PUBLIC_PATHS = frozenset({"/api/health"})  # answered without the password: container probes
REALM = 'Basic realm="plexcrate", charset="UTF-8"'
DEFAULT_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443"}

PASSWORD_NEEDED = "This plexcrate is protected by a password: sign in with PLEXCRATE_PASSWORD."
OTHER_ORIGIN = (
    "Refused: this request came from another web site ({origin}). plexcrate only accepts "
    "changes from its own pages."
)
NOT_JSON_TYPE = (
    "Send this request with Content-Type: application/json and a JSON body (at least {})."
)
MAX_BODY_BYTES = 1024 * 1024
TOO_LARGE = (
    "The request body is larger than 1 MiB, which no request to plexcrate needs; it was not read."
)
BAD_LENGTH = "The Content-Length header is not a number of bytes."


def unknown_host(host: str) -> str:
    return (
        f"plexcrate does not answer to the name “{host}”. If that is how you reach it, add "
        "the name to PLEXCRATE_ALLOWED_HOSTS (see “Exposing plexcrate on your network” in the "
        "README)."
    )


class Guard:
    """The checks above, around ``app``. Settings are read once: they come from the
    environment, which does not change while the app runs."""

    def __init__(
        self, app: ASGIApp, *, password: str | None, allowed_hosts: Iterable[str] = ()
    ) -> None:
        self.app = app
        self._password = password.encode() if password else None
        hosts = {host.lower() for host in allowed_hosts}
        self._any_host = "*" in hosts
        self._hosts = frozenset(hosts | {"localhost"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _OURS]
                message["headers"] = headers + list(SECURITY_HEADERS)
            await send(message)

        refusal = self._refusal(scope)
        if refusal is None:
            refusal, receive = await _within_size(scope, receive)
        if refusal is None:
            await self.app(scope, receive, send_with_headers)
            return
        status, text, extra = refusal
        body = orjson.dumps({"error": text})
        await send_with_headers(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    *extra,
                ],
            }
        )
        await send_with_headers({"type": "http.response.body", "body": body})

    def _refusal(self, scope: Scope) -> Refusal | None:
        """Why the request is refused (status, message, extra headers), or None to serve it."""
        headers = _headers(scope)
        host = headers.get("host")
        if host is not None and not self._host_allowed(host):
            return 403, unknown_host(_hostname(host) or host), []
        locked = self._password is not None and scope["path"] not in PUBLIC_PATHS
        if locked and not self._authorized(headers.get("authorization")):
            return 401, PASSWORD_NEEDED, [(b"www-authenticate", REALM.encode())]
        if scope["method"] in UNSAFE_METHODS:
            origin = headers.get("origin") or _origin_of(headers.get("referer"))
            if origin is not None and not _same_origin(origin, host, scope.get("scheme", "http")):
                return 403, OTHER_ORIGIN.format(origin=origin[:200]), []
            if _media_type(headers.get("content-type")) != "application/json":
                return 415, NOT_JSON_TYPE, []
        return None

    def _host_allowed(self, host: str) -> bool:
        name = _hostname(host)
        if name is None:
            return False
        return self._any_host or name in self._hosts or _is_ip_address(name)

    def _authorized(self, header: str | None) -> bool:
        assert self._password is not None
        scheme, _, encoded = (header or "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        _, colon, password = decoded.partition(b":")
        return bool(colon) and secrets.compare_digest(password, self._password)


def protect(app: FastAPI, settings: Settings) -> None:
    """Put the :class:`Guard` around everything ``app`` does, and document its refusals."""
    build = app.build_middleware_stack

    def build_guarded() -> ASGIApp:
        return Guard(build(), password=settings.password, allowed_hosts=settings.allowed_hosts)

    app.build_middleware_stack = build_guarded  # type: ignore[method-assign]
    _document_refusals(app)


def is_loopback(host: str) -> bool:
    """Whether listening on ``host`` keeps the app to this machine."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str, settings: Settings) -> str | None:
    """A warning for the log when the app listens beyond this machine without a password."""
    if is_loopback(host) or settings.password:
        return None
    return (
        f"plexcrate listens on {host}, so other machines can reach it, and no password is set: "
        "anyone on your network can browse your library, save playlists to Plex and change its "
        "Plex server. Set PLEXCRATE_PASSWORD to require one."
    )


# --- helpers ---------------------------------------------------------------------------------

Refusal = tuple[int, str, list[tuple[bytes, bytes]]]
# A refused body may be left unread: the connection it came on is closed after the answer.
_CLOSE = [(b"connection", b"close")]


async def _within_size(scope: Scope, receive: Receive) -> tuple[Refusal | None, Receive]:
    """A refusal when the body is over :data:`MAX_BODY_BYTES`, else what the app is to receive.

    The body of a change (the only requests whose body the app reads) is read here, up to the
    limit, and handed to the app whole; other requests pass as they are.
    """
    length = _headers(scope).get("content-length")
    if length is not None and not length.strip().isdigit():
        return (400, BAD_LENGTH, _CLOSE), receive
    if length is not None and int(length) > MAX_BODY_BYTES:
        return (413, TOO_LARGE, _CLOSE), receive
    if scope["method"] not in UNSAFE_METHODS:
        return None, receive
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away: let the app see it
            return None, _replay([message], receive)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return (413, TOO_LARGE, _CLOSE), receive
        chunks.append(chunk)
        if not message.get("more_body", False):
            body = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return None, _replay([body], receive)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """``receive`` that first hands out ``messages``."""
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


def _headers(scope: Scope) -> dict[str, str]:
    """The request's headers by lower-case name (the first of repeated ones)."""
    found: dict[str, str] = {}
    for name, value in scope.get("headers", []):
        found.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
    return found


def _split_authority(authority: str) -> tuple[str, str | None] | None:
    """``"Host:port"`` → ``("host", "port")``, IPv6 in brackets; None when malformed."""
    authority = authority.strip().lower()
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            return None
        name, rest = authority[: end + 1], authority[end + 1 :]
        if rest and not rest.startswith(":"):
            return None
        port = rest[1:] or None
    else:
        name, colon, port_text = authority.partition(":")
        port = port_text if colon else None
    if not name or (port is not None and not port.isdigit()):
        return None
    return name.rstrip("."), port


def _hostname(authority: str) -> str | None:
    parts = _split_authority(authority)
    return parts[0] if parts else None


def _is_ip_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


def _origin_of(referer: str | None) -> str | None:
    if not referer:
        return None
    parts = urlsplit(referer)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else "null"


def _same_origin(origin: str, host: str | None, scheme: str) -> bool:
    """Whether ``origin`` names the host and port the request was sent to.

    Default ports are dropped on both sides; schemes are not compared, so the app works behind
    a proxy that terminates TLS (the browser's origin is https, the request to us http).
    """
    parts = urlsplit(origin)
    if not parts.scheme or not parts.netloc or host is None:
        return False
    theirs = _split_authority(parts.netloc)
    ours = _split_authority(host)
    if theirs is None or ours is None:
        return False
    their_port = None if theirs[1] == DEFAULT_PORTS.get(parts.scheme.lower()) else theirs[1]
    our_port = None if ours[1] == DEFAULT_PORTS.get(scheme) else ours[1]
    return theirs[0] == ours[0] and their_port == our_port


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _document_refusals(app: FastAPI) -> None:
    """Add the guard's answers to the OpenAPI document, so it stays the whole truth."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = build()
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}

        def response(description: str) -> dict[str, Any]:
            return {"description": description, "content": error}

        for path, operations in document.get("paths", {}).items():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                if path not in PUBLIC_PATHS:
                    responses.setdefault("401", response("PLEXCRATE_PASSWORD is set; sign in."))
                refused = "Host not allowed" + (
                    ", or sent from another origin" if method.upper() in UNSAFE_METHODS else ""
                )
                responses.setdefault("403", response(refused + "."))
                if method.upper() in UNSAFE_METHODS:
                    responses.setdefault("415", response("Not sent as application/json."))
                    responses.setdefault("413", response("The body is larger than 1 MiB."))
                    if "requestBody" in operation:  # JSON is required, even if only {}
                        operation["requestBody"]["required"] = True
        return document

    app.openapi = openapi  # type: ignore[method-assign]
