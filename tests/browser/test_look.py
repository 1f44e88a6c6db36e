"""How it looks: a light theme for a system set to light and the dark one otherwise (all text
at 4.5:1 contrast at least, WCAG AA), rows that keep their columns together on a wide screen,
and on a phone the list first with the filters in a drawer."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from browser.harness import CONTRASTS, PHONE, OpenPage, UiApp, open_library

WIDE = {"width": 1920, "height": 1080}


def background(page: Page, selector: str) -> str:
    return page.locator(selector).evaluate("el => getComputedStyle(el).backgroundColor")


@pytest.mark.parametrize(
    ("scheme", "page_colour", "text_colour"),
    [
        ("dark", "rgb(15, 17, 21)", "rgb(236, 235, 231)"),
        ("light", "rgb(245, 244, 240)", "rgb(28, 29, 33)"),
    ],
)
def test_the_theme_follows_the_system_and_stays_readable(
    new_page: OpenPage, synced_ui: UiApp, scheme: str, page_colour: str, text_colour: str
) -> None:
    page = new_page(color_scheme=scheme)
    open_library(page, synced_ui, "?min_rating=4")
    assert page.locator('meta[name="color-scheme"]').get_attribute("content") == "dark light"
    assert background(page, "body") == page_colour
    assert page.locator("body").evaluate("el => getComputedStyle(el).color") == text_colour
    assert page.evaluate("getComputedStyle(document.documentElement).colorScheme") == scheme
    page.locator("#genres-chips .chip").first.click()
    expect(page.locator("#match-count")).to_contain_text("matching")
    library = page.evaluate(CONTRASTS)
    page.get_by_role("button", name="Build playlist").click()
    page.get_by_role("button", name="Pick tracks").click()
    expect(page.locator("#builder .preview-track").first).to_be_visible()
    builder = page.evaluate(CONTRASTS)
    page.keyboard.press("Escape")
    # The album grid (its cards' text), and an album's page.
    page.get_by_role("navigation", name="Browse").get_by_role("link", name="Albums").click()
    expect(page.locator("#albums .card:not(.is-placeholder)").first).to_be_visible()
    albums = page.evaluate(CONTRASTS)
    page.locator("#albums .card .card-title").first.click()
    expect(page.locator("#detail .track").first).to_be_visible()
    album = page.evaluate(CONTRASTS)
    assert len(library) > 30 and len(builder) > 20 and len(albums) > 20 and len(album) > 10
    poor = [c for c in library + builder + albums + album if c["ratio"] < 4.5]
    assert not poor, f"{scheme}: text below 4.5:1 contrast: {poor}"


def test_a_wide_screen_keeps_a_row_s_columns_together(new_page: OpenPage, synced_ui: UiApp) -> None:
    page = new_page(viewport=WIDE)
    open_library(page, synced_ui, "?min_rating=2")
    track = synced_ui.server.tracks(min_rating=2, limit=1)["tracks"][0]
    row = page.locator(f'#tracks .track[data-rating-key="{track["rating_key"]}"]')
    cells = [".track-text", ".track-artist", ".track-album", ".stars", ".track-duration"]
    for cell in cells:
        expect(row.locator(cell)).to_be_visible()
    expect(row.locator(".track-artist")).to_have_text(track["artist"])
    expect(row.locator(".track-album")).to_contain_text(track["album"])
    expect(row.locator(".track-meta")).to_be_hidden()  # the artist and album have columns
    boxes = [row.locator(cell).bounding_box() for cell in cells]
    assert all(boxes)
    lefts = [box["x"] for box in boxes if box]
    rights = [box["x"] + box["width"] for box in boxes if box]
    assert lefts == sorted(lefts), "the columns are in order"
    gaps = [lefts[i + 1] - rights[i] for i in range(len(cells) - 1)]
    assert max(gaps) <= 48, f"gaps between the columns: {gaps}"
    # Every row's columns line up, whether it is rated or not.
    durations = page.locator("#tracks .track:not([hidden]) .track-duration").evaluate_all(
        "els => els.filter(el => el.textContent).map(el => el.getBoundingClientRect().right)"
    )
    assert len(durations) > 5 and max(durations) - min(durations) < 1
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDE["width"]


def test_a_phone_shows_the_list_first_and_the_filters_in_a_drawer(
    new_page: OpenPage, synced_ui: UiApp
) -> None:
    page = new_page(viewport=PHONE)
    open_library(page, synced_ui)
    first_row = page.locator("#tracks .track").first.bounding_box()
    assert first_row and first_row["y"] < PHONE["height"] / 2, "the list is first"
    filters = page.locator("#filters")
    expect(filters).to_be_hidden()
    toggle = page.get_by_role("button", name="Filters")
    toggle.click()
    expect(filters).to_be_visible()
    expect(filters).to_be_in_viewport()
    done = page.get_by_role("button", name="Show the tracks")
    expect(done).to_be_focused()
    box = filters.bounding_box()
    assert box and box["x"] == 0 and box["width"] < PHONE["width"]  # over the list, beside it
    page.locator("#decades-chips .chip").first.click()
    expect(page.locator("#filters-count")).to_have_text("1")
    page.keyboard.press("Escape")
    expect(filters).to_be_hidden()
    expect(toggle).to_be_focused()
    expect(toggle).to_have_attribute("aria-expanded", "false")

    toggle.click()
    done.click()
    expect(filters).to_be_hidden()
    toggle.click()
    page.mouse.click(PHONE["width"] - 10, PHONE["height"] / 2)  # beside the drawer
    expect(filters).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
