"""The library browser: filters and their counts, search, the virtual track list, the address
bar, keyboard use and the phone layout."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page, expect

from browser.harness import PHONE, OpenPage, UiApp


def open_library(page: Page, ui: UiApp, query: str = "") -> None:
    page.goto(ui.url + query)
    expect(page.locator("#statusbar")).to_contain_text("600 tracks")
    expect(page.locator("#tracks .track").first).to_be_visible()


def matching(total: int, filtered: bool = True) -> str:
    noun = "matching track" if filtered else "track"
    return f"{total:,} {noun}{'' if total == 1 else 's'}"


def test_filters_change_the_count_and_the_chip_counts(page: Page, synced_ui: UiApp) -> None:
    api = synced_ui.server
    open_library(page, synced_ui)
    count = page.locator("#match-count")
    expect(count).to_have_text(matching(api.tracks()["total"], filtered=False))

    stats = api.stats()
    genre = stats["genres"][0]["name"]
    genres = page.locator("#genres-chips")
    for facet in stats["genres"][:5]:
        expect(genres.locator(f'[data-value="{facet["name"]}"] .chip-count')).to_have_text(
            f"{facet['count']:,}"
        )

    chip = genres.get_by_role("button", name=re.compile(f"^{re.escape(genre)} "))
    expect(chip).to_have_attribute("aria-pressed", "false")
    chip.click()
    expect(chip).to_have_attribute("aria-pressed", "true")
    expect(count).to_have_text(matching(api.tracks(genre=genre)["total"]))
    # The decade chips now count that genre's tracks.
    by_decade = {f["name"]: f["count"] for f in api.stats(genre=genre)["decades"]}
    decades = page.locator("#decades-chips")
    for name, n in by_decade.items():
        expect(decades.locator(f'[data-value="{name}"] .chip-count')).to_have_text(f"{n:,}")

    decade = max(by_decade, key=lambda name: by_decade[name])
    decades.get_by_role("button", name=re.compile(f"^{decade} ")).click()
    expect(count).to_have_text(matching(api.tracks(genre=genre, decade=decade)["total"]))

    # Minimum rating, by keyboard: seven half stars is three and a half stars.
    slider = page.get_by_role("slider", name="Minimum rating")
    slider.focus()
    for _ in range(7):
        slider.press("ArrowRight")
    expect(slider).to_have_attribute("aria-valuenow", "7")
    expect(slider).to_have_attribute("aria-valuetext", "3½ stars or more")
    expected = api.tracks(genre=genre, decade=decade, min_rating=7)["total"]
    expect(count).to_have_text(matching(expected))

    live = page.get_by_role("switch", name="Exclude live recordings")
    expect(live).to_be_checked()
    live.uncheck()
    expected = api.tracks(genre=genre, decade=decade, min_rating=7, exclude_live="false")["total"]
    expect(count).to_have_text(matching(expected))

    query = parse_qs(urlsplit(page.url).query)
    assert query == {
        "genre": [genre], "decade": [decade], "min_rating": ["7"], "exclude_live": ["false"]
    }  # fmt: skip

    page.get_by_role("button", name="Clear all filters").click()
    expect(count).to_have_text(matching(api.tracks()["total"], filtered=False))
    expect(chip).to_have_attribute("aria-pressed", "false")
    expect(slider).to_have_attribute("aria-valuenow", "0")
    expect(live).to_be_checked()


def test_clicking_the_stars_picks_half_stars(page: Page, synced_ui: UiApp) -> None:
    open_library(page, synced_ui)
    slider = page.get_by_role("slider", name="Minimum rating")
    box = slider.locator(".stars").bounding_box()
    assert box
    star = box["width"] / 5
    page.mouse.click(box["x"] + 3.25 * star, box["y"] + box["height"] / 2)  # 4th star, left half
    expect(slider).to_have_attribute("aria-valuenow", "7")
    expected = synced_ui.server.tracks(min_rating=7)["total"]
    expect(page.locator("#match-count")).to_have_text(matching(expected))
    page.mouse.click(box["x"] + 3.25 * star, box["y"] + box["height"] / 2)  # again: any rating
    expect(slider).to_have_attribute("aria-valuenow", "0")


def test_search_is_debounced_and_filters_the_list(page: Page, synced_ui: UiApp) -> None:
    api = synced_ui.server
    open_library(page, synced_ui)
    first = api.tracks(limit=1)["tracks"][0]
    word = first["title"].split()[-1]
    expected = api.tracks(q=word)
    answered = len(synced_ui.traffic.bodies)

    page.get_by_role("combobox", name="Search tracks").press_sequentially(word, delay=30)
    # (A search matches words from their start: the first letters may already total as much.)
    expect(page).to_have_url(re.compile(rf"[?&]q={re.escape(word)}(&|$)"))
    expect(page.locator("#match-count")).to_have_text(matching(expected["total"]))
    expect(page.locator("#tracks .track").first).to_contain_text(expected["tracks"][0]["title"])
    # One search, not one per keystroke: the box waits for a pause in the typing.
    searched = [b for b in synced_ui.traffic.bodies[answered:] if b'"total"' in b]
    assert len(searched) <= 3, f"{len(searched)} track pages for one word"
    assert parse_qs(urlsplit(page.url).query) == {"q": [word]}


def test_the_track_list_renders_only_what_is_on_screen(page: Page, synced_ui: UiApp) -> None:
    api = synced_ui.server
    open_library(page, synced_ui, "?exclude_live=false")
    total = api.tracks(exclude_live="false")["total"]
    rows = page.locator("#tracks .track:not([hidden])")
    assert rows.count() < 40
    expect(rows.first).to_have_attribute("aria-setsize", str(total))

    first = api.tracks(exclude_live="false", limit=1)["tracks"][0]
    row = rows.first
    expect(row.locator(".track-title-text")).to_have_text(first["title"])
    meta = " · ".join(str(v) for v in (first["artist"], first["album"], first["year"]) if v)
    expect(row.locator(".track-meta")).to_have_text(meta)
    minutes, seconds = divmod(round(first["duration_ms"] / 1000), 60)
    expect(row.locator(".track-duration")).to_have_text(f"{minutes}:{seconds:02d}")

    # Scroll to the very end: the last track is there, fetched on demand, and still only a
    # screenful of rows exists.
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    last = api.tracks(exclude_live="false", offset=total - 1, limit=1)["tracks"][0]
    expect(page.locator(f'#tracks .track[aria-posinset="{total}"]')).to_contain_text(last["title"])
    assert rows.count() < 40

    page.goto(f"{synced_ui.url}/?exclude_live=false&min_rating=9")
    stars = page.locator("#tracks .track").first.get_by_role("img")
    expect(stars).to_have_attribute("aria-label", re.compile(r"^Rated (4½|5) stars$"))


def test_live_recordings_carry_a_badge_when_shown(page: Page, synced_ui: UiApp) -> None:
    live = [t for t in synced_ui.server.tracks(exclude_live="false", limit=1000)["tracks"]
            if t["is_live"]]  # fmt: skip
    assert live, "the test library should have live recordings"
    open_library(page, synced_ui, f"?exclude_live=false&q={live[0]['title']}")
    row = page.locator(f'#tracks .track[data-rating-key="{live[0]["rating_key"]}"]')
    expect(row.locator(".badge-live")).to_be_visible()
    expect(row.locator(".badge-live")).to_have_text("Live")


def test_filters_come_back_from_the_address(page: Page, synced_ui: UiApp) -> None:
    api = synced_ui.server
    genre = api.stats()["genres"][1]["name"]
    open_library(page, synced_ui, f"?genre={genre}&decade=1980s&min_rating=4")
    expected = api.tracks(genre=genre, decade="1980s", min_rating=4)["total"]
    expect(page.locator("#match-count")).to_have_text(matching(expected))
    expect(page.locator(f'#genres-chips [data-value="{genre}"]')).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.get_by_role("slider", name="Minimum rating")).to_have_attribute(
        "aria-valuetext", "2 stars or more"
    )


def test_everything_works_from_the_keyboard(page: Page, synced_ui: UiApp) -> None:
    open_library(page, synced_ui)
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to the tracks")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_role("combobox", name="Search tracks")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Build playlist")).to_be_focused()

    # Tab on (past the view tabs, the sort, the rating, the genre search) to the first genre
    # chip; Space toggles it; the focus ring shows.
    chip = page.locator("#genres-chips .chip").first
    for _ in range(20):
        page.keyboard.press("Tab")
        if chip.evaluate("el => el === document.activeElement"):
            break
    expect(chip).to_be_focused()
    assert chip.evaluate("el => getComputedStyle(el).outlineStyle") != "none"
    page.keyboard.press("Space")
    expect(chip).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Enter")
    expect(chip).to_have_attribute("aria-pressed", "false")


def test_the_phone_layout_fits_375_pixels(new_page: OpenPage, synced_ui: UiApp) -> None:
    page = new_page(viewport=PHONE)
    open_library(page, synced_ui)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    filters = page.locator("#filters")
    expect(filters).to_be_hidden()
    toggle = page.get_by_role("button", name="Filters")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(filters).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    page.locator("#decades-chips .chip").first.click()
    expect(page.locator("#filters-count")).to_have_text("1")
    expect(page.locator("#match-count")).to_contain_text("matching tracks")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    expect(page.locator("#statusbar")).to_be_in_viewport()
