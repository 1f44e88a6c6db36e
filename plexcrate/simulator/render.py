"""Plex-shaped rendering: items and containers as JSON-typed dicts, encoded to JSON or XML.

Each item is built once as a dict with the value types PMS uses in JSON (``ratingKey`` is a
string, counts and timestamps are ints, flags are booleans). Like PMS, listings cut every tag
list (Genre, Style, Mood, Country…) to its first :data:`LISTED_TAGS` entries and leave the
release types (``Format``, ``Subformat``) out; an item's own metadata
(``/library/metadata/{keys}``) has them all (a :class:`Renderer` with ``complete=True``).
JSON is that dict through orjson; XML walks the same dict: scalars become attributes (booleans
as 1/0), lists of dicts become child elements named after their key (``Media``, ``Part``,
``Genre``...). Optional attributes are left out when unset, as PMS does.
"""

from __future__ import annotations

import re
from typing import Any
from xml.sax.saxutils import quoteattr

import orjson

from plexcrate.simulator import names
from plexcrate.simulator.images import has_art
from plexcrate.simulator.library import (
    MUSIC,
    TAG_LISTS,
    SimAlbum,
    SimArtist,
    SimCollection,
    SimLibrary,
    SimPlaylist,
    SimSection,
    SimTrack,
)
from plexcrate.simulator.query import FIELDS

PMS_VERSION = "1.41.3.9314-a0bfb8370"
LIBRARY_IDENTIFIER = "com.plexapp.plugins.library"
MEDIA_TAG_VERSION = 1_734_000_000
_NEEDS_ESCAPE = re.compile(r'[&<>"\n\r\t]')
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
# XML element names for items listed under a JSON "Metadata" array, by item type.
_XML_TAG_BY_TYPE = {"track": "Track", "playlist": "Playlist"}
_TITLE2 = {"artist": "All Artists", "album": "All Albums", "track": "All Tracks"}
# How many entries of each tag list a listing shows (python-plexapi #249: "only showing 2").
LISTED_TAGS = 2
# Tag lists a listing leaves out altogether: the album's release types.
_UNLISTED = frozenset({"format", "subformat"})


def guid(kind: str, rating_key: int) -> str:
    """A stable plex:// GUID (24 hex digits like the real ones)."""
    return f"plex://{kind}/5d07{rating_key:020x}"


def thumb_path(rating_key: int, updated_at: int) -> str | None:
    """An album's or artist's art path (the timestamp changes with the art), or None for the
    few items without art (``images.has_art``): PMS then leaves ``thumb`` out."""
    return f"/library/metadata/{rating_key}/thumb/{updated_at}" if has_art(rating_key) else None


class Renderer:
    """Builds item dicts for one request; caches per-request lookups such as section titles.

    ``complete``: every tag of every list, release types included (an item's metadata, or a
    listing of a ``generous`` simulator); otherwise listing-shaped (cut lists, see above).
    """

    def __init__(self, lib: SimLibrary, complete: bool = True) -> None:
        self.lib = lib
        self.complete = complete
        self.section_titles = {s.id: s.title for s in lib.sections}
        self._albums: dict[int, tuple[dict[str, Any], dict[str, Any], str]] = {}

    def item(self, obj: Any) -> dict[str, Any]:
        if isinstance(obj, SimTrack):
            return self.track(obj)
        if isinstance(obj, SimAlbum):
            return self.album(obj)
        if isinstance(obj, SimArtist):
            return self.artist(obj)
        if isinstance(obj, SimCollection):
            return self.collection(obj)
        return self.playlist(obj)

    def _tag_lists(self, d: dict[str, Any], obj: Any, kind: str) -> None:
        """Add the item's tag lists (``Genre``, ``Style``…), listing-shaped unless complete."""
        for tag_kind, attr in TAG_LISTS[kind]:
            values = getattr(obj, attr)
            if not values:
                continue
            if not self.complete:
                if tag_kind in _UNLISTED:
                    continue
                values = values[:LISTED_TAGS]
            d[tag_kind.capitalize()] = self._tags(tag_kind, values)

    def _section_fields(self, section_id: int) -> dict[str, Any]:
        return {
            "librarySectionTitle": self.section_titles.get(section_id, ""),
            "librarySectionID": section_id,
            "librarySectionKey": f"/library/sections/{section_id}",
        }

    def _album_context(self, album_key: int) -> tuple[dict[str, Any], dict[str, Any], str]:
        """Fields every track of an album shares, built once per album per request (a page of
        tracks spans few albums, and this is the hot path of a full sync)."""
        context = self._albums.get(album_key)
        if context is None:
            album = self.lib.albums[album_key]
            artist = self.lib.artists[album.artist_key]
            ak, rk = album.rating_key, artist.rating_key
            head = {
                "parentRatingKey": str(ak),
                "grandparentRatingKey": str(rk),
                "parentGuid": guid("album", ak),
                "grandparentGuid": guid("artist", rk),
                "grandparentKey": f"/library/metadata/{rk}",
                "parentKey": f"/library/metadata/{ak}",
                **self._section_fields(album.section_id),
                "grandparentTitle": artist.title,
                "parentTitle": album.title,
            }
            tail: dict[str, Any] = {} if album.year is None else {"parentYear": album.year}
            thumb = thumb_path(ak, album.updated_at)
            if thumb:  # a track shows its album's art
                tail.update(thumb=thumb, parentThumb=thumb)
            artist_thumb = thumb_path(rk, artist.updated_at)
            if artist_thumb:
                tail["grandparentThumb"] = artist_thumb
            folder = f"/data/music/{artist.title}/{album.title}/"
            context = self._albums[album_key] = (head, tail, folder)
        return context

    def track(self, t: SimTrack) -> dict[str, Any]:
        head, tail, folder = self._album_context(t.album_key)
        rk = t.rating_key
        d: dict[str, Any] = {
            "ratingKey": str(rk),
            "key": f"/library/metadata/{rk}",
            "guid": t.guid or guid("track", rk),
            "type": "track",
            "title": t.title,
            **head,
            "summary": "",
        }
        if t.original_title is not None:
            d["originalTitle"] = t.original_title
        if t.index is not None:
            d["index"] = t.index
        d["parentIndex"] = t.disc
        if t.user_rating is not None:
            d["userRating"] = t.user_rating
        if t.view_count:
            d["viewCount"] = t.view_count
        if t.last_viewed_at is not None:
            d["lastViewedAt"] = t.last_viewed_at
        if t.last_rated_at is not None:  # kept after a rating is cleared, to date the clear
            d["lastRatedAt"] = t.last_rated_at
        d.update(tail)
        if t.duration is not None:
            d["duration"] = t.duration
        d["addedAt"] = t.added_at
        d["updatedAt"] = t.updated_at
        if t.deleted_at is not None:  # in the trash: still listed, and counted
            d["deletedAt"] = t.deleted_at
        d["musicAnalysisVersion"] = 1
        d["Media"] = [self._media(t, folder)]
        if t.genres or t.moods:
            self._tag_lists(d, t, "track")
        return d

    def _media(self, t: SimTrack, folder: str) -> dict[str, Any]:
        rk = t.rating_key
        ext, codec, bitrate = names.codec_for(rk)
        part: dict[str, Any] = {
            "id": rk,
            "key": f"/library/parts/{rk}/{t.added_at}/file.{ext}",
            "file": f"{folder}{t.disc:02d}-{t.index or 0:02d} {t.title}.{ext}",
            "size": (t.duration or 240_000) * bitrate // 8,
            "container": ext,
        }
        media: dict[str, Any] = {
            "id": rk,
            "bitrate": bitrate,
            "audioChannels": 2,
            "audioCodec": codec,
            "container": ext,
        }
        if t.duration is not None:
            part["duration"] = media["duration"] = t.duration
        media["Part"] = [part]
        return media

    def _tags(self, kind: str, values: list[str]) -> list[dict[str, Any]]:
        tag_id = self.lib.tag_id
        return [
            {"id": tag_id(kind, v), "filter": f"{kind}={tag_id(kind, v)}", "tag": v} for v in values
        ]

    def album(self, a: SimAlbum) -> dict[str, Any]:
        artist = self.lib.artists[a.artist_key]
        rk = a.rating_key
        track_keys = self.lib.album_tracks.get(rk, [])
        tracks = self.lib.tracks
        d: dict[str, Any] = {
            "ratingKey": str(rk),
            "key": f"/library/metadata/{rk}/children",
            "parentRatingKey": str(artist.rating_key),
            "guid": guid("album", rk),
            "parentGuid": guid("artist", artist.rating_key),
            "type": "album",
            "title": a.title,
            "parentKey": f"/library/metadata/{artist.rating_key}",
            **self._section_fields(a.section_id),
            "parentTitle": artist.title,
            "summary": "",
            "index": 1,
        }
        if a.studio is not None:
            d["studio"] = a.studio
        if a.year is not None:
            d["year"] = a.year
            d["originallyAvailableAt"] = f"{a.year}-01-01"
        thumb = thumb_path(rk, a.updated_at)
        if thumb:
            d["thumb"] = thumb
        d["leafCount"] = len(track_keys)
        d["viewedLeafCount"] = sum(1 for k in track_keys if tracks[k].view_count)
        d["addedAt"] = a.added_at
        d["updatedAt"] = a.updated_at
        self._tag_lists(d, a, "album")
        return d

    def artist(self, a: SimArtist) -> dict[str, Any]:
        rk = a.rating_key
        d: dict[str, Any] = {
            "ratingKey": str(rk),
            "key": f"/library/metadata/{rk}/children",
            "guid": guid("artist", rk),
            "type": "artist",
            "title": a.title,
            **self._section_fields(a.section_id),
            "summary": "",
            "index": 1,
        }
        thumb = thumb_path(rk, a.updated_at)
        if thumb:
            d["thumb"] = thumb
        d["childCount"] = len(self.lib.artist_albums.get(rk, []))
        d["addedAt"] = a.added_at
        d["updatedAt"] = a.updated_at
        self._tag_lists(d, a, "artist")
        return d

    def collection(self, c: SimCollection) -> dict[str, Any]:
        rk = c.rating_key
        return {
            "ratingKey": str(rk),
            "key": f"/library/collections/{rk}/children",
            "guid": f"collection://{self.lib.machine_identifier[:8]}-{rk}",
            "type": "collection",
            "title": c.title,
            "subtype": c.subtype,
            **self._section_fields(c.section_id),
            "summary": "",
            "index": 0,
            "thumb": f"/library/collections/{rk}/composite/{c.updated_at}",
            "childCount": len(c.item_keys),
            "addedAt": c.added_at,
            "updatedAt": c.updated_at,
        }

    def playlist(self, p: SimPlaylist) -> dict[str, Any]:
        tracks = self.lib.tracks
        duration = sum(tracks[k].duration or 0 for k in p.item_keys if k in tracks)
        return {
            "ratingKey": str(p.rating_key),
            "key": f"/playlists/{p.rating_key}/items",
            "guid": f"com.plexapp.agents.none://{self.lib.machine_identifier[:8]}-{p.rating_key}",
            "type": "playlist",
            "title": p.title,
            "summary": p.summary,
            "smart": p.smart,
            "playlistType": p.playlist_type,
            "composite": f"/playlists/{p.rating_key}/composite/{p.updated_at}",
            "leafCount": len(p.item_keys),
            "duration": duration,
            "durationInSeconds": duration // 1000,
            "addedAt": p.added_at,
            "updatedAt": p.updated_at,
        }


# ------------------------------------------------------------------------------ containers
def library_container(lib: SimLibrary, section: SimSection, kind: str) -> dict[str, Any]:
    """Container attributes PMS puts on section listings."""
    return {
        "allowSync": True,
        "art": f"/:/resources/{kind if kind != 'track' else 'artist'}-fanart.jpg",
        "identifier": LIBRARY_IDENTIFIER,
        "librarySectionID": section.id,
        "librarySectionTitle": section.title,
        "librarySectionUUID": section.uuid,
        "mediaTagPrefix": "/system/bundle/media/flags/",
        "mediaTagVersion": MEDIA_TAG_VERSION,
        "title1": section.title,
        "title2": _TITLE2.get(kind, "All"),
        "viewGroup": kind,
    }


def section_directory(section: SimSection) -> dict[str, Any]:
    music = section.kind == MUSIC
    kind = "artist" if music else "movie"
    return {
        "allowSync": True,
        "art": f"/:/resources/{kind}-fanart.jpg",
        "composite": f"/library/sections/{section.id}/composite/{section.updated_at}",
        "filters": True,
        "refreshing": False,
        "thumb": f"/:/resources/{kind}.png",
        "key": str(section.id),
        "type": section.kind,
        "title": section.title,
        "agent": "tv.plex.agents.music" if music else "tv.plex.agents.movie",
        "scanner": "Plex Music" if music else "Plex Movie",
        "language": "en-US",
        "uuid": section.uuid,
        "updatedAt": section.updated_at,
        "createdAt": section.created_at,
        "scannedAt": section.updated_at,
        "content": True,
        "directory": True,
        "contentChangedAt": section.updated_at,
        "hidden": 0,
        "Location": [{"id": section.id, "path": f"/data/{'music' if music else 'movies'}"}],
    }


def server_root(lib: SimLibrary) -> dict[str, Any]:
    """``GET /``: the capabilities plexapi's PlexServer reads on connect."""
    return {
        "size": 3,
        "allowCameraUpload": False,
        "allowChannelAccess": True,
        "allowMediaDeletion": True,
        "allowSharing": True,
        "allowSync": True,
        "allowTuners": False,
        "backgroundProcessing": True,
        "certificate": False,
        "companionProxy": True,
        "countryCode": "usa",
        "diagnostics": "logs,databases,streaminglogs",
        "eventStream": True,
        "friendlyName": lib.friendly_name,
        "hubSearch": True,
        "itemClusters": True,
        "livetv": 7,
        "machineIdentifier": lib.machine_identifier,
        "mediaProviders": True,
        "multiuser": True,
        "musicAnalysis": 2,
        "myPlex": True,
        "myPlexMappingState": "mapped",
        "myPlexSigninState": "ok",
        "myPlexSubscription": True,
        "myPlexUsername": "simulator@example.invalid",
        "offlineTranscode": 1,
        "ownerFeatures": "download_certificates,federated-auth,lyrics,music_videos,pass,sync",
        "platform": "Linux",
        "platformVersion": "6.1.0",
        "pluginHost": True,
        "pushNotifications": False,
        "readOnlyLibraries": False,
        "streamingBrainABRVersion": 3,
        "streamingBrainVersion": 2,
        "sync": True,
        "transcoderActiveVideoSessions": 0,
        "transcoderAudio": True,
        "transcoderLyrics": True,
        "transcoderPhoto": True,
        "transcoderSubtitles": True,
        "transcoderVideo": True,
        "updatedAt": max((s.updated_at for s in lib.sections), default=0),
        "updater": True,
        "version": PMS_VERSION,
        "voiceSearch": True,
        "Directory": [
            {"count": 1, "key": "library", "title": "library"},
            {"count": 1, "key": "playlists", "title": "playlists"},
            {"count": 1, "key": "identity", "title": "identity"},
        ],
    }


def identity(lib: SimLibrary) -> dict[str, Any]:
    return {
        "size": 0,
        "apiVersion": "1.1.1",
        "claimed": True,
        "machineIdentifier": lib.machine_identifier,
        "version": PMS_VERSION,
    }


_OPERATORS = {
    "tag": (("=", "is"), ("!=", "is not")),
    "integer": (
        ("=", "is"), ("!=", "is not"), (">>=", "is greater than"), ("<<=", "is less than"),
        (">=", "is at least"), ("<=", "is at most"),
    ),
    "string": (
        ("=", "contains"), ("!=", "does not contain"), ("==", "is"), ("!==", "is not"),
        ("<=", "begins with"), (">=", "ends with"),
    ),
    "date": (("=", "is"), ("!=", "is not"), (">>=", "is after"), ("<<=", "is before")),
    "boolean": (("=", "is"),),
}  # fmt: skip
_SORTS = {
    "titleSort": ("asc", "Title"),
    "addedAt": ("desc", "Date Added"),
    "year": ("desc", "Year"),
    "userRating": ("desc", "Rating"),
    "viewCount": ("desc", "Plays"),
    "lastViewedAt": ("desc", "Last Played"),
    "lastRatedAt": ("desc", "Last Rated"),
    "duration": ("asc", "Duration"),
}


def filter_meta(section_id: int) -> dict[str, Any]:
    """The ``Meta`` block of ``?includeMeta=1``: what plexapi validates sorts and filters
    against before it sends them (``LibrarySection.search(sort=..., filters=...)``)."""
    types = []
    for type_num, kind, title in ((8, "artist", "Artists"), (9, "album", "Albums"),
                                  (10, "track", "Tracks")):  # fmt: skip
        fields = FIELDS[kind]
        types.append(
            {
                "key": f"/library/sections/{section_id}/all?type={type_num}",
                "type": kind,
                "title": title,
                "active": type_num == 8,
                "Filter": _tag_filters(section_id, type_num, kind),
                "Sort": [
                    {"defaultDirection": direction, "descKey": f"{key}:desc", "key": key,
                     "title": label}
                    for key, (direction, label) in _SORTS.items()
                    if key in fields
                ],
                "Field": [
                    {"key": f"{kind}.{name}", "title": name, "type": ftype}
                    for name, (_, ftype) in fields.items()
                    if name not in ("ratingKey", "titleSort")
                ],
            }
        )  # fmt: skip
    field_types = [
        {"type": ftype, "Operator": [{"key": k, "title": t} for k, t in ops]}
        for ftype, ops in _OPERATORS.items()
    ]
    return {"Type": types, "FieldType": field_types}


def _tag_filters(section_id: int, type_num: int, kind: str) -> list[dict[str, Any]]:
    """The filters with a directory of values (``/library/sections/1/style?type=9``)."""
    return [
        {
            "filter": tag_kind,
            "filterType": "string",
            "key": f"/library/sections/{section_id}/{tag_kind}?type={type_num}",
            "title": tag_kind.capitalize(),
            "type": "filter",
        }
        for tag_kind, _ in TAG_LISTS[kind]
    ]


# ------------------------------------------------------------------------------ encoding
def encode(container: dict[str, Any], want_json: bool) -> bytes:
    """A complete MediaContainer document."""
    if want_json:
        return orjson.dumps({"MediaContainer": container})
    out = [_XML_HEAD]
    _xml_element("MediaContainer", container, out)
    out.append("\n")
    return "".join(out).encode("utf-8")


def _quote(value: str) -> str:
    # quoteattr is the correct escaper but slow; most values need no escaping at all.
    return quoteattr(value) if _NEEDS_ESCAPE.search(value) else f'"{value}"'


def _xml_element(tag: str, node: dict[str, Any], out: list[str]) -> None:
    attrs: list[str] = []
    children: list[tuple[str, list[dict[str, Any]]]] = []
    for name, value in node.items():
        kind = type(value)
        if kind is str:
            attrs.append(f" {name}={_quote(value)}")
        elif kind is int:
            attrs.append(f' {name}="{value}"')
        elif kind is bool:
            attrs.append(f' {name}="{1 if value else 0}"')
        elif kind is float:
            attrs.append(f' {name}="{value!r}"')
        elif kind is list:
            children.append((name, value))
        elif kind is dict:
            children.append((name, [value]))
    head = f"<{tag}{''.join(attrs)}"
    if not children:
        out.append(head + "/>")
        return
    out.append(head + ">")
    for name, items in children:
        for child in items:
            child_tag = name
            if name == "Metadata":
                child_tag = _XML_TAG_BY_TYPE.get(child.get("type", ""), "Directory")
            _xml_element(child_tag, child, out)
    out.append(f"</{tag}>")
