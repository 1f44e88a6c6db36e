"""Album, artist and playlist art, fetched from Plex on the server side and kept on disk.

``GET /api/art/{rating_key}?size=N`` serves a track's (its album's), an album's or an artist's
art; ``GET /api/playlists/{id}/art?size=N`` a playlist's. The browser never talks to Plex and
never sees the token: plexcrate asks Plex's photo transcoder for the picture at that size, keeps
the bytes on disk (``art_store.py``, bounded by ``PLEXCRATE_ART_CACHE_MB``) and serves them with
an ETag, so a browser that has the picture gets a 304. A picture larger than
``PLEXCRATE_ART_MAX_PICTURE_MB`` (5) is refused (the placeholder stands in) and never kept; a
kept one is streamed from its file, never read whole into memory.

- Nothing here waits on the event loop: the cache lookup and the disk read run on a reader
  thread, each Plex request on a daemon thread, at most ``MAX_FETCHES`` at once; concurrent
  requests for the same picture share one fetch.
- With Plex offline, pictures on disk are still served. An item without art, or one whose art
  Plex can't give right now, gets a placeholder (``placeholder.py``), made without asking Plex;
  after a failed connection Plex is left alone for ``OFFLINE_PAUSE`` seconds, so scrolling a
  long list with Plex down costs no pile of doomed requests.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, BinaryIO

from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import AfterValidator, WithJsonSchema

from plexcrate.plex.client import Image, PlexClient
from plexcrate.plex.errors import PlexBadResponse, PlexError, PlexTooLarge
from plexcrate.web.art_store import ArtStore, sniff
from plexcrate.web.errors import VALIDATION_RESPONSES, error_response
from plexcrate.web.models import ErrorBody
from plexcrate.web.placeholder import placeholder_svg
from plexcrate.web.service import LibraryService
from plexcrate.web.threads import in_daemon_thread

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api", tags=["art"])

SIZES = (64, 128, 256, 512)
MAX_FETCHES = 3  # Plex requests for art in flight at once
OFFLINE_PAUSE = 15.0  # seconds without asking Plex after it could not be reached
MISSING_FOR = 600.0  # seconds a picture Plex said it doesn't have is not asked for again
MAX_MISSING = 10_000
ART_TIMEOUT = 10.0  # seconds; a picture is not worth the sync's patience
# The browser keeps a picture an hour, then asks again with its ETag (a 304 if unchanged).
KEPT = "private, max-age=3600"
# A stand-in for art Plex could not give just now: asked for again next time.
RETRY = "no-cache"
MAX_KEY = 2**53 - 1

SVG = "image/svg+xml"
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif", SVG)


def _check_size(size: int) -> int:
    if size not in SIZES:
        choices = ", ".join(str(s) for s in SIZES)
        raise ValueError(f"must be one of {choices} (pixels), not {size}")
    return size


Size = Annotated[
    int,
    AfterValidator(_check_size),
    WithJsonSchema({"type": "integer", "enum": list(SIZES)}),
]
SizeQuery = Annotated[Size, Query(description="Width and height in pixels.")]
IfNoneMatch = Annotated[str | None, Header(include_in_schema=False)]

ART_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The picture, or a placeholder (SVG) for an item without art.",
        "content": {media_type: {} for media_type in IMAGE_TYPES},
    },
    304: {"description": "The browser's copy (its If-None-Match) is still the picture."},
    404: {"model": ErrorBody, "description": "No such item in the library."},
    **VALIDATION_RESPONSES,
}


@dataclass(frozen=True, slots=True)
class ArtSource:
    name: str  # what the placeholder shows the initials of
    thumb: str | None  # Plex's path to the art; None when the item has none


# A track shows its album's art, named after its album.
_LOOKUP = """
    SELECT title, thumb FROM albums WHERE rating_key = :key
    UNION ALL SELECT title, thumb FROM artists WHERE rating_key = :key
    UNION ALL SELECT t.album, a.thumb FROM tracks t LEFT JOIN albums a ON a.rating_key = t.album_key
        WHERE t.rating_key = :key
    LIMIT 1"""


class ArtService:
    """Serves art for the routes below; one per app (``app.state.art``)."""

    def __init__(
        self, library: LibraryService, store: ArtStore, max_picture_bytes: int = 5 * 2**20
    ) -> None:
        self.library = library
        self.store = store
        # A larger picture is refused (placeholder) and never kept: Plex's "thumbnails" have
        # been seen at 64 MB, and every one in flight is held in memory.
        self.max_picture_bytes = max_picture_bytes
        self._fetches: dict[str, asyncio.Future[Image | None]] = {}
        self._slots = asyncio.Semaphore(MAX_FETCHES)
        self._client: PlexClient | None = None
        self._client_for: tuple[str, str] | None = None
        self._quiet_until = 0.0  # Plex is not asked before this (time.monotonic())
        self._missing: dict[str, float] = {}  # picture key → until when Plex is not asked
        self._playlists: dict[int, ArtSource] = {}  # as Plex last listed them

    # --- what to show -------------------------------------------------------------------------

    async def item(self, rating_key: int, size: int, if_none_match: str | None) -> Response:
        def read(conn: sqlite3.Connection) -> tuple[ArtSource | None, Stored | None]:
            row = conn.execute(_LOOKUP, {"key": rating_key}).fetchone()
            source = ArtSource(row[0] or "", row[1] or None) if row else None
            cached = None
            if source and source.thumb and not _matches(if_none_match, _etag(source, size)):
                cached = _stored(self.store, picture_key(source.thumb, size))
            return source, cached

        source, cached = await self.library.db.aread(read)
        if source is None:
            return error_response(404, f"rating_key: the library has no item {rating_key}.")
        return await self._answer(source, size, if_none_match, cached)

    def know_playlists(self, playlists: list[tuple[int, str, str | None]]) -> None:
        """What Plex listed (id, title, composite path): the playlists' art, without asking."""
        self._playlists = {pid: ArtSource(title, composite) for pid, title, composite in playlists}

    async def playlist(self, playlist_id: int, size: int, if_none_match: str | None) -> Response:
        source = self._playlists.get(playlist_id)
        if source is None and self._may_ask_plex():
            source = await self._learn_playlist(playlist_id)
        if source is None:  # not known, and Plex can't say: a plain placeholder, asked again
            return _placeholder(ArtSource("", None), size, RETRY)
        cached = None
        if source.thumb and not _matches(if_none_match, _etag(source, size)):
            key = picture_key(source.thumb, size)
            cached = await self.library.db.aread(lambda _conn: _stored(self.store, key))
        return await self._answer(source, size, if_none_match, cached)

    async def _answer(
        self, source: ArtSource, size: int, if_none_match: str | None, cached: Stored | None
    ) -> Response:
        if source.thumb is None:
            return _placeholder(source, size, KEPT)
        etag = _etag(source, size)
        if _matches(if_none_match, etag):
            return Response(status_code=304, headers={"ETag": etag, "Cache-Control": KEPT})
        if cached is not None:
            return _streamed(cached, etag)
        image = await self._fetch(source.thumb, size)
        if image is None:
            return _placeholder(source, size, RETRY)
        return _picture(image.data, image.content_type, etag)

    # --- asking Plex ----------------------------------------------------------------------------

    def _may_ask_plex(self) -> bool:
        return (
            self.library.settings.plex_configured
            and self.library.plex_connected is not False
            and time.monotonic() >= self._quiet_until
        )

    async def _fetch(self, thumb: str, size: int) -> Image | None:
        """The picture from Plex (kept on disk too), or None if Plex can't give it now. One
        fetch per picture, however many ask for it at once."""
        key = picture_key(thumb, size)
        if self._missing.get(key, 0.0) > time.monotonic() or not self._may_ask_plex():
            return None
        pending = self._fetches.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._fetch_now(key, thumb, size))
            self._fetches[key] = pending
            pending.add_done_callback(lambda _: self._fetches.pop(key, None))
        # Shielded: a browser that stops waiting (a row scrolled away) doesn't cancel the fetch
        # the other requests for the picture are waiting on.
        return await asyncio.shield(pending)

    async def _fetch_now(self, key: str, thumb: str, size: int) -> Image | None:
        async with self._slots:
            if not self._may_ask_plex():  # Plex went away while this waited for a slot
                return None
            client = self._plex_client()

            def fetch_and_keep() -> Image:
                image = client.image(thumb, size, max_bytes=self.max_picture_bytes)
                if sniff(image.data):
                    self.store.put(key, image.data)
                return image

            try:
                return await in_daemon_thread(fetch_and_keep, name="plex-art")
            except PlexError as error:
                self._failed(key, error)
            except Exception:  # a picture is never worth a 500: the placeholder stands in
                log.exception("Fetching art for %s failed unexpectedly", thumb)
            return None

    async def _learn_playlist(self, playlist_id: int) -> ArtSource | None:
        client = self._plex_client()
        try:
            found = await in_daemon_thread(lambda: client.playlist(playlist_id), name="plex-art")
        except PlexError as error:
            self._failed(None, error)
            return None
        source = ArtSource(found.title, found.composite)
        self._playlists[playlist_id] = source
        return source

    def _failed(self, key: str | None, error: PlexError) -> None:
        if isinstance(error, PlexTooLarge):
            log.info("Art refused: %s", error)
        if isinstance(error, PlexTooLarge) or (
            isinstance(error, PlexBadResponse) and error.status in (404, 400)
        ):
            if key is not None:  # Plex has no such picture: not asked again for a while
                if len(self._missing) >= MAX_MISSING:
                    self._missing.clear()
                self._missing[key] = time.monotonic() + MISSING_FOR
            return
        log.info("Art could not be fetched: %s", error)
        self._quiet_until = time.monotonic() + OFFLINE_PAUSE

    def _plex_client(self) -> PlexClient:
        """A client kept for art (keep-alive connections), renewed when the server changes."""
        settings = self.library.settings
        assert settings.plex_url and settings.plex_token
        wanted = (settings.plex_url, settings.plex_token)
        if self._client is None or self._client_for != wanted:
            if self._client is not None:
                self._client.close()
            timeout = min(settings.plex_timeout, ART_TIMEOUT)
            self._client = PlexClient.from_settings(settings, timeout=timeout, retries=0)
            self._client_for = wanted
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def picture_key(thumb: str, size: int) -> str:
    """The name of a picture on disk: one per art path and size, whatever item shows it."""
    return hashlib.sha256(f"{size}@{thumb}".encode()).hexdigest()[:40]


def _etag(source: ArtSource, size: int) -> str:
    assert source.thumb is not None
    return f'"a{picture_key(source.thumb, size)[:24]}"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in tags or "*" in tags


@dataclass(frozen=True, slots=True)
class Stored:
    """A picture on disk, open: served from its file a chunk at a time, never read whole."""

    file: BinaryIO
    media_type: str
    size: int


STREAM_CHUNK = 64 * 1024


def _stored(store: ArtStore, key: str) -> Stored | None:
    """The picture ``key`` from the disk, opened, with its type and size (on a reader)."""
    opened = store.open(key)
    if opened is None:
        return None
    try:
        media_type = sniff(opened.read(16)) or "image/jpeg"
        opened.seek(0)
        size = os.fstat(opened.fileno()).st_size
    except OSError:
        opened.close()
        return None
    return Stored(opened, media_type, size)


def _streamed(stored: Stored, etag: str) -> Response:
    def chunks() -> Iterator[bytes]:
        with stored.file:  # read on the thread pool, a chunk at a time
            while chunk := stored.file.read(STREAM_CHUNK):
                yield chunk

    headers = {"ETag": etag, "Cache-Control": KEPT, "Content-Length": str(stored.size)}
    return StreamingResponse(chunks(), media_type=stored.media_type, headers=headers)


def _picture(data: bytes, media_type: str, etag: str) -> Response:
    return Response(data, media_type=media_type, headers={"ETag": etag, "Cache-Control": KEPT})


def _placeholder(source: ArtSource, size: int, cache_control: str) -> Response:
    digest = hashlib.sha256(f"{size}@{source.name}".encode()).hexdigest()[:24]
    headers = {"ETag": f'"p{digest}"', "Cache-Control": cache_control}
    return Response(placeholder_svg(source.name, size), media_type=SVG, headers=headers)


def _service(request: Request) -> ArtService:
    return request.app.state.art


@router.get("/art/{rating_key}", response_class=Response, responses=ART_RESPONSES)
async def item_art(
    request: Request,
    rating_key: Annotated[int, Path(ge=1, le=MAX_KEY, description="A track, album or artist.")],
    size: SizeQuery = 128,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """A track's (its album's), an album's or an artist's art, square, from Plex or the disk."""
    return await _service(request).item(rating_key, size, if_none_match)


@router.get(
    "/playlists/{playlist_id}/art",
    response_class=Response,
    responses={k: v for k, v in ART_RESPONSES.items() if k != 404},
    tags=["playlists"],
)
async def playlist_art(
    request: Request,
    playlist_id: Annotated[int, Path(ge=1, le=MAX_KEY)],
    size: SizeQuery = 128,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """A Plex playlist's art (the mosaic Plex makes of its covers)."""
    return await _service(request).playlist(playlist_id, size, if_none_match)
