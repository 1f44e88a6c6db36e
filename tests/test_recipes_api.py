"""Recipes through the API, against the simulator over loopback: a playlist made at once and kept
fresh after syncs in which Plex adds, deletes, re-rates and plays tracks; hand edits in Plex;
Plex offline; a server change; a restart; a refresh cut short."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import TOKEN, StartApp, restartable
from web_harness import AppServer, wait_until

from plexcrate.cache.database import Database
from plexcrate.cache.recipes import begin_writing, get_recipe
from plexcrate.cli import main
from plexcrate.simulator import PlexSimulator, SimLibrary

RATED = {"field": "rating", "op": "ge", "value": 8}
UNPLAYED = {"field": "plays", "op": "is", "value": 0}


def create(app: AppServer, **body: Any) -> dict[str, Any]:
    response = app.http.post("/api/recipes", json={"name": "Mix", "rule": RATED, **body})
    assert response.status_code == 201, response.text
    return response.json()


def recipe(app: AppServer, recipe_id: int) -> dict[str, Any]:
    response = app.get(f"/api/recipes/{recipe_id}")
    assert response.status_code == 200, response.text
    return response.json()


def history(app: AppServer, recipe_id: int) -> list[dict[str, Any]]:
    return app.get(f"/api/recipes/{recipe_id}/history").json()["history"]


def refresh(app: AppServer, recipe_id: int) -> dict[str, Any]:
    response = app.http.post(f"/api/recipes/{recipe_id}/refresh", json={})
    assert response.status_code == 200, response.text
    return response.json()


def matching(lib: SimLibrary, rule: dict[str, Any]) -> set[int]:
    if rule is RATED:
        return {k for k, t in lib.tracks.items() if (t.user_rating or 0) >= 8}
    return {k for k, t in lib.tracks.items() if not t.view_count}


def synced_and_refreshed(app: AppServer) -> None:
    assert app.sync().status_code == 200
    app.wait_for_sync_to_end()
    runner = app.app.state.library.recipes
    wait_until(runner.idle, what="the recipes' refreshes")


def writes(plex: PlexSimulator) -> list[str]:
    return [f"{r.method} {r.path}" for r in plex.requests if r.method != "GET"]


@pytest.fixture
def app(synced_server: AppServer) -> AppServer:
    return synced_server


def test_a_recipe_makes_its_playlist_at_once_and_says_what_a_page_needs(
    app: AppServer, sim_library: SimLibrary
) -> None:
    made = create(app, limit={"tracks": 12}, max_per_artist=2, refresh="daily")
    playlist = sim_library.playlists[made["playlist_id"]]
    assert playlist.title == "Mix" and len(playlist.item_keys) == 12
    assert set(playlist.item_keys) <= matching(sim_library, RATED)
    assert made["track_count"] == 12
    assert made["duration_ms"] == sum(
        sim_library.tracks[k].duration or 0 for k in playlist.item_keys
    )
    assert made["last_refresh"] and made["next_refresh"] and not made["paused"]
    assert made["last"]["reason"] == "created" and made["last"]["added"] == 12
    listed = app.get("/api/recipes").json()["recipes"]
    assert [r["id"] for r in listed] == [made["id"]]
    # The playlist's mirror follows at once: a rule on it finds its tracks.
    rule = json.dumps({"field": "playlist", "op": "is", "value": made["playlist_id"]})
    assert app.tracks(rule=rule, exclude_live="false")["total"] == 12


def test_a_refresh_with_nothing_changed_writes_nothing_to_plex(
    app: AppServer, plex: PlexSimulator
) -> None:
    made = create(app, limit={"tracks": 10})
    plex.requests.clear()
    assert refresh(app, made["id"]) == {
        "added": 0,
        "removed": 0,
        "kept": 10,
        "playlist_id": made["playlist_id"],
    }
    assert writes(plex) == []
    assert history(app, made["id"])[0]["reason"] == "manual"


def test_recipes_follow_syncs_that_add_delete_rerate_and_play(
    app: AppServer, sim_library: SimLibrary
) -> None:
    rated = create(app, name="Rated", limit={"tracks": 5000})
    unplayed = create(app, name="Unplayed", rule=UNPLAYED, limit={"tracks": 5000}, mode="redraw")
    before = list(sim_library.playlists[rated["playlist_id"]].item_keys)
    assert set(before) == matching(sim_library, RATED)
    gone, down = before[0], before[1]
    up = next(k for k in sim_library.tracks if k not in set(before))
    sim_library.delete_track(gone)
    sim_library.rate_track(down, 2)
    sim_library.rate_track(up, 10)
    new = sim_library.add_track(next(iter(sim_library.albums)), title="Brand new")
    sim_library.rate_track(new.rating_key, 9)
    played = next(iter(sim_library.playlists[unplayed["playlist_id"]].item_keys))
    sim_library.play_track(played)
    synced_and_refreshed(app)
    after = sim_library.playlists[rated["playlist_id"]].item_keys
    assert set(after) == matching(sim_library, RATED)
    kept = [k for k in before if k not in (gone, down)]
    assert after[: len(kept)] == kept  # the tracks still matching, in their order
    assert sim_library.playlists[unplayed["playlist_id"]].item_keys
    assert set(sim_library.playlists[unplayed["playlist_id"]].item_keys) == matching(
        sim_library, UNPLAYED
    )
    last = history(app, rated["id"])[0]
    assert last["reason"] == "sync" and last["added"] == 2 and last["removed"] >= 1


def test_hand_edits_in_plex_win(app: AppServer, sim_library: SimLibrary) -> None:
    made = create(app, limit={"tracks": 10})
    playlist = sim_library.playlists[made["playlist_id"]]
    removed_key, removed_id = playlist.item_keys[3], playlist.item_ids[3]
    sim_library.remove_playlist_item(playlist.rating_key, removed_id)
    by_hand = next(k for k in sim_library.tracks if k not in matching(sim_library, RATED))
    sim_library.add_playlist_items(playlist.rating_key, [by_hand])
    refresh(app, made["id"])
    refresh(app, made["id"])  # and again: nothing comes back, nothing goes
    keys = sim_library.playlists[made["playlist_id"]].item_keys
    assert by_hand in keys and removed_key not in keys
    assert len(keys) == 10  # the hand-added track counts toward the limit
    edits = history(app, made["id"])[1]
    assert edits["hand_added"] == 1 and edits["hand_removed"] == 1
    assert any("by hand" in note for note in edits["notes"])


def test_a_playlist_deleted_in_plex_is_made_again(app: AppServer, sim_library: SimLibrary) -> None:
    made = create(app, limit={"tracks": 8})
    sim_library.delete_playlist(made["playlist_id"])
    result = refresh(app, made["id"])
    assert result["playlist_id"] != made["playlist_id"] and result["added"] == 8
    assert len(sim_library.playlists[result["playlist_id"]].item_keys) == 8
    assert any("deleted in Plex" in note for note in history(app, made["id"])[0]["notes"])


def test_with_plex_offline_a_refresh_is_owed_and_done_once_plex_is_back(
    app: AppServer, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    made = create(app, limit={"tracks": 6})
    restartable(plex)
    sim_library.rate_track(sim_library.playlists[made["playlist_id"]].item_keys[0], 0)
    plex.stop()
    response = app.http.post(f"/api/recipes/{made['id']}/refresh", json={})
    assert response.status_code == 503
    owed = recipe(app, made["id"])
    assert owed["owed"] and history(app, made["id"])[0]["error"]
    plex.start()
    # The recipe rule's change is in Plex, not in the cache yet: the retry keeps the six.
    done = wait_until(lambda: (r := recipe(app, made["id"]))["owed"] is None and r, what="retry")
    assert history(app, made["id"])[0]["reason"] == "retry"
    assert done["track_count"] == 6


def test_a_server_change_pauses_recipes_and_a_resume_starts_afresh(
    app: AppServer, sim_library: SimLibrary
) -> None:
    made = create(app, limit={"tracks": 5})
    old_playlist = made["playlist_id"]
    sim_library.set_machine_identifier("another-server")
    synced_and_refreshed(app)
    paused = recipe(app, made["id"])
    assert paused["paused"] and "server" in paused["paused_why"]
    assert app.http.post(f"/api/recipes/{made['id']}/refresh", json={}).status_code == 409
    resumed = app.http.patch(f"/api/recipes/{made['id']}", json={"paused": False}).json()
    assert not resumed["paused"]
    result = refresh(app, made["id"])
    assert result["added"] == 5 and result["playlist_id"] != old_playlist


def test_recipes_outlive_a_full_sync_and_a_restart(
    app: AppServer, start_app: StartApp, sim_library: SimLibrary
) -> None:
    made = create(app, limit={"tracks": 5})
    assert app.sync(full=True).status_code == 200
    app.wait_for_sync_to_end()
    assert recipe(app, made["id"])["playlist_id"] == made["playlist_id"]
    app.stop()
    again = start_app()
    assert recipe(again, made["id"])["track_count"] == 5
    assert refresh(again, made["id"])["kept"] == 5


def test_a_refresh_cut_short_is_finished_by_the_next(
    app: AppServer, sim_library: SimLibrary
) -> None:
    """As a kill -9 leaves it: the intent committed, half the writes done in Plex."""
    made = create(app, limit={"tracks": 6})
    playlist = sim_library.playlists[made["playlist_id"]]
    db: Database = app.app.state.library.db
    current = db.read(lambda conn: get_recipe(conn, made["id"]))
    assert current is not None
    extra = [k for k in matching(sim_library, RATED) if k not in playlist.item_keys][:2]
    target = [*current.written[:4], *extra]
    db.write(lambda conn: begin_writing(conn, made["id"], target))
    sim_library.add_playlist_items(playlist.rating_key, extra)  # added, then killed
    result = refresh(app, made["id"])
    last = history(app, made["id"])[0]
    assert last["hand_added"] == 0 and last["hand_removed"] == 0
    assert any("cut short" in note for note in last["notes"])
    keys = sim_library.playlists[made["playlist_id"]].item_keys
    assert len(keys) == 6 == len(set(keys)) and set(extra) <= set(keys)
    assert result["added"] == 0


def test_export_import_and_delete(app: AppServer, sim_library: SimLibrary) -> None:
    first = create(app, name="One", limit={"minutes": 20}, dedupe=True, sort="-rating")
    document = app.get("/api/recipes/export").json()
    assert document["recipes"][0]["limit"] == {"minutes": 20}
    keep = app.http.request("DELETE", f"/api/recipes/{first['id']}", json={})
    assert keep.status_code == 204 and first["playlist_id"] in sim_library.playlists
    imported = app.http.post("/api/recipes/import", json=document)
    assert imported.status_code == 201, imported.text
    (new_id,) = imported.json()["ids"]
    wait_until(lambda: recipe(app, new_id)["playlist_id"], what="the imported playlist")
    again = recipe(app, new_id)
    gone = app.http.request(
        "DELETE", f"/api/recipes/{new_id}", params={"delete_playlist": "true"}, json={}
    )
    assert gone.status_code == 204 and again["playlist_id"] not in sim_library.playlists
    assert app.get(f"/api/recipes/{new_id}").status_code == 404


BAD = [
    ({"rule": {"field": "rating", "op": "greater", "value": 1}}, "rule.op"),
    ({"limit": {"tracks": 5, "minutes": 3}}, "tracks"),
    ({"limit": {"tracks": 0}}, "tracks"),
    ({"sort": "loudness"}, "sort"),
    ({"refresh": "hourly"}, "refresh"),
    ({"mode": "append"}, "mode"),
    ({"name": ""}, "name"),
]


def test_a_bad_recipe_is_a_422_naming_the_field(app: AppServer) -> None:
    for body, message in BAD:  # one app for all: each case is one request
        response = app.http.post("/api/recipes", json={"name": "Bad", "rule": RATED, **body})
        assert response.status_code == 422, (body, response.text)
        assert message in response.json()["error"], body
    assert app.get("/api/recipes").json()["recipes"] == []
    assert app.get("/api/recipes/999").status_code == 404


def test_the_command_line_lists_and_refreshes_recipes(
    app: AppServer, plex: PlexSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = create(app, limit={"tracks": 4})
    for name in list(os.environ):
        if name.startswith("PLEX"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PLEXCRATE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PLEX_URL", plex.url)
    monkeypatch.setenv("PLEX_TOKEN", TOKEN)
    listed = CliRunner().invoke(main, ["recipes", "list"])
    assert listed.exit_code == 0 and "Mix" in listed.output and "4 tracks" in listed.output
    plex.requests.clear()
    refreshed = CliRunner().invoke(main, ["recipes", "refresh", str(made["id"])])
    assert refreshed.exit_code == 0, refreshed.output
    assert "0 added, 0 removed, 4 kept" in refreshed.output and writes(plex) == []
    assert TOKEN not in listed.output + refreshed.output
    missing = CliRunner().invoke(main, ["recipes", "refresh", "999"])
    assert missing.exit_code == 1 and "no recipe 999" in missing.output
