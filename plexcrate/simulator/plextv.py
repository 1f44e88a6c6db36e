"""A simulated plex.tv: PIN sign-in, the account, and the servers it reaches (resources).

Shaped after what real plex.tv is recorded doing (``docs/../shared/reference/real-plex.md``,
"Connections, sign-in and accounts"): ``POST /api/v2/pins`` answers 201 with ``{id, code,
expiresIn: 900, authToken: null, …}`` and needs ``X-Plex-Client-Identifier``; ``GET
/api/v2/pins/{id}`` (same client identifier) carries ``authToken`` once the person signed in, and
is a 404 once the PIN expired; ``GET /api/v2/resources?includeHttps=1&includeRelay=1`` lists each
server the account reaches with its ``accessToken``, ``owned`` and ``connections[]`` (relay ones
only with ``includeRelay=1``); ``GET /api/v2/user`` is the account (it carries its token, as the
real one does). A wrong token is a 401.

Nobody can click at app.plex.tv in a test, so the sign-in has hooks: :meth:`PlexTvSimulator.
sign_in` in process, ``POST /__plextv__/pins/{id}/sign-in`` (``{"username"}``) and ``POST
/__plextv__/pins/{id}/expire`` out of process, and ``GET /auth#?clientID=…&code=…`` a page with
one button, which the demo's auth link opens in place of app.plex.tv.

    with PlexTvSimulator() as plextv:
        me = plextv.add_account("ann")
        plextv.add_server("Ann's NAS", sim, owner=me, connections=[connection(sim.url)])
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from plexcrate.simulator.server import PlexSimulator

PIN_LIFETIME = 900  # seconds, as plex.tv answers (expiresIn)


@dataclass
class SimAccount:
    id: int
    username: str
    token: str = field(repr=False)
    uuid: str
    email: str


@dataclass
class SimResource:
    name: str
    machine_identifier: str
    owner: SimAccount
    connections: list[dict[str, Any]]
    # username → the token that account uses on this server (the owner's is the server's own)
    access_tokens: dict[str, str] = field(repr=False)
    https_required: bool = False
    dns_rebinding_protection: bool = False
    version: str = "1.41.3.9314-a0bfb8370"


@dataclass
class SimPin:
    id: int
    code: str
    client_identifier: str
    created: float
    lifetime: float
    auth_token: str | None = field(default=None, repr=False)

    def expired(self, now: float) -> bool:
        return now >= self.created + self.lifetime


def connection(uri: str, *, local: bool = True, relay: bool = False) -> dict[str, Any]:
    """A connection as plex.tv lists it, from its URI (``address`` is the host, as for a LAN
    IP, or the IP a plex.direct name carries)."""
    parts = urlsplit(uri)
    host = parts.hostname or ""
    if host.endswith(".plex.direct"):
        host = host.split(".", 1)[0].replace("-", ".")
    return {
        "protocol": parts.scheme,
        "address": host,
        "port": parts.port or (443 if parts.scheme == "https" else 80),
        "uri": uri,
        "local": local,
        "relay": relay,
        "IPv6": False,
    }


class PlexTvSimulator:
    """plex.tv on loopback. ``pin_lifetime`` shortens PINs' 900 s for tests."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, pin_lifetime: float = 900) -> None:
        self.host = host
        self.port = port
        self.pin_lifetime = pin_lifetime
        self.accounts: dict[str, SimAccount] = {}
        self.resources: list[SimResource] = []
        self.pins: dict[int, SimPin] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path): what clients asked
        self.lock = threading.Lock()
        self._next_id = 1_000_000
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- the world -----------------------------------------------------------------------------
    def add_account(self, username: str, token: str | None = None) -> SimAccount:
        with self.lock:
            self._next_id += 1
            account = SimAccount(
                id=self._next_id,
                username=username,
                token=token or secrets.token_urlsafe(15),
                uuid=secrets.token_hex(8),
                email=f"{username}@example.com",
            )
            self.accounts[username] = account
            return account

    def add_server(
        self,
        name: str,
        server: PlexSimulator,
        *,
        owner: SimAccount,
        connections: list[dict[str, Any]],
        shared_with: tuple[SimAccount, ...] = (),
        https_required: bool = False,
    ) -> SimResource:
        """List ``server`` as ``owner``'s, shared with ``shared_with``: each of those gets an
        access token of its own, which the server accepts (their account tokens it refuses)."""
        tokens = {owner.username: server.token}
        for friend in shared_with:
            tokens[friend.username] = secrets.token_urlsafe(15)
            server.guest_tokens.add(tokens[friend.username])
        resource = SimResource(
            name=name,
            machine_identifier=server.lib.machine_identifier,
            owner=owner,
            connections=connections,
            access_tokens=tokens,
            https_required=https_required,
        )
        with self.lock:
            self.resources.append(resource)
        return resource

    def sign_in(self, pin_id: int, username: str | None = None) -> None:
        """What the person does at app.plex.tv: the PIN now carries the account's token."""
        with self.lock:
            pin = self.pins[pin_id]
            account = self.accounts[username] if username else next(iter(self.accounts.values()))
            pin.auth_token = account.token

    def expire(self, pin_id: int) -> None:
        with self.lock:
            self.pins[pin_id].lifetime = 0

    def latest_pin(self) -> SimPin:
        with self.lock:
            return self.pins[max(self.pins)]

    # --- answers -----------------------------------------------------------------------------
    def answer(
        self, method: str, path: str, query: dict[str, list[str]], header: Any, body: bytes
    ) -> tuple[int, bytes, str]:
        with self.lock:
            self.requests.append((method, path))
            if method == "POST" and path == "/api/v2/pins":
                return self._new_pin(query, header)
            if path.startswith("/api/v2/pins/") and method == "GET":
                return self._pin(path.rsplit("/", 1)[1], header)
            if method == "GET" and path == "/api/v2/resources":
                return self._resources(query, header)
            if method == "GET" and path == "/api/v2/user":
                account = self._account(header)
                if account is None:
                    return _unauthorized()
                return _json(200, _user(account))
            if method == "GET" and path == "/auth":
                return 200, AUTH_PAGE, "text/html; charset=utf-8"
            if method == "POST" and path.startswith("/__plextv__/"):
                return self._admin(path, body)
        return _json(404, {"errors": [{"code": 1001, "message": "Not found", "status": 404}]})

    def _new_pin(self, query: dict[str, list[str]], header: Any) -> tuple[int, bytes, str]:
        client = header("X-Plex-Client-Identifier") or _first(query, "X-Plex-Client-Identifier")
        if not client:
            return _json(
                400,
                {"errors": [{"code": 1000, "message": "X-Plex-Client-Identifier is missing",
                             "status": 400}]},
            )  # fmt: skip
        strong = _first(query, "strong") in ("true", "1")
        self._next_id += 1
        alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
        code = "".join(secrets.choice(alphabet) for _ in range(25 if strong else 4))
        pin = SimPin(self._next_id, code, client, time.time(), self.pin_lifetime)
        self.pins[pin.id] = pin
        return _json(201, self._pin_body(pin))

    def _pin(self, raw_id: str, header: Any) -> tuple[int, bytes, str]:
        pin = self.pins.get(int(raw_id)) if raw_id.isdigit() else None
        client = header("X-Plex-Client-Identifier")
        if pin is None or pin.expired(time.time()) or client != pin.client_identifier:
            return _json(
                404,
                {"errors": [{"code": 1020, "message": "Code not found or expired",
                             "status": 404}]},
            )  # fmt: skip
        return _json(200, self._pin_body(pin))

    def _pin_body(self, pin: SimPin) -> dict[str, Any]:
        left = max(0, int(pin.created + pin.lifetime - time.time()))
        return {
            "id": pin.id,
            "code": pin.code,
            "product": "0",
            "trusted": False,
            "qr": f"https://plex.tv/api/v2/pins/qr/{pin.code}",
            "clientIdentifier": pin.client_identifier,
            "location": {"code": "GB", "country": "United Kingdom", "city": "London"},
            "expiresIn": left,
            "createdAt": _iso(pin.created),
            "expiresAt": _iso(pin.created + pin.lifetime),
            "authToken": pin.auth_token,
            "newRegistration": None,
        }

    def _account(self, header: Any) -> SimAccount | None:
        token = header("X-Plex-Token")
        return next((a for a in self.accounts.values() if a.token == token), None)

    def _resources(self, query: dict[str, list[str]], header: Any) -> tuple[int, bytes, str]:
        account = self._account(header)
        if account is None:
            return _unauthorized()
        relays = _first(query, "includeRelay") == "1"
        listed = []
        for resource in self.resources:
            token = resource.access_tokens.get(account.username)
            if token is None:
                continue
            owned = resource.owner is account
            listed.append(
                {
                    "name": resource.name,
                    "product": "Plex Media Server",
                    "productVersion": resource.version,
                    "platform": "Linux",
                    "platformVersion": "6.1.0",
                    "device": "Docker Container",
                    "clientIdentifier": resource.machine_identifier,
                    "createdAt": "2021-01-01T12:12:24Z",
                    "lastSeenAt": _iso(time.time()),
                    "provides": "server",
                    "ownerId": None if owned else resource.owner.id,
                    "sourceTitle": None if owned else resource.owner.username,
                    "publicAddress": "203.0.113.7",
                    "accessToken": token,
                    "owned": owned,
                    "home": False,
                    "synced": False,
                    "relay": True,
                    "presence": True,
                    "httpsRequired": resource.https_required,
                    "publicAddressMatches": True,
                    "dnsRebindingProtection": resource.dns_rebinding_protection,
                    "natLoopbackSupported": False,
                    "connections": [
                        c for c in resource.connections if relays or not c.get("relay")
                    ],
                }
            )
        # Besides servers, plex.tv lists the account's players and apps: a client skips them.
        listed.append(
            {"name": "iPhone", "product": "Plexamp", "provides": "client,player",
             "clientIdentifier": "a-phone", "owned": True, "connections": []}
        )  # fmt: skip
        return _json(200, listed)

    def _admin(self, path: str, body: bytes) -> tuple[int, bytes, str]:
        parts = path.strip("/").split("/")  # __plextv__, pins, {id}, sign-in | expire
        try:
            if parts[1] == "sign-in":  # the /auth page's form: code=…
                code = parse_qs(body.decode()).get("code", [""])[0]
                pin = next(p for p in self.pins.values() if p.code == code)
                pin.auth_token = next(iter(self.accounts.values())).token
                return 200, SIGNED_IN_PAGE, "text/html; charset=utf-8"
            pin = self.pins[int(parts[2])]
            if parts[3] == "sign-in":
                wanted = (orjson.loads(body) if body else {}).get("username")
                account = self.accounts[wanted] if wanted else next(iter(self.accounts.values()))
                pin.auth_token = account.token
            elif parts[3] == "expire":
                pin.lifetime = 0
            else:
                raise KeyError(parts[3])
        except (IndexError, KeyError, ValueError, StopIteration):
            return _json(404, {"error": "no such PIN or action"})
        return _json(200, {"id": pin.id})

    # --- lifecycle ---------------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("plex.tv's simulator is not running")
        return f"http://{self.host}:{self._server.server_address[1]}"

    def start(self) -> PlexTvSimulator:
        self._server = ThreadingHTTPServer((self.host, self.port), _Handler)
        self._server.daemon_threads = True
        self._server.plextv = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> PlexTvSimulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        plextv: PlexTvSimulator = self.server.plextv  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        status, payload, content_type = plextv.answer(
            self.command, parts.path, parse_qs(parts.query), self.headers.get, body
        )
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_POST = do_PUT = do_DELETE = do_GET


def _first(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _json(status: int, value: object) -> tuple[int, bytes, str]:
    return status, orjson.dumps(value), "application/json"


def _unauthorized() -> tuple[int, bytes, str]:
    message = "User could not be authenticated"
    return _json(401, {"errors": [{"code": 1001, "message": message, "status": 401}]})


def _user(account: SimAccount) -> dict[str, Any]:
    return {
        "id": account.id,
        "uuid": account.uuid,
        "username": account.username,
        "title": account.username,
        "email": account.email,
        "friendlyName": "",
        "thumb": f"https://plex.tv/users/{account.uuid}/avatar?c=1",
        "authToken": account.token,
        "home": False,
        "guest": False,
        "homeSize": 1,
        "homeAdmin": False,
        "restricted": False,
    }


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


AUTH_PAGE = b"""<!doctype html><meta charset="utf-8"><title>Sign in (simulated plex.tv)</title>
<style>body{font:16px system-ui;margin:4rem auto;max-width:28rem;text-align:center}
button{font:inherit;padding:.6rem 1.4rem;background:#e5a00d;border:0;border-radius:6px}</style>
<h1>Simulated plex.tv</h1><p>An app asks to use your Plex account.</p>
<form method="post" action="/__plextv__/sign-in"><input type="hidden" name="code" id="code">
<button type="submit">Sign in</button></form>
<script>const p=new URLSearchParams(location.hash.replace(/^#\\??/,""));
document.getElementById("code").value=p.get("code")||"";</script>"""
SIGNED_IN_PAGE = b"""<!doctype html><meta charset="utf-8"><title>Signed in</title>
<body style="font:16px system-ui;margin:4rem auto;max-width:28rem;text-align:center">
<h1>Signed in</h1><p>You can close this window and go back to the app.</p>
<script>setTimeout(()=>window.close(),800)</script>"""
