"""The status bar in each state, relative times, Refresh, failures and Retry, Plex offline,
a changed server, and the page's own refresh of a stale cache."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Locator, Page, expect
from web_harness import set_synced_at

from browser.harness import Clock, StartUi, UiApp, fill_cache
from plexcrate.config import Settings
from plexcrate.simulator import Latency, PlexSimulator, SimLibrary

HOUR = 3600
SLOW = Latency(per_request=0.05, per_item=0.002, max_concurrent=1)
# A fault on the list of music sections, which every sync (full or incremental) reads first,
# and the probe (/identity) never does: Plex looks online, but syncs fail.
SECTIONS = "/library/sections"


def filled(settings: Settings, plex: PlexSimulator, synced_hours_ago: float = 0) -> None:
    assert settings.plex_token
    fill_cache(settings.cache_path, plex.url, settings.plex_token)
    if synced_hours_ago:
        set_synced_at(settings.cache_path, time.time() - synced_hours_ago * HOUR)


def sync_runs(plex: PlexSimulator) -> int:
    return sum(1 for record in plex.requests if record.path == SECTIONS)


def test_relative_times_read_naturally(start_ui: StartUi, page: Page) -> None:
    ui = start_ui(plex_url=None, plex_token=None)
    page.goto(ui.url)
    seconds = {
        "0": 0, "30 s": 30, "70 s": 70, "5 min": 300, "44 min": 44 * 60, "50 min": 50 * 60,
        "2 h": 2 * HOUR, "21 h": 21 * HOUR, "23 h": 23 * HOUR, "40 h": 40 * HOUR,
        "3 d": 72 * HOUR, "8 d": 8 * 24 * HOUR, "20 d": 20 * 24 * HOUR, "45 d": 45 * 24 * HOUR,
        "100 d": 100 * 24 * HOUR, "400 d": 400 * 24 * HOUR, "800 d": 800 * 24 * HOUR,
        "ahead": -90,
    }  # fmt: skip
    said = page.evaluate(
        """async (cases) => {
            const { relativeTime } = await import("/js/format.js");
            const now = Date.parse("2026-03-10T12:00:00Z");
            return Object.fromEntries(Object.entries(cases).map(
                ([name, s]) => [name, relativeTime(new Date(now - s * 1000).toISOString(), now)]));
        }""",
        seconds,
    )
    assert said == {
        "0": "just now", "30 s": "just now", "70 s": "a minute ago", "5 min": "5 minutes ago",
        "44 min": "44 minutes ago", "50 min": "an hour ago", "2 h": "2 hours ago",
        "21 h": "21 hours ago", "23 h": "yesterday", "40 h": "yesterday", "3 d": "3 days ago",
        "8 d": "last week", "20 d": "2 weeks ago", "45 d": "last month",
        "100 d": "3 months ago", "400 d": "last year", "800 d": "2 years ago",
        "ahead": "just now",
    }  # fmt: skip
    formatted = page.evaluate(
        """async () => {
            const f = await import("/js/format.js");
            return [f.formatDuration(227272), f.formatDuration(3723000), f.formatLength(12060000),
                    f.starsLabel(7), f.starsLabel(2), f.starsLabel(1), f.minRatingLabel(0),
                    f.minRatingLabel(8), f.formatCount(18432)];
        }"""
    )
    assert formatted == [
        "3:47", "1:02:03", "3 h 21 min", "3½ stars", "1 star", "½ star", "Any rating",
        "4 stars or more", "18,432",
    ]  # fmt: skip


def test_the_footer_counts_tracks_and_says_when_they_were_synced_and_keeps_it_current(
    start_ui: StartUi, page: Page, app_settings: Settings, plex: PlexSimulator
) -> None:
    filled(app_settings, plex, synced_hours_ago=2)
    ui = start_ui()
    page.clock.set_fixed_time(time.time())
    page.goto(ui.url)
    footer = page.locator("#statusbar")
    expect(footer).to_have_text("600 tracks · Synced 2 hours ago · Refresh")
    expect(footer.get_by_role("button", name="Refresh")).to_be_visible()

    # The page stays open; a day goes by.
    page.clock.set_fixed_time(time.time() + 22 * HOUR)
    expect(footer).to_have_text("600 tracks · Synced yesterday · Refresh")
    assert sync_runs(plex) == 1  # only fill_cache's


def synced_page(
    start_ui: StartUi, page: Page, settings: Settings, plex: PlexSimulator
) -> tuple[UiApp, Locator]:
    """The app over a freshly synced cache, open in ``page``; its status bar."""
    filled(settings, plex)
    ui = start_ui()
    page.goto(ui.url)
    footer = page.locator("#statusbar")
    expect(footer).to_have_text("600 tracks · Synced just now · Refresh")
    return ui, footer


def test_refresh_syncs_in_the_background_while_the_page_stays_usable(
    start_ui: StartUi, page: Page, app_settings: Settings, plex: PlexSimulator
) -> None:
    ui, footer = synced_page(start_ui, page, app_settings, plex)
    expect(page.locator("#tracks .track").first).to_be_visible()  # the list has its rows
    page.evaluate("window.firstRow = document.querySelector('#tracks .track')")

    plex.latency = SLOW
    assert ui.server.http.post("/api/library/sync", json={"full": True}).status_code == 200
    expect(footer).to_have_text(re.compile(r"^600 tracks · Syncing… \d{1,2}%$"))
    expect(page.get_by_role("dialog")).to_have_count(0)  # a background sync never blocks
    # The page stays usable: filtering works while the sync runs.
    count = page.locator("#match-count")
    before = count.inner_text()
    page.locator("#filters").get_by_role("button", name=re.compile("^1990s")).click()
    expect(count).not_to_have_text(before)
    expect(footer).to_have_text("600 tracks · Synced just now · Refresh", timeout=20_000)
    # The status polls redrew the footer only: the list's rows are the same elements.
    assert page.evaluate("window.firstRow === document.querySelector('#tracks .track')")

    plex.latency = Latency(per_request=0.1)
    runs = sync_runs(plex)
    footer.get_by_role("button", name="Refresh").click()
    expect(footer).to_contain_text("Syncing…")
    expect(footer).to_have_text("600 tracks · Synced just now · Refresh", timeout=20_000)
    assert sync_runs(plex) == runs + 1
    assert ui.server.status()["sync_reason"] == "manual"


def test_a_failed_sync_says_so_and_retry_recovers(
    start_ui: StartUi, page: Page, app_settings: Settings, plex: PlexSimulator
) -> None:
    filled(app_settings, plex, synced_hours_ago=5)
    ui = start_ui()
    page.goto(ui.url)
    footer = page.locator("#statusbar")
    expect(footer).to_contain_text("Synced 5 hours ago · Refresh")

    plex.faults.inject("status", path=SECTIONS, params=None, status=500, times=None)
    footer.get_by_role("button", name="Refresh").click()
    expect(footer.locator(".status-line")).to_have_text("600 tracks · Sync failed · Retry")
    expect(footer.locator(".status-detail")).to_contain_text("500")
    expect(page.locator("#tracks .track").first).to_be_visible()  # the cache is still served

    plex.faults.clear()
    footer.get_by_role("button", name="Retry").click()
    expect(footer).to_have_text("600 tracks · Synced just now · Refresh", timeout=20_000)
    assert ui.server.status()["error"] is None


def test_a_sync_that_would_empty_the_library_is_held_back_until_confirmed(
    start_ui: StartUi, page: Page, app_settings: Settings, plex: PlexSimulator
) -> None:
    ui, footer = synced_page(start_ui, page, app_settings, plex)

    empty = SimLibrary.generate(tracks=0, seed=3)  # the same server, its music folder gone
    empty.set_machine_identifier(plex.lib.machine_identifier)
    plex.swap_library(empty)
    footer.get_by_role("button", name="Refresh").click()
    expect(footer.locator(".status-line")).to_have_text("600 tracks · Sync held back · Sync anyway")
    expect(footer.locator(".status-detail")).to_contain_text(
        "Plex now lists 0 tracks where the cache holds 600"
    )
    expect(page.locator("#tracks .track").first).to_be_visible()  # the library is still there

    footer.get_by_role("button", name="Sync anyway").click()
    expect(footer).to_have_text("No tracks · Synced just now · Refresh", timeout=20_000)
    assert ui.server.status()["track_count"] == 0


def test_plex_offline_shows_the_cached_library_with_a_warning(
    start_ui: StartUi, page: Page, app_settings: Settings, plex: PlexSimulator
) -> None:
    filled(app_settings, plex)
    plex.port = int(plex.url.rsplit(":", 1)[1])  # so it comes back on the same port
    ui = start_ui()
    page.goto(ui.url)
    warning = page.locator("#statusbar .offline-chip")
    expect(page.locator("#statusbar")).to_contain_text("600 tracks · Synced just now")
    expect(warning).to_be_hidden()

    plex.stop()
    expect(warning).to_have_text("Plex offline — showing cached library")
    expect(page.locator("#statusbar .status-line")).to_have_text(
        "600 tracks · Synced just now · Refresh"
    )
    page.locator("#filters").get_by_role("button", name=re.compile("^1990s")).click()
    expected = ui.server.tracks(decade="1990s")["total"]
    expect(page.locator("#match-count")).to_have_text(f"{expected} matching tracks")

    plex.start()
    expect(warning).to_be_hidden()


def test_an_empty_cache_waits_for_plex_then_syncs_by_itself(
    start_ui: StartUi, page: Page, plex: PlexSimulator
) -> None:
    plex.port = int(plex.url.rsplit(":", 1)[1])
    plex.stop()
    ui = start_ui()
    page.goto(ui.url)
    footer = page.locator("#statusbar")
    expect(footer.locator(".status-line")).to_have_text("Not synced · Sync now")
    expect(footer.locator(".offline-chip")).to_have_text("Plex offline")
    expect(page.locator("#results-message")).to_contain_text("hasn't been synced yet")
    expect(page.get_by_role("dialog")).to_have_count(0)

    plex.start()
    expect(footer).to_have_text("600 tracks · Synced just now · Refresh", timeout=20_000)
    assert ui.server.status()["sync_reason"] == "manual"


def test_a_stale_cache_is_refreshed_by_the_page_when_the_server_did_not(
    start_ui: StartUi, page: Page, app_settings: Settings, plex: PlexSimulator
) -> None:
    filled(app_settings, plex)
    clock = Clock()
    ui = start_ui(clock=clock)
    ui.server.wait_for_status(lambda s: s["plex_connected"])
    assert not ui.server.status()["is_stale"]
    # Two days later, the app has been running all along: its start check found the cache
    # fresh, and it does not check again by itself.
    clock.offset = 48 * HOUR
    assert ui.server.status()["is_stale"]
    runs = sync_runs(plex)

    plex.latency = Latency(per_request=0.2)
    page.goto(ui.url)
    footer = page.locator("#statusbar")
    expect(footer).to_contain_text("Syncing…")
    clock.offset = 0
    expect(footer).to_have_text("600 tracks · Synced just now · Refresh", timeout=20_000)
    assert sync_runs(plex) == runs + 1
    assert ui.server.status()["sync_reason"] == "manual"


def test_a_changed_plex_server_is_explained(
    start_ui: StartUi,
    page: Page,
    app_settings: Settings,
    plex: PlexSimulator,
    sim_library: SimLibrary,
) -> None:
    filled(app_settings, plex)
    sim_library.set_machine_identifier("another-server")
    plex.latency = Latency(per_request=0.1)
    ui = start_ui()
    page.goto(ui.url)
    notice = page.locator("#statusbar .notice")
    expect(notice).to_contain_text("is now")
    expect(notice).to_contain_text("previous server's tracks were cleared")
    footer = page.locator("#statusbar")
    expect(footer).to_contain_text("600 tracks · Synced just now", timeout=20_000)
    assert ui.server.status()["sync_reason"] == "server_changed"

    notice.get_by_role("button", name="Dismiss this notice").click()
    expect(notice).to_have_count(0)


def test_the_footer_says_when_plexcrate_itself_stops_answering(
    start_ui: StartUi, page: Page, app_settings: Settings, plex: PlexSimulator
) -> None:
    filled(app_settings, plex)
    ui = start_ui()
    page.goto(ui.url)
    footer = page.locator("#statusbar")
    expect(footer).to_contain_text("600 tracks · Synced just now")
    ui.server.stop()
    expect(footer).to_have_text("plexcrate is not answering · retrying…")
    ui.server.stop = lambda: None  # type: ignore[method-assign]  # already stopped


def test_the_page_starts_a_sync_itself_only_when_it_should(start_ui: StartUi, page: Page) -> None:
    ui = start_ui(plex_url=None, plex_token=None)
    page.goto(ui.url)
    decided = page.evaluate(
        """async () => {
            const { autoSyncReason, newMemory, remember } = await import("/js/autosync.js");
            const base = { plex_configured: true, plex_connected: true, is_syncing: false,
                           track_count: 600, synced_at: "2026-03-10T12:00:00Z", is_stale: false };
            const empty = { ...base, track_count: 0, synced_at: null };
            const stale = { ...base, is_stale: true };
            const memory = newMemory();
            const seen = {
                fresh: autoSyncReason(base, memory, 0),
                unconfigured: autoSyncReason({ ...empty, plex_configured: false }, memory, 0),
                offline: autoSyncReason({ ...empty, plex_connected: false }, memory, 0),
                syncing: autoSyncReason({ ...empty, is_syncing: true }, memory, 0),
                empty: autoSyncReason(empty, memory, 0),
                emptyLibrary: autoSyncReason({ ...empty, synced_at: base.synced_at }, memory, 0),
                stale: autoSyncReason(stale, memory, 0),
            };
            remember(memory, "first-run", empty, 0);
            seen.emptyAgain = autoSyncReason(empty, memory, 0);
            remember(memory, "stale", stale, 0);
            seen.staleAgain = autoSyncReason(stale, memory, 1000);
            const later = { ...stale, synced_at: "2026-03-10T13:00:00Z" };
            seen.staleAfterASyncSoon = autoSyncReason(later, memory, 10 * 60 * 1000);
            seen.staleAfterAnHour = autoSyncReason(later, memory, 61 * 60 * 1000);
            return seen;
        }"""
    )
    assert decided == {
        "fresh": None, "unconfigured": None, "offline": None, "syncing": None,
        "empty": "first-run", "emptyLibrary": None, "stale": "stale",
        "emptyAgain": None, "staleAgain": None, "staleAfterASyncSoon": None,
        "staleAfterAnHour": "stale",
    }  # fmt: skip
