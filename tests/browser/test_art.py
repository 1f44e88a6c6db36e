"""Album art in the browser: the rows and the playlist preview show it, plexcrate serves it from
its disk once Plex is gone, and an album without art shows its placeholder."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from playwright.sync_api import Page, Response, expect

from browser.harness import OpenPage, UiApp
from plexcrate.simulator import PlexSimulator, SimLibrary
from plexcrate.simulator.images import has_art

LOADED = re.compile(r"\bis-loaded\b")


def art_types(page: Page) -> dict[str, str]:
    """The content type of every art answer the page gets from now on, by path and query."""
    seen: dict[str, str] = {}

    def note(response: Response) -> None:
        url = urlsplit(response.url)
        if url.path.startswith("/api/art/"):
            seen[f"{url.path}?{url.query}"] = response.headers.get("content-type", "")

    page.on("response", note)
    return seen


def loaded_art(page: Page) -> list[str]:
    """The art of the rows on screen, once every one of them has loaded."""
    pictures = page.locator("#tracks .track:not([hidden]):not(.is-placeholder) .track-art img")
    expect(pictures.first).to_have_class(LOADED)
    page.wait_for_function(
        """() => [...document.querySelectorAll(
                '#tracks .track:not([hidden]):not(.is-placeholder) .track-art img')]
            .every(img => img.complete && img.classList.contains('is-loaded'))"""
    )
    return pictures.evaluate_all("imgs => imgs.map(img => img.getAttribute('src'))")


def test_rows_show_their_album_s_art_and_keep_it_with_plex_offline(
    new_page: OpenPage, synced_ui: UiApp, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    page = new_page()
    answers = art_types(page)
    page.goto(synced_ui.url)
    shown = loaded_art(page)
    first = synced_ui.server.tracks(limit=1)["tracks"][0]
    assert shown[0] == f"/api/art/{first['album_key']}?size=64"  # one picture per album
    with_art = [src for src in shown if has_art(int(src.split("/")[3].split("?")[0]))]
    assert with_art and all(answers[src] == "image/png" for src in with_art)
    img = page.locator("#tracks .track").first.locator(".track-art img")
    assert img.evaluate("img => [img.naturalWidth, img.width, img.loading]") == [64, 40, "lazy"]

    # Plex goes away. A browser with nothing cached still gets every picture, from plexcrate.
    plex.stop()
    synced_ui.server.wait_for_status(lambda s: s["plex_connected"] is False, what="offline")
    fresh = new_page()
    answers = art_types(fresh)
    fresh.goto(synced_ui.url)
    assert loaded_art(fresh) == shown
    assert all(answers[src] == "image/png" for src in with_art), answers


def test_an_album_without_art_shows_its_placeholder(
    page: Page, synced_ui: UiApp, sim_library: SimLibrary
) -> None:
    album = next(a for key, a in sorted(sim_library.albums.items()) if not has_art(key))
    track = sim_library.tracks[sim_library.album_track_keys(album.rating_key)[0]]
    answers = art_types(page)
    page.goto(f"{synced_ui.url}/?exclude_live=false&q={quote(f'{track.title} {album.title}')}")
    row = page.locator(f'#tracks .track[data-rating-key="{track.rating_key}"]')
    expect(row.locator(".track-art img")).to_have_class(LOADED)
    assert answers[f"/api/art/{album.rating_key}?size=64"] == "image/svg+xml"


def test_the_preview_shows_art_too(page: Page, synced_ui: UiApp) -> None:
    page.goto(synced_ui.url)
    expect(page.locator("#tracks .track").first).to_be_visible()
    page.get_by_role("button", name="Build playlist").click()
    builder = page.get_by_role("dialog", name="Build a playlist")
    builder.get_by_role("textbox", name="Number of tracks").fill("4")
    builder.get_by_role("button", name="Pick tracks").click()
    pictures = builder.locator(".preview-track .track-art img")
    expect(pictures).to_have_count(4)
    for index in range(4):
        expect(pictures.nth(index)).to_have_class(LOADED)
    keys = builder.locator(".preview-track").evaluate_all(
        "items => items.map(li => Number(li.dataset.ratingKey))"
    )
    tracks = {t["rating_key"]: t for t in synced_ui.server.tracks(limit=1000)["tracks"]}
    expected = [f"/api/art/{tracks[key]['album_key']}?size=64" for key in keys]
    assert pictures.evaluate_all("imgs => imgs.map(i => i.getAttribute('src'))") == expected
