"""Facets and the playlist picker against a brute-force evaluation, on random small libraries.

The libraries, the filters and the oracle are test_query_properties.py's; these tests are a
module of their own so that the suite's processes share them out (a module runs whole on one).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from test_query_properties import (
    EXAMPLES,
    FACETS,
    Library,
    db,  # noqa: F401 (a fixture)
    filter_values,
    libraries,
    make_filter,
    matches,
    nocase,
    publish_library,
)

from plexcrate.cache.database import Database
from plexcrate.cache.facets import library_stats, tag_counts
from plexcrate.cache.filters import decade_name
from plexcrate.cache.picker import MAX_PICK, PickOptions, pick_tracks
from plexcrate.cache.tags import TagKind

# --- facets -----------------------------------------------------------------------------------


@EXAMPLES
@given(lib=libraries(), values=filter_values)
def test_facets_count_what_the_track_list_would_total(
    db: Database,  # noqa: F811
    lib: Library,
    values: dict[str, Any],
) -> None:
    publish_library(db, lib)
    flt = make_filter(values)
    stats = db.read(lambda conn: library_stats(conn, flt))

    assert stats.total_tracks == sum(1 for s in lib.songs if matches(lib, s, values))
    for facet, kind in FACETS.items():
        expected: Counter[str] = Counter()
        for song in lib.songs:
            if matches(lib, song, values, without=facet):
                expected.update(lib.tags(song, kind))
        got = getattr(stats, facet)
        assert {nocase(f.name): f.count for f in got} == dict(expected), facet
        counts = [f.count for f in got]
        assert counts == sorted(counts, reverse=True)  # most tracks first
    decades: Counter[str] = Counter()
    for song in lib.songs:
        year = lib.year(song)
        if year is not None and matches(lib, song, values, without="decades"):
            decades[decade_name(year // 10 * 10)] += 1
    assert [(f.name, f.count) for f in stats.decades] == sorted(decades.items())


@EXAMPLES
@given(lib=libraries(), values=filter_values, search=st.sampled_from(["", "a", "É", "%", "_"]))
def test_searching_the_artists_counts_each_under_the_other_filters(
    db: Database,  # noqa: F811
    lib: Library,
    values: dict[str, Any],
    search: str,
) -> None:
    publish_library(db, lib)
    flt = make_filter(values)
    got = db.read(
        lambda conn: tag_counts(conn, flt, TagKind.ARTIST, facet=None, search=search, limit=500)
    )
    others = {k: v for k, v in values.items() if k != "artist"}
    expected: Counter[str] = Counter()
    for song in lib.songs:
        if matches(lib, song, others):
            expected.update(lib.tags(song, "artist"))
    # LIKE ignores ASCII case only, as NOCASE does.
    wanted = {name: n for name, n in expected.items() if nocase(search) in name}
    assert {nocase(f.name): f.count for f in got} == wanted


# --- the playlist picker ----------------------------------------------------------------------


@EXAMPLES
@given(
    lib=libraries(),
    values=filter_values,
    count=st.integers(1, 30),
    favour=st.booleans(),
    per_artist=st.none() | st.integers(1, 3),
    target=st.none() | st.floats(0.1, 60),
    exclude=st.lists(st.integers(1000, 1025), max_size=5),
    keep=st.lists(st.integers(1000, 1025), max_size=5),
    seed=st.integers(0, 2**31 - 1),
)
def test_picks_obey_every_wish(
    db: Database,  # noqa: F811
    lib: Library,
    values: dict[str, Any],
    count: int,
    favour: bool,
    per_artist: int | None,
    target: float | None,
    exclude: list[int],
    keep: list[int],
    seed: int,
) -> None:
    publish_library(db, lib)
    flt = make_filter(values)
    options = PickOptions(count, favour, per_artist, target, tuple(exclude), tuple(keep), seed)
    picked = db.read(lambda conn: pick_tracks(conn, flt, options))
    assert picked == db.read(lambda conn: pick_tracks(conn, flt, options))  # same seed

    songs = {s.key: s for s in lib.songs}
    candidates = [
        s
        for s in lib.songs
        if matches(lib, s, values)
        and s.key not in exclude
        and s.key not in keep
        and (target is None or s.duration_ms is not None)
    ]
    keys = [t.rating_key for t in picked]
    assert len(keys) == len(set(keys)) and set(keys) <= {s.key for s in candidates}
    cap = per_artist or MAX_PICK
    # The preview's kept tracks count toward the cap, whatever the filter.
    kept = Counter(nocase(songs[k].artist) for k in set(keep) if k in songs)
    by_artist = Counter(nocase(songs[k].artist) for k in keys)  # lower() in SQL: ASCII only
    assert all(n + kept[artist] <= cap for artist, n in by_artist.items())
    # As many as asked for, unless the candidates (under the per-artist cap) run out first.
    groups = Counter(nocase(s.artist) for s in candidates)
    available = sum(max(0, min(n, cap - kept[artist])) for artist, n in groups.items())
    if target is None:
        assert len(keys) == min(count, available)
    else:
        minutes = sum(songs[k].duration_ms or 0 for k in keys) / 60_000
        stopped_early = len(keys) < min(count, available)
        if stopped_early:  # only because the target was reached, by the last pick
            assert minutes >= target
            assert minutes - (songs[keys[-1]].duration_ms or 0) / 60_000 < target
