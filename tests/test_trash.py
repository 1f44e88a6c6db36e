"""Tracks in Plex's trash (issue 21, point 4): a server with automatic emptying off keeps a
deleted or unreachable file's track listed, with ``deletedAt``, and counted, until its trash
is emptied (real-plex.md, "Library changes"). plexcrate mirrors such a track as unavailable:
out of every list, facet, pick and search, counted apart in the status, shown (marked) only
with ``include_unavailable=true``. Full syncs and refreshes agree, including a track trashed
or restored between them without any timestamp moving.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import TOKEN
from plex_oracle import expected_tracks
from test_incremental import OPTIONS, assert_exact, sync
from web_harness import AppServer, synced_app

from plexcrate.cache.database import Database
from plexcrate.cache.filters import TrackFilter
from plexcrate.cache.picker import PickOptions, pick_tracks
from plexcrate.cache.queries import count_tracks, find_tracks
from plexcrate.cache.state import read_sync_state
from plexcrate.plex.client import PlexClient
from plexcrate.simulator import SimLibrary
from plexcrate.sync.engine import SyncOptions

# Every refresh checks the trash (the default is once an hour).
CHECKING = SyncOptions(page_size=OPTIONS.page_size, workers=OPTIONS.workers, trash_check_every_s=0)


def trashed_in_cache(db: Database) -> dict[int, int]:
    return db.read(
        lambda c: dict(c.execute("SELECT rating_key, deleted_at FROM tracks WHERE deleted_at"))
    )


def listed(db: Database, **kwargs: Any) -> list[tuple[int, bool]]:
    page = db.read(lambda c: find_tracks(c, TrackFilter(), limit=1000, **kwargs))
    return [(t.rating_key, t.unavailable) for t in page.tracks]


def _two_tracks(lib: SimLibrary) -> tuple[int, int]:
    """Two tracks of albums with other tracks (so no album or artist is all trash)."""
    keys = [k for k, ks in sorted(lib.album_tracks.items()) if len(ks) > 2]
    return lib.album_tracks[keys[0]][0], lib.album_tracks[keys[1]][1]


def test_a_full_sync_mirrors_trashed_tracks_as_unavailable(
    cache: Database, client: PlexClient, sim_library: SimLibrary
) -> None:
    gone, kept = _two_tracks(sim_library)
    sim_library.trash_track(gone)
    assert sync(cache, client, full=True).track_count == len(sim_library.tracks)  # Plex's count
    assert set(trashed_in_cache(cache)) == {gone}
    state = cache.read(read_sync_state)
    assert (state.track_count, state.unavailable_count) == (len(sim_library.tracks), 1)
    keys = [key for key, _ in listed(cache)]
    assert gone not in keys and kept in keys and len(keys) == len(sim_library.tracks) - 1
    assert cache.read(lambda c: count_tracks(c, TrackFilter())) == len(sim_library.tracks) - 1
    everything = listed(cache, include_unavailable=True)
    assert everything[-1] == (gone, True) and everything[:-1] == [(k, False) for k in keys]
    picks = cache.read(lambda c: pick_tracks(c, TrackFilter(), PickOptions(count=1000, seed=1)))
    assert gone not in {t.rating_key for t in picks} and len(picks) == len(keys)


def test_a_track_trashed_or_restored_between_refreshes_is_found_by_the_trash_check(
    cache: Database, client: PlexClient, sim_library: SimLibrary, tmp_path: Path
) -> None:
    """Trashing moves no timestamp and no count: only the check (every track listed) sees it;
    the default hour between checks leaves a refresh right after a full sync without it."""
    first, second = _two_tracks(sim_library)
    sync(cache, client)
    sim_library.trash_track(first)
    assert sync(cache, client).kind == "incremental"  # no check due yet: unseen
    assert trashed_in_cache(cache) == {}
    assert sync(cache, client, options=CHECKING).kind == "incremental"
    assert trashed_in_cache(cache) == {first: sim_library.tracks[first].deleted_at}
    assert cache.read(read_sync_state).unavailable_count == 1
    assert_exact(cache, sim_library, client, tmp_path / "fresh.db")

    sim_library.restore_track(first)
    sim_library.trash_track(second)
    assert sync(cache, client, options=CHECKING).kind == "incremental"
    assert set(trashed_in_cache(cache)) == {second}
    assert first in {key for key, _ in listed(cache)}
    assert_exact(cache, sim_library, client, tmp_path / "fresh.db")


def test_emptying_the_trash_removes_the_tracks_at_the_next_refresh(
    cache: Database, client: PlexClient, sim_library: SimLibrary, tmp_path: Path
) -> None:
    first, second = _two_tracks(sim_library)
    sim_library.trash_track(first)
    sim_library.trash_track(second)
    sync(cache, client)
    assert len(trashed_in_cache(cache)) == 2
    sim_library.empty_trash()
    result = sync(cache, client)
    assert (result.kind, result.track_count) == ("incremental", len(sim_library.tracks))
    assert trashed_in_cache(cache) == {} and cache.read(read_sync_state).unavailable_count == 0
    assert_exact(cache, sim_library, client, tmp_path / "fresh.db")


# --- through the API --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def library() -> SimLibrary:
    return SimLibrary.generate(tracks=300, seed=21)


@pytest.fixture(scope="module")
def trashed(library: SimLibrary) -> list[int]:
    """Tracks trashed after the first sync, then mirrored by a full one."""
    return list(_two_tracks(library))


@pytest.fixture(scope="module")
def app(
    library: SimLibrary, trashed: list[int], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AppServer]:
    with synced_app(library, tmp_path_factory.mktemp("cache"), TOKEN) as server:
        for key in trashed:
            library.trash_track(key)
        assert server.sync(full=True).status_code == 200
        server.wait_for_status(lambda s: not s["is_syncing"] and s["unavailable_tracks"])
        yield server


def test_the_status_counts_unavailable_tracks_apart(
    app: AppServer, library: SimLibrary, trashed: list[int]
) -> None:
    status = app.status()
    assert status["unavailable_tracks"] == len(trashed)
    assert status["track_count"] == len(library.tracks) - len(trashed)


def test_lists_facets_and_searches_leave_unavailable_tracks_out(
    app: AppServer, library: SimLibrary, trashed: list[int]
) -> None:
    available = {k: t for k, t in expected_tracks(library).items() if k not in trashed}
    page = app.tracks(limit=1000, exclude_live=False)
    assert {t["rating_key"] for t in page["tracks"]} == set(available)
    assert page["total"] == len(available) and not any(t["unavailable"] for t in page["tracks"])
    # Every genre's count is that of the available tracks having it (the oracle's).
    genres = Counter(g for t in available.values() for g in t["genre_tags"])
    stats = app.stats(exclude_live=False)
    assert stats["total_tracks"] == len(available)
    assert {f["name"].lower(): f["count"] for f in stats["genres"]} == {
        g: n for g, n in genres.items()
    }
    for key in trashed:
        title = library.tracks[key].title
        found = app.get("/api/search", q=title).json()
        assert key not in {t["rating_key"] for t in found["tracks"]}
        album = app.get(f"/api/albums/{library.tracks[key].album_key}").json()
        assert key not in {t["rating_key"] for t in album["tracks"]}
        preview = app.http.post(
            "/api/playlists/preview", json={"count": 1000, "filters": {"q": title}}
        ).json()
        assert key not in {t["rating_key"] for t in preview["tracks"]}


def test_include_unavailable_shows_them_marked_after_the_others(
    app: AppServer, library: SimLibrary, trashed: list[int]
) -> None:
    page = app.tracks(limit=1000, include_unavailable="true", exclude_live=False)
    assert page["total"] == len(library.tracks)
    tail = page["tracks"][-len(trashed) :]
    assert {t["rating_key"] for t in tail} == set(trashed) and all(t["unavailable"] for t in tail)
    # Filters and paging apply to them too: a search finds one, on its own page.
    key = trashed[0]
    title = library.tracks[key].title
    found = app.tracks(q=title, include_unavailable="true", limit=1000, exclude_live=False)
    assert (key, True) in {(t["rating_key"], t["unavailable"]) for t in found["tracks"]}
    plain = app.tracks(q=title, limit=1000, exclude_live=False)
    assert found["total"] == plain["total"] + 1
    last = app.tracks(
        q=title, include_unavailable="true", limit=1, offset=found["total"] - 1, exclude_live=False
    )
    assert [t["rating_key"] for t in last["tracks"]] == [key]
    rule = {"field": "live", "op": "is", "value": False}
    body: dict[str, Any] = {"rule": rule, "limit": 1000}
    plain = app.http.post("/api/tracks/query", json=body).json()
    queried = app.http.post("/api/tracks/query", json={**body, "include_unavailable": True}).json()
    expected = expected_tracks(library)
    assert queried["total"] - plain["total"] == sum(not expected[k]["is_live"] for k in trashed)
    assert app.get("/api/tracks", include_unavailable="maybe").status_code == 422
