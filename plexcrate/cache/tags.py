"""Tags: every kind (genre, style, mood, album type, label, artist) stored and derived one way.

Plex puts tags on artists, albums and (since PMS 1.40) tracks. The cache keeps them as Plex lists
them (``artist_tags``, ``album_tags``, ``track_own_tags``) and derives, in SQL, the tags that
*apply* to each track (``track_tags``): for each kind, those of the first source in
:data:`TAG_SOURCES` that has any. A track's artists are tags too, so that an artist filter and
an artist facet work like every other.
"""

from __future__ import annotations

import sqlite3
import string
from enum import StrEnum


class TagKind(StrEnum):
    GENRE = "genre"
    STYLE = "style"
    MOOD = "mood"
    ALBUM_TYPE = "album_type"  # the album's Format (Album, EP, Single) and Subformat (Live…)
    LABEL = "label"  # the album's studio
    ARTIST = "artist"  # the track's artist and its album artist, from the track rows


# Where a track's tags of each kind come from: the first of these that has any.
TAG_SOURCES: dict[TagKind, tuple[str, ...]] = {
    TagKind.GENRE: ("track", "album", "artist"),
    TagKind.STYLE: ("album", "artist"),
    TagKind.MOOD: ("track", "album", "artist"),
    TagKind.ALBUM_TYPE: ("album",),
    TagKind.LABEL: ("album",),
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
    and its artist names. ``prefix`` names the table set (a snapshot's staging tables, or the
    live ones). ``scope``, a SELECT of track rating keys, limits the work to those tracks and
    first forgets their tags (a refresh); without it every track is derived, which is right
    for freshly loaded tables whose track_tags is empty (a snapshot).
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
    artist_names = [
        f"""INSERT OR IGNORE INTO {p}tags (kind, name)
            SELECT '{TagKind.ARTIST}', t.{column} FROM {p}tracks t
            WHERE t.{column} != ''{t_in_scope}"""
        for column in ("artist", "album_artist")
    ]
    artist_links = [
        f"""{insert_links}
            SELECT g.id, t.rating_key, {t_copies} FROM {p}tracks t
            JOIN {p}tags g ON g.kind = '{TagKind.ARTIST}' AND g.name = t.{column}
            WHERE 1{t_in_scope}"""
        for column in ("artist", "album_artist")
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
        *artist_names,
        *artist_links,
    ]


# Every tag's totals, from its links (a snapshot's, once they are derived).
TAG_TOTALS_SQL = """INSERT INTO tag_totals (tag_id, tracks, studio)
    SELECT tag_id, count(*), sum(is_live = 0) FROM track_tags GROUP BY tag_id"""


def tag_totals_sql(prefix: str = "") -> str:
    return TAG_TOTALS_SQL.replace("tag_totals", f"{prefix}tag_totals").replace(
        "FROM track_tags", f"FROM {prefix}track_tags"
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
