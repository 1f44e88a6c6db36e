"""Playlist endpoints, shaped after what python-plexapi's Playlist sends and reads."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from plexcrate.simulator import render
from plexcrate.simulator.library import SimLibrary, SimPlaylist
from plexcrate.simulator.listing import page, parse_int, respond
from plexcrate.simulator.messages import Request, Response, empty, error

# server://<machineId>/com.plexapp.plugins.library/library/metadata/1,2,3 (plexapi), or the
# library://<uuid>/item/%2Flibrary%2Fmetadata%2F1 form Plex Web sends.
_URI_KEYS = re.compile(r"/library/metadata/(\d+(?:,\d+)*)")


def _uri_keys(uri: str | None) -> list[int] | None:
    """Rating keys named by a playlist ``uri``; None when it names none (or a smart query)."""
    if not uri:
        return None
    match = _URI_KEYS.search(unquote(uri))
    return [int(k) for k in match.group(1).split(",")] if match else None


def list_playlists(lib: SimLibrary, req: Request) -> Response:
    wanted_type = req.param("playlistType")
    title = (req.param("title") or "").casefold()
    with lib.lock:
        found = [
            p
            for p in lib.playlists.values()
            if wanted_type in (None, p.playlist_type) and title in p.title.casefold()
        ]
        container = page(lib, req, found, {})
    return respond(req, container)


def create(lib: SimLibrary, req: Request) -> Response:
    if req.param("smart") == "1":
        return error(400, "smart playlists are not supported by the simulator")
    if req.param("type", "audio") != "audio":
        return error(400, "only audio playlists are supported")
    keys = _uri_keys(req.param("uri"))
    title = req.param("title")
    if keys is None or not title:
        return error(400, "uri and title are required")
    with lib.lock:
        try:
            playlist = lib.create_playlist(title, keys, summary=req.param("summary") or "")
        except ValueError as exc:
            return error(400, str(exc))
        container = _single(lib, playlist)
    return respond(req, container)


def _single(lib: SimLibrary, playlist: SimPlaylist, **extra: Any) -> dict[str, Any]:
    item = render.Renderer(lib).playlist(playlist)
    return {"size": 1, **extra, "Metadata": [item]}


def get(lib: SimLibrary, req: Request, key: str) -> Response:
    with lib.lock:
        playlist = lib.playlists.get(int(key))
        if playlist is None:
            return error(404)
        container = _single(lib, playlist)
    return respond(req, container)


def edit(lib: SimLibrary, req: Request, key: str) -> Response:
    """``PUT /playlists/{id}?title.value=..`` (plexapi's editTitle/editSummary; the plain
    ``title=``/``summary=`` form works too)."""
    title = req.param("title.value", req.param("title"))
    summary = req.param("summary.value", req.param("summary"))
    with lib.lock:
        if int(key) not in lib.playlists:
            return error(404)
        lib.edit_playlist(int(key), title=title, summary=summary)
    return empty()


def delete(lib: SimLibrary, req: Request, key: str) -> Response:
    with lib.lock:
        if int(key) not in lib.playlists:
            return error(404)
        lib.delete_playlist(int(key))
    return empty()


def items(lib: SimLibrary, req: Request, key: str) -> Response:
    with lib.lock:
        playlist = lib.playlists.get(int(key))
        if playlist is None:
            return error(404)
        entries = list(zip(playlist.item_keys, playlist.item_ids, strict=True))
        attrs = render.Renderer(lib).playlist(playlist)
        attrs = {k: attrs[k] for k in ("ratingKey", "title", "playlistType", "smart",
                                       "composite", "duration", "leafCount")}  # fmt: skip
        container = page(lib, req, entries, attrs, build=_entry)
    return respond(req, container)


def _entry(renderer: render.Renderer, entry: tuple[int, int]) -> dict[str, Any]:
    track_key, item_id = entry
    item = renderer.track(renderer.lib.tracks[track_key])
    item["playlistItemID"] = item_id
    return item


def add_items(lib: SimLibrary, req: Request, key: str) -> Response:
    """``PUT /playlists/{id}/items?uri=...``: append (albums/artists expand to tracks; keys
    that name nothing are left out, as on PMS)."""
    keys = _uri_keys(req.param("uri"))
    if keys is None:
        return error(400, "uri is required")
    with lib.lock:
        if int(key) not in lib.playlists:
            return error(404)
        # PMS adds the keys that exist and answers 200; a key that names nothing counts as
        # one item requested that did not land.
        missing = sum(1 for k in keys if k not in lib.tracks and k not in lib.albums
                      and k not in lib.artists)  # fmt: skip
        try:
            added = lib.add_playlist_items(int(key), keys)
        except ValueError as exc:
            return error(400, str(exc))
        extra = {"leafCountAdded": added, "leafCountRequested": added + missing}
        container = _single(lib, lib.playlists[int(key)], **extra)
    return respond(req, container)


def clear(lib: SimLibrary, req: Request, key: str) -> Response:
    with lib.lock:
        if int(key) not in lib.playlists:
            return error(404)
        lib.clear_playlist(int(key))
        container = _single(lib, lib.playlists[int(key)])
    return respond(req, container)


def remove_item(lib: SimLibrary, req: Request, key: str, item_id: str) -> Response:
    """``DELETE /playlists/{id}/items/{playlistItemID}`` (plexapi's removeItems)."""
    with lib.lock:
        playlist = lib.playlists.get(int(key))
        if playlist is None or int(item_id) not in playlist.item_ids:
            return error(404)
        lib.remove_playlist_item(int(key), int(item_id))
        container = _single(lib, playlist)
    return respond(req, container)


def move_item(lib: SimLibrary, req: Request, key: str, item_id: str) -> Response:
    """``PUT /playlists/{id}/items/{playlistItemID}/move?after=..`` (plexapi's moveItem)."""
    after = parse_int(req.param("after"), None)
    with lib.lock:
        playlist = lib.playlists.get(int(key))
        if playlist is None or int(item_id) not in playlist.item_ids:
            return error(404)
        if after is not None and after not in playlist.item_ids:
            return error(400, "after is not an item of this playlist")
        lib.move_playlist_item(int(key), int(item_id), after)
        container = _single(lib, playlist)
    return respond(req, container)
