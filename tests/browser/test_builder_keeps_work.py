"""The playlist builder keeps the person's work: tracks added by hand stay when picking again
(and count toward the length and the artist cap), the preview survives a reload and Back,
"Replace" shows what changes and asks first, "Add to" skips what the playlist holds, and a save
that fails partway says what the playlist holds then."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any

from playwright.sync_api import Page, Route, expect

from browser.harness import UiApp, open_builder, open_library, pick, preview_keys
from plexcrate.plex.client import _items_uri
from plexcrate.simulator import PlexSimulator, SimLibrary


def add_by_hand(page: Page, track: dict[str, Any]) -> None:
    row = page.locator(f'#tracks .track[data-rating-key="{track["rating_key"]}"]')
    row.get_by_role("button", name=f"Add “{track['title']}” to the playlist").click()


def tracks_by_artist(ui: UiApp) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for track in ui.server.tracks(limit=1000)["tracks"]:
        grouped[track["artist"].lower()].append(track)
    return grouped


def plural(n: int, one: str) -> str:
    return f"{n} {one}{'s' * (n != 1)}"


def test_tracks_added_by_hand_stay_when_picking_again_and_count_toward_length_and_cap(
    page: Page, synced_ui: UiApp
) -> None:
    grouped = tracks_by_artist(synced_ui)
    artist, theirs = next((a, ts) for a, ts in grouped.items() if len(ts) >= 4)
    first, second = theirs[:2]
    open_library(page, synced_ui, f"?artist={first['artist']}")
    add_by_hand(page, first)
    add_by_hand(page, second)
    build = page.get_by_role("button", name="Build playlist")
    expect(build).to_have_accessible_name(re.compile(r"2 tracks in the preview$"))

    open_library(page, synced_ui)  # another address, a new page: the preview came along
    builder = open_builder(page)
    expect(builder.locator(".preview-track")).to_have_count(2)
    builder.get_by_role("checkbox", name="At most 2 tracks per artist").check()
    expect(builder.locator("#keep-note")).to_have_text(
        "The 2 tracks you added by hand stay and count toward the length."
    )
    for _ in range(2):  # a pick, then a pick again: both keep them, first
        keys = pick(builder, 6)
        assert keys[:2] == [first["rating_key"], second["rating_key"]]
        artists = {t["rating_key"]: t["artist"].lower() for ts in grouped.values() for t in ts}
        # The cap counts them: no third track by their artist was picked.
        assert [artists[key] for key in keys].count(artist) == 2
        expect(builder.locator(".preview-track.is-hand")).to_have_count(2)

    # Removed by hand, it is no longer kept by the next pick.
    builder.get_by_role("button", name=f"Remove “{first['title']}”").click()
    expect(builder.locator(".preview-track")).to_have_count(5)
    keys = pick(builder, 6)
    assert keys[0] == second["rating_key"] and first["rating_key"] not in keys[1:2]
    expect(builder.locator(".preview-track.is-hand")).to_have_count(1)


def test_the_preview_survives_a_reload_and_back(page: Page, synced_ui: UiApp) -> None:
    open_library(page, synced_ui)
    builder = open_builder(page)
    keys = pick(builder, 4)
    builder.get_by_role("textbox", name="Name").fill("Kept mix")
    page.keyboard.press("Escape")

    page.reload()
    build = page.get_by_role("button", name="Build playlist")
    expect(build).to_have_accessible_name(re.compile(r"4 tracks in the preview$"))
    builder = open_builder(page)
    assert preview_keys(page) == keys
    expect(builder.get_by_role("textbox", name="Name")).to_have_value("Kept mix")
    expect(builder.get_by_role("button", name="Pick again")).to_be_visible()
    builder.get_by_role(
        "button", name=f"Remove “{builder.locator('.track-title-text').first.text_content()}”"
    ).click()
    expect(builder.locator(".preview-track")).to_have_count(3)
    page.keyboard.press("Escape")

    # Away to another site and Back: the same three.
    page.goto("about:blank")
    page.go_back()
    expect(page.locator("#tracks .track:not(.is-placeholder)").first).to_be_visible()
    builder = open_builder(page)
    expect(builder.locator(".preview-track")).to_have_count(3)
    assert preview_keys(page) == keys[1:]


def playlist_writes(ui: UiApp) -> list[tuple[str, str]]:
    return [(m, p) for m, p, _ in ui.traffic.writes if p == "/api/playlists"]


def test_replace_shows_what_changes_and_asks_first(
    page: Page, synced_ui: UiApp, sim_library: SimLibrary
) -> None:
    open_library(page, synced_ui)
    builder = open_builder(page)
    picked = pick(builder, 5)
    others = [k for k in sorted(sim_library.tracks) if k not in picked][:13]
    held = [*others, picked[3], picked[1]]  # 15 tracks, 2 of them in the preview
    trip = sim_library.create_playlist("Road trip", held)

    builder.get_by_role("radio", name="Replace one").check()
    builder.get_by_role("combobox", name="Playlist").select_option(label="Road trip (15 tracks)")
    builder.get_by_role("button", name="Save to Plex").click()
    question = builder.get_by_role("group", name=re.compile("^Replace the"))
    expect(question).to_contain_text(
        "Replace the 15 tracks of “Road trip” on Plex with this preview?"
    )
    expect(question.locator("#replace-changes")).to_have_text("−13 +3 · 2 stay · 5 tracks after")
    expect(question.get_by_role("button", name="Replace it")).to_be_focused()

    question.get_by_role("button", name="Cancel").click()
    expect(question).to_be_hidden()
    expect(builder.get_by_role("button", name="Save to Plex")).to_be_focused()
    assert not playlist_writes(synced_ui), "a replace was sent before the answer"
    assert sim_library.playlists[trip.rating_key].item_keys == held

    builder.get_by_role("button", name="Save to Plex").click()
    question.get_by_role("button", name="Replace it").click()
    expect(builder.get_by_role("status")).to_have_text("Replaced “Road trip” on Plex: 5 tracks.")
    assert sim_library.playlists[trip.rating_key].item_keys == picked


def test_add_to_skips_what_the_playlist_holds_and_says_how_many(
    page: Page, synced_ui: UiApp, sim_library: SimLibrary
) -> None:
    open_library(page, synced_ui)
    builder = open_builder(page)
    picked = pick(builder, 5)
    others = [k for k in sorted(sim_library.tracks) if k not in picked][:3]
    road = sim_library.create_playlist("Road trip", [*others, picked[0], picked[4]])

    builder.get_by_role("radio", name="Add to one").check()
    builder.get_by_role("combobox", name="Playlist").select_option(label="Road trip (5 tracks)")
    save = builder.get_by_role("button", name="Save to Plex")
    save.click()
    expect(builder.get_by_role("status")).to_have_text(
        "Added 3 tracks to “Road trip” on Plex (8 tracks now). "
        "2 tracks it already held were skipped."
    )
    fresh = [picked[1], picked[2], picked[3]]
    assert sim_library.playlists[road.rating_key].item_keys == [
        *others,
        picked[0],
        picked[4],
        *fresh,
    ]
    save.click()
    expect(builder.get_by_role("status")).to_have_text(
        "“Road trip” already holds all 5 tracks of the preview: nothing was added."
    )
    assert len(sim_library.playlists[road.rating_key].item_keys) == 8

    # The playlists panel's "Add the preview" too: twice adds once (5 → 8, not 5 → 8 → 11).
    page.keyboard.press("Escape")
    rainy = sim_library.create_playlist("Rainy day", others)
    page.get_by_role("button", name="Playlists").click()
    panel = page.get_by_role("dialog", name="Plex playlists")
    add = panel.get_by_role("button", name="Add the preview to “Rainy day”")
    add.click()
    expect(panel.get_by_role("status")).to_have_text(
        "Added 5 tracks to “Rainy day” (8 tracks now)."
    )
    add.click()
    expect(panel.get_by_role("status")).to_have_text(
        "“Rainy day” already holds all 5 tracks of the preview: nothing was added."
    )
    assert sim_library.playlists[rainy.rating_key].item_keys == [*others, *picked]


def test_a_save_that_fails_partway_says_what_the_playlist_holds(
    page: Page, synced_ui: UiApp, sim_library: SimLibrary, plex: PlexSimulator
) -> None:
    open_library(page, synced_ui)
    builder = open_builder(page)
    picked = pick(builder, 4)
    held = [k for k in sorted(sim_library.tracks) if k not in picked][:6]
    trip = sim_library.create_playlist("Road trip", held)
    builder.get_by_role("radio", name="Replace one").check()
    builder.get_by_role("combobox", name="Playlist").select_option(label="Road trip (6 tracks)")
    builder.get_by_role("button", name="Save to Plex").click()
    question = builder.get_by_role("group", name=re.compile("^Replace the"))
    expect(question).to_be_visible()
    # Plex fails the adding of these tracks (that request alone: reading what the playlist
    # holds still works); whatever the replace did before that stays done.
    uri = _items_uri(sim_library.machine_identifier, picked)
    adding = {"path": f"/playlists/{trip.rating_key}/items", "params": {"uri": uri}}
    plex.faults.inject("status", **adding, times=None)  # its retry too
    question.get_by_role("button", name="Replace it").click()
    alert = builder.get_by_role("alert")
    expect(alert).to_contain_text("on Plex now holds")
    now = sim_library.playlists[trip.rating_key].item_keys
    of_preview = len([k for k in now if k in picked])
    of_before = len([k for k in now if k in held])
    expected = (
        f"“Road trip” on Plex now holds {plural(len(now), 'track')}: {of_preview} of this preview"
    )
    if of_before:
        expected += f" and {of_before} of those it held before"
    expect(alert).to_contain_text(expected + ".")
    expect(alert).to_contain_text("Plex answered 500")


def test_what_plex_did_not_take_is_said(page: Page, synced_ui: UiApp) -> None:
    """The save's answer may name the tracks Plex dropped (`not_added`): the page says so."""
    open_library(page, synced_ui)
    builder = open_builder(page)
    picked = pick(builder, 5)

    def answer(route: Route) -> None:
        if route.request.method != "POST":
            route.fallback()
            return
        response = route.fetch()
        body = response.json()
        route.fulfill(response=response, json={**body, "not_added": picked[:3], "item_count": 2})

    page.route("**/api/playlists", answer)
    builder.get_by_role("textbox", name="Name").fill("Dropped some")
    builder.get_by_role("button", name="Save to Plex").click()
    expect(builder.get_by_role("status")).to_have_text(
        "Saved “Dropped some” to Plex: 2 tracks. 3 tracks were not taken by Plex."
    )
    assert json.dumps(picked)  # the keys the answer named are the preview's
