"""``create_app``: the FastAPI app, with a lifespan that opens the cache and watches Plex.

Startup only reads the cache's one-row state; everything that talks to Plex (the probe, the
server-change and staleness checks, any sync) runs in the background, so the app answers at once
even when Plex is slow or down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request

from plexcrate import __version__
from plexcrate.cache.database import open_or_replace
from plexcrate.config import Settings
from plexcrate.sync.engine import SyncOptions
from plexcrate.web import art, browse, playlists, recipes, search, setup, signin
from plexcrate.web.api import router
from plexcrate.web.art_store import ArtStore
from plexcrate.web.errors import install_error_handlers
from plexcrate.web.limits import READ_BUDGET_S
from plexcrate.web.security import protect
from plexcrate.web.service import LibraryService
from plexcrate.web.watch import Watching

STATIC_DIR = Path(__file__).parent / "static"
# The page's own addresses (js/router.js): each serves the page, which shows that view. An id
# that is not a number is no page of ours (a 404, like any unknown path).
PAGE_PATHS = (
    "/albums",
    "/artists",
    "/recipes",
    "/albums/{rating_key:int}",
    "/artists/{rating_key:int}",
)

log = logging.getLogger(__name__)

# Seconds after the start before the query engine and the search index are built ahead.
WARM_AFTER_S = 1.0


def create_app(
    settings: Settings,
    *,
    probe_interval: float | None = None,
    sync_options: SyncOptions | None = None,
    clock: Callable[[], float] = time.time,
    read_budget_s: float = READ_BUDGET_S,
) -> FastAPI:
    """The web app for ``settings``.

    ``probe_interval`` (seconds; default ``settings.probe_interval``), ``sync_options``
    (page size, workers) and ``read_budget_s`` (``limits.py``) are there for tests; ``clock``
    decides what "now" is for staleness.
    """
    interval = probe_interval if probe_interval is not None else settings.probe_interval

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db, note = open_or_replace(settings.cache_path)
        if note:
            log.warning("%s", note)
        service = LibraryService(
            settings,
            db,
            options=sync_options,
            clock=clock,
            notice=note,
            read_budget_s=read_budget_s,
        )
        await service.reload_state()
        # Once the server answers: a build at 500,000 tracks takes seconds of the GIL, and
        # the first status answer (the page's first paint) should not wait behind it.
        warming = asyncio.get_running_loop().call_later(WARM_AFTER_S, service.warm_in_background)
        watching = Watching(service, interval=interval)
        app.state.library, app.state.watching = service, watching
        store = ArtStore(settings.art_path, max_bytes=int(settings.art_cache_mb * 2**20))
        app.state.art = art.ArtService(
            service, store, max_picture_bytes=int(settings.art_max_picture_mb * 2**20)
        )
        watching.start()
        try:
            yield
        finally:
            warming.cancel()
            await watching.stop()
            app.state.art.close()
            await service.close()

    app = FastAPI(
        title="plexcrate",
        version=__version__,
        summary="A fast local mirror of a Plex music library.",
        lifespan=lifespan,
        # No /docs or /redoc: they load scripts from a CDN and run inline ones, which the
        # Content-Security-Policy forbids. /openapi.json stays, for any OpenAPI viewer.
        docs_url=None,
        redoc_url=None,
    )
    protect(app, settings)  # Host, password, Origin and JSON checks; security headers
    install_error_handlers(app)
    app.include_router(router)
    app.include_router(browse.router)
    app.include_router(search.router)
    app.include_router(playlists.router)
    app.include_router(recipes.router)
    app.include_router(art.router)
    app.include_router(setup.router)
    app.include_router(signin.router)
    for path in PAGE_PATHS:
        app.add_route(path, _index_page, methods=["GET"], include_in_schema=False)
    # Last, so the API comes first; the UI adds its modules and CSS to this folder.
    app.mount("/", StaticFiles(directory=STATIC_DIR, html=True), name="static")
    return app


async def _index_page(request: Request) -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html")
