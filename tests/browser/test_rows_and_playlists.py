"""A track row's actions (open in Plex, add to the playlist), the playlists panel (open, rename,
delete after a confirm, add the preview to one), a name Plex already has, the builder's messages
beside its fields, and a long playlist name that must not push the close button away."""

from __future__ import annotations

import re
from urllib.parse import quote

from playwright.sync_api import Page, expect

from browser.harness import (
    DESKTOP,
    PHONE,
    OpenPage,
    UiApp,
    open_builder,
    open_library,
    open_playlists,
    pick,
)
from plexcrate.simulator import SimLibrary, SimPlaylist


def web_link(machine_identifier: str, endpoint: str, key: str) -> str:
    return (
        f"https://app.plex.tv/desktop/#!/server/{machine_identifier}/{endpoint}"
        f"?key={quote(key, safe='')}"
    )


def named(lib: SimLibrary, title: str) -> list[SimPlaylist]:
    with lib.lock:
        return [p for p in lib.playlists.values() if p.title == title]


# --- rows ---------------------------------------------------------------------------------------


def test_a_row_opens_in_plex_and_adds_to_the_playlist_from_the_keyboard(
    page: Page, synced_ui: UiApp, sim_library: SimLibrary
) -> None:
    open_library(page, synced_ui)
    first, second = synced_ui.server.tracks(limit=2)["tracks"]
    row = page.locator(f'#tracks .track[data-rating-key="{first["rating_key"]}"]')
    link = row.get_by_role("link", name=f"Open “{first['title']}” in Plex")
    expect(link).to_have_attribute(
        "href",
        web_link(
            sim_library.machine_identifier, "details", f"/library/metadata/{first['rating_key']}"
        ),
    )
    expect(link).to_have_attribute("target", "_blank")
    assert "token" not in (link.get_attribute("href") or "").lower()

    # By keyboard: the link, then Tab to "add", Enter; the actions show while focused.
    link.focus()
    expect(row.locator(".track-actions")).to_have_css("opacity", "1")
    page.keyboard.press("Tab")
    add = row.get_by_role("button", name=f"Add “{first['title']}” to the playlist")
    expect(add).to_be_focused()
    page.keyboard.press("Enter")
    build = page.get_by_role("button", name="Build playlist")
    expect(build).to_have_accessible_name(re.compile(r"^Build playlist\s+1 track in the preview$"))
    page.locator(f'#tracks .track[data-rating-key="{second["rating_key"]}"]').get_by_role(
        "button", name=re.compile("to the playlist$")
    ).click()
    add.click()  # already there: not added twice
    expect(page.locator("#announcer")).to_have_text(
        f"“{first['title']}” is already in the playlist preview."
    )
    expect(build).to_have_accessible_name(re.compile(r"^Build playlist\s+2 tracks in the preview$"))

    builder = open_builder(page)
    keys = builder.locator(".preview-track").evaluate_all(
        "items => items.map(li => Number(li.dataset.ratingKey))"
    )
    assert keys == [first["rating_key"], second["rating_key"]]
    builder.get_by_role("textbox", name="Name").fill("Hand picked")
    builder.get_by_role("button", name="Save to Plex").click()
    expect(builder.get_by_role("status")).to_have_text("Saved “Hand picked” to Plex: 2 tracks.")
    assert named(sim_library, "Hand picked")[0].item_keys == keys


def tracks(n: int) -> str:
    return "1 track" if n == 1 else f"{n} tracks"


def added_message(title: str, held: int, fresh: list[int], picked: int) -> str:
    """What the panel says after adding a preview of ``picked`` tracks, ``fresh`` of them new."""
    if not fresh:
        return f"“{title}” already holds all {tracks(picked)} of the preview: nothing was added."
    said = f"Added {tracks(len(fresh))} to “{title}” ({tracks(held + len(fresh))} now)."
    skipped = picked - len(fresh)
    if skipped:
        said += f" {tracks(skipped)} it already held {'was' if skipped == 1 else 'were'} skipped."
    return said


# --- the playlists panel --------------------------------------------------------------------


def test_playlists_are_listed_renamed_deleted_after_a_confirm_and_added_to(
    page: Page, synced_ui: UiApp, sim_library: SimLibrary
) -> None:
    keys = sorted(sim_library.tracks)
    trip = sim_library.create_playlist("Road trip", keys[:5])
    sim_library.create_playlist("Rainy day", keys[5:8])
    minutes = round(sum(sim_library.tracks[k].duration or 0 for k in keys[:5]) / 60_000)
    open_library(page, synced_ui)
    panel = open_playlists(page)
    row = panel.locator(f'.playlist-row[data-id="{trip.rating_key}"]')
    expect(row).to_contain_text("Road trip")
    expect(row).to_contain_text(f"5 tracks · {minutes} min")
    expect(row.locator(".track-art img")).to_have_class(re.compile("is-loaded"))
    expect(row.get_by_role("link", name="Open “Road trip” in Plex")).to_have_attribute(
        "href",
        web_link(sim_library.machine_identifier, "playlist", f"/playlists/{trip.rating_key}"),
    )
    # No preview yet: nothing to add, and the panel says how to get one.
    expect(row.get_by_role("button", name="Add the preview to “Road trip”")).to_be_disabled()
    expect(panel).to_contain_text("build a preview first")

    # Rename.
    row.get_by_role("button", name="Rename “Road trip”").click()
    box = row.get_by_role("textbox", name="New name for “Road trip”")
    expect(box).to_be_focused()
    box.fill("Long drive")
    box.press("Enter")
    expect(panel.get_by_role("status")).to_have_text("Renamed to “Long drive”.")
    expect(row.get_by_role("button", name="Rename “Long drive”")).to_be_focused()
    assert sim_library.playlists[trip.rating_key].title == "Long drive"

    # Delete: asked first; "Keep it" keeps it.
    rainy = panel.locator(".playlist-row", has_text="Rainy day")
    rainy.get_by_role("button", name="Delete “Rainy day”").click()
    expect(rainy).to_contain_text("Delete “Rainy day” from Plex? Its tracks stay in your library.")
    rainy.get_by_role("button", name="Keep it").click()
    expect(rainy.get_by_role("button", name="Delete “Rainy day”")).to_be_focused()
    assert named(sim_library, "Rainy day")
    rainy.get_by_role("button", name="Delete “Rainy day”").click()
    rainy.get_by_role("button", name="Delete it").click()
    expect(panel.get_by_role("status")).to_have_text("Deleted “Rainy day” from Plex.")
    expect(panel.locator(".playlist-row")).to_have_count(1)
    assert not named(sim_library, "Rainy day")
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()

    # Add the preview to the renamed one.
    builder = open_builder(page)
    picked = pick(builder, 3)
    page.keyboard.press("Escape")
    panel = open_playlists(page)
    panel.get_by_role("button", name="Add the preview to “Long drive”").click()
    # The pick is random: a track the playlist holds already is skipped, and said so.
    fresh = [key for key in picked if key not in keys[:5]]
    expect(panel.get_by_role("status")).to_have_text(added_message("Long drive", 5, fresh, 3))
    expect(panel.locator(".playlist-row").first).to_contain_text(f"{5 + len(fresh)} tracks")
    assert sim_library.playlists[trip.rating_key].item_keys == keys[:5] + fresh


def test_a_name_plex_already_has_asks_before_a_second_is_made(
    page: Page, synced_ui: UiApp, sim_library: SimLibrary
) -> None:
    keys = sorted(sim_library.tracks)
    existing = sim_library.create_playlist("Sunday", keys[:2])
    open_library(page, synced_ui)
    builder = open_builder(page)
    picked = pick(builder, 3)
    builder.get_by_role("textbox", name="Name").fill("sunday")
    save = builder.get_by_role("button", name="Save to Plex")
    save.click()
    question = builder.get_by_role("group", name=re.compile("Plex already has"))
    expect(question).to_contain_text(
        "Plex already has a playlist called “sunday”. Make a second one with the same name?"
    )
    expect(question.get_by_role("button", name="Save a second one")).to_be_focused()
    assert len(sim_library.playlists) == 1  # nothing made before the answer

    question.get_by_role("button", name="Add to that one").click()
    expect(builder.get_by_role("status")).to_have_text(
        "Added 3 tracks to “Sunday” on Plex (5 tracks now)."
    )
    assert sim_library.playlists[existing.rating_key].item_keys == keys[:2] + picked

    save.click()
    question.get_by_role("button", name="Save a second one").click()
    expect(builder.get_by_role("status")).to_have_text("Saved “sunday” to Plex: 3 tracks.")
    assert sorted(p.title for p in sim_library.playlists.values()) == ["Sunday", "sunday"]


# --- the builder's fields ------------------------------------------------------------------------


def test_numbers_out_of_range_or_not_numbers_are_explained_beside_their_field(
    page: Page, synced_ui: UiApp
) -> None:
    open_library(page, synced_ui)
    builder = open_builder(page)
    count = builder.get_by_role("textbox", name="Number of tracks")
    pick_button = builder.get_by_role("button", name="Pick tracks")
    previews = len(synced_ui.traffic.writes)
    for typed, message in [
        ("99999999999", "At most 1,000 tracks."),
        ("abc", "“abc” is not a whole number: type one from 1 to 1,000."),
        ("0", "At least 1 track."),
        ("2.5", "“2.5” is not a whole number: type one from 1 to 1,000."),
        ("", "Type a number from 1 to 1,000."),
    ]:
        count.fill(typed)
        pick_button.click()
        expect(count).to_have_accessible_description(message)
        expect(count).to_have_attribute("aria-invalid", "true")
        expect(count).to_be_focused()
        expect(count).to_have_value(typed)  # never corrected behind the user's back
    assert len(synced_ui.traffic.writes) == previews, "nothing is picked from a bad number"
    count.fill("5")
    expect(builder.locator("#pick-count-error")).to_be_hidden()

    builder.get_by_role("checkbox", name="At most 2 tracks per artist").check()
    per_artist = builder.get_by_role("textbox", name="Tracks per artist, at most")
    per_artist.fill("500")
    builder.get_by_role("radio", name="About this many minutes").check()
    builder.get_by_role("textbox", name="Minutes").fill("lots")
    pick_button.click()
    expect(builder.locator("#pick-minutes-error")).to_have_text(
        "“lots” is not a whole number: type one from 1 to 6,000."
    )
    expect(builder.locator("#per-artist-error")).to_have_text("At most 100 tracks per artist.")
    expect(builder.get_by_role("textbox", name="Minutes")).to_be_focused()
    assert len(synced_ui.traffic.writes) == previews


def test_fewer_tracks_than_asked_are_explained(page: Page, synced_ui: UiApp) -> None:
    some = synced_ui.server.tracks(limit=1)["tracks"][0]
    word = some["album"].split()[0]
    total = synced_ui.server.tracks(q=word)["total"]
    assert 0 < total < 1000
    open_library(page, synced_ui, f"?q={quote(word)}")
    builder = open_builder(page)
    builder.get_by_role("textbox", name="Number of tracks").fill("1000")
    builder.get_by_role("button", name="Pick tracks").click()
    expect(builder.locator(".preview-track")).to_have_count(total)
    noun = "track matches" if total == 1 else "tracks match"
    expect(builder.locator(".preview .hint")).to_have_text(
        f"Only {total:,} {noun} these filters, not the 1,000 asked for."
    )


def test_a_long_playlist_name_keeps_the_close_button_on_screen(
    new_page: OpenPage, synced_ui: UiApp, sim_library: SimLibrary
) -> None:
    long_name = "Long" + "x" * 190  # no place to break a line
    sim_library.create_playlist(long_name, sorted(sim_library.tracks)[:2])
    for viewport in (DESKTOP, PHONE):
        page = new_page(viewport=viewport)
        open_library(page, synced_ui)
        builder = open_builder(page)
        pick(builder, 2)
        builder.get_by_role("radio", name="Add to one").check()
        expect(builder.get_by_role("combobox", name="Playlist")).to_contain_text(long_name)
        builder.get_by_role("radio", name="New playlist").check()
        builder.get_by_role("textbox", name="Name").fill(long_name[:200])
        builder.get_by_role("button", name="Save to Plex").click()
        builder.get_by_role("button", name="Save a second one").click()
        expect(builder.get_by_role("status")).to_contain_text("Saved “Longxxx")
        for mode in ("Add to one", "New playlist"):
            builder.get_by_role("radio", name=mode).check()
            close = builder.get_by_role("button", name="Close the playlist builder")
            box = close.bounding_box()
            assert box and box["x"] + box["width"] <= viewport["width"], (viewport, mode, box)
            drawer = builder.bounding_box()
            assert (
                drawer and drawer["x"] >= 0 and drawer["x"] + drawer["width"] <= viewport["width"]
            )
        panel_button = page.get_by_role("button", name="Close the playlist builder")
        panel_button.click()
        panel = open_playlists(page)
        expect(panel.locator(".playlist-row")).to_have_count(len(sim_library.playlists))
        box = panel.get_by_role("button", name="Close the playlists").bounding_box()
        assert box and box["x"] + box["width"] <= viewport["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
