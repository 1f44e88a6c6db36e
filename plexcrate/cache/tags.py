"""Tags: every kind of tag (genre, style, mood, album type, label…), declared once.

Plex puts tags on artists, albums and (since PMS 1.40) tracks. The cache keeps them as Plex lists
them (``artist_tags``, ``album_tags``, ``track_own_tags``) and derives, in SQL, the tags that
*apply* to each track (``track_tags``): for each kind, those of the first source in
:data:`TAG_SOURCES` that has any. A track's artists are tags too, so that an artist filter and
an artist facet work like every other.

Each kind is one :class:`TagSpec` in :data:`KINDS`: which of Plex's lists it is read from on
each kind of item, where a track takes it from, its facet, its words, its field on a track.
Everything else follows from the declarations: :class:`TagKind`, :data:`TAG_SOURCES`, the sync's
mapping (``sync/mapping.py``), the filters and facets (``filters.py``), a track's fields
(``queries.Track``, ``web/models.py``), ``GET /api/filters`` and through it the page's words.
Adding a kind is a declaration here and a new ``sync.mapping.MAPPING_VERSION``.
"""

from __future__ import annotations

import sqlite3
import string
from dataclasses import dataclass
from enum import EnumMeta, StrEnum
from typing import TYPE_CHECKING, Literal

Owner = Literal["artist", "album", "track"]


@dataclass(frozen=True, slots=True)
class TagSpec:
    """One kind of tag, declared once.

    Plex names (``artist``, ``album``, ``track``): what is read on each kind of item. A
    capitalised name is one of Plex's tag lists (``Genre``: ``[{"tag": "Rock"}, …]``, as in
    its JSON and XML elements); a lowercase one an attribute holding a single name
    (``studio``).
    """

    name: str  # the kind: its tags' ``kind``, its include filter, /api/library/facets/{name}
    one: str  # a value of it in the page's and the sentences' words: "album type"
    many: str  # several: "album types"
    help: str  # the include filter's: tracks having any of the named values
    artist: tuple[str, ...] = ()
    album: tuple[str, ...] = ()
    track: tuple[str, ...] = ()
    # Where a track's tags of the kind come from: the first of these owners that has any.
    sources: tuple[Owner, ...] = ()
    # Columns of ``tracks`` whose values are tags of the kind (the artist names), if any.
    columns: tuple[str, ...] = ()
    facet: str | None = None  # its counts in /api/library/stats, and a chip per value
    track_field: str | None = None  # the Track's field listing the tags that apply, if shown
    track_first_only: bool = False  # the field holds one name (the first, or null), not a list
    track_help: str = ""
    exclude_help: str | None = None  # an ``exclude_{name}`` filter, when there is one
    # The include and exclude filters in a sentence ("by {}": "by Nina Simone, Miles Davis").
    phrase: str = "{}"
    exclude_phrase: str = "no {}"

    def reads(self, owner: Owner) -> tuple[str, ...]:
        """Plex's lists (or attributes) read on an item of ``owner``'s kind."""
        return {"artist": self.artist, "album": self.album, "track": self.track}[owner]

    def whose(self) -> str:
        """Whose tags a track's are, in words (a rule's field documents itself so):
        "The track's styles: its album's, else its album artist's"."""
        if self.columns:
            named = " and its ".join(column.replace("_", " ") for column in self.columns)
            return f"The track's {self.many}: its {named}."
        owners = {"track": "its own", "album": "its album's", "artist": "its album artist's"}
        return f"The track's {self.many}: {', else '.join(owners[o] for o in self.sources)}."


# In the order the filters, the facets, a track's fields and the page's words take them.
KINDS: tuple[TagSpec, ...] = (
    TagSpec(
        name="genre",
        one="genre",
        many="genres",
        help="A genre; repeat it for several (a track in any of them matches).",
        artist=("Genre",),
        album=("Genre",),
        track=("Genre",),
        sources=("track", "album", "artist"),
        facet="genres",
        track_field="genres",
        track_help="The track's own genres, else its album's, else its album artist's.",
        exclude_help="Leave out tracks of this genre; repeat it for several.",
    ),
    TagSpec(
        name="style",
        one="style",
        many="styles",
        help="A style (Plex's finer genres, like Shoegaze); repeat it for several (any matches).",
        artist=("Style",),
        album=("Style",),
        sources=("album", "artist"),
        facet="styles",
        track_field="styles",
        track_help="Its album's styles, else its album artist's.",
    ),
    TagSpec(
        name="mood",
        one="mood",
        many="moods",
        help="A mood, like Melancholy; repeat it for several (any matches).",
        artist=("Mood",),
        album=("Mood",),
        track=("Mood",),
        sources=("track", "album", "artist"),
        facet="moods",
        track_field="moods",
        track_help="The track's own moods, else its album's, else its album artist's.",
    ),
    TagSpec(
        name="album_type",
        one="album type",
        many="album types",
        help="An album type as Plex names it (Album, EP, Single, Live, Compilation, Soundtrack…); "
        "repeat it for several (any matches).",
        album=("Format", "Subformat"),  # release format (Album, EP, Single), Live…
        sources=("album",),
        facet="album_types",
        track_field="album_types",
        track_help="Its album's types as Plex names them: Format (Album, EP, Single) and "
        "Subformat (Live, Compilation, Soundtrack…).",
    ),
    TagSpec(
        name="label",
        one="label",
        many="labels",
        help="A record label; repeat it for several (any matches).",
        album=("studio",),
        sources=("album",),
        facet="labels",
        track_field="label",
        track_first_only=True,
        track_help="Its album's record label (Plex's studio).",
    ),
    TagSpec(
        name="country",
        one="country",
        many="countries",
        help="A country its artist is from, as Plex names it; repeat it for several (any matches).",
        artist=("Country",),
        sources=("artist",),
        facet="countries",
        track_field="countries",
        track_help="Its album artist's countries, as Plex lists them.",
        phrase="from {}",
        exclude_phrase="not from {}",
    ),
    TagSpec(
        name="artist",
        one="artist",
        many="artists",
        help="An artist (the track's own or its album artist); repeat it for several "
        "(any matches).",
        columns=("artist", "album_artist"),
        exclude_help="Leave out tracks by this artist (own or album artist); repeat it for "
        "several.",
        phrase="by {}",
        exclude_phrase="not by {}",
    ),
)


def _check(kinds: tuple[TagSpec, ...]) -> None:
    """Refuse, at import, declarations that would make two kinds one (a name, a facet, a field
    of a track or a Plex list read twice) or a kind no track can have."""
    for what, values in (
        ("name", [k.name for k in kinds]),
        ("facet", [k.facet for k in kinds if k.facet]),
        ("track field", [k.track_field for k in kinds if k.track_field]),
        *((f"{owner}'s list", [n for k in kinds for n in k.reads(owner)]) for owner in _OWNERS),
    ):
        twice = {value for value in values if values.count(value) > 1}
        if twice:
            raise ValueError(f"tag kinds declare the same {what} twice: {sorted(twice)}")
    for spec in kinds:
        if not spec.sources and not spec.columns:
            raise ValueError(f"tag kind {spec.name!r}: no track has it (no sources, no columns)")
        unread = [owner for owner in spec.sources if not spec.reads(owner)]
        if unread:
            raise ValueError(f"tag kind {spec.name!r}: a source reads nothing on {unread}")


_OWNERS: tuple[Owner, ...] = ("artist", "album", "track")
_check(KINDS)

if TYPE_CHECKING:
    # The members are made from KINDS at run time, which a type checker can't follow: to it,
    # any attribute of the class (TagKind.GENRE) is a member.
    class _MadeFromKinds(EnumMeta):
        def __getattr__(cls, name: str) -> TagKind: ...

    class TagKind(StrEnum, metaclass=_MadeFromKinds):
        pass

else:
    TagKind = StrEnum("TagKind", {spec.name.upper(): spec.name for spec in KINDS})


# Where a track's tags of each kind come from: the first of these that has any.
TAG_SOURCES: dict[TagKind, tuple[Owner, ...]] = {
    TagKind(spec.name): spec.sources for spec in KINDS if spec.sources
}


def plex_names(owner: Owner) -> dict[str, TagKind]:
    """Plex's lists (and attributes) read on an item of ``owner``'s kind, and the kind each
    becomes (``{"Genre": TagKind.GENRE, "Format": TagKind.ALBUM_TYPE, …}``)."""
    return {plex: TagKind(spec.name) for spec in KINDS for plex in spec.reads(owner)}


# The Track's fields of tags, in order: (field, kind, one name only).
TRACK_FIELDS: tuple[tuple[str, TagKind, bool], ...] = tuple(
    (spec.track_field, TagKind(spec.name), spec.track_first_only)
    for spec in KINDS
    if spec.track_field
)
_FIELD_OF_KIND: dict[str, str] = {kind.value: name for name, kind, _ in TRACK_FIELDS}


def track_fields(pairs: str | None) -> dict[str, list[str] | str | None]:
    """A track's fields of tags (``genres``, ``label``…) from its tags as SQL concatenates
    them (kind, char 30, name; pairs joined by char 31), each list in name order."""
    lists: dict[str, list[str]] = {name: [] for name, _, _ in TRACK_FIELDS}
    for pair in sorted(pairs.split("\x1f"), key=str.casefold) if pairs else ():
        kind, name = pair.split("\x1e", 1)
        field = _FIELD_OF_KIND.get(kind)
        if field:
            lists[field].append(name)
    return {
        name: (lists[name][0] if lists[name] else None) if first else lists[name]
        for name, _, first in TRACK_FIELDS
    }


# The columns of ``tracks`` that track_tags copies, as they are declared there: every column a
# filter reads (cache/filters.py), so that facets are counted from the links alone.
TRACK_TAG_COPIES = ("is_live", "year", "user_rating", "added_at", "view_count")
TRACK_TAG_COPIES_DDL = (
    "is_live INTEGER NOT NULL DEFAULT 0, year INTEGER, user_rating INTEGER, added_at INTEGER, "
    "view_count INTEGER NOT NULL DEFAULT 0"
)

# Each source: its link table, the column of the link naming the owner, and the column of
# ``tracks`` naming the same owner.
_SOURCES = {
    "track": ("track_own_tags", "rating_key", "rating_key"),
    "album": ("album_tags", "album_key", "album_key"),
    "artist": ("artist_tags", "artist_key", "artist_key"),
}


def derive_sql(prefix: str = "", scope: str | None = None) -> list[str]:
    """What a track takes from its album and album artist, as SQL over one set of tables.

    A track's year is its album's when the track listing had none; it is live when its album
    is; its tags of each kind are those of its first source that has any (:data:`TAG_SOURCES`),
    and those its own columns name (:attr:`TagSpec.columns`: its artists). ``prefix`` names the
    table set (a snapshot's staging tables, or the live ones). ``scope``, a SELECT of track
    rating keys, limits the work to those tracks and first forgets their tags (a refresh);
    without it every track is derived, which is right for freshly loaded tables whose
    track_tags is empty (a snapshot).
    """
    p = prefix
    in_scope = f" AND {p}tracks.rating_key IN ({scope})" if scope else ""
    t_in_scope = f" AND t.rating_key IN ({scope})" if scope else ""
    forget = [f"DELETE FROM {p}track_tags WHERE rating_key IN ({scope})"] if scope else []
    # The links carry copies of the track's filter columns, so they are written after those
    # columns are derived, and rewritten whenever a track is (a refresh's scope has them all).
    copies = ", ".join(TRACK_TAG_COPIES)
    t_copies = ", ".join(f"t.{column}" for column in TRACK_TAG_COPIES)
    insert_links = f"INSERT OR IGNORE INTO {p}track_tags (tag_id, rating_key, {copies})"
    tags_from_sources = [
        f"""{insert_links}
            SELECT l.tag_id, t.rating_key, {t_copies} FROM {p}tracks t
            JOIN {p}{table} l ON l.{owner} = t.{column}
            JOIN {p}tags g ON g.id = l.tag_id
            WHERE {_kinds_from(source, p)}{t_in_scope}"""
        for source, (table, owner, column) in _SOURCES.items()
    ]
    from_columns = [(spec.name, column) for spec in KINDS for column in spec.columns]
    column_names = [
        f"""INSERT OR IGNORE INTO {p}tags (kind, name)
            SELECT '{kind}', t.{column} FROM {p}tracks t
            WHERE t.{column} != ''{t_in_scope}"""
        for kind, column in from_columns
    ]
    column_links = [
        f"""{insert_links}
            SELECT g.id, t.rating_key, {t_copies} FROM {p}tracks t
            JOIN {p}tags g ON g.kind = '{kind}' AND g.name = t.{column}
            WHERE 1{t_in_scope}"""
        for kind, column in from_columns
    ]
    return [
        *forget,
        f"""UPDATE {p}tracks SET year = a.year FROM {p}albums a
            WHERE a.rating_key = {p}tracks.album_key AND {p}tracks.year IS NULL
              AND a.year IS NOT NULL{in_scope}""",
        f"""UPDATE {p}tracks SET is_live = 1 FROM {p}albums a
            WHERE a.rating_key = {p}tracks.album_key AND a.is_live = 1
              AND {p}tracks.is_live = 0{in_scope}""",
        *tags_from_sources,
        *column_names,
        *column_links,
    ]


# Every tag's totals, from its links (a snapshot's, once they are derived).
# A track in Plex's trash keeps its links (it is derived like any other, so restoring it is
# one changed row) but counts for no tag: the trash is small, so it is looked up as a list.
UNAVAILABLE_KEYS = "SELECT rating_key FROM tracks WHERE deleted_at IS NOT NULL"
TAG_TOTALS_SQL = f"""INSERT INTO tag_totals (tag_id, tracks, studio)
    SELECT tag_id, count(*), sum(is_live = 0) FROM track_tags
    WHERE rating_key NOT IN ({UNAVAILABLE_KEYS}) GROUP BY tag_id"""


def tag_totals_sql(prefix: str = "") -> str:
    return (
        TAG_TOTALS_SQL.replace("tag_totals", f"{prefix}tag_totals")
        .replace("FROM track_tags", f"FROM {prefix}track_tags")
        .replace("FROM tracks", f"FROM {prefix}tracks")
    )


def _kinds_from(source: str, p: str) -> str:
    """The condition on a link ``l`` of ``g.kind`` from ``source``, for track ``t``: the kind
    takes tags from this source, and no source before it has a tag of the kind for ``t``."""
    clauses = []
    for kind, sources in TAG_SOURCES.items():
        if source not in sources:
            continue
        earlier = sources[: sources.index(source)]
        tests = [f"g.kind = '{kind}'"] + [
            f"""NOT EXISTS (SELECT 1 FROM {p}{_SOURCES[e][0]} e JOIN {p}tags eg
                ON eg.id = e.tag_id WHERE e.{_SOURCES[e][1]} = t.{_SOURCES[e][2]}
                AND eg.kind = '{kind}')"""
            for e in earlier
        ]
        clauses.append("(" + " AND ".join(tests) + ")")
    return "(" + " OR ".join(clauses) + ")"


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def nocase(name: str) -> str:
    """``name`` as SQLite's NOCASE collation compares it: ASCII letters folded, nothing else.

    Not ``str.lower()``: "Électro" and "électro" are two names to NOCASE, so a filter on one
    of them must not have been merged into the other (it would find nothing).
    """
    return name.translate(_ASCII_LOWER)


class TagIds:
    """Tag ids by kind and name, inserting a row into ``table`` for each tag not seen before.

    Names are keyed like the column's NOCASE collation, so "Rock" and "rock" are one genre.
    """

    def __init__(self, conn: sqlite3.Connection, table: str) -> None:
        self._conn = conn
        self._table = table
        self._ids = {
            (kind, nocase(name)): tag_id
            for tag_id, kind, name in conn.execute(f"SELECT id, kind, name FROM {table}")
        }

    def __call__(self, kind: str, name: str) -> int:
        key = (kind, nocase(name))
        tag_id = self._ids.get(key)
        if tag_id is None:
            # SQLite numbers it: SQL inserts tags too (the artist names, derive_sql).
            inserted = self._conn.execute(
                f"INSERT INTO {self._table} (kind, name) VALUES (?, ?)", (kind, name)
            )
            tag_id = self._ids[key] = inserted.lastrowid or 0
        return tag_id

    def pairs(self, owners: list[tuple[int, tuple[tuple[str, str], ...]]]) -> list[tuple[int, int]]:
        """(owner key, tag id) for every (kind, name) of every owner."""
        return [(key, self(kind, name)) for key, tags in owners for kind, name in tags]
