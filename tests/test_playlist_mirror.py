"""The cache's mirror of Plex's audio playlists: filled by a full sync, followed by a refresh,
cleared with the library, and untouched by a sync that fails."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest
from conftest import TOKEN

from plexcrate.cache.database import Database
from plexcrate.cache.playlists import mirrored_playlists, playlist_members, playlists_of
from plexcrate.cache.schema import MIGRATIONS, _playlists
from plexcrate.plex.client import PlexClient, ServerIdentity
from plexcrate.simulator import PlexSimulator, SimLibrary
from plexcrate.sync.engine import SyncFailed, SyncOptions, SyncResult, sync_library

# Small pages, several workers: a playlist's items take several pages.
OPTIONS = SyncOptions(page_size=100, workers=3)


def sync(db: Database, client: PlexClient, **kwargs) -> SyncResult:
    return sync_library(db, client, options=OPTIONS, **kwargs)


def mirror(db: Database) -> dict[int, tuple[str, bool, list[int]]]:
    """Each mirrored playlist: its title, whether smart, its items in order."""

    def read(conn: sqlite3.Connection) -> dict[int, tuple[str, bool, list[int]]]:
        members = playlist_members(conn)
        return {
            p.id: (p.title, p.smart, members.of(p.id).tolist()) for p in mirrored_playlists(conn)
        }

    return db.read(read)


def expected(lib: SimLibrary) -> dict[int, tuple[str, bool, list[int]]]:
    return {p.rating_key: (p.title, p.smart, list(p.item_keys)) for p in lib.playlists.values()}


def item_reads(plex: PlexSimulator) -> set[int]:
    """The playlists whose items were asked for, since the log was last cleared."""
    return {
        int(record.path.split("/")[2])
        for record in plex.requests
        if record.path.startswith("/playlists/") and record.path.endswith("/items")
    }


@pytest.fixture
def lib(sim_library: SimLibrary) -> SimLibrary:
    """The library with playlists: a big one (several pages of items, in no key order), small
    ones, one with a key repeated, and a smart one."""
    rng = random.Random(7)
    keys = list(sim_library.tracks)
    big = rng.sample(keys, 350)
    sim_library.create_playlist("Big", big)
    for n in range(4):
        sim_library.create_playlist(f"Small {n}", rng.sample(keys, 5 + n))
    sim_library.create_playlist("Twice", [keys[0], keys[1], keys[0]])
    smart = sim_library.create_playlist("Smart", rng.sample(keys, 20))
    smart.smart = True
    return sim_library


def test_a_full_sync_mirrors_every_playlist_in_order(
    cache: Database, client: PlexClient, lib: SimLibrary
) -> None:
    assert sync(cache, client).kind == "full"
    assert mirror(cache) == expected(lib)
    smart = next(p for p in lib.playlists.values() if p.smart)
    assert mirror(cache)[smart.rating_key][1] is True
    track = lib.playlists[min(lib.playlists)].item_keys[0]
    holding = sorted(p.rating_key for p in lib.playlists.values() if track in p.item_keys)
    assert cache.read(lambda conn: playlists_of(conn, track)) == holding


def test_the_members_answer_by_playlist_and_by_any(
    cache: Database, client: PlexClient, lib: SimLibrary
) -> None:
    sync(cache, client)
    members = cache.read(playlist_members)
    first, second = sorted(lib.playlists)[:2]
    assert members.of(first).tolist() == lib.playlists[first].item_keys
    union = set(lib.playlists[first].item_keys) | set(lib.playlists[second].item_keys)
    assert members.of_any([first, second]).tolist() == sorted(union)
    assert members.of(1).tolist() == [] and members.of_any([]).tolist() == []


def test_a_refresh_follows_every_kind_of_edit_and_reads_only_what_changed(
    cache: Database, client: PlexClient, lib: SimLibrary, plex: PlexSimulator
) -> None:
    sync(cache, client)
    later = lib.now() + 60
    lib.clock = lambda: later  # every edit moves its playlist's updatedAt
    ids = sorted(p.rating_key for p in lib.playlists.values() if not p.smart)
    grown, shrunk, gone, renamed, untouched = ids[0], ids[1], ids[2], ids[3], ids[4]
    keys = list(lib.tracks)
    lib.add_playlist_items(grown, keys[-3:])
    lib.remove_playlist_item(shrunk, lib.playlists[shrunk].item_ids[1])
    lib.delete_playlist(gone)
    lib.edit_playlist(renamed, title="Renamed")
    new = lib.create_playlist("New", keys[10:14]).rating_key
    plex.requests.clear()
    assert sync(cache, client).kind == "incremental"
    assert mirror(cache) == expected(lib)
    # The library did not change: the smart playlist is not read again, nor the untouched.
    assert item_reads(plex) == {grown, shrunk, renamed, new}
    assert untouched in mirror(cache)


def test_a_rename_in_the_same_second_is_followed_without_reading_the_items(
    cache: Database, client: PlexClient, lib: SimLibrary, plex: PlexSimulator
) -> None:
    now = lib.now()
    lib.clock = lambda: now
    sync(cache, client)
    playlist = min(lib.playlists)
    lib.edit_playlist(playlist, title="Renamed")
    plex.requests.clear()
    sync(cache, client)
    assert mirror(cache)[playlist][0] == "Renamed"
    assert item_reads(plex) == set()


def test_a_refresh_with_nothing_changed_reads_no_items(
    cache: Database, client: PlexClient, lib: SimLibrary, plex: PlexSimulator
) -> None:
    sync(cache, client)
    plex.requests.clear()
    assert sync(cache, client).kind == "incremental"
    assert item_reads(plex) == set()
    playlist_requests = [r for r in plex.requests if r.path.startswith("/playlists")]
    assert len(playlist_requests) == 1  # the listing
    assert mirror(cache) == expected(lib)


def test_a_smart_playlist_is_read_again_when_the_library_changed(
    cache: Database, client: PlexClient, lib: SimLibrary, plex: PlexSimulator
) -> None:
    sync(cache, client)
    smart = next(p for p in lib.playlists.values() if p.smart)
    # Plex recomputes a smart playlist from its rules: its updatedAt need not move.
    smart.item_keys[0], smart.item_keys[1] = smart.item_keys[1], smart.item_keys[0]
    lib.rate_track(next(iter(lib.tracks)), 8.0)
    plex.requests.clear()
    assert sync(cache, client).kind == "incremental"
    assert item_reads(plex) == {smart.rating_key}
    assert mirror(cache) == expected(lib)


def test_a_track_deleted_from_plex_leaves_its_playlists(
    cache: Database, client: PlexClient, lib: SimLibrary
) -> None:
    sync(cache, client)
    big = next(p for p in lib.playlists.values() if p.title == "Big")
    lib.delete_track(big.item_keys[5])
    sync(cache, client)
    assert mirror(cache) == expected(lib)


class _DeletesAfterListing(PlexClient):
    """A server where a playlist is deleted right after the playlists are listed."""

    lib: SimLibrary

    def audio_playlists(self, *, title: str | None = None, page_size: int = 1000) -> list:
        listed = super().audio_playlists(title=title, page_size=page_size)
        if self.lib.playlists:
            self.lib.delete_playlist(max(self.lib.playlists))
        return listed


def test_a_playlist_deleted_between_the_listing_and_its_items_is_dropped(
    cache: Database, plex: PlexSimulator, lib: SimLibrary
) -> None:
    with _DeletesAfterListing(plex.url, TOKEN, timeout=2.0, retry_delay=0.0) as client:
        client.lib = lib
        assert sync(cache, client).kind == "full"
    assert mirror(cache) == expected(lib) and len(mirror(cache)) == 6


def test_a_server_change_clears_the_mirror_with_the_library(
    cache: Database, client: PlexClient, lib: SimLibrary
) -> None:
    sync(cache, client)
    seen: list[dict[int, tuple[str, bool, list[int]]]] = []

    def replaced(identity: ServerIdentity) -> None:
        seen.append(mirror(cache))

    lib.set_machine_identifier("another-server")
    result = sync(cache, client, on_server_replaced=replaced)
    assert result.kind == "full" and seen == [{}]
    assert mirror(cache) == expected(lib)  # the new server's own


@pytest.mark.parametrize("what", ["listing", "items"])
def test_a_failure_while_reading_playlists_keeps_the_previous_mirror(
    cache: Database, client: PlexClient, lib: SimLibrary, plex: PlexSimulator, what: str
) -> None:
    sync(cache, client)
    before = mirror(cache)
    big = next(p for p in lib.playlists.values() if p.title == "Big")
    lib.add_playlist_items(big.rating_key, list(lib.tracks)[:2])
    lib.delete_playlist(min(p for p in lib.playlists if p != big.rating_key))
    lib.rate_track(next(iter(lib.tracks)), 2.0)
    path = "/playlists" if what == "listing" else f"/playlists/{big.rating_key}/items"
    # The listing fails, or the big playlist's items (the others' may be read), retry included.
    plex.faults.inject("status", path=path, params={}, times=None)
    for full in (False, True):
        with pytest.raises(SyncFailed):
            sync(cache, client, full=full)
        assert mirror(cache) == before
    plex.faults.clear()
    sync(cache, client)
    assert mirror(cache) == expected(lib)


def test_a_cache_of_the_previous_schema_gains_the_mirror_at_its_full_sync(
    tmp_path: Path, client: PlexClient, lib: SimLibrary
) -> None:
    path = tmp_path / "v8.db"
    with Database(path) as db:
        sync(db, client)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TABLE playlist_items")
    conn.execute("DROP TABLE playlists")
    # The schema before the playlists' migration (later ones find their changes made).
    before = MIGRATIONS.index(_playlists)
    conn.execute(f"UPDATE sync_state SET schema_version = {before}")
    conn.execute(f"PRAGMA user_version = {before}")
    conn.close()
    with Database(path) as db:
        assert mirror(db) == {}
        result = sync(db, client)
        assert result.kind == "full" and "schema" in result.reason
        assert mirror(db) == expected(lib)
