"""Incremental refresh against the Plex simulator: exact after every kind of change, cheap, atomic,
and a full sync whenever a refresh cannot be trusted.

"Exact" is checked twice after each refresh: against the simulator's own model (the oracle) and
against a fresh full sync into a second cache, table by table.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from conftest import TOKEN
from library_factory import dump
from plex_oracle import assert_cache_matches, assert_same_library, cached_art

from plexcrate.cache.database import Database
from plexcrate.cache.filters import TrackFilter
from plexcrate.cache.queries import count_tracks
from plexcrate.cache.schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION
from plexcrate.cache.state import read_sync_state
from plexcrate.plex.client import LibType, PlexClient
from plexcrate.simulator import PlexSimulator, SimLibrary
from plexcrate.sync.engine import SyncFailed, SyncOptions, SyncResult, sync_library
from plexcrate.sync.incremental import MARGIN_S
from plexcrate.sync.live import is_live_album, is_live_title
from plexcrate.sync.mapping import MAPPING_VERSION
from plexcrate.sync.progress import Phase, SyncProgress

# Small pages, so that the listings a refresh makes take several pages too.
OPTIONS = SyncOptions(page_size=100, workers=3)


def sync(db: Database, client: PlexClient, **kwargs) -> SyncResult:
    return sync_library(db, client, options=kwargs.pop("options", OPTIONS), **kwargs)


def assert_exact(db: Database, lib: SimLibrary, client: PlexClient, scratch: Path) -> None:
    """The cache mirrors the library, and equals what a full sync makes of it."""
    assert_cache_matches(db, lib)
    scratch.unlink(missing_ok=True)
    with Database(scratch) as fresh:
        assert sync(fresh, client, full=True).kind == "full"
        assert_same_library(db, fresh)


def items_read(plex: PlexSimulator) -> int:
    return sum(record.items for record in plex.requests)


def cut_short(items: Mapping[int, Any]) -> int:
    """How many of these items a listing shows with a tag list that may be cut (2 entries)."""
    lists = ("genres", "styles", "moods", "countries")
    return sum(1 for i in items.values() if any(len(getattr(i, a, ())) >= 2 for a in lists))


class FixedClock:
    """A library clock under the test's control (the simulator stamps changes with it)."""

    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


# --- changes, one kind at a time ------------------------------------------------------------


def _played(lib: SimLibrary) -> list[int]:
    return sorted(key for key, track in lib.tracks.items() if track.view_count)


def _unplayed_siblings(lib: SimLibrary, key: int) -> list[int]:
    album = lib.tracks[key].album_key
    return [k for k in lib.album_tracks[album] if not lib.tracks[k].view_count]


def _unplay_and_play_a_sibling(lib: SimLibrary) -> None:
    """The album's played-track count stays the same: only the per-track state tells."""
    key = next(k for k in _played(lib) if _unplayed_siblings(lib, k))
    sibling = _unplayed_siblings(lib, key)[0]
    lib.unplay_track(key)
    lib.play_track(sibling)


def _studio_album(lib: SimLibrary) -> int:
    """An album neither Plex nor its title calls live, with no live-titled track."""
    return next(
        key
        for key, album in sorted(lib.albums.items())
        if not is_live_album(album.title, album.subformats)
        and not any(is_live_title(lib.tracks[k].title) for k in lib.album_tracks[key])
    )


def _artist_without_album_genres(lib: SimLibrary) -> int:
    """An artist whose tracks take their genres from it (its albums have none)."""
    return next(
        key
        for key, albums in sorted(lib.artist_albums.items())
        if albums and not any(lib.albums[a].genres for a in albums)
    )


def _delete_and_add_in_one_album(lib: SimLibrary) -> None:
    """The album keeps its track count: the deletion must not hide behind the addition."""
    album = next(a for a, keys in sorted(lib.album_tracks.items()) if len(keys) > 2)
    lib.delete_track(lib.album_tracks[album][0])
    lib.add_track(album, title="Replacement")


CHANGES: dict[str, Callable[[SimLibrary], object]] = {
    "add an album by a new artist": lambda lib: lib.add_album(tracks=4, genres=["Dub"]),
    "add a live album": lambda lib: lib.add_album(
        next(iter(lib.artists)), tracks=3, subformats=["Live"], year=1977
    ),
    "add a track": lambda lib: lib.add_track(sorted(lib.albums)[4], title="Bonus"),
    "delete a track": lambda lib: lib.delete_track(sorted(lib.tracks)[7]),
    "delete an album": lambda lib: lib.delete_album(sorted(lib.albums)[6]),
    "delete an artist": lambda lib: lib.delete_artist(sorted(lib.artists)[5]),
    "delete and add in one album": _delete_and_add_in_one_album,
    "retitle a track": lambda lib: lib.edit_track(sorted(lib.tracks)[9], title="Live at Leeds"),
    "credit a track to a guest": lambda lib: lib.edit_track(
        sorted(lib.tracks)[11], original_title="Guest Star"
    ),
    "change an album's genres": lambda lib: lib.edit_album(
        sorted(lib.albums)[2], genres=["Shoegaze", "Dream Pop"]
    ),
    # More genres than a listing shows: the refresh must read the album's own metadata.
    "give an album more genres than a listing shows": lambda lib: lib.edit_album(
        sorted(lib.albums)[2], genres=["Shoegaze", "Dream Pop", "Noise", "Krautrock"]
    ),
    "give an artist more genres than a listing shows": lambda lib: lib.edit_artist(
        _artist_without_album_genres(lib), genres=["Zydeco", "Cajun", "Swamp Pop"]
    ),
    "add an album live only by its release type, with many genres": lambda lib: lib.add_album(
        tracks=3, title="Stop Making Sense", subformats=["Live"], genres=["Funk", "Rock", "Art"]
    ),
    "change an album's styles and moods only": lambda lib: lib.edit_album(
        sorted(lib.albums)[4], styles=["Krautrock", "Lo-Fi", "Grunge"], moods=["Tense"]
    ),
    "clear an album's genres": lambda lib: lib.edit_album(
        next(k for k, a in sorted(lib.albums.items()) if a.genres), genres=[]
    ),
    "change an album's year": lambda lib: lib.edit_album(sorted(lib.albums)[3], year=1969),
    "clear an album's year": lambda lib: lib.edit_album(
        next(k for k, a in sorted(lib.albums.items()) if a.year), year=None
    ),
    "retitle an album": lambda lib: lib.edit_album(sorted(lib.albums)[5], title="Renamed"),
    "make an album live": lambda lib: lib.edit_album(_studio_album(lib), subformats=["Live"]),
    "make a live album a studio one": lambda lib: lib.edit_album(
        next(k for k, a in sorted(lib.albums.items()) if "Live" in a.subformats), subformats=[]
    ),
    "change an artist's genres": lambda lib: lib.edit_artist(
        next(k for k, a in sorted(lib.artists.items()) if a.genres), genres=["Zydeco"]
    ),
    # A track's countries are its album artist's: the refresh must re-derive its tracks'.
    "give an artist more countries than a listing shows": lambda lib: lib.edit_artist(
        sorted(lib.artists)[2], countries=["Iceland", "Japan", "Nigeria"]
    ),
    "clear an artist's countries": lambda lib: lib.edit_artist(
        next(k for k, a in sorted(lib.artists.items()) if a.countries), countries=[]
    ),
    "rename an artist": lambda lib: lib.edit_artist(sorted(lib.artists)[1], title="New Name"),
    "rate a track": lambda lib: lib.rate_track(sorted(lib.tracks)[13], 9.0),
    "rate a track half a star": lambda lib: lib.rate_track(sorted(lib.tracks)[14], 4.5),
    "clear a rating": lambda lib: lib.rate_track(
        next(k for k, t in sorted(lib.tracks.items()) if t.user_rating is not None), None
    ),
    "play a track": lambda lib: lib.play_track(sorted(lib.tracks)[15]),
    "mark a track unplayed": lambda lib: lib.unplay_track(_played(lib)[0]),
    "mark unplayed and play a sibling": _unplay_and_play_a_sibling,
}


@pytest.mark.parametrize("change", CHANGES)
def test_each_kind_of_change_lands(
    cache: Database, client: PlexClient, sim_library: SimLibrary, tmp_path: Path, change: str
) -> None:
    assert sync(cache, client).kind == "full"
    CHANGES[change](sim_library)
    result = sync(cache, client)
    assert (result.kind, result.reason) == ("incremental", "")
    assert result.track_count == len(sim_library.tracks)
    assert_exact(cache, sim_library, client, tmp_path / "fresh.db")
    state = cache.read(read_sync_state)
    assert state.sync_kind == "incremental" and state.track_count == len(sim_library.tracks)


def test_a_genre_nothing_uses_any_more_is_forgotten(
    cache: Database, client: PlexClient, sim_library: SimLibrary, tmp_path: Path
) -> None:
    """Or the genre facets would offer a genre that finds nothing."""
    album = sorted(sim_library.albums)[2]
    sim_library.edit_album(album, genres=["Vaporwave"])
    sync(cache, client)
    sim_library.edit_album(album, genres=["Jazz"])
    assert sync(cache, client).kind == "incremental"
    names = cache.read(
        lambda c: [n.lower() for (n,) in c.execute("SELECT name FROM tags WHERE kind = 'genre'")]
    )
    assert "vaporwave" not in names and "jazz" in names
    assert_exact(cache, sim_library, client, tmp_path / "fresh.db")


def test_nothing_changed_reads_almost_nothing(
    cache: Database, client: PlexClient, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    sync(cache, client)
    full_items = items_read(plex)
    # Guards the counting itself: a full sync lists every artist, album and track once (pages
    # overlap by one item), and reads the details of every album and of the artists and tracks
    # whose listed tags may be cut (a page's first item, read with the page before, may be
    # read again).
    lib, listings = sim_library, [r for r in plex.requests if r.path.endswith("/all") and r.items]
    overlaps = len(listings) - 3
    assert sum(r.items for r in listings) - overlaps == (
        len(lib.tracks) + len(lib.albums) + len(lib.artists)
    )
    details = sum(r.items for r in plex.requests if r.path.startswith("/library/metadata/"))
    cut = len(lib.albums) + cut_short(lib.artists) + cut_short(lib.tracks)
    assert cut <= details <= cut + overlaps
    plex.requests.clear()
    before = cache.read(lambda c: list(c.execute("SELECT * FROM tracks ORDER BY rating_key")))
    assert sync(cache, client).kind == "incremental"
    assert items_read(plex) <= full_items * 0.02
    after = cache.read(lambda c: list(c.execute("SELECT * FROM tracks ORDER BY rating_key")))
    assert after == before


def test_a_refresh_reads_far_fewer_items_than_a_full_sync(
    cache: Database, client: PlexClient, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    sync(cache, client)
    full_items = items_read(plex)
    keys = sorted(sim_library.tracks)
    sim_library.add_album(tracks=5)
    sim_library.delete_track(keys[30])  # a deletion: the refresh must list every album
    sim_library.rate_track(keys[40], 8.0)
    sim_library.play_track(keys[50])
    plex.requests.clear()
    assert sync(cache, client).kind == "incremental"
    assert_cache_matches(cache, sim_library)
    assert items_read(plex) <= full_items * 0.25
    # Tracks read: the 5 new, the 2 rated and played, and the deleted one's album (< 30).
    track_listings = [r for r in plex.requests if r.params.get("type") == "10"]
    assert sum(r.items for r in track_listings) < 40


# --- many rounds of random changes ----------------------------------------------------------


def _random_change(lib: SimLibrary, rng: random.Random) -> None:
    tracks, albums, artists = sorted(lib.tracks), sorted(lib.albums), sorted(lib.artists)
    genres = ["Rock", "rock", "Jazz", "Dub", "Ambient", "Noise", "Électro"]
    op = rng.choice(
        [
            "add_album", "add_track", "add_track", "delete_track", "delete_track",
            "delete_album", "edit_track", "edit_album", "edit_album", "edit_artist", "rate",
            "rate", "unrate", "play", "play", "unplay", "unplay", "delete_artist",
        ]
    )  # fmt: skip
    if op == "add_album":
        sections = [s.id for s in lib.music_sections()]
        by = rng.choice([None, rng.choice(artists)])
        fields = {"section_id": rng.choice(sections)} if by is None else {}
        lib.add_album(
            by,
            tracks=rng.randint(1, 12),
            genres=rng.sample(genres, rng.randint(0, 2)),
            year=rng.choice([None, rng.randint(1950, 2024)]),
            subformats=rng.choice([[], [], ["Live"]]),
            **fields,
        )
    elif op == "add_track":
        lib.add_track(rng.choice(albums), title=rng.choice(["Intro", "Outro (Live)", "Coda"]))
    elif op == "delete_track" and len(tracks) > 200:
        lib.delete_track(rng.choice(tracks))
    elif op == "delete_album" and len(tracks) > 200:
        lib.delete_album(rng.choice(albums))
    elif op == "delete_artist" and len(tracks) > 200 and rng.random() < 0.3:
        lib.delete_artist(rng.choice(artists))
    elif op == "edit_track":
        field = rng.choice(["title", "original_title", "index", "duration"])
        value = {
            "title": rng.choice(["Renamed", "Song (Live)", "Ünïcode “quoted”"]),
            "original_title": rng.choice([None, "Guest", "Another Guest"]),
            "index": rng.randint(1, 30),
            "duration": rng.choice([None, 123_000]),
        }[field]
        lib.edit_track(rng.choice(tracks), **{field: value})
    elif op == "edit_album":
        field = rng.choice(["genres", "year", "title", "subformats"])
        value = {
            "genres": rng.sample(genres, rng.randint(0, 3)),
            "year": rng.choice([None, rng.randint(1950, 2024)]),
            "title": rng.choice(["Renamed Album", "Live at the Roxy", "Greatest Hits"]),
            "subformats": rng.choice([[], ["Live"]]),
        }[field]
        lib.edit_album(rng.choice(albums), **{field: value})
    elif op == "edit_artist":
        if rng.random() < 0.5:
            lib.edit_artist(rng.choice(artists), genres=rng.sample(genres, rng.randint(0, 2)))
        else:
            lib.edit_artist(rng.choice(artists), title=rng.choice(["Renamed Artist", "The X"]))
    elif op == "rate":
        lib.rate_track(rng.choice(tracks), rng.choice([0.0, 2.0, 5.5, 10.0]))
    elif op == "unrate":
        lib.rate_track(rng.choice(tracks), None)
    elif op == "play":
        lib.play_track(rng.choice(tracks))
    elif op == "unplay":
        played = [k for k in tracks if lib.tracks[k].view_count]
        if played:
            lib.unplay_track(rng.choice(played))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_changes_over_many_rounds_stay_exact(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    lib = SimLibrary.generate(tracks=900, seed=seed, music_sections=2)
    # Changes are stamped by a clock the test moves: often not at all (many changes in the
    # second of the last refresh), sometimes by a second or an hour.
    clock = FixedClock(int(time.time()))
    lib.clock = clock
    with (
        PlexSimulator(lib, token=TOKEN, strict=True) as plex,
        PlexClient(plex.url, TOKEN, retry_delay=0) as client,
        Database(tmp_path / "cache.db") as db,
    ):
        assert sync(db, client).kind == "full"
        for round_number in range(25):
            for _ in range(rng.choice([0, 1, 3, 8, 20])):
                _random_change(lib, rng)
                clock.now += rng.choice([0, 0, 0, 1, 3600])
            result = sync(db, client)
            assert (result.kind, result.reason) == ("incremental", ""), round_number
            assert_exact(db, lib, client, tmp_path / "fresh.db")
            clock.now += rng.choice([0, 1])


# --- timing edge cases -----------------------------------------------------------------------


def test_changes_in_the_same_second_as_the_last_refresh_are_found(
    cache: Database, client: PlexClient, sim_library: SimLibrary, tmp_path: Path
) -> None:
    """Plex's ``>>=`` is strict and its clock has whole seconds: a change stamped with the very
    second of the watermark must still be read."""
    sim_library.clock = FixedClock(int(time.time()))
    sync(cache, client)
    keys = sorted(sim_library.tracks)
    for step in range(3):
        sim_library.rate_track(keys[step], 6.0)
        sim_library.play_track(keys[10 + step])
        sim_library.edit_track(keys[20 + step], title=f"Same second {step}")
        assert sync(cache, client).kind == "incremental"
        assert_exact(cache, sim_library, client, tmp_path / "fresh.db")
    assert cache.read(read_sync_state).watermark == sim_library.clock()


class _ChangesWhileReading(PlexClient):
    """A client during whose refresh Plex changes: just after the timestamped listings."""

    def __init__(self, *args, change: Callable[[], None], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._change: Callable[[], None] | None = change

    def count(
        self, section_id: int, libtype: LibType, filters: Mapping[str, str] | None = None
    ) -> int:
        change, self._change = self._change, None
        if change is not None:
            change()
        return super().count(section_id, libtype, filters)


def test_a_change_made_while_a_refresh_reads_is_found_by_the_next(
    cache: Database, plex: PlexSimulator, sim_library: SimLibrary, tmp_path: Path
) -> None:
    sim_library.clock = FixedClock(int(time.time()))
    keys = sorted(sim_library.tracks)
    with PlexClient(plex.url, TOKEN, retry_delay=0) as client:
        sync(cache, client)
        sim_library.play_track(keys[1])
    with _ChangesWhileReading(
        plex.url, TOKEN, retry_delay=0, change=lambda: sim_library.rate_track(keys[2], 10.0)
    ) as racing:
        assert sync(cache, racing).kind == "incremental"
    with PlexClient(plex.url, TOKEN, retry_delay=0) as client:
        assert sync(cache, client).kind == "incremental"
        assert_exact(cache, sim_library, client, tmp_path / "fresh.db")


def test_a_change_early_in_a_slow_refresh_is_found_by_the_next(
    cache: Database, plex: PlexSimulator, sim_library: SimLibrary, tmp_path: Path
) -> None:
    """The watermark is the newest timestamp read, which may come from late in the refresh; a
    change made early on, after its listing was read, is older than that by up to the whole
    refresh. The next refresh must reach back over the whole of it, not just the margin."""
    albums = sorted(sim_library.albums)
    rated = sim_library.album_tracks[albums[10]][0]

    def while_reading() -> None:
        sim_library.rate_track(rated, 10.0)  # after this refresh read the ratings
        time.sleep(MARGIN_S + 2)  # a slow refresh...
        sim_library.edit_album(albums[20], genres=["Late"])  # ...reads this at its end,
        sim_library.delete_track(sim_library.album_tracks[albums[30]][0])  # in every album

    with PlexClient(plex.url, TOKEN, retry_delay=0) as client:
        sync(cache, client)
    with _ChangesWhileReading(plex.url, TOKEN, retry_delay=0, change=while_reading) as slow:
        assert sync(cache, slow).kind == "incremental"
    assert cache.read(read_sync_state).watermark >= sim_library.albums[albums[20]].updated_at
    with PlexClient(plex.url, TOKEN, retry_delay=0) as client:
        assert sync(cache, client).kind == "incremental"
        assert_exact(cache, sim_library, client, tmp_path / "fresh.db")


# --- when a refresh cannot be trusted --------------------------------------------------------


def test_the_first_sync_and_an_explicit_request_are_full(
    cache: Database, client: PlexClient
) -> None:
    first = sync(cache, client)
    assert (first.kind, first.reason) == ("full", "the cache is empty")
    asked = sync(cache, client, full=True)
    assert (asked.kind, asked.reason) == ("full", "a full sync was asked for")
    assert cache.read(read_sync_state).sync_kind == "full"
    assert sync(cache, client).kind == "incremental"


def test_a_cache_written_by_another_schema_gets_a_full_sync(
    cache: Database, client: PlexClient
) -> None:
    sync(cache, client)
    cache.write(lambda c: c.execute("UPDATE sync_state SET schema_version = 1"))
    result = sync(cache, client)
    assert result.kind == "full" and "schema 1" in result.reason
    assert cache.read(read_sync_state).schema_version == SCHEMA_VERSION


def test_a_cache_mapped_by_other_rules_gets_a_full_sync(
    cache: Database, client: PlexClient, sim_library: SimLibrary
) -> None:
    sync(cache, client)
    cache.write(lambda c: c.execute("UPDATE sync_state SET mapping_version = 1"))
    result = sync(cache, client)
    assert result.kind == "full" and f"rules of version 1, now {MAPPING_VERSION}" in result.reason
    assert cache.read(read_sync_state).mapping_version == MAPPING_VERSION
    assert sync(cache, client).kind == "incremental"
    assert_cache_matches(cache, sim_library)


def test_a_version_1_cache_is_migrated_and_fully_synced(
    tmp_path: Path, client: PlexClient, sim_library: SimLibrary
) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    MIGRATIONS[0](conn)  # the schema as plexcrate 1 left it, with a synced library
    conn.execute("UPDATE sync_state SET track_count = 5, synced_at = 1, schema_version = 1")
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 1")
    conn.close()
    with Database(path) as db:
        state = db.read(read_sync_state)
        assert (state.track_count, state.watermark) == (5, None)
        assert sync(db, client).kind == "full"
        assert_cache_matches(db, sim_library)
        assert sync(db, client).kind == "incremental"


def synced_then_downgraded(
    tmp_path: Path, client: PlexClient, version: int, *statements: str
) -> Path:
    """A cache synced now, then turned back into what schema ``version`` wrote."""
    path = tmp_path / f"v{version}.db"
    with Database(path) as db:
        sync(db, client)
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in statements:
        conn.execute(statement)
    conn.execute(f"UPDATE sync_state SET schema_version = {version}")
    conn.execute(f"PRAGMA user_version = {version}")
    conn.close()
    return path


# The library tables as schema 4 left them: genres alone in tables of their own, and a search
# text column scanned with LIKE. (Frozen here: the code that wrote them is gone.)
_SCHEMA_4_LIBRARY = [
    "CREATE TABLE genres (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE)",
    """CREATE TABLE artists (rating_key INTEGER PRIMARY KEY, section_id INTEGER NOT NULL,
        title TEXT NOT NULL, added_at INTEGER, updated_at INTEGER)""",
    """CREATE TABLE artist_genres (artist_key INTEGER NOT NULL, genre_id INTEGER NOT NULL,
        PRIMARY KEY (artist_key, genre_id)) WITHOUT ROWID""",
    """CREATE TABLE albums (rating_key INTEGER PRIMARY KEY, section_id INTEGER NOT NULL,
        artist_key INTEGER, title TEXT NOT NULL, album_artist TEXT NOT NULL, year INTEGER,
        is_live INTEGER NOT NULL DEFAULT 0, track_count INTEGER, added_at INTEGER,
        updated_at INTEGER)""",
    """CREATE TABLE album_genres (album_key INTEGER NOT NULL, genre_id INTEGER NOT NULL,
        PRIMARY KEY (album_key, genre_id)) WITHOUT ROWID""",
    """CREATE TABLE tracks (rating_key INTEGER PRIMARY KEY, section_id INTEGER NOT NULL,
        album_key INTEGER, artist_key INTEGER, title TEXT NOT NULL, artist TEXT NOT NULL,
        album_artist TEXT NOT NULL, album TEXT NOT NULL, year INTEGER, duration_ms INTEGER,
        user_rating INTEGER, disc_number INTEGER, track_number INTEGER,
        is_live INTEGER NOT NULL DEFAULT 0, view_count INTEGER NOT NULL DEFAULT 0,
        added_at INTEGER, updated_at INTEGER, last_rated_at INTEGER, last_viewed_at INTEGER,
        search_text TEXT NOT NULL DEFAULT '')""",
    """CREATE TABLE track_genres (genre_id INTEGER NOT NULL, rating_key INTEGER NOT NULL,
        is_live INTEGER NOT NULL DEFAULT 0, year INTEGER, user_rating INTEGER,
        PRIMARY KEY (genre_id, rating_key)) WITHOUT ROWID""",
    """CREATE INDEX idx_tracks_filter ON tracks (is_live, year, user_rating, search_text)""",
    """CREATE TABLE sync_state (id INTEGER PRIMARY KEY CHECK (id = 1), machine_identifier TEXT,
        server_name TEXT, synced_at REAL, track_count INTEGER NOT NULL DEFAULT 0,
        sync_duration_s REAL, sync_kind TEXT, schema_version INTEGER, watermark INTEGER,
        read_window_s REAL, section_ids TEXT, full_synced_at REAL)""",
    """INSERT INTO sync_state (id, machine_identifier, track_count, synced_at, schema_version)
       VALUES (1, :machine, 2, 1, 4)""",
    "INSERT INTO genres VALUES (1, 'Jazz'), (2, 'Rock')",
    "INSERT INTO artists VALUES (10, 1, 'Björk', 1, 1)",
    "INSERT INTO artist_genres VALUES (10, 1)",
    "INSERT INTO albums VALUES (20, 1, 10, 'Debut', 'Björk', 1993, 0, 2, 1, 1)",
    "INSERT INTO album_genres VALUES (20, 2)",
    """INSERT INTO tracks VALUES
        (30, 1, 20, 10, 'Human Behaviour', 'Björk', 'Björk', 'Debut', 1993, 1, 8, 1, 1, 0, 0,
         1, 1, NULL, NULL, 'human behaviour' || char(31) || 'bjork'),
        (31, 1, 20, 10, 'Venus as a Boy', 'Björk', 'Björk', 'Debut', 1993, 1, NULL, 1, 2, 0, 3,
         1, 1, NULL, NULL, 'venus as a boy' || char(31) || 'bjork')""",
    "INSERT INTO track_genres VALUES (2, 30, 0, 1993, 8), (2, 31, 0, 1993, NULL)",
]


def test_a_schema_4_cache_is_converted_and_answers_until_its_full_sync(
    tmp_path: Path, client: PlexClient, sim_library: SimLibrary
) -> None:
    """Schema 6 keeps every kind of tag in one table and searches an FTS5 index: a cache made
    before answers genre filters, artists and searches at once, and gets a full sync next."""
    path = tmp_path / "v4.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in _SCHEMA_4_LIBRARY:
        conn.execute(statement, {"machine": client.identity().machine_identifier})
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 4")
    conn.close()
    with Database(path) as db:
        assert count_matching(db, genre=["rock"]) == 2
        assert count_matching(db, genre=["Jazz"]) == 0  # the album's genre wins
        assert count_matching(db, q="bjork ven") == 1
        assert count_matching(db, artist=["björk"]) == 2  # NOCASE folds ASCII letters
        assert count_matching(db, artist=["BJÖRK"]) == 0  # ...only
        assert count_matching(db, artist=["Björk"], played="ever") == 1
        result = sync(db, client)
        assert result.kind == "full" and "schema 4" in result.reason
        assert_cache_matches(db, sim_library)


def count_matching(db: Database, **values: object) -> int:
    return db.read(lambda conn: count_tracks(conn, TrackFilter.of(values)))


def test_a_version_4_cache_gains_art_paths_then_a_full_sync_fills_them(
    tmp_path: Path, client: PlexClient, sim_library: SimLibrary
) -> None:
    """Version 4 kept no art paths; version 5 adds the columns, empty until the next sync."""
    path = synced_then_downgraded(
        tmp_path,
        client,
        4,
        "ALTER TABLE albums DROP COLUMN thumb",
        "ALTER TABLE artists DROP COLUMN thumb",
    )
    with Database(path) as db:
        assert db.read(lambda c: c.execute("SELECT count(*) FROM albums").fetchone()[0]) > 0
        assert set(cached_art(db)["albums"].values()) == {None}
        result = sync(db, client)
        assert result.kind == "full" and "schema 4" in result.reason
        assert_cache_matches(db, sim_library)  # the art paths included
        assert sync(db, client).kind == "incremental"


def test_other_music_libraries_get_a_full_sync(tmp_path: Path) -> None:
    lib = SimLibrary.generate(tracks=300, seed=5, music_sections=2)
    first, second = (s.title for s in lib.music_sections())
    with (
        PlexSimulator(lib, token=TOKEN, strict=True) as plex,
        PlexClient(plex.url, TOKEN, retry_delay=0) as client,
        Database(tmp_path / "c.db") as db,
    ):
        sync(db, client, options=SyncOptions(libraries=(first,)))
        both = SyncOptions(libraries=(first, second), page_size=100)
        result = sync(db, client, options=both)
        assert (result.kind, result.reason) == ("full", "the music libraries to mirror changed")
        assert sync(db, client, options=SyncOptions(libraries=(second, first))).kind == (
            "incremental"
        )
        assert_cache_matches(db, lib)


def test_another_server_gets_a_full_sync(
    cache: Database, client: PlexClient, sim_library: SimLibrary
) -> None:
    sync(cache, client)
    sim_library.set_machine_identifier("another-server")
    result = sync(cache, client)
    assert result.kind == "full" and result.replaced_server is not None
    assert_cache_matches(cache, sim_library)


def test_a_full_sync_comes_round_once_a_week(cache: Database, client: PlexClient) -> None:
    sync(cache, client)
    in_six_days = time.time() + 6 * 86_400
    assert sync(cache, client, clock=lambda: in_six_days).kind == "incremental"
    in_eight_days = time.time() + 8 * 86_400
    result = sync(cache, client, clock=lambda: in_eight_days)
    assert (result.kind, result.reason) == ("full", "the last full sync is more than 7 days old")
    never = SyncOptions(page_size=100, full_sync_every_days=None)
    assert sync(cache, client, options=never, clock=lambda: in_eight_days * 2).kind == (
        "incremental"
    )


class _MiscountingClient(PlexClient):
    """A server whose track count disagrees with its own listings."""

    def count(
        self, section_id: int, libtype: LibType, filters: Mapping[str, str] | None = None
    ) -> int:
        total = super().count(section_id, libtype, filters)
        return total + 1 if libtype == LibType.TRACK and not filters else total


def test_counts_the_refresh_cannot_explain_lead_to_a_full_sync_that_checks_them_too(
    cache: Database, plex: PlexSimulator, sim_library: SimLibrary, caplog
) -> None:
    """A server whose counts disagree with its listings: the refresh gives way to a full sync,
    which checks its result against the same counts and, as they still disagree, fails rather
    than report success with what may be a track missing; the previous cache is kept."""
    with PlexClient(plex.url, TOKEN, retry_delay=0) as client:
        sync(cache, client)
    sim_library.rate_track(next(iter(sim_library.tracks)), 2.0)
    before = dump(cache.path)
    progress = SyncProgress()
    with (
        _MiscountingClient(plex.url, TOKEN, retry_delay=0) as client,
        pytest.raises(SyncFailed) as failure,
    ):
        sync(cache, client, progress=progress)
    assert str(failure.value).startswith("Plex's counts and its listings disagree (after ")
    assert "the cache holds 600 tracks" in str(failure.value)
    assert "Plex counts 601" in str(failure.value) and "previous library is kept" in str(
        failure.value
    )
    assert "Incremental refresh abandoned" in caplog.text
    assert dump(cache.path) == before
    # The full sync's tracks count on top of what the refresh read: progress never goes back.
    # (The total is one more: this client counts a track that isn't there.)
    snapshot = progress.snapshot()
    assert 600 < snapshot.current <= snapshot.total


_COPY_TRACK = """INSERT INTO tracks SELECT ?, section_id, ?, artist_key, title, artist,
    album_artist, album, year, duration_ms, user_rating, disc_number, track_number, is_live,
    view_count, added_at, updated_at, last_rated_at, last_viewed_at, deleted_at, guid
    FROM tracks WHERE rating_key = ?"""

DAMAGE = {
    "a track missing": lambda c, keys: c.execute(
        "DELETE FROM tracks WHERE rating_key = ?", (keys[3],)
    ),
    "a phantom track": lambda c, keys: c.execute(
        _COPY_TRACK, (99_999, c.execute("SELECT album_key FROM tracks").fetchone()[0], keys[9])
    ),
    "a phantom album's track": lambda c, keys: c.execute(_COPY_TRACK, (99_999, 88_888, keys[9])),
    "a play lost": lambda c, keys: c.execute(
        "UPDATE tracks SET view_count = 0, last_viewed_at = NULL WHERE view_count > 0 "
        "AND rating_key = (SELECT min(rating_key) FROM tracks WHERE view_count > 0)"
    ),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_cache_that_disagrees_with_plex_s_counts_is_repaired(
    cache: Database, client: PlexClient, sim_library: SimLibrary, tmp_path: Path, damage: str
) -> None:
    """Not a change in Plex but in the cache behind the refresh's back: the counts show it, the
    album listing says where, and the refresh repairs it without a full sync."""
    sync(cache, client)
    keys = sorted(sim_library.tracks)
    cache.write(lambda c: DAMAGE[damage](c, keys))
    assert sync(cache, client).kind == "incremental"
    assert_exact(cache, sim_library, client, tmp_path / "fresh.db")


# --- failures ----------------------------------------------------------------------------------


def _mixed_changes(lib: SimLibrary) -> None:
    """Changes that take every step of a refresh: timestamps, the album listing, re-reads."""
    keys, albums = sorted(lib.tracks), sorted(lib.albums)
    lib.add_album(tracks=3)
    lib.delete_track(keys[5])
    lib.unplay_track(_played(lib)[0])
    lib.edit_album(albums[8], title="Renamed")
    lib.edit_artist(sorted(lib.artists)[2], title="Renamed Artist")
    lib.rate_track(keys[60], 4.0)


# Which of the refresh's requests fails: (path, params) to match and from which match on.
SECTION = "/library/sections/1/all"
FAULT_POINTS = {
    "identity": ("/", {}, 1),
    "artists since": (SECTION, {"type": "8"}, 1),
    "added tracks": (SECTION, {"type": "10"}, 1),
    "played tracks": (SECTION, {"type": "10"}, 4),
    "albums since": (SECTION, {"type": "9"}, 1),
    "renamed artist's albums": (SECTION, {"type": "9"}, 2),
    "first re-read": (SECTION, {"type": "10"}, 5),
    "counts": (SECTION, {"type": "10", "X-Plex-Container-Size": "0"}, 1),
    "every album": (SECTION, {"type": "9"}, 3),
    "last re-read": (SECTION, {"type": "10"}, 8),
}
FAULT_KINDS = {
    "500": ({"kind": "status", "status": 500}, "answered 500"),
    "reset": ({"kind": "reset"}, "connection to Plex at"),
    "truncated": ({"kind": "truncate"}, "broke while"),
}


@pytest.fixture
def primed(
    cache: Database, plex: PlexSimulator, sim_library: SimLibrary
) -> Iterator[tuple[Database, PlexClient]]:
    with PlexClient(plex.url, TOKEN, timeout=1.0, retry_delay=0.0) as client:
        sync(cache, client)
        _mixed_changes(sim_library)
        yield cache, client


@pytest.mark.parametrize("point", FAULT_POINTS)
@pytest.mark.parametrize("fault", FAULT_KINDS)
def test_a_lasting_fault_mid_refresh_keeps_the_cache_byte_identical(
    primed: tuple[Database, PlexClient],
    plex: PlexSimulator,
    sim_library: SimLibrary,
    tmp_path: Path,
    point: str,
    fault: str,
) -> None:
    cache, client = primed
    before = dump(cache.path)
    path, params, nth = FAULT_POINTS[point]
    kwargs, message = FAULT_KINDS[fault]
    plex.faults.inject(path=path, params=params, nth=nth, times=None, **kwargs)
    with pytest.raises(SyncFailed, match=message) as failure:
        sync(cache, client)
    assert TOKEN not in str(failure.value)
    assert dump(cache.path) == before
    plex.faults.clear()
    assert sync(cache, client).kind == "incremental"
    assert_exact(cache, sim_library, client, tmp_path / "fresh.db")


def test_one_transient_failure_per_request_is_retried(
    primed: tuple[Database, PlexClient], plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    cache, client = primed
    plex.faults.inject("reset", path=SECTION, params={"type": "10"}, nth=2)
    plex.faults.inject("status", path=SECTION, params={"type": "9"}, status=503)
    assert sync(cache, client).kind == "incremental"
    assert_cache_matches(cache, sim_library)


def test_readers_see_the_old_cache_until_the_refresh_commits(
    primed: tuple[Database, PlexClient], plex: PlexSimulator
) -> None:
    cache, _ = primed

    def totals(conn: sqlite3.Connection) -> tuple[int, int]:
        return conn.execute("SELECT count(*), sum(view_count) FROM tracks").fetchone()

    before = cache.read(totals)
    seen: list[tuple[int, int]] = []

    class Peeking(PlexClient):
        def count(self, *args, **kwargs) -> int:  # asked mid-refresh, the patch half written
            seen.append(cache.read(totals))
            return super().count(*args, **kwargs)

    with Peeking(plex.url, TOKEN, retry_delay=0) as peeking:
        assert sync(cache, peeking).kind == "incremental"
    assert seen and all(view == before for view in seen)
    assert cache.read(totals) != before


def test_progress_reports_the_tracks_a_refresh_reads(
    primed: tuple[Database, PlexClient], sim_library: SimLibrary
) -> None:
    cache, client = primed
    progress = SyncProgress()
    sync(cache, client, progress=progress)
    snapshot = progress.snapshot()
    assert snapshot.phase == Phase.SAVING
    assert 3 <= snapshot.current == snapshot.total < len(sim_library.tracks) / 4
