"""Transport-neutral request and response values shared by the router and the admin API."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import orjson

JSON = "application/json"
XML = "text/xml;charset=utf-8"
TEXT = "text/plain;charset=utf-8"


@dataclass(frozen=True, slots=True)
class ServerMode:
    """How the simulated server answers (see ``PlexSimulator``)."""

    generous: bool = False  # listings hold every tag and the release types (not PMS-like)
    strict: bool = False  # a list request without X-Plex-Container-Start/-Size answers 400


@dataclass(slots=True)
class Request:
    method: str
    path: str  # percent-decoded, without the query string
    pairs: list[tuple[str, str]]  # decoded query pairs in order, without X-Plex-Token
    params: dict[str, str]  # first value per key of ``pairs``
    header: Callable[[str], str | None]  # case-insensitive header lookup
    want_json: bool
    body: bytes = b""
    mode: ServerMode = ServerMode()
    # A fault that changes the page of a listing rather than the transport (faults.PAGE_FAULTS).
    page_fault: Any = None

    def param(self, name: str, default: str | None = None) -> str | None:
        return self.params.get(name, default)

    def param_or_header(self, name: str) -> str | None:
        """Plex accepts X-Plex-* options as query parameters or headers; the query wins."""
        value = self.params.get(name)
        return value if value is not None else self.header(name)

    @property
    def paged(self) -> bool:
        """Whether the request says which page it wants (start and size)."""
        return all(
            self.param_or_header(name) is not None
            for name in ("X-Plex-Container-Start", "X-Plex-Container-Size")
        )


@dataclass(slots=True)
class Response:
    status: int
    body: bytes
    content_type: str
    items: int = 0  # how many items were listed; drives the per-item latency
    headers: dict[str, str] = field(default_factory=dict)
    unpaged: bool = False  # a list request without paging (logged; refused when strict)


def error(status: int, message: str | None = None) -> Response:
    """A short plain-text error like PMS's terse error bodies."""
    text = message if message is not None else HTTPStatus(status).phrase
    return Response(status, text.encode("utf-8"), TEXT)


def empty(status: int = 200) -> Response:
    return Response(status, b"", TEXT)


def json_response(value: object, status: int = 200) -> Response:
    return Response(status, orjson.dumps(value), JSON)
