"""The recipes' API: rules that own a Plex playlist, kept fresh after every sync.

A recipe is kept in the cache (``cache/recipes.py``); its refreshes run on the service's recipe
runner (``recipe_runner.py``), one at a time, never on the event loop. Creating one refreshes it
at once, which makes its Plex playlist; with Plex offline the recipe is kept and its refresh is
owed (``owed`` says why) until Plex answers.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, Field, model_validator

from plexcrate.cache.draw import MAX_TRACKS
from plexcrate.cache.queries import SORTS
from plexcrate.cache.recipes import (
    HistoryEntry,
    Mode,
    NewRecipe,
    Recipe,
    Refresh,
    Why,
    all_recipes,
    delete_recipe,
    get_recipe,
    history,
    insert_recipe,
    last_entries,
    resume,
    update_recipe,
)
from plexcrate.cache.rules import parse
from plexcrate.isotime import iso_utc
from plexcrate.plex.client import PlexClient
from plexcrate.plex.errors import PlexError, PlexTimeout, PlexUnreachable
from plexcrate.plex.playlists import PlaylistMissing, delete_playlist
from plexcrate.sync.playlists import mirror_one
from plexcrate.sync.recipes import RecipeGone, RecipePaused, RefreshFailed, RefreshResult
from plexcrate.web.errors import BODY_RESPONSES
from plexcrate.web.models import ApiModel, ErrorBody
from plexcrate.web.params import JSON_NUMBER, JsonBool
from plexcrate.web.playlists import PLEX_ERRORS, with_plex
from plexcrate.web.service import NOT_CONFIGURED, LibraryService

router = APIRouter(prefix="/api/recipes", tags=["recipes"])

MAX_RECIPES = 500
RecipeId = Annotated[int, Path(ge=1, le=2**53 - 1, description="The recipe's id.")]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Cap = Annotated[int, Field(ge=1, le=MAX_TRACKS), JSON_NUMBER]
GONE: dict[int | str, dict] = {404: {"model": ErrorBody, "description": "No such recipe."}}
# The wait for a refresh asked by hand: the runner may be finishing others first.
REFRESH_WAIT_S = 120.0


class Limit(BaseModel):
    """How much to draw: ``{"tracks": N}`` or ``{"minutes": M}``."""

    model_config = {"extra": "forbid"}
    tracks: Annotated[int, Field(ge=1, le=MAX_TRACKS), JSON_NUMBER] | None = None
    minutes: Annotated[float, Field(gt=0, le=100 * 60), JSON_NUMBER] | None = None

    @model_validator(mode="after")
    def _one(self) -> Limit:
        if (self.tracks is None) == (self.minutes is None):
            raise ValueError('give either "tracks" or "minutes"')
        return self

    def as_json(self) -> dict[str, Any]:
        return {"tracks": self.tracks} if self.tracks is not None else {"minutes": self.minutes}


class RecipeFields(BaseModel):
    model_config = {"extra": "forbid"}
    rule: dict[str, Any] = Field(description="Which tracks (the rule language of /api/tracks).")
    limit: Limit = Field(default_factory=lambda: Limit(tracks=50))
    sort: str = Field(default="random", description=f"One of {', '.join(SORTS)}.")
    favour_rating: JsonBool = False
    max_per_artist: Cap | None = None
    max_per_album: Cap | None = None
    dedupe: JsonBool = Field(default=False, description="One copy of each song.")

    def spec(self) -> dict[str, Any]:
        if self.sort not in SORTS:
            raise HTTPException(422, f"sort: {self.sort!r} is not a sort ({', '.join(SORTS)})")
        parse(self.rule, now=time.time())  # RuleError: a 422 naming the place at fault
        return {
            "rule": self.rule,
            "limit": self.limit.as_json(),
            "sort": self.sort,
            "favour_rating": self.favour_rating,
            "max_per_artist": self.max_per_artist,
            "max_per_album": self.max_per_album,
            "dedupe": self.dedupe,
        }


class RecipeRequest(RecipeFields):
    name: Name
    refresh: Refresh = Refresh.AFTER_SYNC
    mode: Mode = Mode.UPDATE
    playlist_title: Annotated[str, Field(max_length=200)] | None = Field(
        default=None, description="The Plex playlist's name (the recipe's name if none)."
    )


class RecipePatch(BaseModel):
    model_config = {"extra": "forbid"}
    name: Name | None = None
    rule: dict[str, Any] | None = None
    limit: Limit | None = None
    sort: str | None = None
    favour_rating: JsonBool | None = None
    max_per_artist: Cap | None = None
    max_per_album: Cap | None = None
    dedupe: JsonBool | None = None
    refresh: Refresh | None = None
    mode: Mode | None = None
    playlist_title: Name | None = None
    paused: JsonBool | None = Field(default=None, description="false resumes a paused recipe.")


class HistoryBody(ApiModel):
    at: str
    reason: str = Field(description="created, sync, schedule, manual (by hand) or retry.")
    added: int
    removed: int
    kept: int
    hand_added: int = Field(description="Tracks added by hand in Plex, which stay.")
    hand_removed: int = Field(description="Tracks removed by hand in Plex, not added back.")
    not_taken: int = Field(description="Tracks Plex did not take.")
    notes: list[str]
    error: str | None


class RecipeBody(ApiModel):
    id: int
    name: str
    rule: dict[str, Any]
    limit: dict[str, Any]
    sort: str
    favour_rating: bool
    max_per_artist: int | None
    max_per_album: int | None
    dedupe: bool
    refresh: Refresh
    mode: Mode
    playlist_title: str
    playlist_id: int | None
    track_count: int
    duration_ms: int
    last_refresh: str | None
    next_refresh: str | None = Field(description="For daily and weekly recipes.")
    paused: bool
    paused_why: str | None
    owed: str | None = Field(description="Why the last refresh failed; it is tried again.")
    last: HistoryBody | None = Field(description="The last refresh.")


class Recipes(ApiModel):
    recipes: list[RecipeBody]


class RefreshBody(ApiModel):
    added: int
    removed: int
    kept: int
    playlist_id: int | None


class RefreshRequest(BaseModel):
    """A refresh by hand takes nothing (a JSON body all the same, as every state change)."""

    model_config = {"extra": "forbid"}


class HistoryList(ApiModel):
    history: list[HistoryBody]


class ExportedRecipe(RecipeRequest):
    pass


class RecipesDocument(BaseModel):
    model_config = {"extra": "forbid"}
    version: int = 1
    recipes: list[ExportedRecipe] = Field(max_length=MAX_RECIPES)


class Imported(ApiModel):
    ids: list[int]


def _service(request: Request) -> LibraryService:
    return request.app.state.library


def _history_body(entry: HistoryEntry) -> HistoryBody:
    return HistoryBody(
        at=iso_utc(entry.at) or "",
        reason=entry.reason,
        added=entry.added,
        removed=entry.removed,
        kept=entry.kept,
        hand_added=entry.hand_added,
        hand_removed=entry.hand_removed,
        not_taken=entry.not_taken,
        notes=entry.notes,
        error=entry.error,
    )


def _body(recipe: Recipe, last: HistoryEntry | None) -> RecipeBody:
    spec = recipe.spec
    return RecipeBody(
        id=recipe.id,
        name=recipe.name,
        rule=spec["rule"],
        limit=spec["limit"],
        sort=spec["sort"],
        favour_rating=spec["favour_rating"],
        max_per_artist=spec["max_per_artist"],
        max_per_album=spec["max_per_album"],
        dedupe=spec["dedupe"],
        refresh=recipe.refresh,
        mode=recipe.mode,
        playlist_title=recipe.playlist_title,
        playlist_id=recipe.playlist_id,
        track_count=recipe.track_count,
        duration_ms=recipe.duration_ms,
        last_refresh=iso_utc(recipe.refreshed_at),
        next_refresh=iso_utc(recipe.next_refresh()) if recipe.paused is None else None,
        paused=recipe.paused is not None,
        paused_why=recipe.paused,
        owed=recipe.owed,
        last=_history_body(last) if last else None,
    )


def _exported(recipe: Recipe) -> dict[str, Any]:
    return {
        "name": recipe.name,
        **recipe.spec,
        "refresh": recipe.refresh.value,
        "mode": recipe.mode.value,
        "playlist_title": recipe.playlist_title,
    }


async def _one(service: LibraryService, recipe_id: int) -> RecipeBody:
    def read(conn: sqlite3.Connection) -> RecipeBody | None:
        recipe = get_recipe(conn, recipe_id)
        if recipe is None:
            return None
        entries = history(conn, recipe_id)
        return _body(recipe, entries[0] if entries else None)

    found = await service.db.aread(read)
    if found is None:
        raise HTTPException(404, f"There is no recipe {recipe_id}.")
    return found


async def _refresh(service: LibraryService, recipe_id: int, why: Why) -> RefreshResult:
    """Refresh on the runner and await it, with its failures as HTTP errors."""
    future = service.recipes.refresh(recipe_id, why)
    try:
        result = await asyncio.wait_for(asyncio.wrap_future(future), REFRESH_WAIT_S)
    except RecipeGone as error:
        raise HTTPException(404, str(error)) from None
    except RecipePaused as error:
        raise HTTPException(409, str(error)) from None
    except RefreshFailed as error:
        cause = error.__cause__
        status = 503 if isinstance(cause, PlexUnreachable | PlexTimeout) else 502
        raise HTTPException(status if isinstance(cause, PlexError) else 409, str(error)) from None
    except TimeoutError:
        late = "The refresh is still waiting its turn; see its history."
        raise HTTPException(503, late) from None
    assert isinstance(result, RefreshResult)
    return result


def _check_ready(service: LibraryService) -> str:
    """The server the cache mirrors; a 409 when there is no Plex or no library yet."""
    if not service.settings.plex_configured:
        raise HTTPException(409, NOT_CONFIGURED)
    state = service.state
    if state.is_empty or state.machine_identifier is None:
        raise HTTPException(409, "Sync the library first: a recipe draws from it.")
    return state.machine_identifier


# --- routes (the fixed paths before /{recipe_id}) ------------------------------------------------


@router.get("", response_model=Recipes)
async def list_recipes(request: Request) -> Recipes:
    """Every recipe, with its playlist, length, last and next refresh."""

    def read(conn: sqlite3.Connection) -> Recipes:
        last = last_entries(conn)
        return Recipes(recipes=[_body(r, last.get(r.id)) for r in all_recipes(conn)])

    return await _service(request).db.aread(read)


@router.get("/export", response_model=RecipesDocument, response_model_exclude_none=True)
async def export(request: Request) -> dict[str, Any]:
    """Every recipe as one JSON document (for `POST /api/recipes/import`)."""
    recipes = await _service(request).db.aread(all_recipes)
    return {"version": 1, "recipes": [_exported(recipe) for recipe in recipes]}


@router.post(
    "/import", status_code=201, response_model=Imported, responses={**BODY_RESPONSES, 409: {}}
)
async def import_recipes(body: RecipesDocument, request: Request) -> Imported:
    """Add every recipe of an exported document; each makes its playlist in the background."""
    service = _service(request)
    server = _check_ready(service)
    news = [
        NewRecipe(r.name, r.spec(), r.refresh, r.mode, r.playlist_title or r.name, server)
        for r in body.recipes
    ]
    now = service.clock()

    def insert(conn: sqlite3.Connection) -> list[int]:
        return [insert_recipe(conn, new, now=now) for new in news]

    ids = await service.db.awrite(insert)
    for recipe_id in ids:
        service.recipes.refresh(recipe_id, Why.CREATED)
    return Imported(ids=ids)


@router.post("", status_code=201, response_model=RecipeBody, responses={**BODY_RESPONSES, 409: {}})
async def create(body: RecipeRequest, request: Request) -> RecipeBody:
    """Add a recipe and make its Plex playlist at once. With Plex offline the recipe is kept
    and its playlist made once Plex answers (`owed` says why)."""
    service = _service(request)
    server = _check_ready(service)
    title = (body.playlist_title or "").strip() or body.name.strip()
    new = NewRecipe(body.name.strip(), body.spec(), body.refresh, body.mode, title, server)
    now = service.clock()
    recipe_id = await service.db.awrite(lambda conn: insert_recipe(conn, new, now=now))
    try:
        await _refresh(service, recipe_id, Why.CREATED)
    except HTTPException as error:
        if error.status_code not in (502, 503):
            raise
    return await _one(service, recipe_id)


@router.get("/{recipe_id}", response_model=RecipeBody, responses=GONE)
async def read_recipe(recipe_id: RecipeId, request: Request) -> RecipeBody:
    return await _one(_service(request), recipe_id)


@router.patch("/{recipe_id}", response_model=RecipeBody, responses={**GONE, **BODY_RESPONSES})
async def edit(recipe_id: RecipeId, body: RecipePatch, request: Request) -> RecipeBody:
    """Change a recipe; its next refresh draws by the new settings. `"paused": false` resumes
    a paused recipe (on the server the library mirrors now)."""
    service = _service(request)
    current = await _one(service, recipe_id)
    changes: dict[str, Any] = {}
    given = body.model_dump(exclude_unset=True)
    spec_fields = set(RecipeFields.model_fields)
    if given.keys() & spec_fields:
        merged = {
            **{name: getattr(current, name) for name in spec_fields},
            **{name: given[name] for name in spec_fields if name in given},
        }
        changes["spec"] = RecipeFields.model_validate(merged).spec()
    for name in ("name", "refresh", "mode", "playlist_title"):
        if given.get(name) is not None:
            changes[name] = given[name].strip() if isinstance(given[name], str) else given[name]
    await service.db.awrite(lambda conn: update_recipe(conn, recipe_id, **changes))
    if given.get("paused") is False:
        server = service.state.machine_identifier
        await service.db.awrite(lambda conn: resume(conn, recipe_id, server=server))
    elif given.get("paused") is True:
        why = "Paused by hand."
        await service.db.awrite(lambda conn: update_recipe(conn, recipe_id, paused=why))
    if "playlist_title" in changes and current.playlist_id is not None:
        await _rename(service, current.playlist_id, changes["playlist_title"])
    return await _one(service, recipe_id)


async def _rename(service: LibraryService, playlist_id: int, title: str) -> None:
    def work(client: PlexClient) -> None:
        client.rename_playlist(playlist_id, title)
        mirror_one(service.db, client, playlist_id)

    try:
        await with_plex(service, work)
    except HTTPException as error:  # the recipe is changed; the playlist keeps its name
        if error.status_code != 404:
            raise


@router.delete(
    "/{recipe_id}", status_code=204, response_class=Response, responses={**GONE, **PLEX_ERRORS}
)
async def delete(
    recipe_id: RecipeId,
    request: Request,
    delete_playlist_too: Annotated[
        bool,
        Query(
            alias="delete_playlist",
            description="Delete its Plex playlist too (else it stays, as a plain playlist).",
        ),
    ] = False,
) -> Response:
    service = _service(request)
    current = await _one(service, recipe_id)
    playlist_id = current.playlist_id
    if delete_playlist_too and playlist_id is not None and not current.paused:

        def work(client: PlexClient) -> None:
            try:
                delete_playlist(client, playlist_id)
            except PlaylistMissing:
                return  # deleted in Plex already
            mirror_one(service.db, client, playlist_id, deleted=True)

        await with_plex(service, work)
    await service.db.awrite(lambda conn: delete_recipe(conn, recipe_id))
    return Response(status_code=204)


@router.post(
    "/{recipe_id}/refresh",
    response_model=RefreshBody,
    responses={**GONE, **PLEX_ERRORS, **BODY_RESPONSES},
)
async def refresh(recipe_id: RecipeId, body: RefreshRequest, request: Request) -> RefreshBody:
    """Refresh the recipe's playlist now (after the refreshes already running)."""
    service = _service(request)
    await _one(service, recipe_id)
    result = await _refresh(service, recipe_id, Why.MANUAL)
    return RefreshBody(
        added=result.added, removed=result.removed, kept=result.kept, playlist_id=result.playlist_id
    )


@router.get("/{recipe_id}/history", response_model=HistoryList, responses=GONE)
async def recipe_history(recipe_id: RecipeId, request: Request) -> HistoryList:
    """Each refresh, newest first: when, why, what changed, hand edits found, any error."""
    service = _service(request)
    await _one(service, recipe_id)
    entries = await service.db.aread(lambda conn: history(conn, recipe_id))
    return HistoryList(history=[_history_body(entry) for entry in entries])
