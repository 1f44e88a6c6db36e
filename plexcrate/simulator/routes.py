"""URL routing for the Plex API surface the simulator implements."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from plexcrate.simulator import routes_art as art
from plexcrate.simulator import routes_library as lib_routes
from plexcrate.simulator import routes_playlists as playlists
from plexcrate.simulator.library import SimLibrary
from plexcrate.simulator.messages import Request, Response, error

Handler = Callable[..., Response]
log = logging.getLogger("plexcrate.simulator")

_TABLE: list[tuple[frozenset[str], str, Handler]] = [
    (frozenset({"GET"}), r"/", lib_routes.root),
    (frozenset({"GET"}), r"/identity", lib_routes.identity),
    (frozenset({"GET"}), r"/library", lib_routes.library),
    (frozenset({"GET"}), r"/library/sections", lib_routes.sections),
    (frozenset({"GET"}), r"/library/sections/(\d+)", lib_routes.section),
    (frozenset({"GET"}), r"/library/sections/(\d+)/all", lib_routes.section_all),
    (frozenset({"PUT"}), r"/library/sections/(\d+)/all", lib_routes.section_edit),
    (frozenset({"GET"}), r"/library/sections/(\d+)/albums", lib_routes.section_albums),
    (frozenset({"PUT"}), r"/library/sections/(\d+)/emptyTrash", lib_routes.empty_trash),
    (frozenset({"GET"}), r"/library/sections/(\d+)/collections", lib_routes.section_collections),
    (
        frozenset({"GET"}),
        r"/library/sections/(\d+)/(genre|style|mood|country|format|subformat)",
        lib_routes.section_tags,
    ),
    (frozenset({"GET"}), r"/library/metadata/(\d+(?:,\d+)*),?", lib_routes.metadata),
    (frozenset({"DELETE"}), r"/library/metadata/(\d+)", lib_routes.metadata_delete),
    (frozenset({"GET"}), r"/library/metadata/(\d+)/children", lib_routes.children),
    (frozenset({"GET"}), r"/library/metadata/(\d+)/allLeaves", lib_routes.all_leaves),
    (frozenset({"GET"}), r"/library/metadata/(\d+)/thumb/(\d+)", art.thumb),
    (frozenset({"GET"}), r"/playlists/(\d+)/composite/(\d+)", art.composite),
    (frozenset({"GET"}), r"/photo/:/transcode", art.transcode),
    (frozenset({"GET", "PUT"}), r"/:/rate", lib_routes.rate),
    (frozenset({"GET", "PUT"}), r"/:/scrobble", lib_routes.scrobble),
    (frozenset({"GET", "PUT"}), r"/:/unscrobble", lib_routes.unscrobble),
    (frozenset({"GET"}), r"/playlists", playlists.list_playlists),
    (frozenset({"POST"}), r"/playlists", playlists.create),
    (frozenset({"GET"}), r"/playlists/(\d+)", playlists.get),
    (frozenset({"PUT"}), r"/playlists/(\d+)", playlists.edit),
    (frozenset({"DELETE"}), r"/playlists/(\d+)", playlists.delete),
    (frozenset({"GET"}), r"/playlists/(\d+)/items", playlists.items),
    (frozenset({"PUT"}), r"/playlists/(\d+)/items", playlists.add_items),
    (frozenset({"DELETE"}), r"/playlists/(\d+)/items", playlists.clear),
    (frozenset({"DELETE"}), r"/playlists/(\d+)/items/(\d+)", playlists.remove_item),
    (frozenset({"PUT"}), r"/playlists/(\d+)/items/(\d+)/move", playlists.move_item),
]
_ROUTES = [(methods, re.compile(pattern), handler) for methods, pattern, handler in _TABLE]
# List endpoints: PMS logs a GET of these without X-Plex-Container-Start/-Size, saying it "will
# fail with status code 400 in the future"; a strict simulator refuses it now.
_LISTS = frozenset(
    {
        lib_routes.section_all, lib_routes.section_albums, lib_routes.section_collections,
        lib_routes.section_tags, lib_routes.children, lib_routes.all_leaves,
        playlists.list_playlists, playlists.items,
    }
)  # fmt: skip
UNPAGED_MESSAGE = (
    "Requests to list endpoints without X-Plex-Container-Start and X-Plex-Container-Size "
    "headers will fail with status code 400 in the future"
)


def normalize(path: str) -> str:
    """PMS treats ``/library/sections/`` like ``/library/sections``."""
    return path.rstrip("/") or "/"


def route(lib: SimLibrary, req: Request) -> Response:
    """Dispatch to the matching endpoint; anything unknown is a 404 like on PMS."""
    path = normalize(req.path)
    for methods, pattern, handler in _ROUTES:
        match = pattern.fullmatch(path)
        if match and req.method in methods:
            if req.method == "GET" and handler in _LISTS and not req.paged:
                log.warning("%s: %s", UNPAGED_MESSAGE, path)
                if req.mode.strict:
                    return _unpaged(error(400, UNPAGED_MESSAGE))
                return _unpaged(handler(lib, req, *match.groups()))
            return handler(lib, req, *match.groups())
    return error(404)


def _unpaged(response: Response) -> Response:
    response.unpaged = True
    return response
