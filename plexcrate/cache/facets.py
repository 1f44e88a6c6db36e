"""Facets: per tag (and per decade), how many tracks a filter would total with that value chosen.

A facet leaves out the conditions that choose values of its own field (``rules.CHOOSING``: a
genre filter or ``genre any_of`` at the top level of a rule), so a genre's count is what the
track list would show with that genre selected (alone) and every other condition as it is.
Leaving out a genre *excluded* is not choosing one: it still counts.

Counting is the engine's (``engine.TagLinks.counts``): a running sum of the mask over a kind's
links, one vectorized pass whatever the filter.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from plexcrate.cache.engine import Evaluator, Mask
from plexcrate.cache.filters import FACET_KINDS, Facet, TrackFilter, decade_name
from plexcrate.cache.queries import evaluator
from plexcrate.cache.rules import Rule, chooses, conjuncts
from plexcrate.cache.tags import TagKind

FACET_LIMIT = 200  # values per facet in the stats; /api/library/facets/{kind} searches the rest


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


class _Conjuncts:
    """A filter's top-level conditions, each one's mask computed once, combined on demand."""

    def __init__(self, found: Evaluator, flt: TrackFilter) -> None:
        self.found = found
        self.rules: tuple[Rule, ...] = conjuncts(flt.as_rule())
        self._masks: list[Mask | None] = [None] * len(self.rules)

    def without(self, field: str) -> Mask:
        """The tracks matching every condition but those choosing values of ``field``."""
        mask = np.ones(self.found.library.size, dtype=bool)
        for i, rule in enumerate(self.rules):
            if chooses(rule, field):
                continue
            found = self._masks[i]
            if found is None:
                found = self._masks[i] = self.found.mask(rule)
            mask &= found
        return mask


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
    found = evaluator(conn)
    parts = _Conjuncts(found, flt)
    if total is None:
        total = int(np.count_nonzero(parts.without("")))
    counted: dict[Facet, list[FacetCount]] = {facet: [] for facet in ALL_FACETS}
    for facet, kind in FACET_KINDS.items():
        if facet in wanted:
            counted[facet] = _ranked(found, kind, parts.without(kind.value), FACET_LIMIT)
    if Facet.DECADES in wanted:
        counted[Facet.DECADES] = _decades(found, parts.without("decade"))
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
    the tracks matching every condition but those choosing the kind: most first, then by name."""
    found = evaluator(conn)
    mask = _Conjuncts(found, flt).without(kind.value)
    return _ranked(found, kind, mask, limit, search)


def _ranked(
    found: Evaluator, kind: TagKind, mask: Mask, limit: int, search: str = ""
) -> list[FacetCount]:
    counts = found.library.tags.counts(kind.value, mask, search, limit)
    return [FacetCount(name, n) for name, n in counts]


def _decades(found: Evaluator, mask: Mask) -> list[FacetCount]:
    years = found.library.numbers["year"][mask]
    years = years[~np.isnan(years)]
    decades, counts = np.unique((years // 10 * 10).astype(np.int64), return_counts=True)
    return [FacetCount(decade_name(int(d)), int(n)) for d, n in zip(decades, counts, strict=True)]
