"""The playlist builder's API: pick tracks from the cache, list Plex's playlists, save to Plex.

Picking reads the cache only (so it works with Plex offline); listing and saving talk to Plex on
a daemon thread, and a Plex failure comes back as a plain-words error: 503 when Plex can't be
reached, 502 when it answered wrongly, 409 when the playlist can't take the tracks.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable
from typing import Annotated, TypeVar

import orjson
from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field

from plexcrate.cache.picker import MAX_PICK, PickOptions, pick_tracks
from plexcrate.plex.client import PlaylistInfo, PlexClient
from plexcrate.plex.errors import PlexError, PlexTimeout, PlexUnreachable
from plexcrate.plex.playlists import PlaylistRefused, SaveMode, save_playlist
from plexcrate.web.errors import BODY_RESPONSES
from plexcrate.web.models import ApiModel, ErrorBody, TrackBody
from plexcrate.web.params import MAX_SEED, FilterBody, JsonBool, json_int, json_number
from plexcrate.web.service import NOT_CONFIGURED, LibraryService
from plexcrate.web.threads import in_daemon_thread

router = APIRouter(prefix="/api/playlists", tags=["playlists"])

T = TypeVar("T")

MAX_PLAYLIST = 5000  # tracks in one save
# Plex ids are positive; 2^53 - 1 is the largest integer a browser's JavaScript (and a JSON
# number read as a double) holds exactly, far beyond any library.
RatingKey = json_int(ge=1, le=2**53 - 1)
PickCount = json_int(ge=1, le=MAX_PICK)
Seed = json_int(ge=0, le=MAX_SEED)
MAX_TARGET_MINUTES = 100 * 60
Minutes = json_number(gt=0, le=MAX_TARGET_MINUTES)
PLEX_ERRORS: dict[int | str, dict] = {
    409: {"model": ErrorBody, "description": "No Plex server, or the playlist can't take them."},
    502: {"model": ErrorBody, "description": "Plex answered with an error."},
    503: {"model": ErrorBody, "description": "Plex could not be reached."},
}


class PreviewRequest(BaseModel):
    filters: FilterBody = Field(default_factory=FilterBody)
    count: PickCount = Field(default=50, description="Tracks to pick, at most.")
    favour_rating: JsonBool = Field(
        default=False, description="Pick better-rated tracks more often."
    )
    max_per_artist: PickCount | None = None
    target_minutes: Minutes | None = Field(default=None, description="Stop once this long.")
    exclude: list[RatingKey] = Field(
        default_factory=list,
        max_length=MAX_PLAYLIST,
        description="Tracks not to pick (those removed from a preview).",
    )
    keep: list[RatingKey] = Field(
        default_factory=list,
        max_length=MAX_PLAYLIST,
        description="Tracks the preview already holds, when topping it up: not picked again, "
        "and counted toward max_per_artist.",
    )
    seed: Seed | None = Field(default=None, description="Same seed, same picks.")


class Preview(ApiModel):
    seed: int
    tracks: list[TrackBody]
    total_duration_ms: int


class PlaylistBody(ApiModel):
    id: int
    title: str
    item_count: int
    smart: bool


class Playlists(ApiModel):
    playlists: list[PlaylistBody]


class SaveRequest(BaseModel):
    title: Annotated[str, Field(max_length=200)] = ""
    rating_keys: list[RatingKey] = Field(min_length=1, max_length=MAX_PLAYLIST)
    mode: SaveMode = SaveMode.NEW
    playlist_id: RatingKey | None = Field(default=None, description="For `replace` and `append`.")

    def incomplete(self) -> str | None:
        """What the request lacks for its mode, naming the field; None when complete."""
        if self.mode is SaveMode.NEW and not self.title.strip():
            return "title: a new playlist needs a name"
        if self.mode is not SaveMode.NEW and self.playlist_id is None:
            return f"playlist_id: say which playlist to {self.mode.value}"
        return None


def _service(request: Request) -> LibraryService:
    return request.app.state.library


@router.post("/preview", response_model=Preview, responses=BODY_RESPONSES)
async def preview(body: PreviewRequest, request: Request) -> Response:
    """Pick tracks from the cache for a playlist (Plex is not asked)."""
    seed = body.seed if body.seed is not None else secrets.randbelow(MAX_SEED + 1)
    options = PickOptions(
        count=body.count,
        favour_rating=body.favour_rating,
        max_per_artist=body.max_per_artist,
        target_minutes=body.target_minutes,
        exclude=tuple(body.exclude),
        keep=tuple(body.keep),
        seed=seed,
    )
    flt = body.filters.to_filter()

    def read(conn: sqlite3.Connection) -> bytes:
        tracks = pick_tracks(conn, flt, options)
        total_ms = sum(track.duration_ms or 0 for track in tracks)
        return orjson.dumps({"seed": seed, "tracks": tracks, "total_duration_ms": total_ms})

    return Response(await _service(request).db.aread(read), media_type="application/json")


@router.get("", response_model=Playlists, responses=PLEX_ERRORS)
async def list_playlists(request: Request) -> Playlists:
    """The audio playlists on the Plex server, to append to or replace."""
    playlists = await _with_plex(_service(request), lambda client: client.playlists())
    return Playlists(playlists=[_body(p) for p in playlists])


@router.post("", response_model=PlaylistBody, responses={**PLEX_ERRORS, **BODY_RESPONSES})
async def save(body: SaveRequest, request: Request) -> PlaylistBody:
    """Save tracks to Plex: as a new playlist, or replacing or appending to an existing one."""
    problem = body.incomplete()
    if problem:
        raise HTTPException(422, problem)
    service = _service(request)
    missing = await service.db.aread(lambda conn: _missing_tracks(conn, body.rating_keys))
    if missing:
        raise HTTPException(
            409, f"{missing} of these tracks are no longer in the library; preview again."
        )
    saved = await _with_plex(
        service,
        lambda client: save_playlist(
            client,
            body.rating_keys,
            mode=body.mode,
            title=body.title.strip(),
            playlist_id=body.playlist_id,
        ),
    )
    return _body(saved)


async def _with_plex(service: LibraryService, work: Callable[[PlexClient], T]) -> T:
    """``work(client)`` on a daemon thread, with Plex failures turned into HTTP errors."""
    settings = service.settings
    if not (settings.plex_url and settings.plex_token):
        raise HTTPException(409, NOT_CONFIGURED)

    def run() -> T:
        with PlexClient.from_settings(settings) as client:
            return work(client)

    try:
        return await in_daemon_thread(run, name="plex-playlists")
    except PlaylistRefused as error:
        raise HTTPException(409, error.message) from None
    except (PlexUnreachable, PlexTimeout) as error:
        raise HTTPException(503, error.message) from None
    except PlexError as error:
        raise HTTPException(502, error.message) from None


def _missing_tracks(conn: sqlite3.Connection, rating_keys: list[int]) -> int:
    known = conn.execute(
        "SELECT count(*) FROM tracks WHERE rating_key IN (SELECT value FROM json_each(?))",
        (orjson.dumps(sorted(set(rating_keys))).decode(),),
    ).fetchone()[0]
    return len(set(rating_keys)) - known


def _body(playlist: PlaylistInfo) -> PlaylistBody:
    return PlaylistBody(
        id=playlist.id, title=playlist.title, item_count=playlist.item_count, smart=playlist.smart
    )
