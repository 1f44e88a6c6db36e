"""The search box's dropdown: grouped results as you type, the keyboard (arrows, Enter,
Escape) and the mouse, an artist, an album or a track's album opened from it, and Enter with
nothing chosen filtering the list as before."""

from __future__ import annotations

import re

from playwright.sync_api import Page, Route, expect

from browser.harness import UiApp, api_json, query_of


def open_library(page: Page, ui: UiApp) -> None:
    page.goto(ui.url + "/")
    expect(page.locator("#tracks .track[data-rating-key]").first).to_be_visible()


def test_the_dropdown_shows_what_the_search_finds_and_opens_it(
    page: Page, synced_ui: UiApp
) -> None:
    open_library(page, synced_ui)
    artist = api_json(synced_ui, "/api/artists", limit=1, exclude_live="false")["artists"][0]
    q = artist["title"][:5]
    expected = api_json(synced_ui, "/api/search", q=q, limit=4)
    box = page.get_by_role("combobox", name="Search tracks")
    box.fill(q)

    results = page.get_by_role("listbox", name="Search results")
    expect(results).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    options = results.get_by_role("option")
    shown = [*expected["artists"], *expected["albums"], *expected["tracks"]]
    expect(options).to_have_count(len(shown))
    for kind in ("Artists", "Albums", "Tracks"):
        if expected[kind.lower()]:
            expect(results.get_by_role("group", name=kind)).to_be_visible()
    expect(options.first).to_contain_text(shown[0]["title"])
    # Each with its art: an artist's and an album's own, a track's album's.
    arts = options.locator("img")
    expect(arts).to_have_count(len(shown))
    first_track = len(expected["artists"]) + len(expected["albums"])
    if expected["tracks"]:
        expect(arts.nth(first_track)).to_have_attribute(
            "src", f"/api/art/{expected['tracks'][0]['album_key']}?size=64"
        )

    # The keyboard: down to the first, Escape closes, the box keeps its text.
    box.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", options.first.get_attribute("id") or "")
    box.press("Escape")
    expect(results).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).to_have_value(q)

    # Typing again shows them again; Enter on the first artist opens its page.
    box.press("End")
    box.type(artist["title"][5:6] or " ")
    expect(results).to_be_visible()
    box.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    expect(options.first).to_contain_text(artist["title"])
    box.press("Enter")
    expect(page).to_have_url(re.compile(rf"/artists/{artist['rating_key']}(\?|$)"))
    expect(results).to_be_hidden()

    # A track chosen with the mouse opens its album's page.
    if expected["tracks"]:
        box.fill("")
        box.fill(q)
        expect(results).to_be_visible()
        track = expected["tracks"][0]
        results.locator(f'[data-kind="tracks"][data-key="{track["rating_key"]}"]').click()
        expect(page).to_have_url(re.compile(rf"/albums/{track['album_key']}(\?|$)"))
        # The search typed goes into the filters with it: the box's own update, a moment
        # later, does not take the page back to the list.
        page.wait_for_timeout(500)
        expect(page).to_have_url(re.compile(rf"/albums/{track['album_key']}\?(.*&)?q="))


def test_enter_with_nothing_chosen_filters_the_list(page: Page, synced_ui: UiApp) -> None:
    open_library(page, synced_ui)
    box = page.get_by_role("combobox", name="Search tracks")
    box.fill("the")
    expect(page.get_by_role("listbox", name="Search results")).to_be_visible()
    box.press("Enter")
    expect(page.get_by_role("listbox", name="Search results")).to_be_hidden()
    expect(page).to_have_url(re.compile(r"^[^?]*/(\?|$)"))
    page.wait_for_function("() => new URL(location.href).searchParams.get('q') === 'the'")
    assert query_of(page).get("q") == ["the"]
    expect(page.locator("#tracks .track[data-rating-key]").first).to_be_visible()


def test_a_search_that_finds_nothing_says_so(page: Page, synced_ui: UiApp) -> None:
    open_library(page, synced_ui)
    box = page.get_by_role("combobox", name="Search tracks")
    box.fill("zzqqxx")
    results = page.get_by_role("listbox", name="Search results")
    expect(results).to_contain_text("Nothing is called “zzqqxx”")
    expect(results.get_by_role("option")).to_have_count(1)  # the message, disabled
    expect(results.get_by_role("option")).to_have_attribute("aria-disabled", "true")
    box.press("ArrowDown")
    expect(box).not_to_have_attribute("aria-activedescendant", re.compile("."))
    box.press("Enter")  # nothing chosen: the list is filtered by it, as always
    page.wait_for_function("() => new URL(location.href).searchParams.get('q') === 'zzqqxx'")


def test_a_page_that_loads_while_one_types_leaves_the_box_its_focus(
    page: Page, synced_ui: UiApp
) -> None:
    open_library(page, synced_ui)
    held: list[Route] = []
    page.route(re.compile(r"/api/artists/\d+"), lambda route: held.append(route))
    link = page.locator('#tracks .track a[href^="/artists/"]:visible').first
    name = link.inner_text()
    link.click()
    expect(page.locator(".detail-loading")).to_be_visible()
    box = page.get_by_role("combobox", name="Search tracks")
    box.fill(name[:5])
    for route in held:  # the artist's page arrives while the search is being typed
        route.continue_()
    page.unroute(re.compile(r"/api/artists/\d+"))
    expect(page.get_by_role("listbox", name="Search results")).to_be_visible()
    expect(box).to_be_focused()
