"""Server, section, metadata, rating and scrobble endpoints."""

from __future__ import annotations

from typing import Any

from plexcrate.simulator import render
from plexcrate.simulator.library import MUSIC, TAG_LISTS, SimLibrary, SimSection
from plexcrate.simulator.listing import page, parse_int, respond
from plexcrate.simulator.messages import Request, Response, empty, error
from plexcrate.simulator.query import KIND_BY_TYPE, TYPE_ALBUM, TYPE_ARTIST, select, title_sort

_MOVIE_TYPE = 1


def root(lib: SimLibrary, req: Request) -> Response:
    with lib.lock:
        container = render.server_root(lib)
    return respond(req, container)


def identity(lib: SimLibrary, req: Request) -> Response:
    return respond(req, render.identity(lib))


def library(lib: SimLibrary, req: Request) -> Response:
    container = {
        "size": 3,
        "allowSync": False,
        "art": "/:/resources/library-art.png",
        "content": "",
        "identifier": render.LIBRARY_IDENTIFIER,
        "mediaTagPrefix": "/system/bundle/media/flags/",
        "mediaTagVersion": render.MEDIA_TAG_VERSION,
        "title1": "Plex Library",
        "title2": "",
        "Directory": [
            {"key": "sections", "title": "Library Sections"},
            {"key": "recentlyAdded", "title": "Recently Added Content"},
            {"key": "onDeck", "title": "On Deck Content"},
        ],
    }
    return respond(req, container)


def sections(lib: SimLibrary, req: Request) -> Response:
    with lib.lock:
        directories = [render.section_directory(s) for s in lib.sections]
    container = {"size": len(directories), "allowSync": False, "title1": "Plex Library"}
    return respond(req, {**container, "Directory": directories})


def section(lib: SimLibrary, req: Request, section_id: str) -> Response:
    found = lib.section(int(section_id))
    if found is None:
        return error(404)
    music = found.kind == MUSIC
    views = (
        [("all", "All Artists"), ("albums", "By Album"), ("genre", "By Genre")]
        if music
        else [("all", "All Movies"), ("genre", "By Genre")]
    )
    container = {
        "size": len(views),
        "allowSync": False,
        "art": f"/:/resources/{'artist' if music else 'movie'}-fanart.jpg",
        "content": "secondary",
        "identifier": render.LIBRARY_IDENTIFIER,
        "librarySectionID": found.id,
        "librarySectionTitle": found.title,
        "librarySectionUUID": found.uuid,
        "title1": found.title,
        "viewGroup": "secondary",
        "Directory": [{"key": key, "title": title} for key, title in views],
    }
    return respond(req, container)


def section_all(lib: SimLibrary, req: Request, section_id: str) -> Response:
    found = lib.section(int(section_id))
    if found is None:
        return error(404)
    default_type = TYPE_ARTIST if found.kind == MUSIC else _MOVIE_TYPE
    type_num = parse_int(req.param("type"), default_type) or default_type
    return _section_listing(lib, req, found, type_num)


def section_albums(lib: SimLibrary, req: Request, section_id: str) -> Response:
    found = lib.section(int(section_id))
    if found is None:
        return error(404)
    return _section_listing(lib, req, found, TYPE_ALBUM)


def _section_listing(lib: SimLibrary, req: Request, found: SimSection, type_num: int) -> Response:
    kind = KIND_BY_TYPE.get(type_num, "movie")
    collections = req.param("includeCollections") != "0"
    with lib.lock:
        items = select(lib, found.id, type_num, req.pairs, req.param("sort"), collections)
        attrs = render.library_container(lib, found, kind)
        if req.param("includeMeta") == "1" and found.kind == MUSIC:
            attrs["Meta"] = render.filter_meta(found.id)
        container = page(lib, req, items, attrs)
    return respond(req, container)


def section_collections(lib: SimLibrary, req: Request, section_id: str) -> Response:
    """The section's collections (plexapi asks for them while loading filter metadata)."""
    found = lib.section(int(section_id))
    if found is None:
        return error(404)
    with lib.lock:
        items = sorted(
            (c for c in lib.collections.values() if c.section_id == found.id),
            key=lambda c: (title_sort(c.title), c.rating_key),
        )
        container = page(lib, req, items, render.library_container(lib, found, "collection"))
    return respond(req, container)


def section_tags(lib: SimLibrary, req: Request, section_id: str, kind: str) -> Response:
    """A filter's values (``/library/sections/1/subformat?type=9``): every tag of that kind
    the section's items of that type carry, by name, each with its id (``key``) and the
    listing of the items having it (``fastKey``). What plexapi's listFilterChoices reads."""
    found = lib.section(int(section_id))
    if found is None:
        return error(404)
    type_num = parse_int(req.param("type"), TYPE_ARTIST) or TYPE_ARTIST
    attr = {k: a for lists in TAG_LISTS.values() for k, a in lists}[kind]
    with lib.lock:
        items = select(lib, found.id, type_num, [])
        names = sorted({tag for item in items for tag in getattr(item, attr, ())})
        choices = [_tag_choice(lib, found.id, type_num, kind, name) for name in names]
        container = page(lib, req, choices, {}, build=lambda _, choice: choice, key="Directory")
    return respond(req, container)


def _tag_choice(lib: SimLibrary, section_id: int, type_num: int, kind: str, name: str) -> dict:
    tag_id = lib.tag_id(kind, name)
    return {
        "fastKey": f"/library/sections/{section_id}/all?type={type_num}&{kind}={tag_id}",
        "key": str(tag_id),
        "title": name,
        "type": kind,
    }


def section_edit(lib: SimLibrary, req: Request, section_id: str) -> Response:
    """``PUT /library/sections/{id}/all?type=10&id=1,2&title.value=...`` (plexapi's edits)."""
    kind = KIND_BY_TYPE.get(parse_int(req.param("type"), 0) or 0)
    given = [parse_int(v, None) for v in (req.param("id") or "").split(",")]
    ids = [key for key in given if key is not None]
    if kind is None or not ids or len(ids) != len(given):
        return error(400, "type and id are required")
    fields = _edit_fields(kind, req.params)
    edit = {"track": lib.edit_track, "album": lib.edit_album, "artist": lib.edit_artist}[kind]
    sources: dict[str, dict[int, Any]] = {
        "track": lib.tracks,
        "album": lib.albums,
        "artist": lib.artists,
    }
    source = sources[kind]
    with lib.lock:
        if any(key not in source for key in ids):
            return error(404)
        for key in ids:
            edit(key, **fields)
    return empty()


_EDITABLE = {
    "track": {"title": "title", "originalTitle": "original_title", "index": "index"},
    "album": {"title": "title", "year": "year"},
    "artist": {"title": "title"},
}
_INT_FIELDS = {"index", "year"}


def _edit_fields(kind: str, params: dict[str, str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, attr in _EDITABLE[kind].items():
        value = params.get(f"{name}.value")
        if value is None:
            continue
        if attr in _INT_FIELDS:
            fields[attr] = parse_int(value, None)
        elif attr == "original_title":
            fields[attr] = value or None  # an emptied field is unset, not ""
        else:
            fields[attr] = value
    return fields


def metadata(lib: SimLibrary, req: Request, ids: str) -> Response:
    """``/library/metadata/1,2,3``: the items that exist, in the order asked; 404 if none."""
    keys = [int(k) for k in ids.split(",") if k]
    with lib.lock:
        found = [obj for obj in map(_lookup(lib), keys) if obj is not None]
        if not found:
            return error(404)
        container = page(lib, req, found, _item_container(lib, found[0]), complete=True)
    return respond(req, container)


def empty_trash(lib: SimLibrary, req: Request, section_id: str) -> Response:
    """``PUT /library/sections/{id}/emptyTrash``: what is in the section's trash goes."""
    section = lib.section(int(section_id))
    if section is None:
        return error(404)
    lib.empty_trash(section.id)
    return empty()


def metadata_delete(lib: SimLibrary, req: Request, ids: str) -> Response:
    with lib.lock:
        for key in (int(k) for k in ids.split(",") if k):
            if key in lib.tracks:
                lib.delete_track(key)
            elif key in lib.albums:
                lib.delete_album(key)
            elif key in lib.artists:
                lib.delete_artist(key)
            else:
                return error(404)
    return empty()


def children(lib: SimLibrary, req: Request, key: str) -> Response:
    """Album -> tracks in disc/track order; artist -> albums; anything else -> empty."""
    rating_key = int(key)
    with lib.lock:
        parent = _lookup(lib)(rating_key)
        if parent is None:
            return error(404)
        if rating_key in lib.albums:
            items: list[Any] = [lib.tracks[k] for k in lib.album_track_keys(rating_key)]
        elif rating_key in lib.artists:
            items = [lib.albums[k] for k in lib.artist_albums.get(rating_key, [])]
        else:
            items = []
        container = page(lib, req, items, _parent_container(lib, parent))
    return respond(req, container)


def all_leaves(lib: SimLibrary, req: Request, key: str) -> Response:
    """Every track under an artist or album (plexapi's ``artist.tracks()``)."""
    rating_key = int(key)
    with lib.lock:
        parent = _lookup(lib)(rating_key)
        if parent is None:
            return error(404)
        album_keys = lib.artist_albums.get(rating_key, [rating_key])
        items = [lib.tracks[k] for a in album_keys for k in lib.album_track_keys(a)]
        container = page(lib, req, items, _parent_container(lib, parent))
    return respond(req, container)


def _lookup(lib: SimLibrary) -> Any:
    def find(key: int) -> Any:
        return lib.tracks.get(key) or lib.albums.get(key) or lib.artists.get(key)

    return find


def _item_container(lib: SimLibrary, first: Any) -> dict[str, Any]:
    found = lib.section(first.section_id)
    return {
        "allowSync": True,
        "identifier": render.LIBRARY_IDENTIFIER,
        "librarySectionID": first.section_id,
        "librarySectionTitle": found.title if found else "",
        "librarySectionUUID": found.uuid if found else "",
        "mediaTagPrefix": "/system/bundle/media/flags/",
        "mediaTagVersion": render.MEDIA_TAG_VERSION,
    }


def _parent_container(lib: SimLibrary, parent: Any) -> dict[str, Any]:
    attrs = _item_container(lib, parent)
    attrs.update(
        key=str(parent.rating_key),
        parentTitle=getattr(parent, "title", ""),
        title1=getattr(parent, "title", ""),
        viewGroup="track" if parent.rating_key in lib.albums else "album",
    )
    return attrs


def rate(lib: SimLibrary, req: Request) -> Response:
    """``/:/rate?key=..&identifier=com.plexapp.plugins.library&rating=N`` (-1 clears)."""
    key = parse_int(req.param("key"), None)
    try:
        rating = float(req.param("rating") or "")
    except ValueError:
        return error(400, "rating is required")
    with lib.lock:
        if key is None or _lookup(lib)(key) is None:
            return error(404)
        if key not in lib.tracks:
            return error(400, "the simulator only rates tracks")
        if rating > 10:
            return error(400, "rating must be between 0 and 10")
        lib.rate_track(key, None if rating < 0 else rating)
    return empty()


def scrobble(lib: SimLibrary, req: Request) -> Response:
    return _play_state(lib, req, played=True)


def unscrobble(lib: SimLibrary, req: Request) -> Response:
    return _play_state(lib, req, played=False)


def _play_state(lib: SimLibrary, req: Request, played: bool) -> Response:
    key = parse_int(req.param("key"), None)
    with lib.lock:
        if key is None or _lookup(lib)(key) is None:
            return error(404)
        track_keys = lib.expand_items([key])
        for track_key in track_keys:
            (lib.play_track if played else lib.unplay_track)(track_key)
    return empty()
