"""A 100,000-track library: the first screen is up well within 1.5 s, and the list stays small
and quick wherever it is scrolled."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from web_harness import closed_port

from browser.harness import StartUi
from plexcrate.cache.database import Database
from plexcrate.plex.client import PlexClient
from plexcrate.simulator import PlexSimulator, SimLibrary
from plexcrate.sync.engine import sync_library

TRACKS = 100_000
BUDGET_MS = 1500


@pytest.fixture(scope="module")
def big_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    data_dir = tmp_path_factory.mktemp("big")
    lib = SimLibrary.generate(tracks=TRACKS, seed=1)
    with (
        PlexSimulator(lib, token="big", strict=True) as sim,
        Database(data_dir / "library_cache.db") as db,
        PlexClient(sim.url, "big") as client,
    ):
        sync_library(db, client)
    yield data_dir


def test_the_first_screen_of_a_100k_library_is_quick(
    start_ui: StartUi, page: Page, big_data_dir: Path
) -> None:
    # Plex is away (nothing to sync, nothing to change the cache): just the cache, served.
    ui = start_ui(data_dir=big_data_dir, plex_url=f"http://127.0.0.1:{closed_port()}")
    total = ui.server.tracks()["total"]
    page.goto(ui.url)  # a first visit warms nothing the test relies on; measure a fresh load
    rendered = "() => performance.getEntriesByName('plexcrate:first-render').length > 0"
    page.wait_for_function(rendered)
    page.reload()
    page.wait_for_function(rendered)
    took = page.evaluate("performance.getEntriesByName('plexcrate:first-render')[0].startTime")
    print(f"first render: {took:.0f} ms")
    assert took < BUDGET_MS, f"first render took {took:.0f} ms"
    expect(page.locator("#match-count")).to_have_text(f"{total:,} tracks")
    expect(page.locator("#statusbar")).to_contain_text(f"{TRACKS:,} tracks")
    rows = page.locator("#tracks .track:not([hidden])")
    assert rows.count() < 40

    # Jump to the middle: that page is fetched alone, and the DOM stays a screenful.
    middle = total // 2
    page.evaluate(
        """(index) => {
            const list = document.getElementById("tracks");
            const row = parseFloat(getComputedStyle(list).getPropertyValue("--row-h"));
            window.scrollTo(0, list.getBoundingClientRect().top + window.scrollY + index * row);
        }""",
        middle,
    )
    track = ui.server.tracks(offset=middle, limit=1)["tracks"][0]
    expect(page.locator(f'#tracks .track[aria-posinset="{middle + 1}"]')).to_contain_text(
        track["title"]
    )
    assert rows.count() < 40
