"""The playlist builder's API: pick tracks from the cache; list, save, rename and delete Plex's
playlists.

Picking reads the cache only (so it works with Plex offline); the rest talks to Plex on a daemon
thread, and a Plex failure comes back as a plain-words error: 503 when Plex can't be reached, 502
when it answered wrongly, 409 when the playlist can't take the tracks (or a new one would repeat
a name), 404 when the playlist is gone. A save, a rename or a delete then writes that playlist's
mirror in the cache (``sync/playlists.py``), so a rule on ``playlist`` follows at once.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import replace
from typing import Annotated, Any, TypeVar

import orjson
from fastapi import APIRouter, HTTPException, Path, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from plexcrate.cache.picker import MAX_PICK, PickOptions, pick_tracks
from plexcrate.cache.playlists import follow_rekeyed
from plexcrate.plex.client import PlaylistInfo, PlexClient
from plexcrate.plex.errors import PlexError, PlexTimeout, PlexUnreachable
from plexcrate.plex.playlists import (
    PlaylistExists,
    PlaylistHalfDone,
    PlaylistMissing,
    PlaylistRefused,
    Saved,
    SaveMode,
    delete_playlist,
    playlist_items_if_any,
    rename_playlist,
    save_playlist,
)
from plexcrate.sync.playlists import mirror_one
from plexcrate.web.errors import BODY_RESPONSES, BUSY_RESPONSES
from plexcrate.web.models import ApiModel, ErrorBody, TrackBody
from plexcrate.web.params import (
    JSON_NUMBER,
    MAX_SEED,
    FilterBody,
    JsonBool,
    to_filter,
)
from plexcrate.web.service import NOT_CONFIGURED, LibraryService
from plexcrate.web.threads import in_daemon_thread

router = APIRouter(prefix="/api/playlists", tags=["playlists"])

T = TypeVar("T")

MAX_PLAYLIST = 5000  # tracks in one save
# Plex ids are positive; 2^53 - 1 is the largest integer a browser's JavaScript (and a JSON
# number read as a double) holds exactly, far beyond any library.
# JSON numbers, within bounds that sit beside the int itself (else pydantic leaves them out of
# the document).
RatingKey = Annotated[int, Field(ge=1, le=2**53 - 1), JSON_NUMBER]
PickCount = Annotated[int, Field(ge=1, le=MAX_PICK), JSON_NUMBER]
Seed = Annotated[int, Field(ge=0, le=MAX_SEED), JSON_NUMBER]
MAX_TARGET_MINUTES = 100 * 60
Minutes = Annotated[float, Field(gt=0, le=MAX_TARGET_MINUTES), JSON_NUMBER]
PLEX_ERRORS: dict[int | str, dict] = {
    409: {"model": ErrorBody, "description": "No Plex server, or the playlist can't take them."},
    502: {"model": ErrorBody, "description": "Plex answered with an error."},
    503: {"model": ErrorBody, "description": "Plex could not be reached."},
}
GONE: dict[int | str, dict] = {
    404: {"model": ErrorBody, "description": "The playlist is not on the Plex server."}
}
PlaylistId = Annotated[int, Path(ge=1, le=2**53 - 1, description="Plex's id for the playlist.")]
Title = Annotated[str, Field(min_length=1, max_length=200)]


class PreviewRequest(BaseModel):
    filters: FilterBody = Field(default_factory=FilterBody)  # type: ignore[valid-type]
    rule: dict[str, Any] | None = Field(
        default=None, description="A rule ANDed with the filters (see `rule` on /api/tracks)."
    )
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
    duration_ms: int | None = Field(default=None, description="Its length; null when unknown.")


class SavedPlaylist(PlaylistBody):
    not_added: list[int] = Field(
        default_factory=list,
        description="Rating keys sent that Plex left out (it adds only the tracks it still "
        "has, and answers as if all were added): empty when the playlist holds them all.",
    )


class SaveConflict(ErrorBody):
    duplicate_of: int | None = Field(
        default=None,
        description="A new playlist's name is taken: the playlist that has it. Send the save "
        "again with `allow_duplicate` to make a second one anyway.",
    )


class RenameRequest(BaseModel):
    title: Title
    allow_duplicate: JsonBool = Field(
        default=False,
        description="Rename even if another playlist has that name (otherwise a 409).",
    )


class Playlists(ApiModel):
    playlists: list[PlaylistBody]


class PlaylistItems(ApiModel):
    id: int
    rating_keys: list[int] = Field(description="The tracks it holds on Plex now, in order.")


class SaveRequest(BaseModel):
    title: Annotated[str, Field(max_length=200)] = ""
    rating_keys: list[RatingKey] = Field(min_length=1, max_length=MAX_PLAYLIST)
    mode: SaveMode = SaveMode.NEW
    playlist_id: RatingKey | None = Field(default=None, description="For `replace` and `append`.")
    allow_duplicate: JsonBool = Field(
        default=False,
        description="Make a new playlist even if one already has that name (otherwise a 409).",
    )

    def incomplete(self) -> str | None:
        """What the request lacks for its mode, naming the field; None when complete."""
        if self.mode is SaveMode.NEW and not self.title.strip():
            return "title: a new playlist needs a name"
        if self.mode is not SaveMode.NEW and self.playlist_id is None:
            return f"playlist_id: say which playlist to {self.mode.value}"
        return None


def _service(request: Request) -> LibraryService:
    return request.app.state.library


@router.post("/preview", response_model=Preview, responses={**BODY_RESPONSES, **BUSY_RESPONSES})
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
    flt = to_filter(body.filters, body.rule)

    def read(conn: sqlite3.Connection) -> bytes:
        # The preview's kept tracks follow Plex's new keys for them (same guid).
        kept = replace(
            options,
            keep=tuple(follow_rekeyed(conn, options.keep)),
            exclude=tuple(follow_rekeyed(conn, options.exclude)),
        )
        tracks = pick_tracks(conn, flt, kept)
        total_ms = sum(track.duration_ms or 0 for track in tracks)
        return orjson.dumps({"seed": seed, "tracks": tracks, "total_duration_ms": total_ms})

    reads = _service(request).reads
    return Response(await reads.read(read, search=bool(flt.words)), media_type="application/json")


@router.get("", response_model=Playlists, responses=PLEX_ERRORS)
async def list_playlists(request: Request) -> Playlists:
    """The audio playlists on the Plex server (their art: `/api/playlists/{id}/art`)."""
    playlists = await with_plex(_service(request), lambda client: client.audio_playlists())
    request.app.state.art.know_playlists([(p.id, p.title, p.composite) for p in playlists])
    return Playlists(playlists=[_body(p) for p in playlists])


@router.get("/{playlist_id}/items", response_model=PlaylistItems, responses={**PLEX_ERRORS, **GONE})
async def playlist_items(playlist_id: PlaylistId, request: Request) -> PlaylistItems:
    """What a playlist holds on Plex now (rating keys, in order), read from Plex itself: the
    builder asks before adding to it (to skip what it holds) or replacing it (to say what
    changes), and after a save that failed (to say what it holds then)."""
    keys = await with_plex(
        _service(request), lambda client: playlist_items_if_any(client, playlist_id)
    )
    if keys is None:
        raise HTTPException(404, "That playlist is no longer on the Plex server.")
    return PlaylistItems(id=playlist_id, rating_keys=keys)


@router.patch(
    "/{playlist_id}",
    response_model=PlaylistBody,
    responses={
        **PLEX_ERRORS,
        **GONE,
        409: {
            "model": SaveConflict,
            "description": "Another playlist has the name (`duplicate_of`); send it again "
            "with `allow_duplicate` to rename anyway. Or no Plex server is configured.",
        },
        **BODY_RESPONSES,
    },
)
async def rename(
    playlist_id: PlaylistId, body: RenameRequest, request: Request
) -> PlaylistBody | JSONResponse:
    """Rename an audio playlist on Plex (another kind's id is a 404). A name another playlist
    has asks first (409, `duplicate_of`), as creating does."""
    title = body.title.strip()
    if not title:
        raise HTTPException(422, "title: a playlist needs a name")
    service = _service(request)

    def work(client: PlexClient) -> PlaylistInfo:
        renamed = rename_playlist(client, playlist_id, title, allow_duplicate=body.allow_duplicate)
        mirror_one(service.db, client, playlist_id)
        return renamed

    try:
        return _body(await with_plex(service, work))
    except PlaylistExists as taken:
        conflict = SaveConflict(error=taken.message, duplicate_of=taken.existing.id)
        return JSONResponse(conflict.model_dump(), status_code=409)


@router.delete(
    "/{playlist_id}", status_code=204, response_class=Response, responses={**PLEX_ERRORS, **GONE}
)
async def delete(playlist_id: PlaylistId, request: Request) -> Response:
    """Delete an audio playlist from Plex (its tracks stay in the library; another kind's id
    is a 404)."""
    service = _service(request)

    def work(client: PlexClient) -> None:
        delete_playlist(client, playlist_id)
        mirror_one(service.db, client, playlist_id, deleted=True)

    await with_plex(service, work)
    return Response(status_code=204)


@router.post(
    "",
    response_model=SavedPlaylist,
    responses={
        **PLEX_ERRORS,
        409: {
            "model": SaveConflict,
            "description": "The name is taken (`duplicate_of` says by which playlist), the "
            "playlist can't take the tracks, or no Plex server is configured.",
        },
        **BODY_RESPONSES,
    },
)
async def save(body: SaveRequest, request: Request) -> SavedPlaylist | JSONResponse:
    """Save tracks to Plex: as a new playlist, or replacing or appending to an existing one.

    A new playlist with the name of one Plex has is refused (409, `duplicate_of`) unless
    `allow_duplicate` says a second one is wanted. What Plex holds afterwards is read back:
    `not_added` lists the tracks it left out. Replace adds the new tracks before removing the
    old ones; a failure halfway (502/503) says what the playlist holds."""
    problem = body.incomplete()
    if problem:
        raise HTTPException(422, problem)
    service = _service(request)
    # Keys picked before Plex re-keyed their tracks (same guid) are sent as the new ones.
    keys = await service.db.aread(lambda conn: follow_rekeyed(conn, body.rating_keys))
    missing = await service.db.aread(lambda conn: _missing_tracks(conn, keys))
    if missing:
        raise HTTPException(
            409, f"{missing} of these tracks are no longer in the library; preview again."
        )

    def work(client: PlexClient) -> Saved:
        try:
            saved = save_playlist(
                client,
                keys,
                mode=body.mode,
                title=body.title.strip(),
                playlist_id=body.playlist_id,
                server=service.state.machine_identifier,
                allow_duplicate=body.allow_duplicate,
            )
        except PlaylistHalfDone as half:
            mirror_one(service.db, client, half.playlist_id)  # what Plex holds now
            raise
        mirror_one(service.db, client, saved.playlist.id)
        return saved

    try:
        saved = await with_plex(service, work)
    except PlaylistExists as taken:
        conflict = SaveConflict(error=taken.message, duplicate_of=taken.existing.id)
        return JSONResponse(conflict.model_dump(), status_code=409)
    return SavedPlaylist(**_body(saved.playlist).model_dump(), not_added=saved.not_added)


async def with_plex(service: LibraryService, work: Callable[[PlexClient], T]) -> T:
    """``work(client)`` on a daemon thread, with Plex failures turned into HTTP errors."""
    settings = service.settings
    if not (settings.plex_url and settings.plex_token):
        raise HTTPException(409, NOT_CONFIGURED)

    def run() -> T:
        with PlexClient.from_settings(settings) as client:
            return work(client)

    try:
        return await in_daemon_thread(run, name="plex-playlists")
    except PlaylistExists:
        raise
    except PlaylistMissing as error:
        raise HTTPException(404, error.message) from None
    except PlaylistRefused as error:
        raise HTTPException(409, error.message) from None
    except PlaylistHalfDone as error:
        transport = isinstance(error.cause, (PlexUnreachable, PlexTimeout))
        raise HTTPException(503 if transport else 502, error.message) from None
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
        id=playlist.id,
        title=playlist.title,
        item_count=playlist.item_count,
        smart=playlist.smart,
        duration_ms=playlist.duration_ms,
    )
