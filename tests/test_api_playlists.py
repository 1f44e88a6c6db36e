"""The playlist builder's API: picking from the cache, and saving to the simulator over loopback."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from web_harness import AppServer

from plexcrate.cache.database import Database
from plexcrate.cache.memory import library_generation
from plexcrate.cache.playlists import mirrored_playlists, playlist_members
from plexcrate.plex.client import PlexClient
from plexcrate.simulator import PlexSimulator, SimLibrary, SimPlaylist


@pytest.fixture
def app(synced_server: AppServer) -> AppServer:
    return synced_server


def preview(app: AppServer, **body: Any) -> dict[str, Any]:
    response = app.http.post("/api/playlists/preview", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def save(app: AppServer, **body: Any) -> dict[str, Any]:
    response = app.http.post("/api/playlists", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def keys_of(tracks: list[dict[str, Any]]) -> list[int]:
    return [track["rating_key"] for track in tracks]


# --- preview ----------------------------------------------------------------------------------


def test_a_preview_picks_from_the_filtered_cache(app: AppServer) -> None:
    picked = preview(app, count=20, filters={"min_rating": 6})
    assert len(picked["tracks"]) == 20
    assert all(t["user_rating"] >= 6 and not t["is_live"] for t in picked["tracks"])
    assert picked["total_duration_ms"] == sum(t["duration_ms"] or 0 for t in picked["tracks"])
    again = preview(app, count=20, filters={"min_rating": 6}, seed=picked["seed"])
    assert keys_of(again["tracks"]) == keys_of(picked["tracks"])


def test_a_preview_can_be_topped_up_without_repeating_kept_tracks(app: AppServer) -> None:
    kept = keys_of(preview(app, count=10)["tracks"])[:6]
    more = preview(app, count=4, exclude=kept)
    assert len(more["tracks"]) == 4
    assert not set(keys_of(more["tracks"])) & set(kept)


def test_a_preview_honours_a_target_length_and_an_artist_cap(app: AppServer) -> None:
    picked = preview(app, count=1000, target_minutes=30, max_per_artist=1)
    minutes = picked["total_duration_ms"] / 60_000
    last = picked["tracks"][-1]["duration_ms"] / 60_000
    assert minutes >= 30 > minutes - last
    artists = [t["artist"].lower() for t in picked["tracks"]]
    assert len(artists) == len(set(artists))


def test_a_preview_works_with_plex_offline(app: AppServer, plex: PlexSimulator) -> None:
    plex.stop()
    assert len(preview(app, count=5)["tracks"]) == 5


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"count": 0}, "count: must be at least 1"),
        ({"count": 1001}, "count: must be at most 1000"),
        ({"filters": {"decade": ["19x0s"]}}, "decade: '19x0s' is not a decade"),
        ({"filters": {"min_rating": 11}}, "min_rating: must be at most 10"),
        ({"target_minutes": -5}, "target_minutes"),
        ({"max_per_artist": 0}, "max_per_artist: must be at least 1"),
    ],
)
def test_a_bad_preview_request_names_the_field(
    app: AppServer, body: dict[str, Any], message: str
) -> None:
    response = app.http.post("/api/playlists/preview", json=body)
    assert response.status_code == 422
    assert message in response.json()["error"]


# --- saving -----------------------------------------------------------------------------------


def test_a_new_playlist_arrives_in_plex_with_the_tracks_in_order(
    app: AppServer, sim_library: SimLibrary
) -> None:
    tracks = keys_of(preview(app, count=25)["tracks"])
    saved = save(app, title="  Friday night  ", rating_keys=tracks, mode="new")
    assert saved["title"] == "Friday night" and saved["item_count"] == 25
    playlist = sim_library.playlists[saved["id"]]
    assert playlist.title == "Friday night"
    assert playlist.item_keys == tracks
    listed = app.get("/api/playlists").json()["playlists"]
    duration = sum(sim_library.tracks[key].duration or 0 for key in tracks)
    assert {
        "id": saved["id"],
        "title": "Friday night",
        "item_count": 25,
        "smart": False,
        "duration_ms": duration,
    } in listed


def test_a_long_playlist_is_saved_whole(app: AppServer, sim_library: SimLibrary) -> None:
    tracks = keys_of(app.tracks(limit=450, exclude_live="false")["tracks"])
    saved = save(app, title="Everything", rating_keys=tracks)
    assert sim_library.playlists[saved["id"]].item_keys == tracks


def test_appending_and_replacing(app: AppServer, sim_library: SimLibrary) -> None:
    first = keys_of(preview(app, count=5, seed=1)["tracks"])
    second = keys_of(preview(app, count=3, seed=2, exclude=first)["tracks"])
    created = save(app, title="Mix", rating_keys=first)

    appended = save(app, rating_keys=second, mode="append", playlist_id=created["id"])
    assert appended["item_count"] == 8
    assert sim_library.playlists[created["id"]].item_keys == first + second

    replaced = save(app, rating_keys=second, mode="replace", playlist_id=created["id"])
    assert replaced.items() >= {"id": created["id"], "title": "Mix", "item_count": 3}.items()
    assert sim_library.playlists[created["id"]].item_keys == second


def test_a_smart_playlist_is_not_touched(app: AppServer, sim_library: SimLibrary) -> None:
    tracks = keys_of(preview(app, count=3)["tracks"])
    smart: SimPlaylist = sim_library.create_playlist("Top rated", tracks[:1])
    smart.smart = True
    response = app.http.post(
        "/api/playlists",
        json={"rating_keys": tracks, "mode": "replace", "playlist_id": smart.rating_key},
    )
    assert response.status_code == 409
    assert "“Top rated” is a smart playlist" in response.json()["error"]
    assert sim_library.playlists[smart.rating_key].item_keys == tracks[:1]


def test_a_vanished_playlist_is_reported(app: AppServer) -> None:
    tracks = keys_of(preview(app, count=3)["tracks"])
    response = app.http.post(
        "/api/playlists", json={"rating_keys": tracks, "mode": "append", "playlist_id": 999999}
    )
    assert response.status_code == 409
    assert response.json() == {"error": "That playlist is no longer on the Plex server."}


def test_tracks_no_longer_in_the_cache_are_refused(app: AppServer, sim_library: SimLibrary) -> None:
    response = app.http.post("/api/playlists", json={"title": "x", "rating_keys": [1, 2]})
    assert response.status_code == 409
    assert "2 of these tracks are no longer in the library" in response.json()["error"]
    assert not sim_library.playlists


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"rating_keys": [1]}, "title: a new playlist needs a name"),
        ({"title": "   ", "rating_keys": [1]}, "title: a new playlist needs a name"),
        ({"rating_keys": [1], "mode": "append"}, "playlist_id: say which playlist to append"),
        ({"title": "x", "rating_keys": []}, "rating_keys"),
        ({"title": "x", "rating_keys": [1], "mode": "merge"}, "mode: must be"),
    ],
)
def test_a_bad_save_request_names_the_field(
    app: AppServer, body: dict[str, Any], message: str
) -> None:
    response = app.http.post("/api/playlists", json=body)
    assert response.status_code == 422
    assert message in response.json()["error"]


def test_plex_offline_is_a_503_in_plain_words(app: AppServer, plex: PlexSimulator) -> None:
    plex.stop()
    response = app.get("/api/playlists")
    assert response.status_code == 503
    assert response.json()["error"].startswith("Cannot reach Plex at http://127.0.0.1:")


def test_a_plex_error_while_saving_is_a_502(app: AppServer, plex: PlexSimulator) -> None:
    tracks = keys_of(preview(app, count=3)["tracks"])
    plex.faults.inject("status", path="/playlists", params=None, status=500, times=None)
    response = app.http.post("/api/playlists", json={"title": "x", "rating_keys": tracks})
    assert response.status_code == 502
    assert "Plex answered 500" in response.json()["error"]


# --- what lands: Plex answers 200 and adds only the tracks it still has ----------------------


def test_tracks_plex_dropped_come_back_as_not_added_on_every_kind_of_save(
    app: AppServer, sim_library: SimLibrary
) -> None:
    tracks = keys_of(preview(app, count=6, seed=4)["tracks"])
    gone = tracks[2]
    sim_library.delete_track(gone)  # gone from Plex, still in the cache (no sync since)

    created = save(app, title="Holes", rating_keys=tracks)
    assert created["not_added"] == [gone] and created["item_count"] == 5
    assert sim_library.playlists[created["id"]].item_keys == [k for k in tracks if k != gone]

    appended = save(app, rating_keys=[gone, tracks[0]], mode="append", playlist_id=created["id"])
    assert appended["not_added"] == [gone] and appended["item_count"] == 6

    replaced = save(app, rating_keys=tracks[::-1], mode="replace", playlist_id=created["id"])
    assert replaced["not_added"] == [gone]
    assert sim_library.playlists[created["id"]].item_keys == [k for k in tracks[::-1] if k != gone]


def test_a_save_that_lands_whole_says_nothing_is_missing(app: AppServer) -> None:
    tracks = keys_of(preview(app, count=4)["tracks"])
    assert save(app, title="Whole", rating_keys=tracks)["not_added"] == []


def test_a_replace_plex_keeps_none_of_leaves_the_old_tracks(
    app: AppServer, sim_library: SimLibrary
) -> None:
    tracks = keys_of(preview(app, count=5, seed=5)["tracks"])
    created = save(app, title="Keep me", rating_keys=tracks[:3])
    for key in tracks[3:]:
        sim_library.delete_track(key)
    response = app.http.post(
        "/api/playlists",
        json={"rating_keys": tracks[3:], "mode": "replace", "playlist_id": created["id"]},
    )
    assert response.status_code == 409
    assert response.json()["error"].startswith("Plex added none of these 2 tracks")
    assert sim_library.playlists[created["id"]].item_keys == tracks[:3]


def test_replace_adds_before_it_removes_so_the_playlist_is_never_empty(
    app: AppServer, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    old = keys_of(preview(app, count=4, seed=6)["tracks"])
    new = keys_of(preview(app, count=3, seed=7, exclude=old)["tracks"])
    playlist_id = save(app, title="Swap", rating_keys=old)["id"]
    lengths: list[int] = []
    plex.hooks.add(
        lambda: lengths.append(len(sim_library.playlists[playlist_id].item_keys)),
        path=None,
        params=None,
        times=None,
    )
    plex.requests.clear()
    save(app, rating_keys=new, mode="replace", playlist_id=playlist_id)
    assert sim_library.playlists[playlist_id].item_keys == new
    assert lengths and min(lengths) >= len(new)  # after every request Plex answered
    writes = [(r.method, r.path) for r in plex.requests if r.method != "GET"]
    items = f"/playlists/{playlist_id}/items"
    assert writes[0] == ("PUT", items)
    assert ("DELETE", items) not in writes  # never cleared whole
    assert sorted(p for m, p in writes if m == "DELETE") == sorted(
        f"{items}/{i}" for i in range(1, 5)
    )


def test_a_replace_keeps_the_tracks_it_begins_with(
    app: AppServer, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    tracks = keys_of(preview(app, count=6, seed=8)["tracks"])
    playlist_id = save(app, title="Grow", rating_keys=tracks[:4])["id"]
    plex.requests.clear()
    save(app, rating_keys=[*tracks[:2], tracks[5]], mode="replace", playlist_id=playlist_id)
    assert sim_library.playlists[playlist_id].item_keys == [*tracks[:2], tracks[5]]
    removed = [r.path for r in plex.requests if r.method == "DELETE"]
    assert len(removed) == 2  # the two after the kept beginning, not all four


def test_a_replace_that_fails_halfway_says_what_the_playlist_holds(
    app: AppServer, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    old = keys_of(preview(app, count=4, seed=9)["tracks"])
    new = keys_of(preview(app, count=2, seed=10, exclude=old)["tracks"])
    playlist_id = save(app, title="Broken", rating_keys=old)["id"]
    second = sim_library.playlists[playlist_id].item_ids[1]
    plex.faults.inject(
        "status", path=f"/playlists/{playlist_id}/items/{second}", params={}, times=None
    )
    response = app.http.post(
        "/api/playlists",
        json={"rating_keys": new, "mode": "replace", "playlist_id": playlist_id},
    )
    assert response.status_code == 502
    message = response.json()["error"]
    assert message.startswith("Saving to “Broken” stopped halfway (Plex answered 500")
    assert "the new tracks are added, and 3 of the old ones are still there" in message
    assert "it now holds 5 tracks. Save again to finish." in message
    assert sim_library.playlists[playlist_id].item_keys == old[1:] + new
    assert mirror(app)[playlist_id] == ("Broken", old[1:] + new)


# --- names, renaming, deleting ------------------------------------------------------------------


def test_a_name_already_taken_asks_before_making_a_second(
    app: AppServer, sim_library: SimLibrary
) -> None:
    tracks = keys_of(preview(app, count=4)["tracks"])
    first = save(app, title="Sunday", rating_keys=tracks)
    again = app.http.post("/api/playlists", json={"title": " sunday ", "rating_keys": tracks})
    assert again.status_code == 409
    assert again.json() == {
        "error": "Plex already has a playlist called “Sunday”. Save again to make a second "
        "one with the same name, or add the tracks to that one.",
        "duplicate_of": first["id"],
    }
    assert len(sim_library.playlists) == 1
    # A name that only contains it is another name.
    save(app, title="Sunday best", rating_keys=tracks)
    second = save(app, title="Sunday", rating_keys=tracks, allow_duplicate=True)
    assert second["id"] != first["id"]
    assert sorted(p.title for p in sim_library.playlists.values()) == [
        "Sunday", "Sunday", "Sunday best"
    ]  # fmt: skip


# --- the cache's mirror follows what plexcrate saves ------------------------------------------


def mirror(app: AppServer) -> dict[int, tuple[str, list[int]]]:
    """The cache's mirror of the playlists, as the query engine reads it."""
    db: Database = app.app.state.library.db

    def read(conn: sqlite3.Connection) -> dict[int, tuple[str, list[int]]]:
        members = playlist_members(conn)
        return {p.id: (p.title, members.of(p.id).tolist()) for p in mirrored_playlists(conn)}

    return db.read(read)


def generation(app: AppServer) -> int:
    return app.app.state.library.db.read(library_generation)


def test_every_save_rename_and_delete_reaches_the_mirror_at_once(
    app: AppServer, sim_library: SimLibrary
) -> None:
    first = keys_of(preview(app, count=5, seed=1)["tracks"])
    second = keys_of(preview(app, count=3, seed=2, exclude=first)["tracks"])
    before = generation(app)
    created = save(app, title="Mix", rating_keys=first)["id"]
    assert mirror(app) == {created: ("Mix", first)}
    assert generation(app) != before  # what is kept in memory for the library is built again

    save(app, rating_keys=second, mode="append", playlist_id=created)
    assert mirror(app) == {created: ("Mix", first + second)}
    save(app, rating_keys=second[::-1], mode="replace", playlist_id=created)
    assert mirror(app) == {created: ("Mix", second[::-1])}

    app.http.patch(f"/api/playlists/{created}", json={"title": "Final"})
    assert mirror(app) == {created: ("Final", second[::-1])}
    app.http.request("DELETE", f"/api/playlists/{created}", json={})
    assert mirror(app) == {}
    assert sim_library.playlists == {}


def test_a_rule_on_playlist_finds_a_saved_playlists_tracks_at_once(app: AppServer) -> None:
    tracks = keys_of(preview(app, count=6, seed=3)["tracks"])
    created = save(app, title="Ruled", rating_keys=tracks)["id"]

    def matching(op: str, value: Any) -> set[int]:
        rule = {"field": "playlist", "op": op, "value": value}
        found = app.http.post("/api/tracks/query", json={"rule": rule, "limit": 1000})
        assert found.status_code == 200, found.text
        return set(keys_of(found.json()["tracks"]))

    assert matching("is", created) == set(tracks)
    save(app, rating_keys=tracks[:2], mode="replace", playlist_id=created)
    assert matching("any_of", [created]) == set(tracks[:2])
    assert not matching("is_not", created) & set(tracks[:2])


def test_a_playlist_saved_before_a_refresh_stays_mirrored_after_it(app: AppServer) -> None:
    tracks = keys_of(preview(app, count=4)["tracks"])
    created = save(app, title="Kept", rating_keys=tracks)["id"]
    assert app.sync().status_code == 200
    assert app.wait_for_sync_to_end()["last_sync_kind"] == "incremental"
    assert mirror(app) == {created: ("Kept", tracks)}


def test_a_save_succeeds_even_when_its_mirror_cannot_be_read(
    app: AppServer, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    tracks = keys_of(preview(app, count=4)["tracks"])
    # Only the mirror reads the new playlist itself (its key is the library's next one).
    playlist = f"/playlists/{sim_library._next_key}"
    plex.faults.inject("status", path=playlist, params={}, times=None, status=500)
    created = save(app, title="Saved anyway", rating_keys=tracks)
    assert created["item_count"] == 4
    assert mirror(app) == {}  # the next sync mends it
    plex.faults.clear()
    assert app.sync().status_code == 200
    app.wait_for_sync_to_end()
    assert mirror(app) == {created["id"]: ("Saved anyway", tracks)}


def test_a_playlist_is_renamed_and_deleted(app: AppServer, sim_library: SimLibrary) -> None:
    tracks = keys_of(preview(app, count=3)["tracks"])
    created = save(app, title="Draft", rating_keys=tracks)
    renamed = app.http.patch(f"/api/playlists/{created['id']}", json={"title": "  Final  "})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["title"] == "Final" and renamed.json()["item_count"] == 3
    assert sim_library.playlists[created["id"]].title == "Final"

    deleted = app.http.request("DELETE", f"/api/playlists/{created['id']}", json={})
    assert deleted.status_code == 204 and deleted.content == b""
    assert created["id"] not in sim_library.playlists
    assert app.get("/api/playlists").json() == {"playlists": []}
    for gone in (
        app.http.patch(f"/api/playlists/{created['id']}", json={"title": "Again"}),
        app.http.request("DELETE", f"/api/playlists/{created['id']}", json={}),
    ):
        assert gone.status_code == 404
        assert gone.json() == {"error": "That playlist is no longer on the Plex server."}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "title: is required"),
        ({"title": ""}, "title: must not be empty"),
        ({"title": "   "}, "title: a playlist needs a name"),
        ({"title": "x" * 201}, "title: must be at most 200 characters long"),
        ({"title": 5}, "title: must be text"),
    ],
)
def test_a_bad_rename_names_the_field(app: AppServer, body: dict[str, Any], message: str) -> None:
    response = app.http.patch("/api/playlists/5", json=body)
    assert response.status_code == 422
    assert response.json()["error"].startswith(message)


def test_renaming_and_deleting_with_plex_offline_are_503s(
    app: AppServer, plex: PlexSimulator
) -> None:
    plex.stop()
    for answer in (
        app.http.patch("/api/playlists/5", json={"title": "x"}),
        app.http.request("DELETE", "/api/playlists/5", json={}),
    ):
        assert answer.status_code == 503
        assert answer.json()["error"].startswith("Cannot reach Plex at http://127.0.0.1:")


def test_playlists_are_listed_page_by_page(
    client: PlexClient, sim_library: SimLibrary, plex: PlexSimulator
) -> None:
    keys = list(sim_library.tracks)[:3]
    for n in range(5):
        sim_library.create_playlist(f"Mix {n}", keys)
    plex.requests.clear()
    listed = client.audio_playlists(page_size=2)
    assert [p.title for p in listed] == [f"Mix {n}" for n in range(5)]
    pages = [r for r in plex.requests if r.path == "/playlists"]
    assert [r.headers["X-Plex-Container-Start"] for r in pages] == ["0", "2", "4"]
    assert {r.headers["X-Plex-Container-Size"] for r in pages} == {"2"}


def test_only_audio_playlists_are_renamed_or_deleted(
    app: AppServer, sim_library: SimLibrary
) -> None:
    video = sim_library.create_playlist(
        "Films", list(sim_library.tracks)[:2], playlist_type="video"
    )
    renamed = app.http.patch(f"/api/playlists/{video.rating_key}", json={"title": "Mine"})
    deleted = app.http.request("DELETE", f"/api/playlists/{video.rating_key}", json={})
    for answer in (renamed, deleted):
        assert answer.status_code == 404
        assert answer.json() == {"error": "That playlist is no longer on the Plex server."}
    assert sim_library.playlists[video.rating_key].title == "Films"


def test_renaming_to_a_taken_name_asks_first(app: AppServer, sim_library: SimLibrary) -> None:
    tracks = keys_of(preview(app, count=2)["tracks"])
    taken = save(app, title="Road trip", rating_keys=tracks)["id"]
    other = save(app, title="Draft", rating_keys=tracks)["id"]
    asked = app.http.patch(f"/api/playlists/{other}", json={"title": " road TRIP "})
    assert asked.status_code == 409
    assert asked.json() == {
        "error": "Plex already has a playlist called “Road trip”. Rename again to have two "
        "with the same name, or choose another name.",
        "duplicate_of": taken,
    }
    assert sim_library.playlists[other].title == "Draft"
    again = app.http.patch(
        f"/api/playlists/{other}", json={"title": "Road trip", "allow_duplicate": True}
    )
    assert again.status_code == 200 and again.json()["title"] == "Road trip"
    # Its own name (in another case) is no conflict.
    own = app.http.patch(f"/api/playlists/{taken}", json={"title": "ROAD TRIP"})
    assert own.status_code == 409  # "Draft" is now called Road trip too
    alone = save(app, title="Solo", rating_keys=tracks)["id"]
    assert app.http.patch(f"/api/playlists/{alone}", json={"title": "SOLO"}).status_code == 200


# --- what a playlist holds ----------------------------------------------------------------------


def test_a_playlists_items_are_read_from_plex_as_it_holds_them_now(
    app: AppServer, sim_library: SimLibrary, plex: PlexSimulator
) -> None:
    keys = sorted(sim_library.tracks)
    trip = sim_library.create_playlist("Road trip", [keys[3], keys[1], keys[2]])
    answer = app.get(f"/api/playlists/{trip.rating_key}/items")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"id": trip.rating_key, "rating_keys": [keys[3], keys[1], keys[2]]}
    # A hand edit in Plex since the last sync shows at once: the answer is Plex's, not the mirror's.
    sim_library.add_playlist_items(trip.rating_key, [keys[7]])
    assert app.get(f"/api/playlists/{trip.rating_key}/items").json()["rating_keys"][-1] == keys[7]

    gone = app.get("/api/playlists/999999/items")
    assert gone.status_code == 404
    assert gone.json() == {"error": "That playlist is no longer on the Plex server."}
    for bad in ("0", "-3", "abc", "1.5", str(2**60)):
        assert app.get(f"/api/playlists/{bad}/items").status_code == 422, bad
    plex.stop()
    offline = app.get(f"/api/playlists/{trip.rating_key}/items")
    assert offline.status_code == 503
    assert offline.json()["error"].startswith("Cannot reach Plex at")
