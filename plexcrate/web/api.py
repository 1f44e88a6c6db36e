"""The HTTP routes: thin, they validate (``params``), delegate, and declare their models."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from plexcrate import __version__
from plexcrate.cache.filters import FACET_KINDS, FILTERS, Facet, TrackFilter
from plexcrate.cache.queries import SORTS, Order, Sort
from plexcrate.cache.rules import FIELDS
from plexcrate.cache.tags import KINDS, TagKind
from plexcrate.web import reads
from plexcrate.web.errors import (
    BODY_RESPONSES,
    BUSY_RESPONSES,
    VALIDATION_RESPONSES,
    error_response,
)
from plexcrate.web.models import (
    ErrorBody,
    FacetValues,
    FilterDeclarations,
    Health,
    LibraryStatsBody,
    LibraryStatus,
    SyncReason,
    SyncRequest,
    SyncStarted,
    TrackPageBody,
    TrackQuery,
)
from plexcrate.web.params import (
    MAX_FACET_VALUES,
    MAX_OFFSET,
    MAX_PAGE,
    MAX_SEED,
    FilterBody,
    SortName,
    to_filter,
    track_filter,
)
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
    sort: Annotated[
        SortName | None,
        Query(
            description="`default`: Plex's order (album artist, album, disc, track); `random`: a "
            "shuffle that pages by its `seed`; or `title`, `artist`, `album`, `year`, `added`, "
            "`rating`, `plays`, `last_played`, `duration`, descending with a leading `-`. Ties "
            "keep Plex's order; tracks missing the value come last."
        ),
    ] = None,
    order: Annotated[
        Order,
        Query(description="The older form of `sort`: `default` or `random`. `sort` wins."),
    ] = Order.DEFAULT,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Tracks per page.")] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Tracks to skip.")] = 0,
    seed: Annotated[
        int | None,
        Query(ge=0, le=MAX_SEED, description="The shuffle to page (random order only)."),
    ] = None,
    include_unavailable: Annotated[
        bool,
        Query(
            description="Also list the tracks in Plex's trash (files deleted or unreachable), "
            "marked `unavailable`, after the available ones (the filters and sort apply to "
            "each); `total` counts both."
        ),
    ] = False,
) -> Response:
    """One page of the cached tracks matching the filters, and how many match in all."""
    chosen = Sort(sort.value if sort is not None else order.value)
    body = await reads.track_page_json(
        service.reads,
        flt,
        sort=chosen,
        limit=limit,
        offset=offset,
        seed=seed,
        include_unavailable=include_unavailable,
    )
    return json_bytes(body)


@router.post(
    "/tracks/query",
    response_model=TrackPageBody,
    tags=["tracks"],
    responses={**BODY_RESPONSES, **VALIDATION_RESPONSES, **BUSY_RESPONSES},
)
async def post_track_query(service: Library, body: TrackQuery) -> Response:
    """Like GET /api/tracks with a `rule`, the rule in a JSON body: for long rules."""
    if body.sort not in SORTS:
        return error_response(422, f"sort: must be one of {', '.join(SORTS)}, not {body.sort!r}")
    flt = to_filter(FilterBody(), body.rule)
    page = await reads.track_page_json(
        service.reads,
        flt,
        sort=Sort(body.sort),
        limit=body.limit,
        offset=body.offset,
        seed=body.seed,
        include_unavailable=body.include_unavailable,
    )
    return json_bytes(page)


@router.get(
    "/library/stats",
    response_model=LibraryStatsBody,
    tags=["library"],
    responses={**VALIDATION_RESPONSES, **BUSY_RESPONSES},
)
async def get_stats(
    service: Library,
    flt: Filter,
    facets: Annotated[
        list[Facet],
        Query(
            default_factory=list,
            max_length=len(Facet),
            description="The facets to count (repeat it for several); all of them when none is "
            "named. Those not asked for come back empty: a page that shows two facets need not "
            "wait for the others.",
        ),
    ],
) -> Response:
    """Track counts per value of each kind of tag with a facet (genres, styles, moods…) and per
    decade for the filters, as /api/tracks would total them."""
    chosen = frozenset(facets or Facet)
    return json_bytes(await reads.stats_json(service.reads, flt, chosen))


FACET_OF_KIND: dict[TagKind, Facet] = {kind: facet for facet, kind in FACET_KINDS.items()}


@router.get(
    "/library/facets/{kind}",
    response_model=FacetValues,
    tags=["library"],
    responses={**VALIDATION_RESPONSES, **BUSY_RESPONSES},
)
async def get_facet_values(
    service: Library,
    flt: Filter,
    kind: TagKind,
    q: Annotated[
        str, Query(max_length=200, description="Part of a name to find (case doesn't matter).")
    ] = "",
    limit: Annotated[int, Query(ge=1, le=MAX_FACET_VALUES, description="Values, at most.")] = 50,
) -> Response:
    """The values of one kind of tag (for libraries with thousands of them), each with the
    tracks it would total under every other filter. Every filter of /api/tracks applies but
    `q`, which here finds the values by name."""
    body = await reads.facet_values_json(
        service.reads,
        flt.without("q"),
        kind,
        facet=FACET_OF_KIND.get(kind),
        search=q.strip(),
        limit=limit,
    )
    return json_bytes(body)


@router.get("/filters", response_model=FilterDeclarations, tags=["library"])
async def get_filters() -> FilterDeclarations:
    """Every filter the library takes, with its type, bounds and help: what the browser builds
    its query strings from."""
    return FilterDeclarations.model_validate(
        {
            "filters": [spec.describe() for spec in FILTERS],
            "fields": [spec.describe() for spec in FIELDS],
            "sorts": list(SORTS),
            "facet_kinds": [kind.value for kind in TagKind],
            "tag_kinds": [
                {
                    "name": spec.name,
                    "one": spec.one,
                    "many": spec.many,
                    "facet": spec.facet,
                    "phrase": spec.phrase,
                    "exclude_phrase": spec.exclude_phrase,
                }
                for spec in KINDS
            ],
        }
    )


@router.get("/health", response_model=Health, tags=["service"])
async def get_health() -> Health:
    """For container health checks and monitors: answers whenever the app runs."""
    return Health(status="ok", version=__version__)


# HEAD answers like GET, for monitors that only look at the status; one operation in the document.
router.add_api_route(
    "/health", get_health, methods=["HEAD"], response_model=Health, include_in_schema=False
)
