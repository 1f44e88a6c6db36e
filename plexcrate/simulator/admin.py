"""Out-of-process control of a running simulator under ``/__simulator__/`` (token required).

* ``POST /__simulator__/faults``      JSON body = ``FaultPlan.inject`` keyword arguments
* ``DELETE /__simulator__/faults``    clear all faults
* ``POST /__simulator__/mutate``      ``{"op": "add_album", "args": {...}}``; ops are the
  ``SimLibrary`` mutation methods, plus ``set_clock`` (``{"now": 1700000000}`` or null); the
  trash: ``trash_track`` / ``restore_track`` (``{"rating_key": k}``), ``empty_trash``;
  ``rekey_track`` (``{"rating_key": k}``: a new key, the same guid)
* ``PUT /__simulator__/latency``      ``Latency`` fields as JSON, or ``null`` for none
* ``GET /__simulator__/stats``        request count and library size
* ``GET|DELETE /__simulator__/requests``  the request log (as JSON) / clear it

Admin requests are not faulted, delayed or logged.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import orjson

from plexcrate.simulator.faults import Latency
from plexcrate.simulator.library import SimAlbum, SimLibrary, wall_clock
from plexcrate.simulator.messages import Request, Response, error, json_response

if TYPE_CHECKING:
    from plexcrate.simulator.server import PlexSimulator

PREFIX = "/__simulator__/"

MUTATIONS = frozenset(
    {
        "add_album", "add_track", "delete_track", "delete_album", "delete_artist",
        "edit_track", "edit_album", "edit_artist", "rate_track", "play_track", "unplay_track",
        "set_machine_identifier", "create_playlist", "add_playlist_items", "edit_playlist",
        "clear_playlist", "delete_playlist", "set_art_bytes", "trash_track", "restore_track",
        "empty_trash", "rekey_track",
    }
)  # fmt: skip


def handle(sim: PlexSimulator, req: Request) -> Response:
    action = (req.method, req.path[len(PREFIX) :].rstrip("/"))
    try:
        body = orjson.loads(req.body) if req.body else None
        if action == ("POST", "faults"):
            sim.faults.inject(**(body or {}))
            return json_response({"faults": len(sim.faults)})
        if action == ("DELETE", "faults"):
            sim.faults.clear()
            return json_response({"faults": 0})
        if action == ("POST", "mutate"):
            return json_response({"result": mutate(sim.lib, body or {})})
        if action == ("PUT", "latency"):
            sim.latency = Latency(**body) if body else None
            return json_response({"latency": body or None})
        if action == ("GET", "stats"):
            return json_response(stats(sim))
        if action == ("GET", "requests"):
            return json_response([r.as_dict() for r in sim.requests])
        if action == ("DELETE", "requests"):
            sim.requests.clear()
            return json_response({"requests": 0})
    except KeyError as exc:
        return error(404, f"not found: {exc}")
    except (TypeError, ValueError, orjson.JSONDecodeError) as exc:
        return error(400, str(exc))
    return error(404)


def mutate(lib: SimLibrary, body: dict[str, Any]) -> Any:
    op = body.get("op")
    args = body.get("args") or {}
    if op == "set_clock":
        now = args.get("now")
        lib.clock = (lambda: int(now)) if now is not None else wall_clock
        return None
    if op not in MUTATIONS:
        raise ValueError(f"unknown op {op!r}")
    return _plain(getattr(lib, op)(**args), lib)


def _plain(result: Any, lib: SimLibrary) -> Any:
    """JSON-friendly mutation results; albums also list their new track keys."""
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        plain = dataclasses.asdict(result)
        if isinstance(result, SimAlbum):
            plain["track_keys"] = lib.album_track_keys(result.rating_key)
        return plain
    return result


def stats(sim: PlexSimulator) -> dict[str, Any]:
    lib = sim.lib
    with lib.lock:
        return {
            "requests": sim.requests.total,
            "logged_requests": len(sim.requests),
            "artists": len(lib.artists),
            "albums": len(lib.albums),
            "tracks": len(lib.tracks),
            "playlists": len(lib.playlists),
            "faults": len(sim.faults),
            "machineIdentifier": lib.machine_identifier,
        }
