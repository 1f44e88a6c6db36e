"""Re-keyed tracks (issue 21, point 6): after a metadata refresh Plex can give unchanged
tracks new ratingKeys, keeping their guid (real-plex.md, "Library changes"). A full sync
notes each old key's new one (``rekeyed``); a save or a preview naming old keys follows it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import TOKEN
from test_incremental import sync
from web_harness import AppServer, synced_app

from plexcrate.cache.database import Database
from plexcrate.cache.playlists import follow_rekeyed
from plexcrate.plex.client import PlexClient
from plexcrate.simulator import SimLibrary


def test_a_full_sync_follows_a_guid_to_its_new_key(
    cache: Database, client: PlexClient, sim_library: SimLibrary
) -> None:
    first, second, other = sorted(sim_library.tracks)[4:7]
    sync(cache, client, full=True)
    new = sim_library.rekey_track(first)
    sync(cache, client, full=True)
    newer = sim_library.rekey_track(new)  # and again: the old key follows to the newest
    later = sim_library.rekey_track(second)
    sync(cache, client, full=True)
    assert cache.read(lambda c: follow_rekeyed(c, [first, other, new, second])) == [
        newer,
        other,
        newer,
        later,
    ]
    guid = cache.read(
        lambda c: c.execute("SELECT guid FROM tracks WHERE rating_key = ?", (newer,)).fetchone()
    )[0]
    assert guid == sim_library.tracks[newer].guid and guid.startswith("plex://track/")


@pytest.fixture(scope="module")
def library() -> SimLibrary:
    return SimLibrary.generate(tracks=200, seed=5)


@pytest.fixture(scope="module")
def app(library: SimLibrary, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    with synced_app(library, tmp_path_factory.mktemp("cache"), TOKEN) as server:
        yield server


def test_a_save_naming_old_keys_lands_on_the_new_ones(app: AppServer, library: SimLibrary) -> None:
    old = sorted(library.tracks)[10:13]
    new = [library.rekey_track(old[0]), old[1], library.rekey_track(old[2])]
    assert app.sync(full=True).status_code == 200
    app.wait_for_sync_to_end()
    answer = app.http.post(
        "/api/playlists", json={"mode": "new", "title": "Picked before", "rating_keys": old}
    )
    assert answer.status_code == 200, answer.text
    saved = answer.json()
    assert saved.get("not_added", []) == []
    assert library.playlists[saved["id"]].item_keys == new
    preview = app.http.post("/api/playlists/preview", json={"count": 5, "keep": old}).json()
    assert not {t["rating_key"] for t in preview["tracks"]} & {old[0], old[2]}
