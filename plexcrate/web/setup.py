"""The setup screen's API: check a Plex server, pick its music libraries, save and switch to it.

The token comes in and never goes back out: no answer here (or anywhere) contains it. A URL must be
http or https, and redirects are never followed, so the token only goes where the user sent it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Request
from pydantic import AfterValidator, BaseModel, Field

from plexcrate.config import (
    PlexSource,
    Settings,
    check_plex_token,
    check_plex_url,
    save_plex_settings,
)
from plexcrate.plex.client import MusicSection, PlexClient, ServerIdentity
from plexcrate.plex.errors import PlexError
from plexcrate.web.errors import BODY_RESPONSES
from plexcrate.web.models import ApiModel, ErrorBody
from plexcrate.web.service import LibraryService, SyncNotStarted
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


class SetupRequest(Credentials):
    music_libraries: list[Annotated[str, Field(max_length=500)]] = Field(
        default_factory=list,
        max_length=MAX_LIBRARIES,
        description="Titles of the music libraries to mirror; empty means all of them.",
    )


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
    )


@router.post(
    "/check",
    response_model=CheckedServer,
    responses={**BODY_RESPONSES, 400: {"model": ErrorBody, "description": "Plex failed."}},
)
async def check_server(credentials: Credentials, request: Request) -> CheckedServer:
    """Connect to a Plex server with a token, and list its music libraries."""
    identity, sections = await _ask_plex(credentials, _service(request).settings)
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
async def save_setup(body: SetupRequest, request: Request) -> Configured:
    """Check the server again, save it in the data folder (owner-only file) and switch to it."""
    service = _service(request)
    if service.settings.plex_source in ("env", "demo"):
        raise HTTPException(409, _not_editable(service.settings))
    _, sections = await _ask_plex(body, service.settings)
    unknown = _unknown_libraries(body.music_libraries, sections)
    if unknown:
        raise HTTPException(
            400, f"music_libraries: this server has no music library called {unknown}."
        )
    if service.is_syncing:
        raise HTTPException(409, "A sync is running; change the server when it has finished.")
    settings = await in_daemon_thread(
        lambda: save_plex_settings(
            service.settings, body.plex_url, body.plex_token, body.music_libraries
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
        raise HTTPException(400, error.message) from None


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
