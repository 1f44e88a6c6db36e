"""Screenshots of the browser UI's main states, at desktop and phone width, for the README.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--tracks 20000]

Starts the bundled Plex simulator with a synthetic library and the app against it (in this
process, on loopback ports), drives Debian's Chromium through Playwright to each state, and
writes PNGs: the first-run sync modal mid-sync, the library with filters, the album grid, an
album's and an artist's page, the whole filter panel, the light theme, the playlist builder's
preview, a background sync, a failed sync, Plex offline, and the setup screen. Nothing is
downloaded; the machine's network may be closed.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import re
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import uvicorn
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from plexcrate.config import Settings
from plexcrate.simulator import Latency, PlexSimulator, SimLibrary
from plexcrate.web.app import create_app
from plexcrate.web.server import bind, url_of

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]
TOKEN = "screenshot-token"
SEARCHED = "sil"  # finds artists, albums and tracks in the simulator's library of seed 1
SEED = 1
# Slow enough that the first sync can be caught halfway.
SLOW_SYNC = Latency(per_request=0.05, per_item=0.002)


@dataclass(frozen=True)
class Viewport:
    name: str
    width: int
    height: int


DESKTOP = Viewport("desktop", 1280, 800)
PHONE = Viewport("phone", 375, 812)
TALL = Viewport("desktop", 1280, 1500)  # the whole filter panel at once

# Every picture on screen has arrived (the grid asks for them once the scrolling pauses).
PICTURES_IN = """() => [...document.querySelectorAll('main img')]
    .filter((img) => img.getClientRects().length && img.getBoundingClientRect().top < innerHeight)
    .every((img) => img.complete && img.classList.contains('is-loaded'))"""


@contextlib.contextmanager
def running_app(settings: Settings) -> Iterator[str]:
    """The app under uvicorn on a loopback port, in a thread; yields its URL."""
    sock = bind("127.0.0.1", 0)
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, probe_interval=0.5), log_config=None)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the app did not start")
        time.sleep(0.02)
    try:
        yield url_of(sock)
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()


class Shooter:
    def __init__(self, browser: Browser, out: Path) -> None:
        self.browser = browser
        self.out = out
        self.written: list[Path] = []

    def page(self, viewport: Viewport, color_scheme: str = "dark") -> Page:
        context = self.browser.new_context(
            viewport={"width": viewport.width, "height": viewport.height},
            device_scale_factor=1,
            locale="en-US",
            reduced_motion="reduce",
            color_scheme=color_scheme,  # type: ignore[arg-type]
        )
        page = context.new_page()
        page.set_default_timeout(30_000)
        return page

    def shoot(
        self, page: Page, viewport: Viewport, name: str, element: Locator | None = None
    ) -> None:
        """The page (or only ``element``) as ``{viewport}-{name}.png``."""
        page.wait_for_function(PICTURES_IN)
        page.wait_for_timeout(350)  # let the last transitions settle
        path = self.out / f"{viewport.name}-{name}.png"
        (element or page).screenshot(path=str(path))
        self.written.append(path)
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def library_states(shooter: Shooter, viewport: Viewport, tracks: int) -> None:
    """One run of the main flow on a fresh cache: first run, library, builder, footer states."""
    lib = SimLibrary.generate(tracks=tracks, seed=SEED)
    with (
        tempfile.TemporaryDirectory() as data_dir,
        PlexSimulator(lib, token=TOKEN) as plex,
    ):
        plex.port = int(plex.url.rsplit(":", 1)[1])
        settings = Settings(plex_url=plex.url, plex_token=TOKEN, data_dir=Path(data_dir))
        with running_app(settings) as url:
            page = shooter.page(viewport)

            # First run: the modal, caught a third of the way through.
            plex.latency = SLOW_SYNC
            page.goto(url)
            detail = page.locator("#sync-detail")
            expect(detail).to_have_text(re.compile(r"^[\d,]+ of [\d,]+ tracks$"))
            page.wait_for_function(
                """() => {
                    const m = /^([\\d,]+) of ([\\d,]+)/.exec(
                        document.querySelector('#sync-detail').textContent);
                    const n = (text) => Number(text.replace(/,/g, ''));
                    return m && n(m[1]) > 0.3 * n(m[2]);
                }"""
            )
            shooter.shoot(page, viewport, "first-run")
            plex.latency = None
            expect(page.get_by_role("dialog")).to_be_hidden(timeout=120_000)

            # The library, filtered.
            page.goto(f"{url}/?genre=Rock&genre=Jazz&decade=1970s&decade=1990s&min_rating=6")
            expect(page.locator("#tracks .track:not(.is-placeholder)").first).to_be_visible()
            shooter.shoot(page, viewport, "library")

            browse_states(shooter, page, viewport, url)
            search_state(shooter, page, viewport, url)

            # The playlist builder, with a preview.
            page.goto(f"{url}/?genre=Rock&genre=Jazz&decade=1970s&decade=1990s&min_rating=6")
            expect(page.locator("#tracks .track:not(.is-placeholder)").first).to_be_visible()
            page.get_by_role("button", name="Build playlist").click()
            builder = page.get_by_role("dialog", name="Build a playlist")
            builder.get_by_role("textbox", name="Number of tracks").fill("25")
            builder.get_by_role("checkbox", name="Favour higher ratings").check()
            builder.get_by_role("checkbox", name="At most 2 tracks per artist").check()
            builder.get_by_role("button", name="Pick tracks").click()
            expect(builder.locator(".preview-track")).to_have_count(25)
            if viewport is PHONE:
                builder.locator("#preview-heading").scroll_into_view_if_needed()
            shooter.shoot(page, viewport, "playlist")
            builder.locator("#save-form").scroll_into_view_if_needed()
            builder.get_by_role("button", name="Save to Plex").click()
            expect(builder.get_by_role("status")).to_contain_text("Saved")
            shooter.shoot(page, viewport, "playlist-saved")
            page.keyboard.press("Escape")

            # A background sync, in the footer.
            page.goto(url)
            expect(page.locator("#tracks .track:not(.is-placeholder)").first).to_be_visible()
            plex.latency = SLOW_SYNC
            page.evaluate(
                """() => fetch('/api/library/sync', {method: 'POST',
                    headers: {'Content-Type': 'application/json'}, body: '{"full": true}'})"""
            )
            expect(page.locator("#statusbar")).to_contain_text(re.compile(r"Syncing… [1-9]\d%"))
            shooter.shoot(page, viewport, "syncing")
            plex.latency = None
            expect(page.locator("#statusbar")).to_contain_text("Synced just now", timeout=120_000)

            # A failed sync.
            plex.faults.inject("status", path="/library/sections", params=None, times=None)
            page.get_by_role("button", name="Refresh").click()
            expect(page.locator("#statusbar")).to_contain_text("Sync failed")
            shooter.shoot(page, viewport, "sync-failed")
            plex.faults.clear()
            page.get_by_role("button", name="Retry").click()
            expect(page.locator("#statusbar")).to_contain_text("Synced just now")

            # Plex offline.
            plex.stop()
            expect(page.locator("#statusbar .offline-chip")).to_be_visible()
            shooter.shoot(page, viewport, "offline")
            page.context.close()


def search_state(shooter: Shooter, page: Page, viewport: Viewport, url: str) -> None:
    """The search box's dropdown as you type: artists, albums and tracks, the first chosen."""
    page.goto(url)
    expect(page.locator("#tracks .track:not(.is-placeholder)").first).to_be_visible()
    box = page.get_by_role("combobox", name="Search tracks")
    box.press_sequentially(SEARCHED, delay=60)
    results = page.get_by_role("listbox", name="Search results")
    expect(results.get_by_role("group", name="Tracks")).to_be_visible()
    box.press("ArrowDown")
    page.wait_for_function(
        """() => [...document.querySelectorAll('#search-results img')]
            .every((img) => img.complete && img.classList.contains('is-loaded'))"""
    )
    shooter.shoot(page, viewport, "search")
    box.press("Escape")


def browse_states(shooter: Shooter, page: Page, viewport: Viewport, url: str) -> None:
    """The album grid, an album's page, its artist's page, the filter panel, the light theme."""
    page.goto(f"{url}/albums?genre=Jazz&sort=-year")
    expect(page.locator("#albums .card:not(.is-placeholder)").first).to_be_visible()
    shooter.shoot(page, viewport, "albums")

    page.locator("#albums .card .card-title").nth(1).click()
    expect(page.locator("#detail .track").first).to_be_visible()
    shooter.shoot(page, viewport, "album")
    page.locator("#detail .detail-artist").click()
    expect(page.locator("#detail .card").first).to_be_visible()
    shooter.shoot(page, viewport, "artist")

    # Every kind of filter at once: chips, typed artists, the years, played, the kinds with
    # a search inside (styles and moods once the library has them).
    artist = page.locator("#detail .detail-title").text_content() or ""
    filtered = (
        f"{url}/?genre=Jazz&genre=Soul&exclude_genre=Pop&exclude_artist={quote(artist)}"
        "&year_min=1965&year_max=1995&played=never&min_rating=4"
    )
    if viewport is PHONE:
        page.goto(filtered)
        page.locator("#filters-toggle").click()
        expect(page.locator("#filters")).to_be_visible()
        page.locator("#filters").evaluate("el => el.scrollTo(0, el.scrollHeight / 3)")
        shooter.shoot(page, viewport, "filters")
        page.get_by_role("button", name="Show the tracks").click()
    else:
        tall = shooter.page(TALL)
        tall.goto(filtered)
        expect(tall.locator("#tracks .track").first).to_be_visible()
        for kind in ("Styles", "Moods", "Album types"):
            section = tall.get_by_role("button", name=re.compile(f"^{kind}"))
            section.click()
            # A kind the library has none of (the simulator's styles and moods, so far) closes.
            body = tall.locator(f"#{section.get_attribute('aria-controls')}")
            expect(body.locator(".chip, p.muted:not([hidden])").first).to_be_visible()
            if body.locator(".chip").count() == 0:
                section.click()
        # The whole panel, not the part its scrolling column shows.
        panel = tall.locator("#filters")
        panel.evaluate(
            """el => {
                document.querySelector('#statusbar').style.visibility = 'hidden';
                Object.assign(el.style, {position: 'static', maxHeight: 'none'});
                el.style.padding = '8px 20px';
            }"""
        )
        shooter.shoot(tall, TALL, "filters", element=panel)
        tall.context.close()

    light = shooter.page(viewport, color_scheme="light")
    light.goto(f"{url}/albums?sort=-added")
    expect(light.locator("#albums .card:not(.is-placeholder)").first).to_be_visible()
    shooter.shoot(light, viewport, "light")
    light.context.close()


def setup_state(shooter: Shooter, viewport: Viewport) -> None:
    lib = SimLibrary.generate(tracks=200, seed=SEED, music_sections=2)
    with (
        tempfile.TemporaryDirectory() as data_dir,
        PlexSimulator(lib, token=TOKEN) as plex,
        running_app(Settings(data_dir=Path(data_dir))) as url,
    ):
        page = shooter.page(viewport)
        page.goto(url)
        page.get_by_role("textbox", name="Plex server address").fill(plex.url)
        page.get_by_label("Plex token").fill(TOKEN)
        page.get_by_role("button", name="Check connection").click()
        expect(page.locator("#setup-connected")).to_contain_text("Connected to")
        if viewport is PHONE:
            page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        shooter.shoot(page, viewport, "setup")
        page.context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--tracks", type=int, default=20_000)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.WARNING)
    expect.set_options(timeout=30_000)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        shooter = Shooter(browser, args.out)
        for viewport in (DESKTOP, PHONE):
            library_states(shooter, viewport, args.tracks)
            setup_state(shooter, viewport)
        browser.close()
    print(f"{len(shooter.written)} screenshots in {args.out}")


if __name__ == "__main__":
    main()
