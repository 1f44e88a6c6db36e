"""Art: an item's thumb, a playlist's composite, and the photo transcoder that resizes them.

As on PMS, ``/photo/:/transcode?width=&height=&minSize=1&upscale=1&url=<thumb path>`` answers
the picture at exactly that size; the path may also be a whole URL of this server. Paths that
name no picture (an unknown item, an item without art) answer 404.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from plexcrate.simulator.images import MAX_SIZE, ORIGINAL_SIZE, art_png, has_art, padded
from plexcrate.simulator.library import SimLibrary
from plexcrate.simulator.listing import parse_int
from plexcrate.simulator.messages import Request, Response, error

PNG = "image/png"
_ITEM_THUMB = re.compile(r"/library/metadata/(\d+)/thumb/\d+")
_PLAYLIST_COMPOSITE = re.compile(r"/playlists/(\d+)/composite/\d+")


def thumb(lib: SimLibrary, req: Request, key: str, stamp: str) -> Response:
    path = f"/library/metadata/{key}/thumb/{stamp}"
    return _picture(lib, path, ORIGINAL_SIZE, ORIGINAL_SIZE)


def composite(lib: SimLibrary, req: Request, key: str, stamp: str) -> Response:
    path = f"/playlists/{key}/composite/{stamp}"
    return _picture(lib, path, ORIGINAL_SIZE, ORIGINAL_SIZE)


def transcode(lib: SimLibrary, req: Request) -> Response:
    width = parse_int(req.param("width"), None)
    height = parse_int(req.param("height"), None)
    url = req.param("url")
    if not url or width is None or height is None:
        return error(400, "url, width and height are required")
    if not (0 < width <= MAX_SIZE and 0 < height <= MAX_SIZE):
        return error(400, f"width and height must be between 1 and {MAX_SIZE}")
    return _picture(lib, urlsplit(url).path, width, height)


def _picture(lib: SimLibrary, path: str, width: int, height: int) -> Response:
    if not _has_picture(lib, path):
        return error(404)
    picture = art_png(path, width, height)
    item = _ITEM_THUMB.fullmatch(path)
    heavy = lib.art_bytes.get(int(item.group(1))) if item else None
    return Response(200, padded(picture, heavy) if heavy else picture, PNG)


def _has_picture(lib: SimLibrary, path: str) -> bool:
    item = _ITEM_THUMB.fullmatch(path)
    if item:
        key = int(item.group(1))
        with lib.lock:
            known = key in lib.albums or key in lib.artists
        return known and has_art(key)
    playlist = _PLAYLIST_COMPOSITE.fullmatch(path)
    if playlist:
        with lib.lock:
            return int(playlist.group(1)) in lib.playlists
    return False
