"""The query layer against a brute-force evaluation, on random small libraries (hypothesis).

Each example builds a library (artists, albums, tracks, with genres in several cases, accents,
LIKE's wildcards ``%`` ``_`` ``\\``, missing years and ratings, live albums) into a real snapshot,
then asks ``find_tracks``, ``count_tracks``, ``library_stats`` and ``pick_tracks`` with a random
filter, and compares with what a straightforward Python reading of the same rows says. The
derivations (a track's genres from its album else its artist, year and live flag from its album)
are written again here, independently of ``derive_sql``.
"""

from __future__ import annotations

import sqlite3
import string
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from library_factory import album, artist, publish, track

from plexcrate.cache.database import Database
from plexcrate.cache.picker import MAX_PICK, PickOptions, pick_tracks
from plexcrate.cache.queries import (
    Order,
    TrackFilter,
    count_tracks,
    decade_name,
    find_tracks,
    library_stats,
)
from plexcrate.cache.text import fold

EXAMPLES = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

GENRES = [
    "Rock",
    "rock",
    "ROCK",
    "Jazz",
    "Hip-Hop",
    "R&B",
    "100%",
    "a_b",
    "back\\slash",
    "Électro",
    "électro",
    "ÉLECTRO",  # NOCASE folds ASCII letters only: three genres, where "ROCK" is "Rock"
]
# Text with case, accents, ligatures, LIKE's wildcards and its escape character.
# ("|" is left out: see test_a_lone_bar_is_searched_for_like_any_other_character.)
ALPHABET = "aAbBcéÉoÖöß ﬁ%_\\'-1 "
words = st.text(alphabet=ALPHABET, min_size=0, max_size=8)
DECADES = list(range(1950, 2030, 10))


@dataclass(frozen=True)
class Song:
    key: int
    album_key: int
    title: str
    artist: str  # the track's own artist
    year: int | None
    rating: int | None
    live: bool
    disc: int | None
    number: int | None
    duration_ms: int | None


@dataclass(frozen=True)
class Album:
    key: int
    artist_key: int
    title: str
    genres: tuple[str, ...]
    year: int | None
    live: bool


@dataclass(frozen=True)
class Library:
    artists: dict[int, tuple[str, tuple[str, ...]]]  # key -> (title, genres)
    albums: dict[int, Album]
    songs: list[Song]

    # What a track is, derived the way docs/architecture.md says, from the rows above.

    def genres(self, song: Song) -> set[str]:
        own = self.albums[song.album_key]
        names = own.genres or self.artists[own.artist_key][1]
        return {nocase(name) for name in names}

    def year(self, song: Song) -> int | None:
        return song.year if song.year is not None else self.albums[song.album_key].year

    def live(self, song: Song) -> bool:
        return song.live or self.albums[song.album_key].live

    def album_artist(self, song: Song) -> str:
        return self.artists[self.albums[song.album_key].artist_key][0]

    def fields(self, song: Song) -> list[str]:
        return [song.title, song.artist, self.album_artist(song), self.albums[song.album_key].title]


@st.composite
def libraries(draw: st.DrawFn) -> Library:
    names = st.text(alphabet=ALPHABET, min_size=1, max_size=10)
    genre_lists = st.lists(st.sampled_from(GENRES), max_size=3).map(tuple)
    artists = {
        key: (draw(names), draw(genre_lists)) for key in range(1, draw(st.integers(1, 4)) + 1)
    }
    albums = {}
    for key in range(100, 100 + draw(st.integers(1, 6))):
        albums[key] = Album(
            key,
            draw(st.sampled_from(sorted(artists))),
            draw(names),
            draw(genre_lists),
            draw(st.none() | st.integers(1950, 2029)),
            draw(st.booleans()),
        )
    songs = [
        Song(
            key=key,
            album_key=draw(st.sampled_from(sorted(albums))),
            title=draw(names),
            artist=draw(names),
            year=draw(st.none() | st.integers(1950, 2029)),
            rating=draw(st.none() | st.integers(0, 10)),
            live=draw(st.booleans()),
            disc=draw(st.none() | st.integers(1, 2)),
            number=draw(st.none() | st.integers(1, 3)),
            duration_ms=draw(st.none() | st.integers(1000, 600_000)),
        )
        for key in range(1000, 1000 + draw(st.integers(0, 25)))
    ]
    return Library(artists, albums, songs)


filters = st.builds(
    TrackFilter,
    genres=st.lists(st.sampled_from([*GENRES, "jazz", "nope", "ROCK "]), max_size=3).map(tuple),
    decades=st.lists(st.sampled_from(DECADES), max_size=3).map(tuple),
    min_rating=st.integers(0, 10),
    exclude_live=st.booleans(),
    text=st.lists(words, max_size=3).map(" ".join),
)


def matches(lib: Library, song: Song, flt: TrackFilter, *, without: str | None = None) -> bool:
    """What a filter means, in plain Python."""
    if flt.genres and without != "genres":
        wanted = {nocase(genre) for genre in flt.genres}
        if not lib.genres(song) & wanted:
            return False
    year = lib.year(song)
    if flt.decades and without != "decades":  # noqa: SIM102
        if year is None or not any(d <= year <= d + 9 for d in flt.decades):
            return False
    if flt.min_rating and (song.rating is None or song.rating < flt.min_rating):
        return False
    if flt.exclude_live and lib.live(song):
        return False
    fields = [fold(field) for field in lib.fields(song)]
    return all(any(word in field for field in fields) for word in fold(flt.text).split())


def publish_library(db: Database, lib: Library) -> None:
    publish(
        db,
        artists=[artist(key, title, *genres) for key, (title, genres) in lib.artists.items()],
        albums=[
            album(a.key, a.artist_key, a.title, *a.genres, year=a.year, live=a.live)
            for a in lib.albums.values()
        ],
        tracks=[
            track(
                s.key,
                s.album_key,
                lib.albums[s.album_key].artist_key,
                s.title,
                artist=s.artist,
                album_artist=lib.album_artist(s),
                album_title=lib.albums[s.album_key].title,
                year=s.year,
                rating=s.rating,
                live=s.live,
                disc=s.disc,
                number=s.number,
            )._replace(duration_ms=s.duration_ms, track_number=s.number, disc_number=s.disc)
            for s in lib.songs
        ],
    )


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    database = Database(tmp_path_factory.mktemp("properties") / "c.db")
    yield database
    database.close()


def nocase_order(text: str) -> bytes:
    """How SQLite's NOCASE collation sorts: ASCII letters folded, the rest by UTF-8 bytes."""
    return text.encode().lower()


def nocase(text: str) -> str:
    """How NOCASE compares names for equality (genre names ignore ASCII case, like the
    genres column; "Électro" and "électro" are two genres)."""
    return text.translate(str.maketrans(string.ascii_uppercase, string.ascii_lowercase))


def default_order(lib: Library, song: Song) -> tuple:
    album_ = lib.albums[song.album_key]
    # NULLs first, as SQLite sorts them.
    return (
        nocase_order(lib.album_artist(song)),
        nocase_order(album_.title),
        (song.disc is not None, song.disc or 0),
        (song.number is not None, song.number or 0),
        song.key,
    )


# --- the track list ---------------------------------------------------------------------------


@EXAMPLES
@given(lib=libraries(), flt=filters, limit=st.integers(1, 30), offset=st.integers(0, 30))
def test_find_and_count_select_what_the_filter_means(
    db: Database, lib: Library, flt: TrackFilter, limit: int, offset: int
) -> None:
    publish_library(db, lib)
    expected = sorted(
        (s for s in lib.songs if matches(lib, s, flt)), key=lambda s: default_order(lib, s)
    )

    def read(conn: sqlite3.Connection):
        return find_tracks(conn, flt, limit=limit, offset=offset), count_tracks(conn, flt)

    page, count = db.read(read)
    assert page.total == count == len(expected)
    assert [t.rating_key for t in page.tracks] == [s.key for s in expected[offset : offset + limit]]
    for got in page.tracks:
        song = next(s for s in lib.songs if s.key == got.rating_key)
        assert {nocase(g) for g in got.genres} == lib.genres(song)
        assert (got.year, got.is_live, got.user_rating) == (
            lib.year(song),
            lib.live(song),
            song.rating,
        )


@EXAMPLES
@given(lib=libraries(), flt=filters, seed=st.integers(0, 2**31 - 1), size=st.integers(1, 7))
def test_a_random_order_pages_through_exactly_the_matching_tracks(
    db: Database, lib: Library, flt: TrackFilter, seed: int, size: int
) -> None:
    publish_library(db, lib)
    expected = {s.key for s in lib.songs if matches(lib, s, flt)}

    def pages(conn: sqlite3.Connection) -> list[int]:
        keys: list[int] = []
        for offset in range(0, len(lib.songs) + size, size):
            page = find_tracks(conn, flt, order=Order.RANDOM, seed=seed, limit=size, offset=offset)
            assert page.total == len(expected)
            keys += [t.rating_key for t in page.tracks]
        return keys

    first, again = db.read(pages), db.read(pages)
    assert first == again  # the same shuffle every time for a seed
    assert len(first) == len(set(first)) and set(first) == expected


# --- facets -----------------------------------------------------------------------------------


@EXAMPLES
@given(lib=libraries(), flt=filters)
def test_facets_count_what_the_track_list_would_total(
    db: Database, lib: Library, flt: TrackFilter
) -> None:
    publish_library(db, lib)
    stats = db.read(lambda conn: library_stats(conn, flt))

    assert stats.total_tracks == sum(1 for s in lib.songs if matches(lib, s, flt))
    genres: Counter[str] = Counter()
    decades: Counter[str] = Counter()
    for song in lib.songs:
        if matches(lib, song, flt, without="genres"):
            genres.update(lib.genres(song))
        year = lib.year(song)
        if year is not None and matches(lib, song, flt, without="decades"):
            decades[decade_name(year // 10 * 10)] += 1
    assert {nocase(f.name): f.count for f in stats.genres} == dict(genres)
    assert [(f.name, f.count) for f in stats.decades] == sorted(decades.items())
    counts = [f.count for f in stats.genres]
    assert counts == sorted(counts, reverse=True)  # most tracks first


# --- the playlist picker ----------------------------------------------------------------------


@EXAMPLES
@given(
    lib=libraries(),
    flt=filters,
    count=st.integers(1, 30),
    favour=st.booleans(),
    per_artist=st.none() | st.integers(1, 3),
    target=st.none() | st.floats(0.1, 60),
    exclude=st.lists(st.integers(1000, 1025), max_size=5),
    keep=st.lists(st.integers(1000, 1025), max_size=5),
    seed=st.integers(0, 2**31 - 1),
)
def test_picks_obey_every_wish(
    db: Database,
    lib: Library,
    flt: TrackFilter,
    count: int,
    favour: bool,
    per_artist: int | None,
    target: float | None,
    exclude: list[int],
    keep: list[int],
    seed: int,
) -> None:
    publish_library(db, lib)
    options = PickOptions(count, favour, per_artist, target, tuple(exclude), tuple(keep), seed)
    picked = db.read(lambda conn: pick_tracks(conn, flt, options))
    assert picked == db.read(lambda conn: pick_tracks(conn, flt, options))  # same seed

    songs = {s.key: s for s in lib.songs}
    candidates = [
        s
        for s in lib.songs
        if matches(lib, s, flt)
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


# --- the cases that found bugs, pinned -----------------------------------------------------------


def test_genres_ignore_ascii_case_and_the_facets_agree_with_the_filter(db: Database) -> None:
    """Before: "Électro" and "électro" were merged into one genre by the snapshot, while the
    filter (NOCASE) told them apart, so filtering on the second spelling found nothing."""
    lib = Library(
        artists={1: ("Ana", ())},
        albums={
            100: Album(100, 1, "One", ("Rock", "Électro"), 1994, False),
            101: Album(101, 1, "Two", ("rock", "électro"), 1995, False),
        },
        songs=[
            Song(1000 + n, 100 + n % 2, f"S{n}", "Ana", None, None, False, 1, n, None)
            for n in range(6)
        ],
    )
    publish_library(db, lib)
    stats = db.read(lambda conn: library_stats(conn, TrackFilter()))
    assert sorted((nocase(f.name), f.count) for f in stats.genres) == [
        ("rock", 6), ("Électro", 3), ("électro", 3)
    ]  # fmt: skip
    for name in ("Électro", "électro", "ROCK"):
        flt = TrackFilter(genres=(name,))
        expected = sum(1 for s in lib.songs if matches(lib, s, flt))
        assert db.read(lambda conn, f=flt: count_tracks(conn, f)) == expected > 0


def test_a_lone_bar_is_searched_for_like_any_other_character(db: Database) -> None:
    lib = Library(
        artists={1: ("Ana", ())},
        albums={100: Album(100, 1, "Blue", (), None, False)},
        songs=[Song(1000, 100, "Alpha", "Ana", None, None, False, 1, 1, None)],
    )
    publish_library(db, lib)
    assert db.read(lambda conn: count_tracks(conn, TrackFilter(text="|"))) == 0
