"""The filter panel over the whole vocabulary: facets with a search inside (a kind with 1,200
values), only the open sections counted, artists to keep or leave out typed with suggestions,
the year range, "added within", played or not, every filter back after a reload, and chosen
values in sight even when nothing matches them.

Until the simulator knows styles, moods and labels, a cache built by hand
(``tests/library_factory.py``) stands for a library that has them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from library_factory import album, artist, publish, track
from playwright.sync_api import Page, Request, expect
from web_harness import closed_port

from browser.harness import PHONE, OpenPage, StartUi, UiApp, api_json, open_counted, query_of
from plexcrate.cache.database import Database

STYLES = 1200  # one of its own per album, more than a panel could show


def matching(total: int, noun: str = "track") -> str:
    return f"{total:,} matching {noun}{'' if total == 1 else 's'}"


def stats_asked(page: Page) -> list[list[str]]:
    """The facets of every /api/library/stats request the page makes from now on."""
    asked: list[list[str]] = []

    def note(request: Request) -> None:
        url = urlsplit(request.url)
        if url.path == "/api/library/stats":
            asked.append(sorted(parse_qs(url.query).get("facets", [])))

    page.on("request", note)
    return asked


# --- a library with 1,200 styles, moods, labels and album types -----------------------------------


@pytest.fixture(scope="module")
def tagged_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    data_dir = tmp_path_factory.mktemp("tagged")
    artists = [
        artist(10_000 + a, f"Artist {a:03d}", "Rock" if a % 2 else "Jazz") for a in range(120)
    ]
    albums, tracks = [], []
    moods = ("Melancholy", "Rousing", "Calm")
    for n in range(STYLES):
        key = 20_000 + n
        owner = 10_000 + n % 120
        albums.append(
            album(
                key,
                owner,
                f"Album {n:04d}",
                year=1960 + n % 60,
                styles=(f"Style {n:04d}", *(("Shoegaze",) if n % 3 == 0 else ())),
                moods=(moods[n % 3],),
                types=("Album",) if n % 4 else ("EP",),
                label=f"Label {n % 300:03d}",
            )
        )
        for t in range(2):
            tracks.append(
                track(
                    30_000 + 2 * n + t,
                    key,
                    owner,
                    f"Song {n:04d}-{t}",
                    artist=f"Artist {n % 120:03d}",
                    album_title=f"Album {n:04d}",
                    year=1960 + n % 60,
                    rating=(n + t) % 11,
                    number=t + 1,
                )
            )
    with Database(data_dir / "library_cache.db") as db:
        publish(db, artists, albums, tracks)
    yield data_dir


@pytest.fixture
def tagged_ui(start_ui: StartUi, tagged_dir: Path) -> UiApp:
    # Plex is away: the cache is served as it is, nothing syncs over it.
    return start_ui(data_dir=tagged_dir, plex_url=f"http://127.0.0.1:{closed_port()}")


def test_a_kind_with_a_thousand_values_shows_its_top_ones_and_finds_the_rest(
    page: Page, tagged_ui: UiApp
) -> None:
    asked = stats_asked(page)
    open_counted(page, tagged_ui)
    styles = page.get_by_role("button", name=re.compile(r"^Styles"))
    expect(styles).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#genres-chips .chip").first).to_be_visible()
    assert asked == [["decades", "genres"]], "only the open sections are counted"

    styles.click()
    expect(styles).to_have_attribute("aria-expanded", "true")
    chips = page.locator("#styles-chips .chip")
    expect(chips).to_have_count(12)
    expect(chips.first).to_contain_text("Shoegaze")
    expect(page.get_by_role("button", name="Show the 200 most common styles")).to_be_visible()
    assert asked[-1] == ["styles"]

    # A value far from the top, found by a search inside the kind.
    search = page.get_by_role("searchbox", name="Find a style")
    search.fill("0999")
    found = api_json(tagged_ui, "/api/library/facets/style", q="0999")["values"]
    assert [v["name"] for v in found] == ["Style 0999"]
    expect(chips).to_have_count(1)
    chip = page.locator('#styles-chips .chip[data-value="Style 0999"]')
    expect(chip.locator(".chip-count")).to_have_text(str(found[0]["count"]))
    chip.click()
    expect(chip).to_have_attribute("aria-pressed", "true")
    assert query_of(page) == {"style": ["Style 0999"]}
    total = api_json(tagged_ui, "/api/tracks", style="Style 0999")["total"]
    expect(page.locator("#match-count")).to_have_text(matching(total))
    # The search cleared (Escape), the chosen value stays in sight beside the top ones.
    search.press("Escape")
    expect(search).to_have_value("")
    expect(chips).to_have_count(13)
    expect(chip).to_have_attribute("aria-pressed", "true")
    expect(styles).to_have_accessible_name(re.compile(r"^Styles\s*\(1 selected\)$"))

    # A mood too, then a reload: both sections open by themselves, both values chosen.
    moods = page.get_by_role("button", name=re.compile(r"^Moods"))
    moods.click()
    page.locator('#moods-chips .chip[data-value="Melancholy"]').click()
    total = api_json(tagged_ui, "/api/tracks", style="Style 0999", mood="Melancholy")["total"]
    expect(page.locator("#match-count")).to_have_text(matching(total))
    moods.click()  # closed by hand; the chosen value opens it again after a reload
    page.reload()
    expect(page.locator("#match-count")).to_have_text(matching(total))
    expect(moods).to_have_attribute("aria-expanded", "true")
    expect(page.locator('#moods-chips .chip[data-value="Melancholy"]')).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(chip).to_have_attribute("aria-pressed", "true")

    # Labels and album types work the same way (a search, a chip).
    page.get_by_role("button", name="Labels").click()
    page.get_by_role("searchbox", name="Find a label").fill("099")
    # Counted under the other filters, like the chips: the labels of the chosen style's tracks.
    chosen = {"style": "Style 0999", "mood": "Melancholy"}
    found = api_json(tagged_ui, "/api/library/facets/label", q="099", **chosen)["values"]
    assert found
    expect(page.locator("#labels-chips .chip")).to_have_count(len(found))
    page.get_by_role("button", name="Album types").click()
    page.locator('#album-types-chips .chip[data-value="EP"]').click()
    assert query_of(page)["album_type"] == ["EP"]


# --- with the simulator's library ---------------------------------------------------------------


def test_a_kind_the_server_declares_is_chips_with_its_own_words(
    page: Page, synced_ui: UiApp
) -> None:
    """The artists' countries: declared on the server (cache/tags.py), with their words; the
    page has nothing of its own for them, yet shows them like labels, and says them in the
    playlist builder's sentence."""
    stats = api_json(synced_ui, "/api/library/stats")
    country = stats["countries"][0]["name"]
    open_counted(page, synced_ui)
    page.get_by_role("button", name="Countries").click()
    page.get_by_role("searchbox", name="Find a country").fill(country[1:4])
    chip = page.locator(f'#countries-chips .chip[data-value="{country}"]')
    expect(chip).to_be_visible()
    chip.click()
    expect(chip).to_have_attribute("aria-pressed", "true")
    assert query_of(page) == {"country": [country]}
    total = api_json(synced_ui, "/api/tracks", country=country)["total"]
    expect(page.locator("#match-count")).to_have_text(matching(total))
    page.get_by_role("button", name="Build playlist").click()
    builder = page.get_by_role("dialog", name="Build a playlist")
    expect(builder).to_contain_text(f"From {total:,} matching tracks: from {country} · ")


def test_only_the_sections_on_screen_are_counted(new_page: OpenPage, synced_ui: UiApp) -> None:
    page = new_page()
    asked = stats_asked(page)
    open_counted(page, synced_ui)
    expect(page.locator("#decades-chips .chip").first).to_be_visible()
    assert asked == [["decades", "genres"]]
    page.get_by_role("button", name="Album types").click()
    expect(page.locator("#album-types-chips .chip").first).to_be_visible()
    assert asked[-1] == ["album_types"]
    # Closing and opening again counts nothing new: the counts are for these filters already.
    page.get_by_role("button", name="Album types").click()
    page.get_by_role("button", name="Album types").click()
    page.locator("#genres-chips .chip").first.click()
    expect(page.locator("#match-count")).to_contain_text("matching")
    assert asked[-1] == ["album_types", "decades", "genres"]
    assert len(asked) == 3

    # A page of an album or an artist shows no counts: none are asked for.
    page.get_by_role("navigation", name="Browse").get_by_role("link", name="Albums").click()
    expect(page.locator("#albums .card").first).to_be_visible()
    before = len(asked)
    page.locator("#albums .card .card-title").first.click()
    expect(page.locator("#detail .track").first).to_be_visible()
    assert len(asked) == before

    # A phone: the drawer is closed, so nothing is counted until it opens.
    phone = new_page(viewport=PHONE)
    on_phone = stats_asked(phone)
    open_counted(phone, synced_ui)
    expect(phone.locator("#tracks .track[data-rating-key]").first).to_be_visible()
    assert on_phone == []
    phone.get_by_role("button", name="Filters").click()
    expect(phone.locator("#genres-chips .chip").first).to_be_visible()
    assert on_phone == [["decades", "genres"]]


def test_artists_to_keep_and_leave_out_are_typed_with_suggestions(
    page: Page, synced_ui: UiApp
) -> None:
    open_counted(page, synced_ui)
    artists = api_json(synced_ui, "/api/artists", limit=100)["artists"]
    wanted = next(a["title"] for a in artists if len(a["title"].split()[0]) >= 4)
    typed = wanted.split()[0][:4]
    keep = page.get_by_role("combobox", name="Only these artists")
    keep.press_sequentially(typed, delay=20)
    options = page.get_by_role("listbox", name="Only these artists: suggestions").get_by_role(
        "option"
    )
    suggested = api_json(synced_ui, "/api/library/facets/artist", q=typed, limit=8)["values"]
    expect(options.locator(".suggestion-name")).to_have_text([v["name"] for v in suggested])
    expect(options.first.locator(".chip-count")).to_have_text(f"{suggested[0]['count']:,}")
    expect(keep).to_have_attribute("aria-expanded", "true")
    # Down to the one wanted, Enter.
    index = [v["name"] for v in suggested].index(wanted)
    for _ in range(index):
        keep.press("ArrowDown")
    expect(options.nth(index)).to_have_attribute("aria-selected", "true")
    keep.press("Enter")
    expect(keep).to_have_attribute("aria-expanded", "false")
    expect(keep).to_be_focused()
    assert query_of(page)["artist"] == [wanted]
    total = api_json(synced_ui, "/api/tracks", artist=wanted)["total"]
    expect(page.locator("#match-count")).to_have_text(matching(total))
    tokens = page.get_by_role("list", name="Only these artists")
    expect(tokens.locator(".token-name")).to_have_text([wanted])
    # Backspace in the empty field takes the last one away again.
    keep.press("Backspace")
    expect(tokens).to_be_hidden()
    assert "artist" not in query_of(page)

    # Leave one out, picked with the mouse; its remove button brings it back.
    other = artists[0]["title"]
    leave = page.get_by_role("combobox", name="Leave out artists")
    leave.fill(other)
    page.get_by_role("listbox", name="Leave out artists: suggestions").get_by_role(
        "option", name=re.compile(f"^{re.escape(other)}")
    ).first.click()
    assert query_of(page)["exclude_artist"] == [other]
    total = api_json(synced_ui, "/api/tracks", exclude_artist=other)["total"]
    assert total < api_json(synced_ui, "/api/tracks")["total"]
    expect(page.locator("#match-count")).to_have_text(matching(total))
    # Escape closes the suggestions only.
    leave.fill("zzzz-no-such")
    expect(page.get_by_role("listbox", name="Leave out artists: suggestions")).to_contain_text(
        "No artists match “zzzz-no-such”."
    )
    leave.press("Escape")
    expect(leave).to_have_attribute("aria-expanded", "false")
    page.get_by_role("button", name=f"Remove {other}").click()
    assert "exclude_artist" not in query_of(page)


def test_the_year_range_added_within_and_played(page: Page, synced_ui: UiApp) -> None:
    open_counted(page, synced_ui)
    count = page.locator("#match-count")
    start = page.get_by_role("textbox", name="From year")
    end = page.get_by_role("textbox", name="To year")
    start.fill("19x9")
    start.press("Enter")
    expect(start).to_have_accessible_description(
        "“19x9” is not a whole number: type one from 0 to 9999."
    )
    expect(start).to_have_attribute("aria-invalid", "true")
    assert query_of(page) == {}
    start.fill("1990")
    start.press("Enter")
    end.fill("1999")
    end.press("Tab")
    expect(page).to_have_url(re.compile(r"year_max=1999"))
    assert query_of(page) == {"year_min": ["1990"], "year_max": ["1999"]}
    expect(start).not_to_have_attribute("aria-invalid", "true")
    years = {"year_min": 1990, "year_max": 1999}
    total = api_json(synced_ui, "/api/tracks", **years)["total"]
    assert 0 < total < api_json(synced_ui, "/api/tracks")["total"]
    expect(count).to_have_text(matching(total))

    page.get_by_role("radio", name="Never played").check()
    expect(page).to_have_url(re.compile(r"played=never"))
    total = api_json(synced_ui, "/api/tracks", **years, played="never")["total"]
    expect(count).to_have_text(matching(total))
    page.get_by_role("radio", name="Played", exact=True).check()
    total = api_json(synced_ui, "/api/tracks", **years, played="ever")["total"]
    expect(count).to_have_text(matching(total))

    added = page.get_by_role("combobox", name="Added to Plex")
    added.select_option(label="Last year")
    expect(page).to_have_url(re.compile(r"added_within_days=365"))
    params = {"year_min": 1990, "year_max": 1999, "played": "ever", "added_within_days": 365}
    expect(count).to_have_text(matching(api_json(synced_ui, "/api/tracks", **params)["total"]))

    # A span of the address's own is offered as it is.
    open_counted(page, synced_ui, "/?added_within_days=2000")
    expect(added).to_have_value("2000")
    expect(added.locator("option:checked")).to_have_text("Last 2000 days")
    total = api_json(synced_ui, "/api/tracks", added_within_days=2000)["total"]
    assert total > 0
    expect(count).to_have_text(matching(total))
    added.select_option(label="Any time")
    assert query_of(page) == {}


def test_a_reload_restores_every_filter(page: Page, synced_ui: UiApp) -> None:
    stats = api_json(synced_ui, "/api/library/stats", exclude_live="false")
    genre, other_genre = stats["genres"][0]["name"], stats["genres"][1]["name"]
    country = stats["countries"][0]["name"]
    artists = [a["title"] for a in api_json(synced_ui, "/api/artists", limit=3)["artists"]]
    values: dict[str, Any] = {
        "genre": genre,
        "exclude_genre": other_genre,
        "style": "Shoegaze",  # none in this library: in sight at 0
        "mood": "Melancholy",
        "album_type": "Live",
        "label": "Sub Pop",
        "country": country,
        "artist": artists[0],
        "exclude_artist": artists[1],
        "decade": "1990s",
        "year_min": "1991",
        "year_max": "2005",
        "min_rating": "4",
        "exclude_live": "false",
        "added_within_days": "2000",
        "played": "ever",
        "q": "the",
    }
    declared = {d["name"] for d in api_json(synced_ui, "/api/filters")["filters"]}
    assert set(values) == declared, "every declared filter is in this test"
    address = "/?" + "&".join(f"{name}={quote(value)}" for name, value in values.items())
    total = api_json(synced_ui, "/api/tracks", **values)["total"]

    def every_control_shows_it() -> None:
        expect(page.locator("#match-count")).to_have_text(matching(total))
        chosen = [
            ("genres", genre),
            ("styles", "Shoegaze"),
            ("moods", "Melancholy"),
            ("album-types", "Live"),
            ("labels", "Sub Pop"),
            ("countries", country),
            ("decades", "1990s"),
        ]
        for facet, name in chosen:
            chip = page.locator(f'#{facet}-chips .chip[data-value="{name}"]')
            expect(chip).to_be_visible()
            expect(chip).to_have_attribute("aria-pressed", "true")
        typed = [
            ("Leave out genres", other_genre),
            ("Only these artists", artists[0]),
            ("Leave out artists", artists[1]),
        ]
        for label, name in typed:
            tokens = page.get_by_role("list", name=label)
            expect(tokens.locator(".token-name")).to_have_text([name])
        expect(page.get_by_role("textbox", name="From year")).to_have_value("1991")
        expect(page.get_by_role("textbox", name="To year")).to_have_value("2005")
        expect(page.get_by_role("slider", name="Minimum rating")).to_have_attribute(
            "aria-valuenow", "4"
        )
        expect(page.get_by_role("switch", name="Exclude live recordings")).not_to_be_checked()
        expect(page.get_by_role("combobox", name="Added to Plex")).to_have_value("2000")
        expect(page.get_by_role("radio", name="Played", exact=True)).to_be_checked()
        expect(page.get_by_role("combobox", name="Search tracks")).to_have_value("the")
        expect(page.locator("#filters-count")).to_have_text("16")  # every value but the search

    open_counted(page, synced_ui, address)
    every_control_shows_it()
    page.reload()
    every_control_shows_it()
    assert {k: v[0] for k, v in query_of(page).items()} == values


def test_chosen_values_stay_in_sight_when_nothing_matches(page: Page, synced_ui: UiApp) -> None:
    """Issue 15, point 5: a reloaded search without matches emptied the genres ("No genres
    yet"), and a filtered address showed only the genres that had tracks under it."""
    every = api_json(synced_ui, "/api/library/stats")["genres"]
    genre = every[-1]["name"]
    open_counted(page, synced_ui, f"/?q=zzzqqq&genre={quote(genre)}")
    expect(page.locator("#match-count")).to_have_text(matching(0))
    chips = page.locator("#genres-chips .chip")
    show_all = page.get_by_role("button", name=f"Show all {len(every)} genres")
    show_all.click()
    expect(chips).to_have_count(len(every))
    chosen = page.locator(f'#genres-chips .chip[data-value="{genre}"]')
    expect(chosen).to_have_attribute("aria-pressed", "true")
    expect(chosen.locator(".chip-count")).to_have_text("0")
    expect(page.locator("#filters").get_by_text("No genres")).to_be_hidden()
    # The chips keep the library's order, whatever the filters count.
    assert chips.evaluate_all("cs => cs.map(c => c.dataset.value)") == [g["name"] for g in every]

    # A filtered address: every genre, at its count under the filters (0 for some).
    decade = api_json(synced_ui, "/api/library/stats")["decades"][0]["name"]
    counted = api_json(synced_ui, "/api/library/stats", decade=decade)["genres"]
    under = {g["name"]: g["count"] for g in counted}
    assert len(under) < len(every), "the test needs a decade without some genres"
    open_counted(page, synced_ui, f"/?decade={decade}")
    page.get_by_role("button", name=f"Show all {len(every)} genres").click()
    expect(chips).to_have_count(len(every))
    for g in every:
        expect(
            page.locator(f'#genres-chips .chip[data-value="{g["name"]}"] .chip-count')
        ).to_have_text(f"{under.get(g['name'], 0):,}")
