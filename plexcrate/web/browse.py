"""Albums and artists: the library grouped, with the track list's filters, sorts and paging,
and an album's or artist's own page."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request, Response

from plexcrate.cache.browse import (
    ALBUMS,
    ARTISTS,
    Grouping,
    album_page,
    artist_page,
    group_order,
    groups_at,
)
from plexcrate.cache.filters import TrackFilter
from plexcrate.cache.queries import Sort
from plexcrate.web.errors import BUSY_RESPONSES, VALIDATION_RESPONSES, error_response
from plexcrate.web.models import AlbumDetail, AlbumsBody, ArtistDetail, ArtistsBody, ErrorBody
from plexcrate.web.params import MAX_OFFSET, MAX_PAGE, MAX_SEED, SortName, track_filter
from plexcrate.web.reads import ORDERS_KEPT, memoized
from plexcrate.web.service import LibraryService

router = APIRouter(prefix="/api", tags=["browse"])

Filter = Annotated[TrackFilter, Depends(track_filter)]
RESPONSES: dict[int | str, dict[str, Any]] = {**VALIDATION_RESPONSES, **BUSY_RESPONSES}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    **RESPONSES,
    404: {"model": ErrorBody, "description": "No such album or artist in the cache."},
}
RatingKey = Annotated[int, Path(ge=1, le=2**53 - 1, description="Plex's id.")]


def _service(request: Request) -> LibraryService:
    return request.app.state.library


Library = Annotated[LibraryService, Depends(_service)]
SortQuery = Annotated[
    SortName | None,
    Query(description="As for /api/tracks, read for a group (see the API's docs)."),
]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Per page.")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="To skip.")]
Seed = Annotated[int | None, Query(ge=0, le=MAX_SEED, description="The shuffle to page.")]


async def _groups(
    service: LibraryService,
    flt: TrackFilter,
    grouping: Grouping,
    name: str,
    sort: Any,
    limit: int,
    offset: int,
    seed: int | None,
) -> Response:
    chosen = Sort(sort.value if sort is not None else "default")
    if chosen.is_random and seed is None:
        seed = secrets.randbelow(MAX_SEED + 1)
    elif not chosen.is_random:
        seed = None

    def read(conn: sqlite3.Connection) -> bytes:
        # Every page of one list reads the same order: it is found once (grouping every
        # matching track), then each page is a slice of it.
        order = memoized(
            conn,
            (name, flt, chosen, seed),
            lambda: group_order(conn, flt, grouping, sort=chosen, seed=seed or 0),
            store="orders",
            room=ORDERS_KEPT,
        )
        items = groups_at(conn, flt, grouping, order[offset : offset + limit])
        return orjson.dumps({"total": len(order), "seed": seed, name: items})

    body = await service.reads.read(read, search=bool(flt.words))
    return Response(body, media_type="application/json")


@router.get("/albums", response_model=AlbumsBody, responses=RESPONSES)
async def get_albums(
    service: Library,
    flt: Filter,
    sort: SortQuery = None,
    limit: Limit = 100,
    offset: Offset = 0,
    seed: Seed = None,
) -> Response:
    """A page of the albums with a track that matches the filters, and how many there are."""
    return await _groups(service, flt, ALBUMS, "albums", sort, limit, offset, seed)


@router.get("/artists", response_model=ArtistsBody, responses=RESPONSES)
async def get_artists(
    service: Library,
    flt: Filter,
    sort: SortQuery = None,
    limit: Limit = 100,
    offset: Offset = 0,
    seed: Seed = None,
) -> Response:
    """A page of the album artists with a track that matches the filters."""
    return await _groups(service, flt, ARTISTS, "artists", sort, limit, offset, seed)


@router.get("/albums/{rating_key}", response_model=AlbumDetail, responses=NOT_FOUND)
async def get_album(service: Library, rating_key: RatingKey) -> Response:
    """An album and its tracks, in disc and track order."""
    return await _page(service, album_page, rating_key, "No album with the id")


@router.get("/artists/{rating_key}", response_model=ArtistDetail, responses=NOT_FOUND)
async def get_artist(service: Library, rating_key: RatingKey) -> Response:
    """An artist and its albums, oldest first."""
    return await _page(service, artist_page, rating_key, "No artist with the id")


async def _page(
    service: LibraryService, read_page: Callable[..., Any], rating_key: int, missing: str
) -> Response:
    def read(conn: sqlite3.Connection) -> bytes | None:
        found = read_page(conn, rating_key)
        return None if found is None else orjson.dumps(found)

    body = await service.reads.read(read)
    if body is None:
        return error_response(404, f"{missing} {rating_key} in the cache.")
    return Response(body, media_type="application/json")
