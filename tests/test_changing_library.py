"""Reading a library that changes while it is read, from a server that answers like a real one:
title order (an addition or deletion moves every later item), pages shorter than asked, keys
repeated across pages. Nothing that was in Plex from the first page to the last may be missed,
and a sync that reports success holds exactly what Plex holds when it ends.

Two levels: the :class:`ListingReader` alone (no final check behind it, so it is what must not
skip), and the whole full sync (whose final check also brings in what changed meanwhile).
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from conftest import TOKEN
from plex_oracle import assert_cache_matches, cached_tracks

from plexcrate.cache.database import Database
from plexcrate.plex.client import LibType, PlexClient
from plexcrate.plex.paging import Listing, ListingChanged, ListingReader
from plexcrate.simulator import PlexSimulator, SimLibrary
from plexcrate.sync.engine import SyncOptions, full_sync

TRACK_PAGES = {"type": "10"}
ALL = "/library/sections/1/all"


@pytest.fixture
def sim_library() -> SimLibrary:
    """The library of conftest's simulator (``plex``) and client for this module."""
    return SimLibrary.generate(tracks=3000, seed=12)


@pytest.fixture
def lib(sim_library: SimLibrary) -> SimLibrary:
    return sim_library


@pytest.fixture
def sim(plex: PlexSimulator) -> PlexSimulator:
    return plex


def read_tracks(client: PlexClient, *, page_size: int = 100, workers: int = 3) -> list[int]:
    """Every track key the reader hands out, in order (a key at most once)."""
    with ListingReader(client, page_size=page_size, workers=workers) as reader:
        expected = client.count(1, LibType.TRACK)
        pages = reader.read(Listing(1, LibType.TRACK, expected=expected))
        keys = [int(item["ratingKey"]) for page in pages for item in page.items]
    assert len(keys) == len(set(keys)), "a key handed out twice"
    return keys


def delete_front(
    lib: SimLibrary, count: int, rng: random.Random, within: float = 0.1
) -> Callable[[], None]:
    """An action deleting ``count`` tracks from the first tenth (``within``) of the title
    order (pages already read, so every later page shifts), and adding an album."""

    def act() -> None:
        with lib.lock:
            front = sorted(lib.tracks, key=_order(lib))[: int(len(lib.tracks) * within)]
            for key in rng.sample(front, count):
                lib.delete_track(key)
            lib.add_album(tracks=3, title="Arrived Mid-Read")

    return act


def _order(lib: SimLibrary) -> Callable[[int], object]:
    from plexcrate.simulator.query import default_order

    key = default_order(lib, "track")
    return lambda k: key(lib.tracks[k])


# --- the reader alone ----------------------------------------------------------------------------


def test_a_naive_reader_would_miss_tracks_here(sim: PlexSimulator, lib: SimLibrary) -> None:
    """Guards the tests below: in this library, pages at fixed offsets do skip survivors."""
    everything = set(lib.tracks)
    sim.on_request(delete_front(lib, 30, random.Random(1)), path=ALL, params=TRACK_PAGES, nth=5)
    seen: set[int] = set()
    with PlexClient(sim.url, TOKEN) as plain:
        for start in range(0, 3000, 100):
            seen |= {int(i["ratingKey"]) for i in plain.page(1, LibType.TRACK, start, 100).items}
    survivors = everything & set(lib.tracks)
    assert len(survivors - seen) >= 20


@pytest.mark.parametrize("deleted", [1, 30, 300])
def test_the_reader_misses_no_track_present_throughout(
    client: PlexClient, sim: PlexSimulator, lib: SimLibrary, deleted: int
) -> None:
    everything = set(lib.tracks)
    act = delete_front(lib, deleted, random.Random(deleted))
    sim.on_request(act, path=ALL, params=TRACK_PAGES, nth=6)  # the count, then page 5
    keys = read_tracks(client)
    survivors = everything & set(lib.tracks)
    assert survivors - set(keys) == set()
    assert len(everything - set(lib.tracks)) == deleted  # the deletions happened


def test_deletions_and_additions_over_many_pages(
    client: PlexClient, sim: PlexSimulator, lib: SimLibrary
) -> None:
    everything = set(lib.tracks)
    rng = random.Random(7)
    for nth in range(4, 30, 3):  # every third page, more go and come
        sim.on_request(delete_front(lib, 5, rng), path=ALL, params=TRACK_PAGES, nth=nth)
    keys = read_tracks(client, page_size=100, workers=4)
    assert (everything & set(lib.tracks)) - set(keys) == set()


def churn(lib: SimLibrary, rng: random.Random) -> Callable[[], None]:
    """An action deleting up to 60 tracks anywhere and adding up to 3 albums anywhere."""

    def act() -> None:
        with lib.lock:
            for key in rng.sample(sorted(lib.tracks), rng.randint(0, 60)):
                if key in lib.tracks:
                    lib.delete_track(key)
            for _ in range(rng.randint(0, 3)):
                lib.add_album(tracks=rng.randint(1, 12))

    return act


@pytest.mark.parametrize("seed", range(6))
def test_random_churn_while_reading_loses_no_survivor(
    client: PlexClient, sim: PlexSimulator, lib: SimLibrary, seed: int
) -> None:
    rng = random.Random(seed)
    everything = set(lib.tracks)
    for nth in sorted(rng.sample(range(2, 40), 6)):
        sim.on_request(churn(lib, rng), path=ALL, params=TRACK_PAGES, nth=nth)
    keys = read_tracks(client, page_size=rng.choice([37, 100, 250]), workers=rng.choice([2, 4]))
    assert (everything & set(lib.tracks)) - set(keys) == set()
    assert set(keys) <= everything | set(lib.tracks) | _added_and_gone(lib, everything)


def _added_and_gone(lib: SimLibrary, before: set[int]) -> set[int]:
    """Keys handed out may also be of tracks added and deleted again meanwhile: any key above
    the highest of the library's first state is such a track."""
    return set(range(max(before) + 1, lib._next_key))


@pytest.mark.parametrize("kind", ["short", "repeat"])
def test_short_pages_and_repeated_keys_lose_nothing(
    client: PlexClient, sim: PlexSimulator, lib: SimLibrary, kind: str
) -> None:
    """A server answering every page one item short, or starting every page one item early
    while naming the offset asked (so the page before's last key comes again)."""
    sim.faults.inject(kind, path=ALL, params=TRACK_PAGES, times=None, count=1)
    keys = read_tracks(client)
    assert sorted(keys) == sorted(lib.tracks)
    assert sum(f.fired for f in sim.faults) > 20


def test_a_listing_that_moves_more_than_a_page_between_reads_fails_loudly(
    client: PlexClient, sim: PlexSimulator, lib: SimLibrary
) -> None:
    """Past what a bridge can reach: 1,150 of the 1,200 tracks already read go at once."""
    act = delete_front(lib, 1150, random.Random(3), within=0.4)
    sim.on_request(act, path=ALL, params=TRACK_PAGES, nth=25)  # after 24 pages of 50
    with pytest.raises(ListingChanged, match="moved by more than"):
        read_tracks(client, page_size=50, workers=2)


def test_a_listing_read_while_it_shrinks_to_nothing_ends(
    client: PlexClient, sim: PlexSimulator, lib: SimLibrary
) -> None:
    album = next(a for a, ks in lib.album_tracks.items() if len(ks) >= 8)
    listing = Listing(1, LibType.TRACK, {"album.id": str(album)})

    def empty_it() -> None:
        for key in list(lib.album_tracks.get(album, [])):
            lib.delete_track(key)

    sim.on_request(empty_it, path=ALL, params={"album.id": str(album)}, nth=1)
    with ListingReader(client, page_size=3, workers=2) as reader:
        keys = [i["ratingKey"] for page in reader.read(listing) for i in page.items]
    assert 0 < len(keys) <= 8 and album not in lib.albums


# --- the whole full sync --------------------------------------------------------------------------

OPTIONS = SyncOptions(page_size=100, workers=3)


def test_a_full_sync_during_additions_and_deletions_is_exact_at_its_end(
    cache: Database, client: PlexClient, sim: PlexSimulator, lib: SimLibrary
) -> None:
    everything = set(lib.tracks)
    rng = random.Random(11)
    for nth in (6, 12, 18):
        sim.on_request(delete_front(lib, 20, rng), path=ALL, params=TRACK_PAGES, nth=nth)
    result = full_sync(cache, client, options=OPTIONS)
    survivors = everything & set(lib.tracks)
    cached = cached_tracks(cache)
    assert survivors - cached.keys() == set()
    # The final check brought in what was added and dropped what was deleted meanwhile.
    assert result.track_count == len(lib.tracks) == 3000 - 60 + 9
    assert_cache_matches(cache, lib)


@pytest.mark.parametrize("kind", ["short", "repeat"])
def test_a_full_sync_against_short_pages_or_repeated_keys_is_exact(
    cache: Database, client: PlexClient, sim: PlexSimulator, lib: SimLibrary, kind: str
) -> None:
    sim.faults.inject(kind, path=ALL, params=None, times=None)  # every listing's every page
    full_sync(cache, client, options=OPTIONS)
    assert_cache_matches(cache, lib)


def test_every_list_request_is_paged(
    cache: Database, client: PlexClient, sim: PlexSimulator, lib: SimLibrary
) -> None:
    """The simulator is strict (an unpaged list request would have failed the sync); it also
    logs them, and there are none."""
    full_sync(cache, client, options=OPTIONS)
    lib.add_album(tracks=2)
    lib.delete_track(next(iter(lib.tracks)))
    assert full_sync(cache, client, options=OPTIONS).track_count == len(lib.tracks)
    assert sim.requests and not sim.unpaged_requests()


@pytest.mark.slow
def test_500_tracks_deleted_at_40_percent_of_a_100k_sync_lose_no_survivor(tmp_path) -> None:
    """The issue's own trial: 500 tracks deleted from the front while a 100,000-track full
    sync is at 40% of its track pages."""
    lib = SimLibrary.generate(tracks=100_000, seed=1)
    everything = set(lib.tracks)
    with (
        PlexSimulator(lib, token=TOKEN, strict=True) as sim,
        PlexClient(sim.url, TOKEN, timeout=30) as client,
        Database(tmp_path / "cache.db") as db,
    ):
        sim.on_request(
            delete_front(lib, 500, random.Random(5)), path=ALL, params=TRACK_PAGES, nth=41
        )
        result = full_sync(db, client)
        cached = set(cached_tracks(db))
    assert (everything & set(lib.tracks)) - cached == set()
    assert result.track_count == len(lib.tracks) == 100_000 - 500 + 3
