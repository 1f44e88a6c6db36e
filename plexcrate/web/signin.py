"""Sign in with Plex: the setup screen's first choice.

``POST /api/setup/sign-in`` asks plex.tv for a PIN and answers the code and the address where the
person signs in; ``GET /api/setup/sign-in/{pin_id}`` is ``waiting`` until plex.tv holds the
account's token, then ``signed_in`` with the account's name and the servers it reaches (owned and
shared, each with its addresses), or ``expired``. ``POST /api/setup`` with a
``machine_identifier`` then saves that server (``web/setup.py``), reached through the best of its
addresses with the access token plex.tv gave for it.

Tokens stay here: the account's and the servers' are held in memory (and, once a server is
saved, in the settings file, as a pasted token is); no answer carries one.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from plexcrate.plex.errors import PlexError
from plexcrate.plex.plextv import Account, PinExpired, PlexTv, Resource
from plexcrate.web.errors import BODY_RESPONSES
from plexcrate.web.models import ApiModel, ErrorBody
from plexcrate.web.service import LibraryService
from plexcrate.web.threads import in_daemon_thread

router = APIRouter(prefix="/api/setup/sign-in", tags=["setup"])

PLEX_TV_TIMEOUT = 15.0
MAX_PENDING = 20  # PINs remembered at once; the oldest go first


@dataclass
class SignedInAccount:
    account: Account
    token: str = field(repr=False)
    resources: list[Resource]
    client_identifier: str


class SignIns:
    """The PINs this app asked for, and the account signed in last (one person sets up)."""

    def __init__(self, client_identifier: str | None) -> None:
        self.client_identifier = client_identifier or f"plexcrate-{secrets.token_hex(12)}"
        self.pending: dict[int, str] = {}  # pin id → its code
        self.signed: dict[int, SignedInAccount] = {}
        self.latest: SignedInAccount | None = None
        self.lock = threading.Lock()

    def remember(self, pin_id: int, code: str) -> None:
        with self.lock:
            self.pending[pin_id] = code
            while len(self.pending) > MAX_PENDING:
                del self.pending[next(iter(self.pending))]


class StartSignIn(BaseModel):
    """Nothing to say (``{}``): a state change is sent as JSON, like every other."""


class SignInStarted(ApiModel):
    pin_id: int
    code: str = Field(description="The code plex.tv shows the person while they sign in.")
    auth_url: str = Field(description="Where to sign in (app.plex.tv), in a new window.")


class ConnectionBody(ApiModel):
    uri: str
    local: bool
    relay: bool = Field(description="Through Plex's relay: slow, used last.")


class ServerChoice(ApiModel):
    machine_identifier: str
    name: str
    owned: bool
    owner: str | None = Field(description="Who shares it with the account, when not owned.")
    connections: list[ConnectionBody] = Field(description="Best first: local, remote, relay.")


class SignInState(ApiModel):
    status: Literal["waiting", "signed_in", "expired"]
    account: str | None = Field(description="The account's name once signed in.")
    servers: list[ServerChoice]


def sign_ins(request: Request) -> SignIns:
    state = request.app.state
    if getattr(state, "sign_ins", None) is None:
        service: LibraryService = state.library
        state.sign_ins = SignIns(service.settings.plex_client_identifier)
    result: SignIns = state.sign_ins
    return result


def plex_tv(request: Request, client_identifier: str) -> PlexTv:
    service: LibraryService = request.app.state.library
    timeout = min(PLEX_TV_TIMEOUT, service.settings.plex_timeout)
    return PlexTv(service.settings.plex_tv_url, client_identifier, timeout=timeout)


_FAILED: dict[int | str, dict[str, Any]] = {
    502: {"model": ErrorBody, "description": "plex.tv failed; the message says how."}
}


@router.post("", response_model=SignInStarted, responses={**BODY_RESPONSES, **_FAILED})
async def start_sign_in(body: StartSignIn, request: Request) -> SignInStarted:
    """Ask plex.tv for a sign-in PIN; the person signs in at ``auth_url``."""
    store = sign_ins(request)

    def ask() -> SignInStarted:
        with plex_tv(request, store.client_identifier) as tv:
            pin = tv.create_pin()
            return SignInStarted(pin_id=pin.id, code=pin.code, auth_url=tv.auth_url(pin))

    try:
        started = await in_daemon_thread(ask, name="plex-tv-pin")
    except PlexError as error:
        raise HTTPException(502, error.message) from None
    store.remember(started.pin_id, started.code)
    return started


@router.get(
    "/{pin_id}",
    response_model=SignInState,
    responses={**_FAILED, 404: {"model": ErrorBody, "description": "No such sign-in."}},
)
async def sign_in_state(pin_id: int, request: Request) -> SignInState:
    """``waiting`` until the person has signed in at plex.tv, then the account and its servers."""
    store = sign_ins(request)
    with store.lock:
        signed = store.signed.get(pin_id)
        known = pin_id in store.pending
    if signed is None and not known:
        raise HTTPException(404, "There is no sign-in with this id; start again.")

    def ask() -> SignedInAccount | None:
        with plex_tv(request, store.client_identifier) as tv:
            token = tv.pin_token(pin_id)
            if token is None:
                return None
            return SignedInAccount(
                tv.account(token), token, tv.resources(token), store.client_identifier
            )

    if signed is None:
        try:
            signed = await in_daemon_thread(ask, name="plex-tv-check")
        except PinExpired:
            with store.lock:
                store.pending.pop(pin_id, None)
            return SignInState(status="expired", account=None, servers=[])
        except PlexError as error:
            raise HTTPException(502, error.message) from None
        if signed is None:
            return SignInState(status="waiting", account=None, servers=[])
        with store.lock:
            store.pending.pop(pin_id, None)
            store.signed[pin_id] = store.latest = signed
    return SignInState(
        status="signed_in",
        account=signed.account.username,
        servers=[_choice(resource) for resource in signed.resources],
    )


def _choice(resource: Resource) -> ServerChoice:
    return ServerChoice(
        machine_identifier=resource.machine_identifier,
        name=resource.name,
        owned=resource.owned,
        owner=resource.owner,
        connections=[
            ConnectionBody(uri=c.uri, local=c.local, relay=c.relay) for c in resource.connections
        ],
    )
