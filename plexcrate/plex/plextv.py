"""plex.tv: signing in with a PIN, the account, and the servers it reaches.

The flow (as python-plexapi's ``MyPlexPinLogin`` and recorded answers show it): ``POST
/api/v2/pins?strong=true`` gives ``{id, code}``; the person signs in at ``app.plex.tv/auth#?…
&code=…``; ``GET /api/v2/pins/{id}`` then carries ``authToken`` (a 404 once it expired, after 15
minutes). ``GET /api/v2/resources?includeHttps=1&includeRelay=1`` lists the servers with the
``accessToken`` to use on each: a shared server refuses the account's own token.

Tokens travel in the ``X-Plex-Token`` header, never in a URL, and no message quotes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson

from plexcrate import __version__
from plexcrate.plex.errors import PlexAuthError, PlexBadResponse, PlexError, PlexUnreachable
from plexcrate.plex.tls import client_ssl_context

PLEX_TV_URL = "https://plex.tv"
APP_AUTH_URL = "https://app.plex.tv/auth"
PRODUCT = "plexcrate"


class PinExpired(PlexError):
    """The PIN is no longer known to plex.tv (15 minutes passed, or it was used up)."""


@dataclass(frozen=True, slots=True)
class Pin:
    id: int
    code: str


@dataclass(frozen=True, slots=True)
class Account:
    username: str
    title: str
    uuid: str


@dataclass(frozen=True, slots=True)
class Connection:
    uri: str
    local: bool
    relay: bool

    @property
    def preference(self) -> tuple[bool, bool]:
        """Sorts local before remote, relays last."""
        return (self.relay, not self.local)


@dataclass(frozen=True, slots=True)
class Resource:
    """A server the account reaches, and the token to use there."""

    name: str
    machine_identifier: str
    owned: bool
    access_token: str = field(repr=False)
    connections: tuple[Connection, ...]
    owner: str | None = None  # who shares it (``sourceTitle``), for a server not owned
    https_required: bool = False


class PlexTv:
    def __init__(self, base_url: str, client_identifier: str, *, timeout: float = 15.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.client_identifier = client_identifier
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout),
            verify=client_ssl_context(),
            trust_env=False,
            follow_redirects=False,
            headers={
                "Accept": "application/json",
                "X-Plex-Product": PRODUCT,
                "X-Plex-Version": __version__,
                "X-Plex-Client-Identifier": client_identifier,
                "X-Plex-Device-Name": "plexcrate",
            },
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PlexTv:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def auth_url(self, pin: Pin) -> str:
        """Where the person signs in: app.plex.tv for the real plex.tv, else the simulator's
        own page."""
        base = APP_AUTH_URL if self.base_url == PLEX_TV_URL else f"{self.base_url}/auth"
        query = urlencode(
            {
                "clientID": self.client_identifier,
                "code": pin.code,
                "context[device][product]": PRODUCT,
            }
        )
        return f"{base}#?{query}"

    def create_pin(self) -> Pin:
        body = self._call("POST", "/api/v2/pins", "asking plex.tv for a sign-in code",
                          params={"strong": "true"})  # fmt: skip
        try:
            return Pin(int(body["id"]), str(body["code"]))
        except (KeyError, TypeError, ValueError):
            raise PlexBadResponse("plex.tv sent a sign-in code plexcrate cannot read.") from None

    def pin_token(self, pin_id: int) -> str | None:
        """The account's token once the person signed in, else None; :class:`PinExpired`."""
        try:
            body = self._call("GET", f"/api/v2/pins/{int(pin_id)}", "checking the sign-in")
        except PlexBadResponse as error:
            if error.status == 404:
                raise PinExpired("The sign-in code expired. Start again.") from None
            raise
        token = body.get("authToken")
        return token if isinstance(token, str) and token else None

    def account(self, token: str) -> Account:
        body = self._call("GET", "/api/v2/user", "reading the Plex account", token=token)
        username = str(body.get("username") or body.get("title") or "")
        return Account(username, str(body.get("title") or username), str(body.get("uuid", "")))

    def resources(self, token: str) -> list[Resource]:
        body = self._call(
            "GET",
            "/api/v2/resources",
            "listing the account's Plex servers",
            token=token,
            params={"includeHttps": "1", "includeRelay": "1"},
        )
        if not isinstance(body, list):
            raise PlexBadResponse("plex.tv sent a list of servers plexcrate cannot read.")
        return [r for entry in body if (r := _resource(entry)) is not None]

    def _call(
        self,
        method: str,
        path: str,
        doing: str,
        *,
        token: str | None = None,
        params: dict[str, str] | None = None,
    ) -> Any:
        headers = {"X-Plex-Token": token} if token else None
        try:
            response = self._http.request(method, path, params=params, headers=headers)
        except httpx.TimeoutException:
            raise PlexUnreachable(f"plex.tv did not answer in time while {doing}.") from None
        except httpx.TransportError as error:
            reason = str(error) or type(error).__name__
            if token:
                reason = reason.replace(token, "[token]")
            raise PlexUnreachable(
                f"Cannot reach plex.tv at {self.base_url}: {reason} (while {doing})."
            ) from None
        if response.status_code in (401, 403):
            raise PlexAuthError(
                f"plex.tv refused the sign-in ({response.status_code}) while {doing}. "
                "Sign in with Plex again."
            )
        if response.status_code >= 300:
            raise PlexBadResponse(
                f"plex.tv answered {response.status_code} {response.reason_phrase} while {doing}.",
                status=response.status_code,
            )
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise PlexBadResponse(f"plex.tv sent an unreadable answer while {doing}.") from None


def _resource(entry: Any) -> Resource | None:
    """A server from plex.tv's list; None for players, apps and entries without a token."""
    if not isinstance(entry, dict) or "server" not in str(entry.get("provides", "")).split(","):
        return None
    token, machine = entry.get("accessToken"), entry.get("clientIdentifier")
    if not (isinstance(token, str) and token and isinstance(machine, str) and machine):
        return None
    connections = tuple(
        Connection(str(c["uri"]), c.get("local") is True, c.get("relay") is True)
        for c in entry.get("connections") or ()
        if isinstance(c, dict) and str(c.get("uri", "")).startswith(("http://", "https://"))
    )
    return Resource(
        name=str(entry.get("name") or machine),
        machine_identifier=machine,
        owned=entry.get("owned") is True,
        access_token=token,
        connections=tuple(sorted(connections, key=lambda c: c.preference)),
        owner=None if entry.get("owned") is True else (entry.get("sourceTitle") or None),
        https_required=entry.get("httpsRequired") is True,
    )
