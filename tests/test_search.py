"""The search index (cache/search.py) on caches built by hand: its matches against a brute-force
oracle and against the FTS5 filter it replaces, and its ranking on a fixed set of searches."""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from library_factory import artist, publish, track

from plexcrate.cache.database import Database
from plexcrate.cache.memory import for_snapshot
from plexcrate.cache.rows import AlbumRow, TrackRow
from plexcrate.cache.search import SearchHits, SearchIndex
from plexcrate.cache.text import search_words


def album(key: int, artist_key: int, title: str, album_artist: str) -> AlbumRow:
    return AlbumRow(key, 1, artist_key, title, album_artist, 2000, False, None, 100, 100, None, ())


def index_of(db: Database) -> SearchIndex:
    return db.read(SearchIndex.build)


# --- matching: exactly the text filter ---------------------------------------------------------

# Letters the text filter folds (case, accents), digits and punctuation that separates words.
ALPHABET = "abcdeéèëAÉÖoöuüÜnñÇc0123 -/.'&,!"
names = st.text(alphabet=ALPHABET, min_size=0, max_size=14)


@dataclass(frozen=True)
class Song:
    title: str
    artist: str
    album_artist: str
    album: str


def oracle(songs: list[Song], keys: list[int], words: tuple[str, ...]) -> list[int]:
    """Every word begins a word of one of the four fields: checked track by track."""
    found = []
    for key, song in zip(keys, songs, strict=True):
        fields = {
            w
            for f in (song.title, song.artist, song.album_artist, song.album)
            for w in search_words(f)
        }
        if all(any(f.startswith(w) for f in fields) for w in words):
            found.append(key)
    return found


def fts(conn: sqlite3.Connection, words: tuple[str, ...]) -> list[int]:
    """Today's filter: the FTS5 index, each word a quoted prefix."""
    query = " ".join(f'"{word}"*' for word in words)
    rows = conn.execute(
        "SELECT rowid FROM tracks_fts WHERE tracks_fts MATCH ? ORDER BY rowid", (query,)
    )
    return [key for (key,) in rows]


@settings(max_examples=40)
@given(
    songs=st.lists(st.builds(Song, names, names, names, names), min_size=1, max_size=25),
    queries=st.lists(names, min_size=1, max_size=6),
    picks=st.lists(st.tuples(st.integers(0, 24), st.integers(0, 3), st.integers(1, 4)), max_size=6),
    data=st.data(),
)
def test_matching_is_the_text_filter(
    songs: list[Song],
    queries: list[str],
    picks: list[tuple[int, int, int]],
    data: st.DataObject,
) -> None:
    # Keys not in the order of the albums, nor of the titles: positions must follow the keys.
    keys = data.draw(st.permutations(range(10, 10 + 3 * len(songs), 3)))
    tracks = [
        track(
            key,
            100 + i % 3,
            1,
            s.title,
            artist=s.artist,
            album_artist=s.album_artist or "x",
            album_title=s.album,
        )
        for i, (key, s) in enumerate(zip(keys, songs, strict=True))
    ]
    songs = [Song(t.title, t.artist, t.album_artist, t.album) for t in tracks]
    order = sorted(range(len(keys)), key=keys.__getitem__)
    songs, keys = [songs[i] for i in order], [keys[i] for i in order]
    # Searches that find something too: prefixes of the words there are.
    for song_at, field, length in picks:
        song = songs[song_at % len(songs)]
        words = search_words((song.title, song.artist, song.album_artist, song.album)[field])
        if words:
            queries.append(words[0][:length])
    with tempfile.TemporaryDirectory() as folder, Database(Path(folder) / "c.db") as db:
        publish(
            db,
            [artist(1, "A")],
            [album(100 + i, 1, "x", "y") for i in range(3)],
            tracks,
        )
        index = index_of(db)
        for q in queries:
            words = search_words(q)
            got = index.matching(words).tolist()
            assert got == oracle(songs, keys, words), q
            if words:
                assert got == db.read(lambda conn, w=words: fts(conn, w)), q


def test_matching_takes_broad_prefixes_and_unknown_words(tmp_path: Path) -> None:
    # Enough tracks that "s" is a heavy prefix, whose mask the index keeps ready.
    tracks = [
        track(k, 1, 1, f"Song {k}" if k % 3 else f"Track {k}", artist="Sam" if k % 2 else "Bo")
        for k in range(1, 400)
    ]
    with Database(tmp_path / "c.db") as db:
        publish(db, [artist(1, "Sam")], [album(1, 1, "Album", "Sam")], tracks)
        index = index_of(db)
        expected = [k for k in range(1, 400) if k % 3 or k % 2]
        assert index.matching(("s",)).tolist() == expected
        assert index.matching(("s", "t")).tolist() == [k for k in expected if k % 3 == 0]
        assert index.matching(("zebra",)).tolist() == []
        assert index.matching(()).tolist() == list(range(1, 400))
        assert index.matching(("s",)).dtype == np.int64


# --- ranking -------------------------------------------------------------------------------------

ARTISTS = {
    1: "The Beatles",
    2: "Radiohead",
    3: "AC/DC",
    4: "Guns N' Roses",
    5: "Beat Happening",
    6: "Radiohead Tribute",
    7: "Goldfrapp",
    8: "Björk",
    9: "Radioheds",
}
ALBUMS = {
    10: (1, "Abbey Road"),
    11: (2, "OK Computer"),
    12: (3, "Back in Black"),
    13: (4, "Appetite for Destruction"),
    14: (7, "Gold, Vol. 3"),
    15: (7, "Gold, Vol. 1"),
    16: (5, "Crashing Through"),
    17: (6, "Karma Police Again"),
    18: (8, "Homogenic"),
    19: (9, "Radio Days"),
}


def _track(
    key: int, album_key: int, title: str, plays: int = 0, rating: int | None = None
) -> TrackRow:
    artist_key, album_title = ALBUMS[album_key]
    name = ARTISTS[artist_key]
    return track(
        key,
        album_key,
        artist_key,
        title,
        artist=name,
        album_title=album_title,
        plays=plays,
        rating=rating,
    )


TRACKS = [
    _track(100, 10, "Come Together", plays=50, rating=10),
    _track(101, 10, "Something", plays=40),
    _track(102, 10, "Abbey Lane Blues"),  # not on Abbey Road's title, in its album
    _track(103, 11, "Karma Police", plays=30),
    _track(104, 11, "Lucky", plays=5),
    _track(105, 12, "Back in Black", plays=20),
    _track(106, 13, "Sweet Child o' Mine", plays=25),
    _track(107, 14, "Gold Vol 3", plays=1),
    _track(108, 14, "Ooh La La", plays=9),
    _track(109, 15, "Utopia", plays=30),
    _track(110, 16, "Love", plays=0),
    _track(111, 16, "Lovely Day", plays=90),
    _track(112, 17, "Yesterday", plays=3),
    _track(113, 10, "Yesterday", plays=3, rating=8),
    _track(114, 16, "Yesterday", plays=7),
    _track(115, 18, "Jóga", plays=12),
    _track(116, 17, "Abbey Road Medley", plays=0),
    _track(117, 19, "Static", plays=0),
]


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    with Database(tmp_path_factory.mktemp("ranking") / "c.db") as db:
        publish(
            db,
            [artist(key, name) for key, name in ARTISTS.items()],
            [album(key, a, title, ARTISTS[a]) for key, (a, title) in ALBUMS.items()],
            TRACKS,
        )
        yield index_of(db)


def search(index: SearchIndex, q: str) -> SearchHits:
    return index.search(q, 10)


@pytest.mark.parametrize(
    ("q", "first_artist"),
    [
        ("beatles", 1),
        ("the beatles", 1),
        ("beatels", 1),  # a transposition
        ("beatle", 1),
        ("radiohead", 2),  # the whole name before "Radiohead Tribute"
        ("radiohed", 9),  # a word "Radioheds" begins: it comes before the typo's...
        ("radiohaed", 2),  # ...which is found when none does
        ("acdc", 3),
        ("ac dc", 3),
        ("AC/DC", 3),
        ("guns n roses", 4),
        ("gunsnroses", 4),
        ("guns n' roses", 4),
        ("bjork", 8),
        ("BJÖRK", 8),
        ("bjrok", 8),
    ],
)
def test_the_right_artist_comes_first(library: SearchIndex, q: str, first_artist: int) -> None:
    hits = search(library, q)
    assert hits.artists and hits.artists[0] == first_artist, (q, hits)


def test_a_typo_ranks_below_what_is_found_as_typed(library: SearchIndex) -> None:
    assert search(library, "radiohed").artists[:2] == [9, 2]
    assert search(library, "radiohed").tracks[0] == 117


def test_typos_find_tracks_and_albums_too(library: SearchIndex) -> None:
    hits = search(library, "beatels")
    assert hits.albums == [10]
    assert set(hits.tracks) == {100, 101, 102, 113}
    assert search(library, "abey road").albums[0] == 10
    assert search(library, "xyz").tracks == []
    assert search(library, "beatelz comptuer").albums == []  # each word must be found
    assert search(library, "beatles karma") == SearchHits()  # each in another album
    assert search(library, "karma beatles") == SearchHits()


def test_gold_vol_3_puts_what_is_titled_so_first(library: SearchIndex) -> None:
    hits = search(library, "gold vol 3")
    assert hits.albums == [14]
    assert hits.tracks[0] == 107
    assert set(hits.tracks) == {107, 108}  # every track of the album: "3" is in its title
    assert hits.artists == []


def test_a_name_before_an_album(library: SearchIndex) -> None:
    # "Abbey Lane Blues" holds "abbey" in its title; Come Together (played 50 times) only in
    # its album's.
    hits = search(library, "abbey")
    assert hits.tracks[:2] == [102, 116]  # a tie: neither played, the lower key first
    assert hits.tracks[2:] == [100, 101, 113]
    assert hits.albums == [10]


def test_whole_words_before_prefixes(library: SearchIndex) -> None:
    assert search(library, "love").tracks == [110, 111]  # "Love" unplayed, "Lovely Day" 90 plays
    assert search(library, "lov").tracks == [111, 110]  # both prefixes: the played one first


def test_played_and_rated_before_obscure_on_ties(library: SearchIndex) -> None:
    # Three "Yesterday": 7 plays, then 3 plays and rated 8, then 3 plays unrated.
    assert search(library, "yesterday").tracks == [114, 113, 112]
    # "Karma Police" in its title; two tracks of "Karma Police Again", the played one first.
    assert search(library, "karma").tracks == [103, 112, 116]


def test_an_empty_search_finds_nothing_and_the_limit_holds(library: SearchIndex) -> None:
    assert search(library, "") == SearchHits()
    assert search(library, " -/ ") == SearchHits()
    assert len(library.search("a", 2).tracks) == 2
    assert library.search("beatles", 1).artists == [1]


def test_the_index_follows_each_snapshot(tmp_path: Path) -> None:
    with Database(tmp_path / "c.db") as db:
        publish(db, [artist(1, "Muse")], [album(1, 1, "Drones", "Muse")], [track(5, 1, 1, "Dead")])
        first = db.read(lambda conn: for_snapshot(conn, "search", SearchIndex.build))
        assert db.read(lambda conn: for_snapshot(conn, "search", SearchIndex.build)) is first
        publish(db, [artist(1, "Muse")], [album(1, 1, "Drones", "Muse")], [track(6, 1, 1, "Alive")])
        again = db.read(lambda conn: for_snapshot(conn, "search", SearchIndex.build))
        assert again is not first
        assert again.matching(("alive",)).tolist() == [6]
        assert again.matching(("dead",)).tolist() == []
        assert 0 < again.nbytes < 1_000_000


def test_an_empty_library(tmp_path: Path) -> None:
    with Database(tmp_path / "c.db") as db:
        publish(db)
        index = index_of(db)
        assert index.matching(("a",)).tolist() == []
        assert index.search("abba", 10) == SearchHits()


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("homogenik", [18]),  # 9 letters: one edit (the album "Homogenic")
        ("homogenikk", [18]),  # 10 letters: two edits
        ("hmogenikk", []),  # three
        ("abey", [10]),  # 4 letters: one edit ("Abbey Road")
        ("abb", [10]),  # a prefix, as typed
        ("aby", []),  # 3 letters: no typo is looked for
        ("okcomputer", [11]),  # run together
    ],
)
def test_how_far_a_typo_may_go(library: SearchIndex, q: str, found: list[int]) -> None:
    assert search(library, q).albums == found


def test_artists_and_albums_tie_on_plays(library: SearchIndex) -> None:
    # "radio": Radiohead (its tracks played 35 times), Radiohead Tribute (3), Radioheds (0).
    assert search(library, "radio").artists == [2, 6, 9]
    # Both "Gold" albums begin with "gold": Gold, Vol. 1 (30 plays) before Gold, Vol. 3 (10).
    assert search(library, "gold").albums == [15, 14]
