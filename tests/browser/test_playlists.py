"""The playlist builder: pick from the filters, preview, remove, swap, top up, and save to the
simulated Plex as a new playlist, added to one, or replacing one."""

from __future__ import annotations

import re

from conftest import restartable
from playwright.sync_api import Locator, Page, expect

from browser import harness
from browser.harness import PHONE, OpenPage, UiApp, open_library, pick, preview_keys
from plexcrate.simulator import PlexSimulator, SimLibrary, SimPlaylist


def open_builder(page: Page, ui: UiApp, query: str = "") -> Locator:
    """The builder, opened on the page at ``query``."""
    open_library(page, ui, query)
    return harness.open_builder(page)


def playlist_named(lib: SimLibrary, title: str) -> SimPlaylist:
    with lib.lock:
        found = [p for p in lib.playlists.values() if p.title == title]
    assert len(found) == 1, f"{len(found)} playlists called {title!r}"
    return found[0]


def test_a_picked_and_edited_playlist_arrives_in_plex(
    page: Page, synced_ui: UiApp, sim_library: SimLibrary
) -> None:
    api = synced_ui.server
    genre = api.stats()["genres"][0]["name"]
    allowed = {t["rating_key"]: t for t in api.tracks(genre=genre, limit=1000)["tracks"]}
    builder = open_builder(page, synced_ui, f"?genre={genre}")
    expect(builder).to_contain_text(f"From {len(allowed):,} matching tracks: {genre}")
    expect(builder.get_by_role("textbox", name="Number of tracks")).to_be_focused()

    builder.get_by_role("checkbox", name="At most 2 tracks per artist").check()
    pick(builder, 12)
    picked = preview_keys(page)
    assert set(picked) <= set(allowed), "picked a track outside the filters"
    artists = [allowed[key]["artist"].lower() for key in picked]
    assert max(artists.count(a) for a in artists) <= 2
    expect(builder.locator("#preview-summary")).to_contain_text("12 tracks · ")

    # Remove the first, swap the second for another, then top the list up again.
    first_title = allowed[picked[0]]["title"]
    builder.get_by_role("button", name=f"Remove “{first_title}”").click()
    expect(builder.locator(".preview-track")).to_have_count(11)
    expect(builder.locator("#preview-summary")).to_contain_text("11 tracks · ")
    second = preview_keys(page)[1]
    swap = f"Swap “{allowed[second]['title']}” for another track"
    builder.get_by_role("button", name=swap).click()
    expect(builder.locator(".preview-track").nth(1)).not_to_have_attribute(
        "data-rating-key", str(second)
    )
    swapped = preview_keys(page)
    assert len(swapped) == 11 and swapped[1] not in picked and swapped[1] in allowed
    builder.get_by_role("button", name="Add 1 more track").click()
    expect(builder.locator(".preview-track")).to_have_count(12)
    final = preview_keys(page)
    assert len(set(final)) == 12 and picked[0] not in final and second not in final
    assert set(final) <= set(allowed)
    artists = [allowed[key]["artist"].lower() for key in final]
    assert max(artists.count(a) for a in artists) <= 2  # kept tracks count toward the cap

    name = builder.get_by_role("textbox", name="Name")
    expect(name).to_have_value(genre)  # a name from the filters, to start from
    name.fill("Browser test mix")
    builder.get_by_role("button", name="Save to Plex").click()
    expect(builder.get_by_role("status")).to_have_text(
        "Saved “Browser test mix” to Plex: 12 tracks."
    )
    assert playlist_named(sim_library, "Browser test mix").item_keys == final

    # Add another pick to it (what it already holds is skipped), then replace it with a third.
    pick(builder, 5)
    added = preview_keys(page)
    fresh = [key for key in added if key not in final]
    builder.get_by_role("radio", name="Add to one").check()
    target = builder.get_by_role("combobox", name="Playlist")
    expect(target.locator("option", has_text="Browser test mix")).to_have_count(1)
    target.select_option(label="Browser test mix (12 tracks)")
    builder.get_by_role("button", name="Save to Plex").click()
    skipped = len(added) - len(fresh)
    expect(builder.get_by_role("status")).to_have_text(
        f"Added {len(fresh)} track{'s' * (len(fresh) != 1)} to “Browser test mix” on Plex "
        f"({12 + len(fresh)} tracks now)."
        + (
            f" {skipped} track{'s' * (skipped != 1)} it already held "
            f"{'was' if skipped == 1 else 'were'} skipped."
            if skipped
            else ""
        )
    )
    assert playlist_named(sim_library, "Browser test mix").item_keys == final + fresh

    pick(builder, 3)
    replacing = preview_keys(page)
    builder.get_by_role("radio", name="Replace one").check()
    held = 12 + len(fresh)
    target.select_option(label=f"Browser test mix ({held} tracks)")
    builder.get_by_role("button", name="Save to Plex").click()
    question = builder.get_by_role("group", name=re.compile("^Replace the"))
    expect(question.get_by_role("button", name="Replace it")).to_be_focused()
    question.get_by_role("button", name="Replace it").click()
    expect(builder.get_by_role("status")).to_have_text(
        "Replaced “Browser test mix” on Plex: 3 tracks."
    )
    assert playlist_named(sim_library, "Browser test mix").item_keys == replacing

    page.keyboard.press("Escape")
    expect(builder).to_be_hidden()
    expect(page.get_by_role("button", name="Build playlist")).to_be_focused()


def test_a_target_length_picks_about_that_many_minutes(page: Page, synced_ui: UiApp) -> None:
    builder = open_builder(page, synced_ui)
    builder.get_by_role("radio", name="About this many minutes").check()
    builder.get_by_role("textbox", name="Minutes").fill("30")
    builder.get_by_role("checkbox", name="Favour higher ratings").check()
    builder.get_by_role("button", name="Pick tracks").click()
    summary = builder.locator("#preview-summary")
    expect(summary).to_have_text(re.compile(r"^\d+ tracks · (3\d|4\d) min$"))


def test_saving_needs_a_name_and_is_off_while_plex_is_offline(
    page: Page, synced_ui: UiApp, plex: PlexSimulator
) -> None:
    builder = open_builder(page, synced_ui)
    pick(builder, 3)
    name = builder.get_by_role("textbox", name="Name")
    name.fill("")
    builder.get_by_role("button", name="Save to Plex").click()
    expect(builder.get_by_role("alert")).to_have_text("Give the playlist a name.")
    expect(name).to_be_focused()
    expect(name).to_have_attribute("aria-invalid", "true")

    # Plex goes away: saving turns off and says why (the preview stays), and comes back with it.
    name.fill("Offline mix")
    restartable(plex)
    plex.stop()
    save = builder.get_by_role("button", name="Save to Plex")
    expect(save).to_be_disabled()
    reason = builder.locator("#save-offline")
    expect(reason).to_have_text(
        "Plex is offline, so saving is paused until it answers again. The preview stays here."
    )
    expect(save).to_have_accessible_description(re.compile("^Plex is offline"))
    expect(builder.locator(".preview-track")).to_have_count(3)
    builder.get_by_role("radio", name="Add to one").check()
    expect(builder.locator("#playlist-target ~ .hint")).to_contain_text("Cannot reach Plex at")
    builder.get_by_role("radio", name="New playlist").check()
    plex.start()
    expect(save).to_be_enabled()
    expect(reason).to_be_hidden()
    save.click()
    expect(builder.get_by_role("status")).to_have_text("Saved “Offline mix” to Plex: 3 tracks.")


def test_the_builder_fits_a_phone(new_page: OpenPage, synced_ui: UiApp) -> None:
    page = new_page(viewport=PHONE)
    builder = open_builder(page, synced_ui)
    pick(builder, 5)
    box = builder.bounding_box()
    assert box and box["width"] <= 375
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    builder.get_by_role("button", name="Close the playlist builder").click()
    expect(builder).to_be_hidden()
