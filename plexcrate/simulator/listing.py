"""Paging and container assembly shared by the library and playlist endpoints."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from plexcrate.simulator import render
from plexcrate.simulator.library import SimLibrary
from plexcrate.simulator.messages import JSON, XML, Request, Response


def parse_int(value: str | None, default: int | None) -> int | None:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        return default


def page_bounds(req: Request) -> tuple[int, int | None]:
    """X-Plex-Container-Start/Size from the query or headers; no size means "everything"."""
    start = parse_int(req.param_or_header("X-Plex-Container-Start"), 0) or 0
    size = parse_int(req.param_or_header("X-Plex-Container-Size"), None)
    return max(start, 0), None if size is None else max(size, 0)


def page(
    lib: SimLibrary,
    req: Request,
    items: Sequence[Any],
    attrs: dict[str, Any],
    build: Callable[[render.Renderer, Any], dict[str, Any]] | None = None,
    complete: bool | None = None,
    key: str = "Metadata",
) -> dict[str, Any]:
    """A MediaContainer dict holding one page of ``items``. Call with ``lib.lock`` held so the
    page is rendered from one consistent state. ``complete``: items with every tag (an item's
    metadata); by default listing-shaped, unless the simulator is generous."""
    start, size = page_bounds(req)
    limit = parse_int(req.param("limit"), None)
    if limit is not None and limit >= 0:
        items = items[:limit]
    chunk = _chunk(items, start, size, req.page_fault)
    renderer = render.Renderer(lib, req.mode.generous if complete is None else complete)
    make = build or (lambda r, obj: r.item(obj))
    container: dict[str, Any] = {"size": len(chunk), "totalSize": len(items), "offset": start}
    container.update(attrs)
    if chunk:
        container[key] = [make(renderer, obj) for obj in chunk]
    return container


def _chunk(items: Sequence[Any], start: int, size: int | None, fault: Any) -> Sequence[Any]:
    """The items of the page asked for, as a faulty server might give them: ``short``, one
    (``fault.count``) fewer than it should hold when more follow; ``repeat``, starting that
    many items early (repeating the end of the page before) while the container still says it
    starts where asked."""
    if fault is not None and fault.kind == "repeat" and start > 0:
        start = max(0, start - fault.count)
    chunk = items[start:] if size is None else items[start : start + size]
    if fault is not None and fault.kind == "short" and start + len(chunk) < len(items):
        chunk = chunk[: max(0, len(chunk) - fault.count)]
    return chunk


def respond(req: Request, container: dict[str, Any], status: int = 200) -> Response:
    """Encode a container as the client asked (JSON with ``Accept: application/json``)."""
    body = render.encode(container, req.want_json)
    items = len(container.get("Metadata", ())) or len(container.get("Directory", ()))
    return Response(status, body, JSON if req.want_json else XML, items=items)
