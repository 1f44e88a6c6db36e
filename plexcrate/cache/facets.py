"""Facets: per tag (and per decade), how many tracks a filter would total with that value chosen.

Each facet ignores its own filter, so a genre's count is what the track list would show with that
genre selected (alone) and every other filter as it is. Three ways to count, by what the filter
asks, cheapest first:

1. *Nothing but live recordings in or out*: ``tag_totals``, counted when the library was written.
2. *Otherwise*: tag by tag, each a range of ``track_tags``, filtered on the links' copies of the
   tracks' columns: one pass over a kind's links (or a searched name's), whatever the number
   of matches. Unless few tracks match: then as 3.
3. *Few matches*: the matching tracks are found once (materialized), and their links counted
   per tag, for every facet that leaves out the same filters at once. Its cost follows the
   number of matches, not the library's size.

In 2, another tag's filter or the words are sets built once for the statement: a correlated
count per tag would build them again for every tag (2 s for the genres of a filtered
100,000-track library).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from plexcrate.cache.filters import (
    BY_NAME,
    FACET_KINDS,
    Facet,
    TagFilter,
    TrackFilter,
    decade_name,
)
from plexcrate.cache.queries import (
    BY_FILTERS,
    Params,
    count_tracks,
    driver_of,
    escape_like,
    matching_keys,
    where,
)
from plexcrate.cache.state import cached_tracks
from plexcrate.cache.tags import TagKind

FACET_LIMIT = 200  # values per facet in the stats; /api/library/facets/{kind} searches the rest
# Below this share of the library, counting the matching tracks' links beats a pass over the
# counted kinds' links (measured at 100,000 tracks, about 13 links a track).
FEW_MATCHES = 0.1


@dataclass(frozen=True, slots=True)
class FacetCount:
    name: str
    count: int


class LibraryStats(dict[str, Any]):
    """``total_tracks``, and a list of :class:`FacetCount` per facet by its name (``genres``…,
    one per declared kind's facet, cache/tags.py): readable as attributes, written by orjson as
    the API's body."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


ALL_FACETS = tuple(Facet)


def library_stats(
    conn: sqlite3.Connection,
    flt: TrackFilter | None = None,
    *,
    total: int | None = None,
    facets: Iterable[Facet] = ALL_FACETS,
) -> LibraryStats:
    """The matching total and the facets asked for (the others come back empty)."""
    flt = flt or TrackFilter()
    wanted = set(facets)
    total = count_tracks(conn, flt) if total is None else total
    counted: dict[Facet, list[FacetCount]] = {facet: [] for facet in ALL_FACETS}
    # Facets that leave out the same filters are counted together.
    groups: dict[TrackFilter, list[Facet]] = {}
    for facet in FACET_KINDS:
        if facet in wanted:
            groups.setdefault(flt.without(*_own_filters(facet=facet)), []).append(facet)
    for own, group in groups.items():
        counted.update(_tag_facets(conn, own, group))
    if Facet.DECADES in wanted:
        counted[Facet.DECADES] = [
            FacetCount(decade_name(d), n) for d, n in _decade_counts(conn, flt)
        ]
    return LibraryStats(total_tracks=total, **{f.value: counted[f] for f in ALL_FACETS})


def tag_counts(
    conn: sqlite3.Connection,
    flt: TrackFilter,
    kind: TagKind,
    *,
    facet: Facet | None,
    search: str = "",
    limit: int = FACET_LIMIT,
) -> list[FacetCount]:
    """Per tag of ``kind`` named like ``search`` (any part of the name, ASCII case ignored),
    the tracks matching every filter but the kind's own: most first, then by name."""
    own = flt.without(*_own_filters(facet=facet, kind=kind))
    params = Params()
    named = f" AND g.name LIKE {params.bind('%' + escape_like(search) + '%')} ESCAPE '\\'"
    return _count(conn, own, [kind], params, named if search else "", limit)[kind]


def _tag_facets(
    conn: sqlite3.Connection, own: TrackFilter, facets: list[Facet]
) -> dict[Facet, list[FacetCount]]:
    kinds = [FACET_KINDS[facet] for facet in facets]
    counted = _count(conn, own, kinds, Params(), "", FACET_LIMIT)
    return {facet: counted[FACET_KINDS[facet]] for facet in facets}


def _count(
    conn: sqlite3.Connection,
    own: TrackFilter,
    kinds: list[TagKind],
    params: Params,
    named: str,
    limit: int,
) -> dict[TagKind, list[FacetCount]]:
    """Per tag of ``kinds`` (``named``: a condition on ``g.name``), the tracks matching ``own``,
    each kind most first, then by name, cut to ``limit``."""
    in_kinds = ", ".join(params.bind(kind.value) for kind in kinds)
    if {name for name, _ in own.values} <= {"exclude_live"}:
        column = "studio" if own.get("exclude_live") else "tracks"
        rows = conn.execute(
            f"""SELECT g.kind, g.name, n.{column} FROM tag_totals n JOIN tags g ON g.id = n.tag_id
                WHERE g.kind IN ({in_kinds}) AND n.{column} > 0{named}""",
            params,
        ).fetchall()
    elif named or not _few(conn, own):
        # Tag by tag, each a range of the links (of the named tags only, for a search),
        # filtered on their copies of the tracks' columns; another tag or the words are
        # tested against their sets, each made once for the whole count.
        rows = conn.execute(
            f"""SELECT g.kind, g.name, c.n FROM (
                    SELECT t.tag_id, count(*) AS n FROM track_tags t
                    WHERE t.tag_id IN (SELECT g.id FROM tags g
                                       WHERE g.kind IN ({in_kinds}){named})
                      AND {where(own, params, on_links=True)}
                    GROUP BY t.tag_id) c
                JOIN tags g ON g.id = c.tag_id""",
            params,
        ).fetchall()
    else:
        rows = conn.execute(
            f"""WITH matching AS MATERIALIZED ({matching_keys(own, params)})
                SELECT g.kind, g.name, c.n FROM (
                    SELECT t.tag_id, count(*) AS n FROM matching m
                    JOIN track_tags t ON t.rating_key = m.rating_key GROUP BY t.tag_id) c
                JOIN tags g ON g.id = c.tag_id WHERE g.kind IN ({in_kinds}){named}""",
            params,
        ).fetchall()
    counted: dict[TagKind, list[FacetCount]] = {kind: [] for kind in kinds}
    # Most first, then by name as SQLite's NOCASE orders it (ASCII letters folded).
    for kind, name, n in sorted(rows, key=lambda row: (-row[2], row[1].encode().lower())):
        found = counted[TagKind(kind)]
        if len(found) < limit:
            found.append(FacetCount(name, n))
    return counted


def _own_filters(*, facet: Facet | None = None, kind: TagKind | None = None) -> list[str]:
    """The filters a facet's counts leave out: those counted in it, or (a kind without a
    facet, like artists) the tag filters including its kind."""
    return [
        spec.name
        for spec in BY_NAME.values()
        if (facet is not None and spec.facet is facet)
        or (
            facet is None and isinstance(spec, TagFilter) and spec.kind is kind and not spec.exclude
        )
    ]


def _few(conn: sqlite3.Connection, flt: TrackFilter) -> bool:
    return count_tracks(conn, flt) < FEW_MATCHES * cached_tracks(conn)


def _decade_counts(conn: sqlite3.Connection, flt: TrackFilter) -> list[tuple[int, int]]:
    # Per year first, then the hundred-odd years are summed into decades.
    params = Params()
    driver = driver_of(flt, without=Facet.DECADES)
    if driver is not None:
        links = where(flt, params, without=Facet.DECADES, driver=driver)
        per_year = f"""SELECT t.year, count(DISTINCT t.rating_key) AS n FROM track_tags t
                       WHERE t.year IS NOT NULL AND {links} GROUP BY t.year"""
    else:
        # Grouped by (live, year), idx_tracks_filter's own order: no sort of every match.
        table = "tracks t" if flt.words else BY_FILTERS
        per_year = f"""SELECT t.year, count(*) AS n FROM {table}
                       WHERE t.year IS NOT NULL AND {where(flt, params, without=Facet.DECADES)}
                       GROUP BY t.is_live, t.year"""
    return conn.execute(
        f"""SELECT year / 10 * 10 AS decade, sum(n) FROM ({per_year})
            GROUP BY decade ORDER BY decade""",
        params,
    ).fetchall()
