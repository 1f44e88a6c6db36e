"""A small, strict client for the parts of the Plex Media Server API that plexcrate uses.

It asks for JSON, sends the token in the ``X-Plex-Token`` header (never in a URL, which servers and
proxies log), gives every request the configured timeout as a deadline for its whole answer (not
for each read: see ``deadline.py``), and retries a transient failure once. Errors are
:class:`~plexcrate.plex.errors.PlexError` with a message that says what we were doing.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
import orjson
from httpx_sse import EventSource

from plexcrate import __version__
from plexcrate.plex import tls
from plexcrate.plex.deadline import DeadlineBackend, deadline_transport
from plexcrate.plex.errors import (
    PlexAuthError,
    PlexBadResponse,
    PlexError,
    PlexInsecure,
    PlexOutOfTime,
    PlexTimeout,
    PlexTooLarge,
    PlexUnreachable,
)

if TYPE_CHECKING:
    from plexcrate.config import Settings

Item = dict[str, Any]

# Entries per page of a small list (playlists); Plex warns about pages above 1,000.
LIST_PAGE = 1000
NOTIFICATIONS = "/:/eventsource/notifications"
# Plex pings an idle stream; this long without a word, the stream is taken for dead.
NOTIFICATIONS_QUIET_S = 45.0
T = TypeVar("T")


class LibType(IntEnum):
    """Plex's numeric metadata types for music."""

    ARTIST = 8
    ALBUM = 9
    TRACK = 10

    @property
    def noun(self) -> str:
        return {8: "artists", 9: "albums", 10: "tracks"}[self.value]

    @property
    def plex_type(self) -> str:
        """The ``type`` of items of this kind, as Plex writes it."""
        return {8: "artist", 9: "album", 10: "track"}[self.value]


@dataclass(frozen=True, slots=True)
class ServerIdentity:
    machine_identifier: str
    version: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class MusicSection:
    id: int
    title: str


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a library listing: ``items`` from ``start``, out of ``total`` matches,
    as Plex answered it (collections included, tags as the listing shows them). ``size``: how
    many items were asked for."""

    items: list[Item]
    start: int
    total: int
    size: int = 0


@dataclass(frozen=True, slots=True)
class PlaylistInfo:
    id: int
    title: str
    item_count: int
    smart: bool
    duration_ms: int | None = None
    composite: str | None = None  # Plex's path to the playlist's art (a mosaic of its covers)
    updated_at: int | None = None  # moves when its items or title change (the mirror's cue)
    radio: bool = False  # a radio playlist: Plex plays it, it holds no items


@dataclass(frozen=True, slots=True)
class PlaylistEntry:
    """One item of a playlist: the track, and Plex's id for this entry (``playlistItemID``,
    stable while the entry stays; removing an entry needs it, not its position)."""

    rating_key: int
    item_id: int


@dataclass(frozen=True, slots=True)
class Probe:
    """What ``/identity`` said: the server's id, or (None and) why nothing answered."""

    machine_identifier: str | None
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class Image:
    data: bytes
    content_type: str


class PlexClient:
    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = 30.0,
        retries: int = 1,
        retry_delay: float = 0.5,
    ) -> None:
        self.url = url.rstrip("/")
        self._token = token
        self.timeout = timeout
        self.retries = retries
        self.retry_delay = retry_delay
        self._deadlines = DeadlineBackend()
        self._finish_by: float | None = None  # see limit_time()
        limits = httpx.Limits(max_connections=16, max_keepalive_connections=8)
        self._http = httpx.Client(
            base_url=self.url,
            timeout=httpx.Timeout(timeout),
            transport=deadline_transport(self._deadlines, limits),
            # Plex is on the local network: no proxy from the environment, which would also
            # take the requests out of the transport that enforces the deadlines.
            trust_env=False,
            follow_redirects=False,
            headers={
                "Accept": "application/json",
                "X-Plex-Token": token,
                "X-Plex-Product": "plexcrate",
                "X-Plex-Version": __version__,
                "X-Plex-Client-Identifier": "plexcrate",
            },
        )

    @classmethod
    def from_settings(
        cls, settings: Settings, *, timeout: float | None = None, retries: int | None = None
    ) -> PlexClient:
        """The client for the configured Plex server (``settings.plex_url``/``plex_token``),
        with its timeout unless another is given: the one way the app and the CLI make one."""
        if not (settings.plex_url and settings.plex_token):
            raise ValueError("no Plex server is configured")
        options: dict[str, Any] = {"timeout": settings.plex_timeout if timeout is None else timeout}
        if retries is not None:
            options["retries"] = retries
        return cls(settings.plex_url, settings.plex_token, **options)

    def close(self) -> None:
        self._http.close()

    def limit_time(self, finish_by: float | None) -> None:
        """Every request from now on must end by ``finish_by`` (``time.monotonic()``; None: no
        such limit), besides its own deadline. Past it, requests fail with
        :class:`PlexOutOfTime`, which is not retried: a sync's time limit."""
        self._finish_by = finish_by

    def __enter__(self) -> PlexClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- server -----------------------------------------------------------------------------

    def identity(self) -> ServerIdentity:
        """Who the server is. Also proves the token works: ``/`` needs it."""
        container = self._get("/", doing="reading the server's identity")
        machine_identifier = container.get("machineIdentifier")
        if not isinstance(machine_identifier, str) or not machine_identifier:
            raise PlexBadResponse(
                f"{self.url} answered, but not like a Plex server (no machineIdentifier)."
            )
        return ServerIdentity(
            machine_identifier=machine_identifier,
            version=str(container.get("version", "")),
            name=str(container.get("friendlyName", "")),
        )

    def probe(self) -> str | None:
        """The server's machineIdentifier, from ``/identity`` (which needs no token), or None
        when nothing answers there like a Plex server. One request, never retried."""
        return self.check_identity().machine_identifier

    def check_identity(self) -> Probe:
        """:meth:`probe`, with why nothing answers (the failure's message, naming the URL)."""
        try:
            container = self._request_once("GET", "/identity", None, None, "asking who it is")
        except PlexError as error:
            return Probe(None, error.message)
        machine_identifier = container.get("machineIdentifier")
        if isinstance(machine_identifier, str):
            return Probe(machine_identifier)
        return Probe(None, f"{self.url} answered, but not like a Plex server.")

    def music_sections(self) -> list[MusicSection]:
        container = self._get("/library/sections", doing="listing the music libraries")
        return [
            MusicSection(id=int(entry["key"]), title=str(entry.get("title", "")))
            for entry in container.get("Directory", [])
            if entry.get("type") == "artist"
        ]

    # --- listings -----------------------------------------------------------------------------

    def count(
        self, section_id: int, libtype: LibType, filters: Mapping[str, str] | None = None
    ) -> int:
        """How many items of a type a section holds, without listing them."""
        return self.page(section_id, libtype, 0, 0, filters).total

    def page(
        self,
        section_id: int,
        libtype: LibType,
        start: int,
        size: int,
        filters: Mapping[str, str] | None = None,
    ) -> Page:
        """One page of a listing, as Plex answers it. Collections are asked to stay out
        (``includeCollections=0``), but a server may list them anyway: skip items of another
        ``type`` (see :func:`of_type`). Tag lists are as the listing shows them: cut short."""
        doing = (
            f"counting {libtype.noun}"
            if size == 0
            else f"reading {libtype.noun} {start + 1:,}–{start + size:,}"
        )
        container = self._get(
            f"/library/sections/{section_id}/all",
            params={"type": str(int(libtype)), "includeCollections": "0", **(filters or {})},
            headers=_page_headers(start, size),
            doing=doing,
        )
        items = container.get("Metadata", [])
        if not isinstance(items, list):
            raise PlexBadResponse(f"Plex sent an unreadable answer while {doing}.")
        offset = _number(container.get("offset"))
        if offset is not None and offset != start:
            # A page from somewhere else than asked: positions can't be trusted. Transient
            # (no status), so it is asked for again once.
            raise PlexBadResponse(
                f"Plex answered with {libtype.noun} from {offset + 1:,} while {doing}."
            )
        total = _total(container.get("totalSize", container.get("size", len(items))), doing)
        return Page(items=items, start=start, total=total, size=size)

    def metadata(self, rating_keys: Sequence[int], *, doing: str = "") -> list[Item]:
        """The items with these rating keys, complete (every tag; release types), from
        ``/library/metadata/{k1,k2,…}``. Items Plex no longer has are left out."""
        if not rating_keys:
            return []
        keys = ",".join(str(int(key)) for key in rating_keys)
        doing = doing or f"reading the details of {len(rating_keys):,} items"
        try:
            container = self._get(
                f"/library/metadata/{keys}",
                headers=_page_headers(0, len(rating_keys)),
                doing=doing,
            )
        except PlexBadResponse as error:
            if error.status == 404:  # none of them exists any more
                return []
            raise
        items = container.get("Metadata", [])
        if not isinstance(items, list):
            raise PlexBadResponse(f"Plex sent an unreadable answer while {doing}.")
        return items

    def complete(
        self,
        items: Sequence[Item],
        libtype: LibType,
        unless: Callable[[Item], bool] | None = None,
    ) -> list[Item]:
        """``items`` from a listing, with every tag: those a listing may have cut short
        (:func:`listing_may_cut`) are read again through their metadata, a few hundred a
        request, ``unless(item)`` says their tags are known already. Items Plex no longer has
        are dropped; the order is kept."""
        wanted = [
            int(item["ratingKey"])
            for item in items
            if listing_may_cut(item, libtype) and not (unless and unless(item))
        ]
        if not wanted:
            return list(items)
        full: dict[int, Item] = {key: {} for key in wanted}  # {} until Plex answers for it
        for start in range(0, len(wanted), METADATA_BATCH):
            batch = wanted[start : start + METADATA_BATCH]
            doing = f"reading the tags of {len(batch):,} {libtype.noun}"
            for item in self.metadata(batch, doing=doing):
                full[int(item["ratingKey"])] = item
        completed = []
        for item in items:
            details = full.get(int(item["ratingKey"]))
            if details is None:
                completed.append(item)
            elif details:
                # The item's own metadata has every field; the listing's fill any it lacks
                # (in place: a page of them is held while the sync reads on).
                for field, value in item.items():
                    details.setdefault(field, value)
                completed.append(details)
            # else: gone from Plex since it was listed
        return completed

    # --- playlists --------------------------------------------------------------------------

    def create_playlist(
        self, title: str, rating_keys: Sequence[int], machine_identifier: str
    ) -> PlaylistInfo:
        """A new playlist holding the first ``URI_CHUNK`` of ``rating_keys``, the rest added
        after it (a failure then leaves it holding part: :func:`plexcrate.plex.playlists.
        save_playlist` adds the rest itself to say so)."""
        first, rest = rating_keys[:URI_CHUNK], rating_keys[URI_CHUNK:]
        container = self._request(
            "POST",
            "/playlists",
            params={
                "uri": _items_uri(machine_identifier, first),
                "type": "audio",
                "title": title,
                "smart": "0",
            },
            doing=f"creating the playlist “{title}”",
        )
        created = _playlist_info(_first_item(container, "creating the playlist"))
        if rest:
            self.add_to_playlist(created.id, rest, machine_identifier)
        return created

    def add_to_playlist(
        self, playlist_id: int, rating_keys: Sequence[int], machine_identifier: str
    ) -> None:
        for start in range(0, len(rating_keys), URI_CHUNK):
            chunk = rating_keys[start : start + URI_CHUNK]
            self._request(
                "PUT",
                f"/playlists/{playlist_id}/items",
                params={"uri": _items_uri(machine_identifier, chunk)},
                doing="adding tracks to the playlist",
            )

    def clear_playlist(self, playlist_id: int) -> None:
        self._request("DELETE", f"/playlists/{playlist_id}/items", doing="clearing the playlist")

    def remove_playlist_item(self, playlist_id: int, item_id: int) -> None:
        """Remove one entry, by its ``playlistItemID`` (what Plex removes by)."""
        self._request(
            "DELETE",
            f"/playlists/{playlist_id}/items/{item_id}",
            doing="removing a track from the playlist",
        )

    def audio_playlists(
        self, *, title: str | None = None, page_size: int = LIST_PAGE
    ) -> list[PlaylistInfo]:
        """Every audio playlist (those whose title contains ``title``, if given), page by page
        (see :meth:`_every_page`)."""
        params = {"playlistType": "audio", **({"title": title} if title else {})}
        entries = self._every_page("/playlists", params, "listing playlists", page_size)
        return [_playlist_info(entry) for entry in entries]

    def playlist(self, playlist_id: int) -> PlaylistInfo:
        container = self._get(f"/playlists/{playlist_id}", doing="reading the playlist")
        return _playlist_info(_first_item(container, "reading the playlist"))

    def rename_playlist(self, playlist_id: int, title: str) -> None:
        self._request(
            "PUT",
            f"/playlists/{playlist_id}",
            params={"title": title},
            doing=f"renaming the playlist to “{title}”",
        )

    def delete_playlist(self, playlist_id: int) -> None:
        self._request("DELETE", f"/playlists/{playlist_id}", doing="deleting the playlist")

    # --- art ----------------------------------------------------------------------------------

    def image(self, path: str, size: int, *, max_bytes: int | None = None) -> Image:
        """The picture at ``path`` (an item's ``thumb``), resized by Plex to ``size`` pixels
        square. The token travels in the header, as for every request. A picture over
        ``max_bytes`` is :class:`PlexTooLarge`, and no more of it is read than that."""
        return self._request(
            "GET",
            "/photo/:/transcode",
            params={
                "width": str(size),
                "height": str(size),
                "minSize": "1",
                "upscale": "1",
                "url": path,
            },
            headers={"Accept": "image/*"},
            doing="fetching art",
            read=_image,
            max_bytes=max_bytes,
        )

    def playlist_item_keys(self, playlist_id: int) -> list[int]:
        entries = self._every_page(
            f"/playlists/{playlist_id}/items", {}, "reading the playlist's tracks"
        )
        return [int(item["ratingKey"]) for item in entries]

    def playlist_entries(self, playlist_id: int) -> list[PlaylistEntry]:
        """The playlist's items with their ``playlistItemID``, in order."""
        entries = self._every_page(
            f"/playlists/{playlist_id}/items", {}, "reading the playlist's tracks"
        )
        try:
            return [
                PlaylistEntry(int(item["ratingKey"]), int(item["playlistItemID"]))
                for item in entries
            ]
        except (KeyError, TypeError, ValueError):
            raise PlexBadResponse(
                "Plex listed a playlist's tracks without their ratingKey or playlistItemID."
            ) from None

    def notifications(self, *, quiet_for: float = NOTIFICATIONS_QUIET_S) -> Iterator[Item]:
        """Plex's timeline notifications as they come: each ``NotificationContainer`` of the
        server-sent events at ``/:/eventsource/notifications``. Ends with a :class:`PlexError`
        when the stream breaks, or says nothing (not even a ping) for ``quiet_for`` seconds."""
        doing = "listening to Plex's notifications"
        timeout = httpx.Timeout(self.timeout, read=quiet_for)
        headers = {"Accept": "text/event-stream"}
        try:
            with self._http.stream(
                "GET", NOTIFICATIONS, params={"filters": "timeline"}, headers=headers,
                timeout=timeout,
            ) as response:  # fmt: skip
                check_status(response, doing, self.url)
                for event in EventSource(response).iter_sse():
                    container = _notification(event.data)
                    if container is not None:
                        yield container
        except httpx.TimeoutException:
            quiet = _seconds(quiet_for)
            raise PlexTimeout(f"Plex said nothing for {quiet} while {doing}.") from None
        except httpx.TransportError as error:
            raise PlexUnreachable(
                f"The connection to Plex at {self.url} broke while {doing}: {self._reason(error)}."
            ) from None
        raise PlexUnreachable(f"Plex at {self.url} ended the stream while {doing}.")

    def _every_page(
        self, path: str, params: Mapping[str, str], doing: str, page_size: int = LIST_PAGE
    ) -> list[Item]:
        """Every entry of a small list (playlists, a playlist's items), page by page: Plex
        refuses, or will, list requests that name no page. A page may hold fewer than asked
        and the total may move between pages: the next page starts after what the last one
        held, and the list ends at the total or an empty page."""
        entries: list[Item] = []
        while True:
            start = len(entries)
            container = self._get(
                path,
                params=params,
                headers=_page_headers(start, page_size),
                doing=f"{doing} {start + 1:,}–{start + page_size:,}",
            )
            page = container.get("Metadata") or []
            if not isinstance(page, list):
                raise PlexBadResponse(f"Plex sent an unreadable answer while {doing}.")
            entries.extend(page)
            total = _total(container.get("totalSize", len(entries)), doing)
            if not page or len(entries) >= total:
                return entries

    # --- transport ----------------------------------------------------------------------------

    def _get(
        self,
        path: str,
        *,
        doing: str,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        return self._request("GET", path, params=params, headers=headers, doing=doing)

    def _request(
        self,
        method: str,
        path: str,
        *,
        doing: str,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        read: Callable[[httpx.Response, bytes, str], T] | None = None,
        max_bytes: int | None = None,
    ) -> Any:
        """One request, retried ``self.retries`` times when the failure is transient. The
        answer is its MediaContainer, or what ``read`` makes of it (say, an image); an answer
        over ``max_bytes`` (default ``MAX_ANSWER_BYTES``) is not read on."""
        attempt = 0
        while True:
            try:
                return self._request_once(method, path, params, headers, doing, read, max_bytes)
            except PlexError as error:
                if not error.transient or attempt >= self.retries:
                    raise
                attempt += 1
                time.sleep(self.retry_delay)

    def _request_once(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        doing: str,
        read: Callable[[httpx.Response, bytes, str], T] | None = None,
        max_bytes: int | None = None,
    ) -> Any:
        deadline, out_of_time = self._deadline()
        try:
            with (
                self._deadlines.until(deadline),
                self._http.stream(method, path, params=params, headers=headers) as response,
            ):
                # The body goes into bytes of our own, not into response.content: httpx ties a
                # response and its stream in a reference cycle, so whatever the response holds
                # lives on until the garbage collector runs, and a sync lets it run rarely
                # (sync/engine.py): a megabyte a page, a hundred megabytes a sync.
                content = _body(response, doing, max_bytes)
        except httpx.TimeoutException:
            if out_of_time:
                raise PlexOutOfTime(
                    f"The time allowed ran out while {doing}.", doing=doing
                ) from None
            raise PlexTimeout(
                f"Plex did not answer within {_seconds(self.timeout)} while {doing}."
            ) from None
        except httpx.ConnectError as error:
            insecure = self._insecure(error, doing)
            if insecure is not None:
                raise insecure from None
            raise PlexUnreachable(
                f"Cannot reach Plex at {self.url}: {self._reason(error)} (while {doing})."
            ) from None
        except httpx.TransportError as error:
            insecure = self._insecure(error, doing)
            if insecure is not None:
                raise insecure from None
            raise PlexUnreachable(
                f"The connection to Plex at {self.url} broke while {doing}: {self._reason(error)}."
            ) from None
        check_status(response, doing, self.url)
        return (read or _container)(response, content, doing)

    def _deadline(self) -> tuple[float, bool]:
        """When the next request must have ended, and whether :meth:`limit_time` set that."""
        own = time.monotonic() + self.timeout
        finish_by = self._finish_by
        if finish_by is not None and finish_by < own:
            return finish_by, True
        return own, False

    def _insecure(self, error: httpx.TransportError, doing: str) -> PlexInsecure | None:
        """The failure explained when security is its cause, with the address that works:

        * a certificate that does not match (Plex's ``*.<hash>.plex.direct`` met at an IP):
          the plex.direct address made of the IP and the certificate's name;
        * a plain-http connection closed without an answer by a server that speaks TLS on that
          port ("Secure connections: Required"): its https address.
        """
        text = str(error)
        problem = tls.certificate_problem(text)
        budget = min(3.0, self.timeout)
        if problem == "name mismatch":
            better = tls.plex_direct_for(self.url, budget)
            if better is not None:
                return PlexInsecure(
                    f"The certificate of the Plex server at {self.url} is Plex's own, for its "
                    f"plex.direct address, not for this one: use {better} (the same server, "
                    "by the name its certificate carries).",
                    suggested_url=better,
                )
            return PlexInsecure(
                f"The certificate of the Plex server at {self.url} is for another name, so "
                f"the connection was refused (while {doing}). Use the address its "
                "certificate names, or sign in with Plex to find it."
            )
        if problem is not None:
            return PlexInsecure(
                f"Cannot connect securely to Plex at {self.url}: {problem} (while {doing}). "
                "plexcrate verifies certificates; use the server's plex.direct address, or "
                "sign in with Plex to find it."
            )
        dropped = "without sending a response" in text.lower()
        if dropped and self.url.startswith("http://"):
            secure = "https://" + self.url.removeprefix("http://")
            better = tls.plex_direct_for(secure, budget)
            if better is None and tls.speaks_tls(secure, budget):
                better = secure
            if better is not None:
                return PlexInsecure(
                    f"The Plex server at {self.url} requires secure connections: it closed "
                    f"the plain-http connection without an answer. Enter {better} instead "
                    "(or sign in with Plex).",
                    suggested_url=better,
                )
        return None

    def _reason(self, error: httpx.TransportError) -> str:
        """:func:`_reason`, and never the token (an invalid header's error quotes its value)."""
        reason = _reason(error)
        return reason.replace(self._token, "[token]") if self._token else reason


def check_status(response: httpx.Response, doing: str, url: str) -> None:
    """Raise the :class:`PlexError` an error status means; nothing for a 2xx answer."""
    status = response.status_code
    if status in (401, 403):
        raise PlexAuthError(
            f"Plex refused the token ({status} {response.reason_phrase}) while {doing}. "
            "Check the Plex token in the settings."
        )
    if 300 <= status < 400:
        # Never followed: the token would travel to wherever the redirect points.
        location = _without_tokens(response.headers.get("location") or "another address")
        raise PlexBadResponse(
            f"{url} redirected to {location} while {doing}. plexcrate does not follow "
            "redirects, so that the token only goes where you sent it: use that address "
            "as the Plex URL if you trust it.",
            status=status,
        )
    if status >= 300:
        raise PlexBadResponse(
            f"Plex answered {status} {response.reason_phrase} while {doing}.", status=status
        )


def _container(response: httpx.Response, content: bytes, doing: str) -> dict[str, Any]:
    if not content:
        return {}
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError:
        raise PlexBadResponse(
            f"Plex sent an incomplete or unreadable answer while {doing}."
        ) from None
    container = body.get("MediaContainer") if isinstance(body, dict) else None
    if not isinstance(container, dict):
        raise PlexBadResponse(f"Plex sent an answer without a MediaContainer while {doing}.")
    return container


def _image(response: httpx.Response, content: bytes, doing: str) -> Image:
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if not content or not content_type.startswith("image/"):
        raise PlexBadResponse(f"Plex sent something other than an image while {doing}.")
    return Image(content, content_type)


# Plex reads the item list from the URI in the query string; keep each one a sensible length.
URI_CHUNK = 200
# Rating keys per /library/metadata/{keys} request: URLs of about 3 kB, and a full sync's page of
# albums (a fifth of a small library's, a thousand of a big one's) in one to three requests.
METADATA_BATCH = 400
# Every cut tag list reported keeps at least this many entries (python-plexapi #249, #200: 2
# genres or collections; #409, #1194: 3 actors), so a list shorter than this is complete.
LISTED_TAGS_AT_LEAST = 2
# Tag lists Plex items carry: what a listing may cut. Albums' Format and Subformat (release
# types) a listing may leave out altogether.
TAG_LISTS = ("Genre", "Style", "Mood", "Country", "Format", "Subformat")


def listing_may_cut(item: Item, libtype: LibType) -> bool:
    """Whether a listing may have left some of the item's tags out, so that only its own
    metadata is sure to have them all. An album: always (listings may leave its release types
    out entirely, and nothing in the listing says whether it has any). An artist or a track:
    when one of its tag lists holds as many entries as a listing may keep, at least
    :data:`LISTED_TAGS_AT_LEAST`; a shorter list was not cut."""
    if libtype is LibType.ALBUM:
        return True
    for kind in TAG_LISTS:
        entries = item.get(kind)
        if entries and len(entries) >= LISTED_TAGS_AT_LEAST:
            return True
    return False


def of_type(items: Iterable[Item], libtype: LibType) -> list[Item]:
    """The items of a listing that are of the type asked for (collections and anything else a
    server mixes in are not)."""
    wanted = libtype.plex_type
    return [item for item in items if item.get("type", wanted) == wanted]


def _page_headers(start: int, size: int) -> dict[str, str]:
    return {"X-Plex-Container-Start": str(start), "X-Plex-Container-Size": str(size)}


def _number(value: Any) -> int | None:
    """An int from what Plex sends (counts arrive as numbers or strings), or None."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _items_uri(machine_identifier: str, rating_keys: Sequence[int]) -> str:
    keys = ",".join(str(int(key)) for key in rating_keys)
    return f"server://{machine_identifier}/com.plexapp.plugins.library/library/metadata/{keys}"


def _first_item(container: dict[str, Any], doing: str) -> Item:
    items = container.get("Metadata") or []
    if not items:
        raise PlexBadResponse(f"Plex sent an empty answer while {doing}.")
    return items[0]


def _playlist_info(entry: Item) -> PlaylistInfo:
    composite = entry.get("composite")
    return PlaylistInfo(
        id=int(entry["ratingKey"]),
        title=str(entry.get("title", "")),
        item_count=int(entry.get("leafCount", 0)),
        smart=_flag(entry.get("smart")),
        duration_ms=_number(entry.get("duration")),  # ms; absent when it is empty
        composite=composite if isinstance(composite, str) and composite else None,
        updated_at=_number(entry.get("updatedAt")),
        radio=_flag(entry.get("radio")),
    )


def _flag(value: Any) -> bool:
    """A flag as Plex sends it: JSON's true/false, or "1"/"0" where an attribute was turned
    into a string (``bool("0")`` would be true)."""
    return value is True or value in (1, "1", "true")


def _seconds(value: float) -> str:
    return f"{value:g} s"


# No answer plexcrate asks for comes near this (a page of 1,000 tracks is about a megabyte):
# a server sending more is broken or hostile, and would otherwise have it all held in memory.
MAX_ANSWER_BYTES = 64 * 1024 * 1024
# More items than any listing can hold: Plex's largest reported libraries hold under 2 million
# tracks. A count beyond this is a lie, and believing it would schedule millions of requests.
MAX_TOTAL = 5_000_000


def _body(response: httpx.Response, doing: str, max_bytes: int | None = None) -> bytes:
    if max_bytes is not None and response.is_success:
        declared = _number(response.headers.get("content-length"))
        if declared is not None and declared > max_bytes:  # refused before a byte is read
            raise PlexTooLarge(_too_large(declared, max_bytes, doing))
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if max_bytes is not None and size > max_bytes and response.is_success:
            raise PlexTooLarge(_too_large(None, max_bytes, doing))
        if size > MAX_ANSWER_BYTES:
            raise PlexBadResponse(
                f"Plex sent an answer of more than {MAX_ANSWER_BYTES // 2**20} MB while {doing}, "
                "far more than it should; plexcrate stopped reading it."
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(declared: int | None, max_bytes: int, doing: str) -> str:
    size = f"{declared / 2**20:.1f} MB" if declared is not None else "more"
    return (
        f"Plex sent {size} while {doing}, over the {max_bytes / 2**20:g} MB allowed; "
        "it was not kept."
    )


def _total(value: object, doing: str) -> int:
    """A listing's ``totalSize``, if it is a count Plex could mean; PlexBadResponse if not."""
    integral = isinstance(value, float) and value.is_integer()
    if (isinstance(value, float) and integral) or (
        isinstance(value, str) and value.strip().isdigit()
    ):
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_TOTAL:
        return value
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "…"
    raise PlexBadResponse(
        f"Plex sent an impossible count ({shown}) while {doing}: plexcrate expects a whole "
        f"number up to {MAX_TOTAL:,}."
    )


_TOKEN_IN_QUERY = re.compile(r"(x-plex-token=)[^&#\s]*", re.IGNORECASE)


def _without_tokens(text: str) -> str:
    """``text`` (a URL) with any X-Plex-Token value in it replaced: it is shown to people."""
    return _TOKEN_IN_QUERY.sub(r"\1[token]", text)


def _reason(error: httpx.TransportError) -> str:
    """A short human reason from an httpx error ("connection refused", not a traceback)."""
    text = str(error) or type(error).__name__
    lowered = text.lower()
    for needle, reason in (
        ("refused", "connection refused"),
        ("reset", "the connection was reset"),
        ("name or service not known", "unknown host name"),
        ("nodename nor servname", "unknown host name"),
        ("no route", "no route to host"),
        ("peer closed", "the answer was cut off"),
        ("incomplete", "the answer was cut off"),
        ("illegal header", "the Plex token has characters no token has (a space or line break?)"),
    ):
        if needle in lowered:
            return reason
    return text


def _notification(data: str) -> Item | None:
    """An event's ``NotificationContainer``; None for pings and anything unreadable."""
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    container = parsed.get("NotificationContainer") if isinstance(parsed, dict) else None
    return container if isinstance(container, dict) else None
