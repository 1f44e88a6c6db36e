"""Browsing by tracks, albums and artists: the views and their addresses, an album's and an
artist's page opened from any row, back/forward and reload keeping the place, the sort and the
shuffle, and "filter by this artist" from a row, a card and a page."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.sync_api import Locator, Page, expect

from browser.harness import UiApp, api_json, query_of

LOADED = re.compile(r"\bis-loaded\b")


def path(page: Page) -> str:
    return urlsplit(page.url).path


def open_view(page: Page, ui: UiApp, address: str = "/") -> None:
    page.goto(ui.url + address)
    expect(page.locator("main .is-placeholder").first).to_be_hidden()
    expect(
        page.locator("#tracks, #albums, #artists").locator("[data-rating-key]").first
    ).to_be_visible()


def tab(page: Page, name: str) -> Locator:
    return page.get_by_role("navigation", name="Browse").get_by_role("link", name=name)


def row(page: Page, rating_key: int) -> Locator:
    return page.locator(f'#tracks .track[data-rating-key="{rating_key}"]')


def titles(page: Page, selector: str) -> list[str]:
    return page.locator(selector).evaluate_all("els => els.map(el => el.textContent)")


def rendered_titles(page: Page, grid: str, count: int) -> list[str]:
    """The first ``count`` items of a virtual list or grid, in their order."""
    cells = page.locator(f"{grid} > [data-rating-key]:not([hidden])")
    expect(cells.first).to_be_visible()
    page.wait_for_function(
        f"""() => document.querySelectorAll('{grid} > [data-rating-key]:not([hidden])').length
            >= {count}"""
    )
    return cells.evaluate_all(
        f"""cells => cells
            .map(c => [Number(c.getAttribute('aria-posinset')),
                       c.querySelector('.track-title-text, .card-title').textContent])
            .sort((a, b) => a[0] - b[0]).slice(0, {count}).map(pair => pair[1])"""
    )


# --- pages ---------------------------------------------------------------------------------------


def test_an_album_and_its_artist_open_from_a_track_row_and_back_forward_reload_keep_the_place(
    page: Page, synced_ui: UiApp
) -> None:
    open_view(page, synced_ui)
    # Scroll a little, so Back has a place to come back to.
    page.mouse.wheel(0, 1200)
    page.wait_for_function("() => window.scrollY > 1000")
    middle = page.evaluate(
        """() => [...document.querySelectorAll('#tracks .track[data-rating-key]:not([hidden])')]
            .find(r => r.getBoundingClientRect().top > 200).dataset.ratingKey"""
    )
    scrolled = page.evaluate("window.scrollY")
    every = api_json(synced_ui, "/api/tracks", limit=1000)["tracks"]
    track = next(t for t in every if t["rating_key"] == int(middle))
    album = api_json(synced_ui, f"/api/albums/{track['album_key']}")

    row(page, track["rating_key"]).locator(".track-album a").click()
    expect(page).to_have_url(re.compile(rf"/albums/{track['album_key']}(\?|$)"))
    heading = page.get_by_role("heading", level=2, name=album["album"]["title"])
    expect(heading).to_be_focused()
    expect(page).to_have_title(
        f"{album['album']['title']} — {album['album']['album_artist']} · plexcrate"
    )
    expected = [t["title"] for t in album["tracks"]]
    expect(page.locator("#detail .track .track-title-text")).to_have_text(expected)
    numbers = [str(t["track_number"]) for t in album["tracks"]]
    expect(page.locator("#detail .track .track-number")).to_have_text(numbers)
    expect(page.locator("#detail .detail-art img")).to_have_class(LOADED)
    assert page.locator("#detail .detail-art img").get_attribute("src") == (
        f"/api/art/{track['album_key']}?size=256"
    )
    expect(page.locator("#filters")).to_be_hidden()  # a page takes the whole width

    # Its artist, from the album's page.
    artist = api_json(synced_ui, f"/api/artists/{album['album']['artist_key']}")
    page.locator("#detail .detail-artist").click()
    expect(page).to_have_url(re.compile(rf"/artists/{album['album']['artist_key']}(\?|$)"))
    expect(page.get_by_role("heading", level=2, name=artist["artist"]["title"])).to_be_focused()
    expect(page.locator("#detail .card .card-title")).to_have_text(
        [a["title"] for a in artist["albums"]]
    )

    # Back to the album, back to the list, scrolled where it was; forward again.
    page.go_back()
    expect(page.get_by_role("heading", level=2, name=album["album"]["title"])).to_be_visible()
    page.go_back()
    expect(row(page, track["rating_key"])).to_be_in_viewport()
    assert path(page) == "/"
    assert abs(page.evaluate("window.scrollY") - scrolled) < 5
    page.go_forward()
    expect(page.get_by_role("heading", level=2, name=album["album"]["title"])).to_be_visible()

    # A reload (or a bookmark) of the page shows the same page.
    page.reload()
    expect(page.get_by_role("heading", level=2, name=album["album"]["title"])).to_be_visible()
    expect(page.locator("#detail .track")).to_have_count(len(album["tracks"]))
    # Its back link goes where the page was opened from.
    page.get_by_role("button", name="Back", exact=True).click()
    expect(row(page, track["rating_key"])).to_be_in_viewport()


def test_the_albums_and_artists_views_show_what_the_filters_match(
    page: Page, synced_ui: UiApp
) -> None:
    genre = api_json(synced_ui, "/api/library/stats")["genres"][0]["name"]
    albums = api_json(synced_ui, "/api/albums", genre=genre, limit=1000)
    open_view(page, synced_ui, f"/albums?genre={genre}")
    count = page.locator("#match-count")
    expect(count).to_have_text(f"{albums['total']:,} matching albums")
    albums_tab = tab(page, "Albums")
    expect(albums_tab).to_have_attribute("aria-current", "page")
    first = albums["albums"][0]
    n = min(8, albums["total"])
    assert n > 2
    assert rendered_titles(page, "#albums", n) == [a["title"] for a in albums["albums"][:n]]
    card = page.locator(f'#albums .card[data-rating-key="{first["rating_key"]}"]')
    expect(card.locator(".card-sub")).to_have_text(first["album_artist"])
    cover = card.locator(".card-art img")
    expect(cover).to_have_class(LOADED)
    assert cover.get_attribute("src") == f"/api/art/{first['rating_key']}?size=256"
    # Fixed boxes: a cover never changes the layout when it arrives.
    box = card.locator(".card-art").bounding_box()
    assert box and abs(box["width"] - box["height"]) < 1

    # Only a screenful of cards exists; the last album comes when scrolled to.
    assert page.locator("#albums .card:not([hidden])").count() < 60
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    last = albums["albums"][-1]
    expect(page.locator(f'#albums .card[aria-posinset="{albums["total"]}"]')).to_contain_text(
        last["title"]
    )

    # The artists, same filters.
    tab(page, "Artists").click()
    expect(page).to_have_url(re.compile(r"/artists\?genre="))
    artists = api_json(synced_ui, "/api/artists", genre=genre, limit=1000)
    expect(count).to_have_text(f"{artists['total']:,} matching artists")
    n = min(6, artists["total"])
    assert rendered_titles(page, "#artists", n) == [a["title"] for a in artists["artists"][:n]]
    some = artists["artists"][1]
    some_card = page.locator(f'#artists .card[data-rating-key="{some["rating_key"]}"]')
    expect(some_card.locator(".card-meta")).to_contain_text(f"{some['track_count']} track")
    some_card.get_by_role("link", name=some["title"]).click()
    expect(page).to_have_url(re.compile(rf"/artists/{some['rating_key']}\?genre="))
    expect(page.get_by_role("heading", level=2, name=some["title"])).to_be_visible()

    # An album card of the artist's page opens the album; Back returns to the artist.
    mine = api_json(synced_ui, f"/api/artists/{some['rating_key']}")["albums"][0]
    page.locator(f'#detail .card[data-rating-key="{mine["rating_key"]}"] .card-title').click()
    expect(page.get_by_role("heading", level=2, name=mine["title"])).to_be_visible()
    page.go_back()
    expect(page.get_by_role("heading", level=2, name=some["title"])).to_be_visible()
    page.go_back()
    expect(count).to_have_text(f"{artists['total']:,} matching artists")
    # A search typed on a page shows its answers in the list the page came from.
    page.go_forward()
    page.get_by_role("combobox", name="Search tracks").fill(some["title"].split()[0])
    expect(page).to_have_url(re.compile(r"/artists\?.*q="))
    expect(tab(page, "Artists")).to_have_attribute("aria-current", "page")


def test_an_address_of_an_album_not_in_the_library_says_so(page: Page, synced_ui: UiApp) -> None:
    page.goto(f"{synced_ui.url}/albums/999999")
    expect(page.get_by_role("heading", level=2)).to_have_text(
        "This album is not in your library (any more)."
    )
    page.get_by_role("button", name="Back to the tracks").click()
    expect(page.locator("#tracks .track").first).to_be_visible()


# --- sort and shuffle ----------------------------------------------------------------------------


def test_every_sort_has_a_name_and_orders_the_list(page: Page, synced_ui: UiApp) -> None:
    sorts = api_json(synced_ui, "/api/filters")["sorts"]
    open_view(page, synced_ui)
    select = page.get_by_role("combobox", name="Sort by")
    options = select.locator("option")
    assert options.evaluate_all("os => os.map(o => o.value)") == sorts
    labels = options.evaluate_all("os => os.map(o => o.textContent)")
    assert len(set(labels)) == len(sorts) and all(label[0].isupper() for label in labels)
    expect(select).to_have_value("default")

    for sort in ("title", "-year", "-added"):
        select.select_option(sort)
        expect(page).to_have_url(re.compile(rf"[?&]sort={re.escape(sort)}(&|$)"))
        expected = [
            t["title"] for t in api_json(synced_ui, "/api/tracks", sort=sort, limit=8)["tracks"]
        ]
        page.wait_for_function(
            """(first) => document.querySelector('#tracks .track[aria-posinset="1"]')
                ?.querySelector('.track-title-text').textContent === first""",
            arg=expected[0],
        )
        assert rendered_titles(page, "#tracks", 8) == expected

    # The sort holds across the views: the albums by year, newest first.
    select.select_option("-year")
    tab(page, "Albums").click()
    expect(page).to_have_url(re.compile(r"/albums\?sort=-year$"))
    albums = api_json(synced_ui, "/api/albums", sort="-year", limit=8)["albums"]
    expect(page.locator('#albums .card[aria-posinset="1"] .card-title')).to_have_text(
        albums[0]["title"]
    )
    assert rendered_titles(page, "#albums", 8) == [a["title"] for a in albums]
    page.reload()
    expect(page.get_by_role("combobox", name="Sort by")).to_have_value("-year")

    page.get_by_role("combobox", name="Sort by").select_option("default")
    expect(page).to_have_url(re.compile(r"/albums$"))


def test_shuffle_and_reshuffle_in_every_view_and_a_reload_keeps_the_shuffle(
    page: Page, synced_ui: UiApp
) -> None:
    open_view(page, synced_ui)
    shuffle = page.get_by_role("button", name="Shuffle")
    shuffle.click()
    expect(page).to_have_url(re.compile(r"[?&]sort=random&seed=\d+"))
    reshuffle = page.get_by_role("button", name="Reshuffle")
    expect(reshuffle).to_be_visible()
    expect(page.get_by_role("combobox", name="Sort by")).to_have_value("random")
    seed = query_of(page)["seed"][0]

    def shown_in(grid: str, path: str, field: str, seed: str) -> None:
        items = api_json(synced_ui, path, sort="random", seed=seed, limit=6)[field]
        expected = [item["title"] for item in items]
        selector = f'{grid} > [aria-posinset="1"]'
        expect(page.locator(selector).locator(".track-title-text, .card-title")).to_have_text(
            expected[0]
        )
        assert rendered_titles(page, grid, 6) == expected

    shown_in("#tracks", "/api/tracks", "tracks", seed)
    reshuffle.click()
    expect(page).not_to_have_url(re.compile(rf"seed={seed}(&|$)"))
    seed = query_of(page)["seed"][0]
    shown_in("#tracks", "/api/tracks", "tracks", seed)

    page.reload()
    assert query_of(page)["seed"] == [seed]
    shown_in("#tracks", "/api/tracks", "tracks", seed)

    # The albums and the artists, shuffled the same way, reshuffled by the same button.
    tab(page, "Albums").click()
    shown_in("#albums", "/api/albums", "albums", seed)
    page.get_by_role("button", name="Reshuffle").click()
    expect(page).not_to_have_url(re.compile(rf"seed={seed}(&|$)"))
    seed = query_of(page)["seed"][0]
    shown_in("#albums", "/api/albums", "albums", seed)
    tab(page, "Artists").click()
    shown_in("#artists", "/api/artists", "artists", seed)


# --- filter by this artist -----------------------------------------------------------------------


def test_filter_by_this_artist_from_a_row_a_card_and_a_page_by_keyboard(
    page: Page, synced_ui: UiApp
) -> None:
    open_view(page, synced_ui)
    first = api_json(synced_ui, "/api/tracks", limit=1)["tracks"][0]
    add = row(page, first["rating_key"]).get_by_role(
        "button", name=f"Add “{first['title']}” to the playlist"
    )
    add.focus()
    page.keyboard.press("Tab")
    by_artist = row(page, first["rating_key"]).get_by_role(
        "button", name=f"Filter by “{first['artist']}”"
    )
    expect(by_artist).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]artist="))
    assert query_of(page)["artist"] == [first["artist"]]
    total = api_json(synced_ui, "/api/tracks", artist=first["artist"])["total"]
    expect(page.locator("#match-count")).to_have_text(
        f"{total:,} matching track{'s' if total != 1 else ''}"
    )
    tokens = page.get_by_role("list", name="Only these artists")
    expect(tokens.locator(".token-name")).to_have_text([first["artist"]])

    # An album card's action: its album artist.
    tab(page, "Albums").click()
    albums = api_json(synced_ui, "/api/albums", limit=200)["albums"]
    other = next(a for a in albums if a["album_artist"] != first["artist"])
    page.get_by_role("button", name="Clear all filters").click()
    expect(page.locator("#match-count")).to_have_text(re.compile(r"^[\d,]+ albums$"))
    card = page.locator(f'#albums .card[data-rating-key="{other["rating_key"]}"]')
    card.get_by_role("link", name=other["title"]).focus()
    action = card.get_by_role(
        "button", name=f"Filter by “{other['album_artist']}”, the artist of “{other['title']}”"
    )
    page.keyboard.press("Tab")  # the artist's link
    page.keyboard.press("Tab")
    expect(action).to_be_focused()
    expect(action).to_have_css("opacity", "1")
    page.keyboard.press("Enter")
    assert query_of(page)["artist"] == [other["album_artist"]]
    expected = api_json(synced_ui, "/api/albums", artist=other["album_artist"])["total"]
    expect(page.locator("#match-count")).to_have_text(
        f"{expected:,} matching album{'s' if expected != 1 else ''}"
    )

    # An album's page: to the tracks of its artist; Back returns to the page.
    page.get_by_role("button", name="Clear all filters").click()
    every = api_json(synced_ui, "/api/albums", limit=1)["total"]
    expect(page.locator("#match-count")).to_have_text(f"{every:,} albums")  # the cards settled
    card.get_by_role("link", name=other["title"]).click()
    page.get_by_role(
        "button", name=f"Filter by “{other['album_artist']}”, the artist of “{other['title']}”"
    ).click()
    expect(page).to_have_url(re.compile(r"^[^?]*/\?.*artist="))
    total = api_json(synced_ui, "/api/tracks", artist=other["album_artist"])["total"]
    expect(page.locator("#match-count")).to_have_text(f"{total:,} matching tracks")
    page.go_back()
    expect(page.get_by_role("heading", level=2, name=other["title"])).to_be_visible()
