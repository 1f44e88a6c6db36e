"""Picking tracks for a playlist from the filtered cache."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from statistics import mean

import pytest
from library_factory import album, artist, publish, track

from plexcrate.cache.database import Database
from plexcrate.cache.filters import TrackFilter
from plexcrate.cache.picker import MAX_PICK, PickOptions, pick_tracks

ARTISTS = 10
TRACKS_PER_ARTIST = 40


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory):
    """400 tracks by 10 artists; ratings cycle through unrated and 0–10; every 7th is live."""
    db = Database(tmp_path_factory.mktemp("picker") / "c.db")
    tracks = []
    for a in range(ARTISTS):
        for n in range(TRACKS_PER_ARTIST):
            key = 1000 + a * 100 + n
            rating = None if n % 12 == 11 else n % 11
            row = track(key, 100 + a, a + 1, f"Song {n}", artist=f"Artist {a}", rating=rating)
            tracks.append(row._replace(duration_ms=60_000 * (1 + n % 5), is_live=key % 7 == 0))
    publish(
        db,
        artists=[artist(a + 1, f"Artist {a}", "Rock") for a in range(ARTISTS)],
        albums=[album(100 + a, a + 1, f"Album {a}") for a in range(ARTISTS)],
        tracks=tracks,
    )
    yield db
    db.close()


EVERYTHING = TrackFilter()


def pick(db: Database, flt: TrackFilter = EVERYTHING, **options):
    return db.read(lambda conn: pick_tracks(conn, flt, PickOptions(**options)))


def test_picks_the_number_asked_for_without_repeats(library: Database) -> None:
    picked = pick(library, count=25, seed=1)
    assert len(picked) == 25
    assert len({t.rating_key for t in picked}) == 25


def test_every_pick_matches_the_filter(library: Database) -> None:
    picked = pick(library, TrackFilter.of(exclude_live=True, min_rating=8), count=500, seed=2)
    assert picked
    assert all(not t.is_live and t.user_rating >= 8 for t in picked)


def test_the_same_seed_picks_the_same_tracks(library: Database) -> None:
    first = [t.rating_key for t in pick(library, count=20, seed=42)]
    assert [t.rating_key for t in pick(library, count=20, seed=42)] == first
    assert [t.rating_key for t in pick(library, count=20, seed=43)] != first


def test_at_most_k_tracks_per_artist(library: Database) -> None:
    picked = pick(library, count=100, max_per_artist=3, seed=3)
    assert len(picked) == ARTISTS * 3  # fewer than asked: the cap binds
    assert max(Counter(t.artist for t in picked).values()) == 3


def test_a_target_duration_stops_once_reached(library: Database) -> None:
    picked = pick(library, count=MAX_PICK, target_minutes=60, seed=4)
    total_minutes = sum(t.duration_ms for t in picked) / 60_000
    assert total_minutes >= 60
    assert total_minutes - picked[-1].duration_ms / 60_000 < 60  # one fewer would fall short


def test_excluded_tracks_are_not_picked_again(library: Database) -> None:
    kept = [t.rating_key for t in pick(library, count=30, seed=5)]
    more = pick(library, count=30, seed=6, exclude=tuple(kept))
    assert not {t.rating_key for t in more} & set(kept)


def test_kept_tracks_are_not_picked_again_and_count_toward_the_artist_cap(
    library: Database,
) -> None:
    """Topping up a preview: what it holds counts, what was removed from it does not."""
    first = pick(library, count=20, max_per_artist=2, seed=7)
    kept, removed = first[:15], first[15:]
    more = pick(
        library,
        count=40,
        max_per_artist=2,
        seed=8,
        keep=tuple(t.rating_key for t in kept),
        exclude=tuple(t.rating_key for t in removed),
    )
    assert more and not {t.rating_key for t in more} & {t.rating_key for t in first}
    artists = Counter(t.artist.lower() for t in [*kept, *more])
    assert max(artists.values()) <= 2


def test_favouring_ratings_picks_better_rated_tracks(library: Database) -> None:
    def average_rating(favour: bool) -> float:
        ratings = [
            t.user_rating or 0
            for seed in range(20)
            for t in pick(library, count=20, seed=seed, favour_rating=favour)
        ]
        return mean(ratings)

    assert average_rating(True) > average_rating(False) + 1.5


def test_asking_for_more_than_the_cap_gives_the_cap(tmp_path: Path) -> None:
    with Database(tmp_path / "c.db") as db:
        publish(db, tracks=[track(k, 1, 1) for k in range(1, MAX_PICK + 50)])
        options = PickOptions(count=MAX_PICK + 10)
        assert len(db.read(lambda c: pick_tracks(c, TrackFilter(), options))) == MAX_PICK
