"""The SQLite cache: schema, atomic snapshots, derived fields and the query layer."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from library_factory import album, artist, dump, publish, track

from plexcrate.cache import memory
from plexcrate.cache.database import CacheUnreadable, Database, ReadOverBudget, open_or_replace
from plexcrate.cache.facets import library_stats
from plexcrate.cache.filters import TrackFilter, parse_decade
from plexcrate.cache.queries import (
    Sort,
    count_tracks,
    find_tracks,
)
from plexcrate.cache.schema import SCHEMA_VERSION
from plexcrate.cache.snapshot import SnapshotBuilder
from plexcrate.cache.state import SyncState, clear_library, read_sync_state


@pytest.fixture
def db(tmp_path: Path):
    database = Database(tmp_path / "library_cache.db")
    yield database
    database.close()


@pytest.fixture
def library(db: Database) -> Database:
    """A small library covering every filter."""
    publish(
        db,
        artists=[artist(1, "Ana", "Jazz"), artist(2, "Bo"), artist(3, "Various Artists")],
        albums=[
            album(10, 1, "Blue", "Rock", "Pop", year=1994),
            album(11, 1, "Green", year=2003),  # no album genres: Ana's "Jazz" applies
            album(12, 2, "Live at Leeds", "Rock", year=1970, live=True),
            album(13, 3, "Hits", year=None),  # no genres anywhere, no year
        ],
        tracks=[
            track(100, 10, 1, "Alpha", artist="Ana", album_title="Blue", year=1994, rating=10),
            track(101, 10, 1, "Beta", artist="Ana", album_title="Blue", year=1994, rating=6),
            track(102, 11, 1, "Gamma", artist="Ana", album_title="Green", rating=9),
            track(103, 12, 2, "Delta", artist="Bo", album_title="Live at Leeds", year=1970),
            track(
                104,
                13,
                3,
                "Épsilon",
                artist="Björk",
                album_artist="Various Artists",
                album_title="Hits",
                live=True,
            ),
        ],
    )
    return db


# --- the file ---------------------------------------------------------------------------------


def test_a_new_cache_is_created_empty_at_the_current_schema(db: Database) -> None:
    assert db.read(read_sync_state) == SyncState()
    assert db.read(lambda c: c.execute("PRAGMA user_version").fetchone()[0]) == SCHEMA_VERSION
    assert db.read(lambda c: c.execute("PRAGMA journal_mode").fetchone()[0]) == "wal"


def test_reopening_keeps_the_data(tmp_path: Path) -> None:
    with Database(tmp_path / "c.db") as first:
        publish(first, tracks=[track(1, 10, 1)])
    with Database(tmp_path / "c.db") as again:
        assert again.read(read_sync_state).track_count == 1


def test_a_file_that_is_not_sqlite_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "library_cache.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(CacheUnreadable, match="not a plexcrate cache or is damaged"):
        Database(path)


def test_another_programs_sqlite_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "library_cache.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.commit()
    conn.close()
    before, raw = dump(path), path.read_bytes()
    with pytest.raises(CacheUnreadable, match="another program"):
        Database(path)
    assert dump(path) == before
    assert path.read_bytes() == raw  # not even switched to WAL mode


# --- snapshots --------------------------------------------------------------------------------


def test_publish_records_the_sync(library: Database) -> None:
    state = library.read(read_sync_state)
    assert state.machine_identifier == "server-a"
    assert state.track_count == 5
    assert state.synced_at == 1000.0
    assert state.schema_version == SCHEMA_VERSION


def test_readers_see_the_previous_snapshot_until_the_swap_commits(library: Database) -> None:
    builder_ready, may_publish = _events()

    def build(conn: sqlite3.Connection) -> int:
        builder = SnapshotBuilder(conn)
        builder.add_tracks([track(999, 10, 1, "New")])
        builder_ready.set()
        may_publish.wait(5)
        return builder.publish(
            machine_identifier="server-a", server_name="T", synced_at=2000.0, duration_s=1
        )

    future = library.submit_write(build)
    assert builder_ready.wait(5)
    keys = library.read(lambda c: [r[0] for r in c.execute("SELECT rating_key FROM tracks")])
    assert keys == [100, 101, 102, 103, 104]
    may_publish.set()
    assert future.result(5) == 1
    keys = library.read(lambda c: [r[0] for r in c.execute("SELECT rating_key FROM tracks")])
    assert keys == [999]


def test_a_failed_build_leaves_the_cache_exactly_as_it_was(library: Database) -> None:
    before = dump(library.path)

    def failing(conn: sqlite3.Connection) -> None:
        builder = SnapshotBuilder(conn)
        builder.add_tracks([track(999, 10, 1, "New")])
        raise RuntimeError("Plex went away")

    with pytest.raises(RuntimeError):
        library.write(failing)
    assert dump(library.path) == before
    # and the writer is healthy afterwards
    assert publish(library, tracks=[track(1, 10, 1)]) == 1


def test_a_track_read_twice_is_filtered_by_what_the_last_read_said(db: Database) -> None:
    # A listing that moves while it is read can hand a track out twice (plex/paging.py); its
    # tags and their copies of its filter columns are derived as each page is added.
    def build(conn: sqlite3.Connection) -> int:
        builder = SnapshotBuilder(conn)
        builder.add_artists([artist(1, "Ana", "Jazz")])
        builder.add_albums([album(10, 1, "Blue", "Rock", year=1994)])
        builder.add_tracks([track(100, 10, 1, rating=2), track(101, 10, 1, rating=4)])
        builder.add_tracks([track(100, 10, 1, rating=8, year=2001)])
        return builder.publish(
            machine_identifier="server-a", server_name="T", synced_at=2000.0, duration_s=1
        )

    assert db.write(build) == 2
    rock_rated = TrackFilter.of(genre=["Rock"], min_rating=8)
    assert [t.rating_key for t in db.read(lambda c: find_tracks(c, rock_rated).tracks)] == [100]
    in_2001 = TrackFilter.of(genre=["Rock"], year_min=2001)
    assert db.read(lambda c: count_tracks(c, in_2001)) == 1
    genres = db.read(lambda c: library_stats(c, TrackFilter.of(min_rating=8)).genres)
    assert [(g.name, g.count) for g in genres] == [("Rock", 1)]


def test_a_full_disk_during_publish_rolls_back(library: Database) -> None:
    before = dump(library.path)

    def fill_disk(conn: sqlite3.Connection) -> None:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        builder = SnapshotBuilder(conn)
        conn.execute(f"PRAGMA max_page_count = {pages + 2}")  # what a full disk looks like
        try:
            builder.add_tracks(track(k, 10, 1, "x" * 500) for k in range(1000, 3000))
        finally:
            conn.execute("PRAGMA max_page_count = 4294967294")

    with pytest.raises(sqlite3.OperationalError, match="full"):
        library.write(fill_disk)
    assert dump(library.path) == before


def test_clearing_forgets_every_track_and_the_old_server(library: Database) -> None:
    library.write(lambda c: clear_library(c, machine_identifier="server-b"))
    state = library.read(read_sync_state)
    assert state.machine_identifier == "server-b"
    assert state.track_count == 0 and state.synced_at is None
    assert library.read(lambda c: count_tracks(c, TrackFilter())) == 0


# --- derived fields ---------------------------------------------------------------------------


def genres_of(db: Database, key: int) -> list[str]:
    page = db.read(lambda c: find_tracks(c, TrackFilter(), limit=1000))
    return sorted(next(t for t in page.tracks if t.rating_key == key).genres)


def test_genres_come_from_the_album_else_from_the_artist(library: Database) -> None:
    assert genres_of(library, 100) == ["Pop", "Rock"]
    assert genres_of(library, 102) == ["Jazz"]  # album "Green" has none; artist Ana has Jazz
    assert genres_of(library, 104) == []


def test_year_and_live_come_from_the_album_when_the_track_lacks_them(library: Database) -> None:
    page = library.read(lambda c: find_tracks(c, TrackFilter(), limit=1000))
    by_key = {t.rating_key: t for t in page.tracks}
    assert by_key[102].year == 2003
    assert by_key[103].is_live  # album is live
    assert by_key[104].is_live  # track title said so
    assert not by_key[100].is_live


# --- queries ----------------------------------------------------------------------------------


def keys(db: Database, flt: TrackFilter, **kwargs) -> list[int]:
    page = db.read(lambda c: find_tracks(c, flt, limit=1000, **kwargs))
    assert page.total == len(page.tracks)
    return [t.rating_key for t in page.tracks]


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (TrackFilter(), [100, 101, 102, 103, 104]),
        (TrackFilter.of(genre=("rock",)), [100, 101, 103]),  # genre names ignore case
        (TrackFilter.of(genre=("Jazz", "Pop")), [100, 101, 102]),  # OR
        (TrackFilter.of(decade=["1990s"]), [100, 101]),
        (TrackFilter.of(decade=["1970s", "2000s"]), [102, 103]),
        (TrackFilter.of(min_rating=9), [100, 102]),
        (TrackFilter.of(exclude_live=True), [100, 101, 102]),
        (TrackFilter.of(genre=("Rock",), exclude_live=True, min_rating=7), [100]),
        (TrackFilter.of(q="bjork"), [104]),  # accents don't matter
        (TrackFilter.of(q="ana green"), [102]),  # every word must match
        (TrackFilter.of(q="alp"), [100]),  # words match from their start
        (TrackFilter.of(q="lpha"), []),  # ...not from the middle
        (TrackFilter.of(q='100% "al" OR *'), []),  # nothing typed is query syntax
        (TrackFilter.of(genre=("Nope",)), []),
    ],
)
def test_filters(library: Database, flt: TrackFilter, expected: list[int]) -> None:
    assert sorted(keys(library, flt)) == expected


def test_default_order_is_album_artist_album_disc_track(library: Database) -> None:
    assert keys(library, TrackFilter()) == [100, 101, 102, 103, 104]


def test_pages_cover_every_track_once(library: Database) -> None:
    pages = [
        library.read(lambda c, o=offset: find_tracks(c, TrackFilter(), limit=2, offset=o))
        for offset in (0, 2, 4)
    ]
    assert all(page.total == 5 for page in pages)
    assert [t.rating_key for p in pages for t in p.tracks] == [100, 101, 102, 103, 104]


def test_random_order_is_a_stable_shuffle_per_seed(library: Database) -> None:
    first = keys(library, TrackFilter(), sort=Sort("random"), seed=7)
    assert keys(library, TrackFilter(), sort=Sort("random"), seed=7) == first
    assert sorted(first) == [100, 101, 102, 103, 104]
    orders = {tuple(keys(library, TrackFilter(), sort=Sort("random"), seed=s)) for s in range(20)}
    assert len(orders) > 5


def test_stats_facets_match_the_track_counts(library: Database) -> None:
    flt = TrackFilter.of(exclude_live=True)
    stats = library.read(lambda c: library_stats(c, flt))
    assert stats.total_tracks == 3
    for facet in stats.genres:
        with_genre = TrackFilter.of(genre=(facet.name,), exclude_live=True)
        assert facet.count == library.read(lambda c, f=with_genre: count_tracks(c, f))
    assert {f.name: f.count for f in stats.decades} == {"1990s": 2, "2000s": 1}


@pytest.mark.parametrize("text", ["1990", "90s", "19x0s", "1995s", "", "s"])
def test_a_decade_must_look_like_1990s(text: str) -> None:
    with pytest.raises(ValueError, match="not a decade"):
        parse_decade(text)


def test_staleness() -> None:
    synced = SyncState(track_count=10, synced_at=0.0)
    assert synced.is_stale(now=24 * 3600 + 1, max_age_hours=24)
    assert not synced.is_stale(now=24 * 3600 - 1, max_age_hours=24)
    assert synced.is_stale(now=1801, max_age_hours=0.5)
    assert not SyncState().is_stale(now=10**9, max_age_hours=24)  # empty: nothing to refresh


def _events():
    import threading

    return threading.Event(), threading.Event()


def test_an_unreadable_cache_is_moved_aside_and_replaced(tmp_path: Path) -> None:
    path = tmp_path / "library_cache.db"
    path.write_bytes(b"garbage" * 1000)
    db, note = open_or_replace(path)
    with db:
        assert db.read(read_sync_state).is_empty
    assert note is not None and "moved to library_cache.db.unreadable-" in note
    (moved,) = tmp_path.glob("library_cache.db.unreadable-*")
    assert moved.read_bytes() == b"garbage" * 1000  # kept, never deleted


def test_a_readable_cache_is_opened_as_it_is(library: Database) -> None:
    library.close()
    db, note = open_or_replace(library.path)
    with db:
        assert note is None
        assert db.read(read_sync_state).track_count == 5


def test_building_a_snapshot_s_memory_is_not_charged_to_the_read_that_waits_for_it(
    db: Database,
) -> None:
    """A read's time budget is for its own work: the first read after a commit builds what is
    kept per snapshot (or waits for another thread's build), and is not stopped for that."""
    publish(db, [artist(1, "A")], [album(10, 1, "One")], [track(100, 10, 1)])

    def slow_build(conn: sqlite3.Connection) -> int:
        conn.execute("SELECT count(*) FROM tracks").fetchone()
        time.sleep(0.3)  # a build longer than the read's whole budget
        return conn.execute("SELECT count(*) FROM tracks").fetchone()[0]

    def read(conn: sqlite3.Connection) -> int:
        built = memory.for_snapshot(conn, "slow", slow_build)
        # A statement with enough steps for SQLite's progress handler to look at the clock.
        conn.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
            "WHERE i < 200000) SELECT count(*) FROM n"
        ).fetchone()
        return built

    assert db.read(read, budget_s=0.2) == 1
    with pytest.raises(ReadOverBudget):  # while its own work is still held to the budget
        db.read(lambda conn: (time.sleep(0.3), read(conn)), budget_s=0.2)
