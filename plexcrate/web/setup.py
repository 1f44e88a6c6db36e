"""The setup screen's API: check a Plex server, pick its music libraries, save and switch to it.

The token comes in and never goes back out: no answer here (or anywhere) contains it. A URL must be
http or https, and redirects are never followed, so the token only goes where the user sent it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from plexcrate.config import (
    PlexSource,
    Settings,
    SignedIn,
    check_plex_token,
    check_plex_url,
    save_plex_settings,
)
from plexcrate.plex.client import MusicSection, PlexClient, ServerIdentity
from plexcrate.plex.connect import reach
from plexcrate.plex.errors import PlexError
from plexcrate.web.errors import BODY_RESPONSES
from plexcrate.web.models import ApiModel, ErrorBody
from plexcrate.web.service import LibraryService, SyncNotStarted
from plexcrate.web.signin import SignedInAccount, sign_ins
from plexcrate.web.threads import in_daemon_thread
from plexcrate.web.watch import Watching

router = APIRouter(prefix="/api/setup", tags=["setup"])

# Seconds for each of the check's two requests (identity, music libraries), at most: a person is
# waiting for the answer. PLEXCRATE_PLEX_TIMEOUT when it is shorter.
CHECK_TIMEOUT = 15.0
MAX_LIBRARIES = 100


# The patterns tell clients (and fuzzers) the rules in the document; the validators enforce
# them, with messages that say what to write.
PlexUrl = Annotated[
    str,
    Field(
        max_length=2000,
        examples=["http://192.168.1.10:32400"],
        json_schema_extra={"pattern": "^https?://[^/?#@]+(/[^?#]*)?$"},
    ),
    AfterValidator(check_plex_url),
]
Token = Annotated[
    str,
    Field(min_length=1, max_length=500, json_schema_extra={"pattern": "^[!-~]+$"}),
    AfterValidator(check_plex_token),
]


class Credentials(BaseModel):
    plex_url: PlexUrl
    plex_token: Token


class SetupRequest(BaseModel):
    # The two ways, in the document too: an address and a token, or a signed-in server.
    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {
                    "required": ["plex_url", "plex_token"],
                    "not": {"required": ["machine_identifier"]},
                },
                {"required": ["machine_identifier"], "not": {"required": ["plex_url"]}},
            ]
        }
    )

    plex_url: PlexUrl | None = None
    plex_token: Token | None = None
    machine_identifier: str | None = Field(
        default=None,
        max_length=200,
        description="Once signed in with Plex: the server to use, one of those the sign-in "
        "listed (instead of plex_url and plex_token).",
    )
    music_libraries: list[Annotated[str, Field(max_length=500)]] = Field(
        default_factory=list,
        max_length=MAX_LIBRARIES,
        description="Titles of the music libraries to mirror; empty means all of them.",
    )

    @model_validator(mode="after")
    def _one_way(self) -> SetupRequest:
        if self.machine_identifier is None and not (self.plex_url and self.plex_token):
            raise ValueError(
                "give plex_url and plex_token, or (once signed in with Plex) machine_identifier"
            )
        if self.machine_identifier is not None and (self.plex_url or self.plex_token):
            raise ValueError("give either machine_identifier or plex_url and plex_token, not both")
        return self


class SetupState(ApiModel):
    configured: bool
    plex_url: str | None
    music_libraries: list[str]
    editable: bool = Field(
        description="False when the server comes from PLEX_URL/PLEX_TOKEN or the demo: change "
        "it there."
    )
    source: PlexSource | None = Field(
        default=None,
        description="Where the server comes from: `env` (PLEX_URL and PLEX_TOKEN), `file` (this "
        "screen), `demo`; null when none is configured.",
    )
    account: str | None = Field(
        default=None,
        description="The Plex account signed in with (whose plays and ratings are mirrored); "
        "null when the server was set up with a pasted token.",
    )


class LibraryBody(ApiModel):
    id: int
    title: str


class CheckedServer(ApiModel):
    server_name: str
    machine_identifier: str
    libraries: list[LibraryBody] = Field(description="The server's music libraries.")


class Configured(ApiModel):
    configured: bool = True


def _service(request: Request) -> LibraryService:
    return request.app.state.library


@router.get("", response_model=SetupState)
async def get_setup(request: Request) -> SetupState:
    """Which Plex server is configured (never its token), and whether it can be changed here."""
    settings = _service(request).settings
    return SetupState(
        configured=settings.plex_configured,
        plex_url=settings.plex_url,
        music_libraries=list(settings.music_libraries),
        editable=settings.plex_source not in ("env", "demo"),
        source=settings.plex_source if settings.plex_configured else None,
        account=settings.plex_account if settings.plex_configured else None,
    )


@router.post(
    "/check",
    response_model=CheckedServer,
    responses={**BODY_RESPONSES, 400: {"model": ErrorBody, "description": "Plex failed."}},
)
async def check_server(credentials: Credentials, request: Request) -> CheckedServer | JSONResponse:
    """Connect to a Plex server with a token, and list its music libraries. When the address
    fails for a reason of security and another one works (a plex.direct address), the 400 says
    it in ``suggested_url`` as well as in the message."""
    try:
        identity, sections = await _ask_plex(credentials, _service(request).settings)
    except SetupFailed as failure:
        return failure.response()
    return CheckedServer(
        server_name=identity.name,
        machine_identifier=identity.machine_identifier,
        libraries=[LibraryBody(id=s.id, title=s.title) for s in sections],
    )


@router.post(
    "",
    response_model=Configured,
    responses={
        **BODY_RESPONSES,
        400: {"model": ErrorBody, "description": "Plex failed, or no such library."},
        409: {"model": ErrorBody, "description": "Set by the environment, or a sync runs."},
    },
)
async def save_setup(body: SetupRequest, request: Request) -> Configured | JSONResponse:
    """Check the server again, save it in the data folder (owner-only file) and switch to it."""
    service = _service(request)
    if service.settings.plex_source in ("env", "demo"):
        raise HTTPException(409, _not_editable(service.settings))
    signed_in: SignedIn | None = None
    if body.machine_identifier is not None:
        credentials, signed_in = await _signed_in_server(body.machine_identifier, request)
    else:
        assert body.plex_url is not None and body.plex_token is not None  # the validator's
        credentials = Credentials(plex_url=body.plex_url, plex_token=body.plex_token)
    try:
        _, sections = await _ask_plex(credentials, service.settings)
    except SetupFailed as failure:
        return failure.response()
    unknown = _unknown_libraries(body.music_libraries, sections)
    if unknown:
        raise HTTPException(
            400, f"music_libraries: this server has no music library called {unknown}."
        )
    if service.is_syncing:
        raise HTTPException(409, "A sync is running; change the server when it has finished.")
    settings = await in_daemon_thread(
        lambda: save_plex_settings(
            service.settings,
            credentials.plex_url,
            credentials.plex_token,
            body.music_libraries,
            signed_in,
        ),
        name="save-settings",
    )
    try:
        service.use_settings(settings)
    except SyncNotStarted as refusal:
        raise HTTPException(409, str(refusal)) from None
    watching: Watching = request.app.state.watching
    await watching.restart()
    return Configured()


async def _ask_plex(
    credentials: Credentials, settings: Settings
) -> tuple[ServerIdentity, list[MusicSection]]:
    """The server's identity and music libraries; a 400 saying what is wrong if Plex fails."""
    timeout = min(CHECK_TIMEOUT, settings.plex_timeout)

    def ask() -> tuple[ServerIdentity, list[MusicSection]]:
        candidate = settings.with_plex(credentials.plex_url, credentials.plex_token)
        with PlexClient.from_settings(candidate, timeout=timeout, retries=0) as client:
            return client.identity(), client.music_sections()

    try:
        return await in_daemon_thread(ask, name="plex-setup-check")
    except PlexError as error:
        raise SetupFailed(error.message, error.suggested_url) from None


class SetupFailed(Exception):
    """Plex failed during a check: a 400 with the message, and an address that works when
    one is known."""

    def __init__(self, message: str, suggested_url: str | None) -> None:
        super().__init__(message)
        self.message, self.suggested_url = message, suggested_url

    def response(self) -> JSONResponse:
        body: dict[str, str] = {"error": self.message}
        if self.suggested_url:
            body["suggested_url"] = self.suggested_url
        return JSONResponse(body, status_code=400)


async def _signed_in_server(
    machine_identifier: str, request: Request
) -> tuple[Credentials, SignedIn]:
    """The server chosen after signing in with Plex, reached through the best of its
    addresses with the access token plex.tv gave for it (never the account's own token: a
    shared server refuses that)."""
    signed: SignedInAccount | None = sign_ins(request).latest
    if signed is None:
        raise HTTPException(409, "Sign in with Plex first, then choose one of your servers.")
    resource = next(
        (r for r in signed.resources if r.machine_identifier == machine_identifier), None
    )
    if resource is None:
        raise HTTPException(
            422, "machine_identifier: not one of the servers your Plex account reaches."
        )
    timeout = min(CHECK_TIMEOUT, _service(request).settings.plex_timeout)
    try:
        reached = await in_daemon_thread(lambda: reach(resource, timeout), name="plex-reach")
    except PlexError as error:
        raise HTTPException(400, error.message) from None
    credentials = Credentials(plex_url=reached.connection.uri, plex_token=resource.access_token)
    return credentials, SignedIn(
        username=signed.account.username,
        token=signed.token,
        server_id=resource.machine_identifier,
        client_identifier=signed.client_identifier,
    )


def _unknown_libraries(wanted: list[str], sections: list[MusicSection]) -> str:
    titles = {section.title.casefold() for section in sections}
    return ", ".join(f"“{title}”" for title in wanted if title.casefold() not in titles)


def _not_editable(settings: Settings) -> str:
    if settings.plex_source == "demo":
        return "The demo uses its simulated Plex server; run `plexcrate serve` to use yours."
    return (
        "The Plex server is set by the PLEX_URL and PLEX_TOKEN environment variables; "
        "change it there and restart plexcrate."
    )
