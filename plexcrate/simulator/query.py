"""Plex "media query" filtering and sorting for ``/library/sections/{id}/all``.

Implements the documented PMS operator language on the fields a music client needs:

* integer: ``=`` ``!=`` ``>>=`` (greater than) ``<<=`` (less than) ``>=`` ``<=``
* date:    ``=`` ``!=`` ``>>=`` (after, strictly) ``<<=`` (before, strictly); values are epoch
  seconds or relative to now (``-30d``, ``-3600``, ``+1h``; units s m h d w mon y)
* string:  ``=`` contains, ``!=`` does not contain, ``==`` is, ``!==`` is not, ``<=`` begins
  with, ``>=`` ends with; all case-insensitive
* tag:     ``=`` / ``!=`` by tag name or tag id (``genre=Rock`` or ``genre=1003``); tags are
  genre, style, mood, country (artists), genre, style, mood, format, subformat (albums),
  genre and mood (a track's own)

Fields may be scoped: ``album.updatedAt>>=N`` on a track listing filters by the track's album
(``parent``/``grandparent`` work too). Comma-separated values mean "any of" (for ``!=``: "none
of"), except for string fields, whose values may legitimately contain commas. Unknown fields
and parameters are ignored, as PMS ignores them. Missing values never match a comparison (SQL
NULL semantics), except string fields, where a missing value is the empty string.

The default order is PMS's, by title, not by ratingKey: artists by ``titleSort``; albums by
artist, then album title; tracks by artist, album title, album year, disc, track number, title
(``titleSort`` drops a leading article and ignores case); ties by ratingKey. So an item added or
deleted shifts every later page of a listing. ``sort=`` accepts comma-separated
``[scope.]field`` with an optional ``:desc``/``:asc`` suffix; ties keep the default order.

Collections are listed among the artists or albums (by their ``subtype``) unless
``includeCollections=0``, as on PMS; filters on fields a collection lacks leave them out.

Callers must hold ``lib.lock``; results are cached per library version.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from plexcrate.simulator.library import MUSIC, SimAlbum, SimLibrary

TYPE_ARTIST, TYPE_ALBUM, TYPE_TRACK = 8, 9, 10
KIND_BY_TYPE = {TYPE_ARTIST: "artist", TYPE_ALBUM: "album", TYPE_TRACK: "track"}

# field name -> (attribute, field type), per item kind
_COMMON = {
    "id": ("rating_key", "integer"),
    "ratingKey": ("rating_key", "integer"),
    "title": ("title", "string"),
    "titleSort": ("title", "string"),
    "addedAt": ("added_at", "date"),
    "updatedAt": ("updated_at", "date"),
}
FIELDS: dict[str, dict[str, tuple[str, str]]] = {
    "artist": {
        **_COMMON,
        "genre": ("genres", "tag"),
        "style": ("styles", "tag"),
        "mood": ("moods", "tag"),
        "country": ("countries", "tag"),
    },
    "album": {
        **_COMMON,
        "year": ("year", "integer"),
        "genre": ("genres", "tag"),
        "style": ("styles", "tag"),
        "mood": ("moods", "tag"),
        "format": ("formats", "tag"),
        "subformat": ("subformats", "tag"),
        "studio": ("studio", "string"),
    },
    "track": {
        **_COMMON,
        "genre": ("genres", "tag"),
        "mood": ("moods", "tag"),
        "originalTitle": ("original_title", "string"),
        "index": ("index", "integer"),
        "parentIndex": ("disc", "integer"),
        "duration": ("duration", "integer"),
        "userRating": ("user_rating", "integer"),
        "viewCount": ("view_count", "integer"),
        "lastViewedAt": ("last_viewed_at", "date"),
        "lastRatedAt": ("last_rated_at", "date"),
    },
}
_OPERATORS = ("!==", ">>=", "<<=", "==", "!=", ">=", "<=", "=")
_KEY_RE = re.compile(r"^(?:([A-Za-z]+)\.)?([A-Za-z]+)([!<>=]*)$")
_RELATIVE_RE = re.compile(r"^([+-])?(\d+)(mon|[smhdwy])?$")
_UNIT_SECONDS = {
    "s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800, "mon": 2_592_000, "y": 31_536_000,
}  # fmt: skip
_ARTICLES = ("the ", "a ", "an ")
# The tag kind of each tag attribute, for tag ids.
TAG_KINDS = {"genres": "genre", "styles": "style", "moods": "mood", "countries": "country",
             "formats": "format", "subformats": "subformat"}  # fmt: skip
# What a collection has, so a filter on anything else leaves collections out.
_COLLECTION_ATTRS = frozenset({"rating_key", "title", "added_at", "updated_at"})


@dataclass(frozen=True, slots=True)
class Condition:
    scope: str  # item kind the field belongs to: "artist" | "album" | "track"
    attr: str  # attribute of that item
    ftype: str  # "integer" | "date" | "string" | "tag"
    op: str
    values: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class SortKey:
    scope: str
    field: str
    descending: bool


def parse_query(raw: str) -> list[tuple[str, str]]:
    """Decode a raw query string into (key, value) pairs, keeping operator characters on the key.

    ``updatedAt%3E%3E=5`` and ``updatedAt>>=5`` both give ``("updatedAt>>", "5")``. A literal
    ``==`` (``title==x``) gives ``("title=", "x")``, the same as the encoded ``title%3D=x``.
    """
    pairs: list[tuple[str, str]] = []
    for part in raw.split("&"):
        if not part:
            continue
        raw_key, sep, raw_value = part.partition("=")
        key = unquote_plus(raw_key)
        if sep and raw_value.startswith("=") and key[-1:] in ("", "!", "=", "<", ">"):
            key, raw_value = key + "=", raw_value[1:]
        pairs.append((key, unquote_plus(raw_value)))
    return pairs


def resolve_date(value: str, now: int) -> int:
    """Epoch seconds from an absolute value or a value relative to now (``-30d``)."""
    match = _RELATIVE_RE.match(value.strip())
    if not match:
        raise ValueError(value)
    sign, number, unit = match.groups()
    if sign is None and unit is None:
        return int(number)
    seconds = int(number) * _UNIT_SECONDS[unit or "s"]
    return now - seconds if sign == "-" else now + seconds


def conditions(pairs: Sequence[tuple[str, str]], kind: str, now: int) -> tuple[Condition, ...]:
    """The filter conditions among the query pairs; anything else is ignored."""
    found: list[Condition] = []
    for key, value in pairs:
        match = _KEY_RE.match(key)
        if not match:
            continue
        prefix, name, op_prefix = match.groups()
        scope = _resolve_scope(prefix or kind, kind)
        spec = FIELDS[scope].get(name) if scope else None
        op = op_prefix + "="
        if scope is None or spec is None or op not in _OPERATORS:
            continue
        try:
            values = _parse_values(spec[1], value, now)
        except ValueError:
            continue  # PMS ignores filters it cannot parse rather than failing the request
        found.append(Condition(scope, spec[0], spec[1], op, values))
    return tuple(found)


def _resolve_scope(scope: str, kind: str) -> str | None:
    aliases = {"track": {"parent": "album", "grandparent": "artist"}, "album": {"parent": "artist"}}
    scope = aliases.get(kind, {}).get(scope, scope)
    reachable = {"artist": ("artist",), "album": ("album", "artist")}
    return scope if scope in reachable.get(kind, ("track", "album", "artist")) else None


def _parse_values(ftype: str, value: str, now: int) -> tuple[Any, ...]:
    if ftype == "string":
        return (value.casefold(),)
    parts = [p for p in value.split(",") if p != ""]
    if not parts:
        raise ValueError(value)
    if ftype == "integer":
        return tuple(float(p) for p in parts)
    if ftype == "date":
        return tuple(resolve_date(p, now) for p in parts)
    return tuple(p.casefold() for p in parts)  # tag names or ids


def sort_keys(sort: str | None, kind: str) -> tuple[SortKey, ...]:
    keys: list[SortKey] = []
    for item in (sort or "").split(","):
        name, _, direction = item.strip().partition(":")
        match = _KEY_RE.match(name)
        if not match:
            continue
        scope = _resolve_scope(match.group(1) or kind, kind)
        field = match.group(2)
        if scope is None or field not in FIELDS[scope]:
            continue
        keys.append(SortKey(scope, field, direction == "desc"))
    return tuple(keys)


def select(
    lib: SimLibrary,
    section_id: int,
    type_num: int,
    pairs: Sequence[tuple[str, str]],
    sort: str | None = None,
    collections: bool = False,
) -> list[Any]:
    """All items of a section and type matching the filters, in the requested order;
    ``collections``: with the section's collections of that type among them."""
    kind = KIND_BY_TYPE.get(type_num)
    section = lib.section(section_id)
    if kind is None or section is None or section.kind != MUSIC:
        return []
    conds = conditions(pairs, kind, lib.now())
    order = sort_keys(sort, kind)
    with_collections = collections and kind != "track" and _fits_collections(conds, order, kind)
    version = (lib.structure_version, lib.content_version)
    order_version = (lib.structure_version, lib.order_version)
    cache = lib.query_cache
    if cache.get("version") != version:
        base = cache.get("base") if cache.get("order") == order_version else None
        cache.clear()
        cache.update(version=version, order=order_version, base=base or {})
    key = (section_id, kind, conds, order, with_collections)
    hit = cache.get(key)
    if hit is None:
        items = _by_album(lib, section_id, kind, conds)
        if items is None:
            items = _base(lib, section_id, kind, with_collections)
        hit = _filter_and_sort(lib, items, kind, conds, order)
        _remember(cache, key, hit)
    return hit


def _fits_collections(conds: tuple[Condition, ...], order: tuple[SortKey, ...], kind: str) -> bool:
    """Whether collections can be filtered and sorted like this: on their own fields only."""
    fields = FIELDS[kind]
    return all(c.scope == kind and c.attr in _COLLECTION_ATTRS for c in conds) and all(
        k.scope == kind and fields[k.field][0] in _COLLECTION_ATTRS for k in order
    )


def _remember(cache: dict[Any, Any], key: Any, value: list[Any]) -> None:
    # Keep a handful of listings: a sync pages through one or two queries at a time.
    entries = [k for k in cache if isinstance(k, tuple)]
    if len(entries) >= 16:
        del cache[entries[0]]
    cache[key] = value


def _base(lib: SimLibrary, section_id: int, kind: str, collections: bool) -> list[Any]:
    """Items of one kind in a section (and its collections of that kind), in the default
    order. Cached until items are added or removed or a field of the order changes."""
    base = lib.query_cache["base"]
    items = base.get((section_id, kind, collections))
    if items is None:
        sources: dict[str, dict[int, Any]] = {
            "artist": lib.artists,
            "album": lib.albums,
            "track": lib.tracks,
        }
        source = sources[kind]
        items = [item for item in source.values() if item.section_id == section_id]
        if collections:
            items += [
                c for c in lib.collections.values()
                if c.section_id == section_id and c.subtype == kind
            ]  # fmt: skip
        items.sort(key=default_order(lib, kind))
        base[(section_id, kind, collections)] = items
    return items


def default_order(lib: SimLibrary, kind: str) -> Callable[[Any], tuple[Any, ...]]:
    """The sort key of PMS's default order for a listing of ``kind`` (see the module doc).
    A collection sorts by its title, among albums as if it were an album of that title."""
    folded: dict[str, str] = {}

    def fold(title: str | None) -> str:
        value = folded.get(title or "")
        if value is None:
            value = folded[title or ""] = title_sort(title or "")
        return value

    albums, artists = lib.albums, lib.artists

    def track_key(t: Any) -> tuple[Any, ...]:
        album = albums[t.album_key]
        artist = artists[t.artist_key]
        return (fold(artist.title), fold(album.title), album.year or 0, t.disc, t.index or 0,
                fold(t.title), t.rating_key)  # fmt: skip

    def album_key(a: Any) -> tuple[Any, ...]:
        if not isinstance(a, SimAlbum):
            return (fold(a.title), "", a.rating_key)
        return (fold(artists[a.artist_key].title), fold(a.title), a.rating_key)

    def artist_key(a: Any) -> tuple[Any, ...]:
        return (fold(a.title), a.rating_key)

    return {"track": track_key, "album": album_key, "artist": artist_key}[kind]


def _by_album(
    lib: SimLibrary, section_id: int, kind: str, conds: tuple[Condition, ...]
) -> list[Any] | None:
    """The tracks of the albums an ``album.id=…`` filter names, in the default order, or None.

    A real server finds them through an index; scanning every track for each such request
    would make the simulator, not the client, the cost a refresh benchmark measures. The
    filter itself is still applied afterwards, like any other.
    """
    if kind != "track":
        return None
    for cond in conds:
        if (cond.scope, cond.attr, cond.op) == ("album", "rating_key", "="):
            keys = {key for album in cond.values for key in lib.album_tracks.get(album, ())}
            tracks = (lib.tracks[key] for key in keys)
            found = [track for track in tracks if track.section_id == section_id]
            return sorted(found, key=default_order(lib, kind))
    return None


def _filter_and_sort(
    lib: SimLibrary,
    items: list[Any],
    kind: str,
    conds: tuple[Condition, ...],
    order: tuple[SortKey, ...],
) -> list[Any]:
    for cond in conds:
        items = list(filter(_predicate(lib, kind, cond), items))
    if order:
        items = list(items)
        for key in reversed(order):  # stable sorts, least significant key first
            items.sort(key=_sort_value(lib, kind, key), reverse=key.descending)
    return items


def _target(lib: SimLibrary, kind: str, scope: str) -> Callable[[Any], Any]:
    """How to get from a result item to the item a scoped field belongs to."""
    if scope == kind:
        return lambda item: item
    if scope == "album":
        return lambda item: lib.albums[item.album_key]
    return lambda item: lib.artists[item.artist_key]


def _predicate(lib: SimLibrary, kind: str, cond: Condition) -> Callable[[Any], bool]:
    target = _target(lib, kind, cond.scope)
    attr = cond.attr
    if cond.ftype == "tag":
        test = _tag_test(cond.op, cond.values, lib, TAG_KINDS[attr])
    else:
        test = _TESTS[cond.ftype](cond.op, cond.values, lib)
    return lambda item: test(getattr(target(item), attr))


def _number_test(op: str, values: tuple[Any, ...], lib: SimLibrary) -> Callable[[Any], bool]:
    first = values[0]
    wanted = frozenset(values)  # "album.id=1,2,…,100" tests every track: keep that O(1)
    tests: dict[str, Callable[[Any], bool]] = {
        "=": lambda v: v is not None and v in wanted,
        "!=": lambda v: v is not None and v not in wanted,
        ">>=": lambda v: v is not None and v > first,
        "<<=": lambda v: v is not None and v < first,
        ">=": lambda v: v is not None and v >= first,
        "<=": lambda v: v is not None and v <= first,
    }
    return tests.get(op, lambda v: False)


def _string_test(op: str, values: tuple[Any, ...], lib: SimLibrary) -> Callable[[Any], bool]:
    needle: str = values[0]
    tests: dict[str, Callable[[str], bool]] = {
        "=": lambda v: needle in v,
        "!=": lambda v: needle not in v,
        "==": lambda v: v == needle,
        "!==": lambda v: v != needle,
        "<=": lambda v: v.startswith(needle),
        ">=": lambda v: v.endswith(needle),
    }
    test = tests.get(op, lambda v: False)
    return lambda v: test((v or "").casefold())


def _tag_test(
    op: str, values: tuple[Any, ...], lib: SimLibrary, kind: str
) -> Callable[[Any], bool]:
    """Tags by name or by id, any of the values (``subformat=8001,8003``)."""
    wanted = set(values)

    def matches(tags: list[str]) -> bool:
        return any(t.casefold() in wanted or str(lib.tag_id(kind, t)) in wanted for t in tags)

    if op == "!=":
        return lambda tags: not matches(tags)
    if op == "=":
        return matches
    return lambda tags: False


_TESTS = {"integer": _number_test, "date": _number_test, "string": _string_test}


def title_sort(title: str) -> str:
    """Plex sorts titles case-insensitively without a leading article."""
    folded = title.casefold()
    for article in _ARTICLES:
        if folded.startswith(article):
            return folded[len(article) :]
    return folded


def _sort_value(lib: SimLibrary, kind: str, key: SortKey) -> Callable[[Any], Any]:
    target = _target(lib, kind, key.scope)
    attr, ftype = FIELDS[key.scope][key.field]
    if ftype == "string":
        return lambda item: title_sort(getattr(target(item), attr) or "")

    def value(item: Any) -> tuple[bool, Any]:
        # Missing values sort first ascending (and last descending), like SQL NULLs.
        v = getattr(target(item), attr)
        return (v is not None, v if v is not None else 0)

    return value
