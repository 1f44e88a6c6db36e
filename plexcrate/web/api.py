"""The HTTP routes: thin, they validate (``params``), delegate, and declare their models."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from plexcrate import __version__
from plexcrate.cache.queries import Order, TrackFilter
from plexcrate.web import reads
from plexcrate.web.errors import (
    BODY_RESPONSES,
    BUSY_RESPONSES,
    VALIDATION_RESPONSES,
    error_response,
)
from plexcrate.web.models import (
    ErrorBody,
    Health,
    LibraryStatsBody,
    LibraryStatus,
    SyncReason,
    SyncRequest,
    SyncStarted,
    TrackPageBody,
)
from plexcrate.web.params import MAX_OFFSET, MAX_PAGE, MAX_SEED, track_filter
from plexcrate.web.service import LibraryService, SyncNotStarted

router = APIRouter(prefix="/api")


def library(request: Request) -> LibraryService:
    return request.app.state.library


Library = Annotated[LibraryService, Depends(library)]
Filter = Annotated[TrackFilter, Depends(track_filter)]


def json_bytes(body: bytes) -> Response:
    return Response(body, media_type="application/json")


@router.get("/library/status", response_model=LibraryStatus, tags=["library"])
async def get_status(service: Library) -> LibraryStatus:
    """The cache and the sync, from memory: it never waits on Plex or on the cache file."""
    return service.status()


@router.post(
    "/library/sync",
    response_model=SyncStarted,
    tags=["library"],
    responses={
        **BODY_RESPONSES,
        409: {
            "model": ErrorBody,
            "description": "A sync is already running, or no Plex server is configured.",
        },
    },
)
async def post_sync(service: Library, body: SyncRequest | None = None) -> SyncStarted | Response:
    """Start a sync in the background; follow it in the status."""
    try:
        blocking = service.start_sync(
            SyncReason.MANUAL,
            full=bool(body and body.full),
            allow_shrink=bool(body and body.allow_shrink),
        )
    except SyncNotStarted as refusal:
        return error_response(409, str(refusal))
    return SyncStarted(blocking=blocking)


@router.get(
    "/tracks",
    response_model=TrackPageBody,
    tags=["tracks"],
    responses={**VALIDATION_RESPONSES, **BUSY_RESPONSES},
)
async def get_tracks(
    service: Library,
    flt: Filter,
    order: Annotated[
        Order,
        Query(
            description="`default`: album artist, album, disc, track (then Plex's id, so pages "
            "never repeat or skip a track); `random`: a shuffle that pages by its `seed`."
        ),
    ] = Order.DEFAULT,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Tracks per page.")] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Tracks to skip.")] = 0,
    seed: Annotated[
        int | None,
        Query(ge=0, le=MAX_SEED, description="The shuffle to page (random order only)."),
    ] = None,
) -> Response:
    """One page of the cached tracks matching the filters, and how many match in all."""
    body = await reads.track_page_json(
        service.reads, flt, order=order, limit=limit, offset=offset, seed=seed
    )
    return json_bytes(body)


@router.get(
    "/library/stats",
    response_model=LibraryStatsBody,
    tags=["library"],
    responses={**VALIDATION_RESPONSES, **BUSY_RESPONSES},
)
async def get_stats(service: Library, flt: Filter) -> Response:
    """Track counts per genre and per decade for the filters, as /api/tracks would total them."""
    return json_bytes(await reads.stats_json(service.reads, flt))


@router.get("/health", response_model=Health, tags=["service"])
async def get_health() -> Health:
    """For container health checks and monitors: answers whenever the app runs."""
    return Health(status="ok", version=__version__)


# HEAD answers like GET, for monitors that only look at the status; one operation in the document.
router.add_api_route(
    "/health", get_health, methods=["HEAD"], response_model=Health, include_in_schema=False
)
