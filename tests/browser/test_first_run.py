"""The first run: an empty cache, a blocking modal that counts the sync up, then the library."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from web_harness import closed_port

from browser.harness import StartUi
from plexcrate.simulator import Latency, PlexSimulator, SimLibrary

# One request at a time, half a second a page of tracks: the 600-track test library takes about
# four seconds, long enough to watch the modal count it up (it polls every second).
SLOW = Latency(per_request=0.05, per_item=0.004, max_concurrent=1)
QUICK = Latency(per_request=0.1)


def record_texts(page: Page, selector: str) -> None:
    """Keep every text the element shows from now on in ``window.seenTexts``."""
    page.evaluate(
        """(selector) => {
            const el = document.querySelector(selector);
            window.seenTexts = [el.textContent];
            new MutationObserver(() => window.seenTexts.push(el.textContent))
                .observe(el, { childList: true, characterData: true, subtree: true });
        }""",
        selector,
    )


def counts_seen(page: Page) -> list[int]:
    texts = page.evaluate("window.seenTexts")
    found = [re.match(r"([\d,]+) of 600 tracks", text) for text in texts]
    return [int(m.group(1).replace(",", "")) for m in found if m]


def test_the_first_run_modal_counts_the_sync_up_and_gives_way_to_the_library(
    start_ui: StartUi, page: Page, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    plex.latency = SLOW
    ui = start_ui()
    page.goto(ui.url)

    dialog = page.get_by_role("dialog", name="Syncing your library…")
    expect(dialog).to_be_visible()
    record_texts(page, "#sync-detail")
    expect(dialog).to_have_attribute("aria-modal", "true")
    expect(page.locator("#sync-detail")).to_have_text(re.compile(r"^[\d,]+ of 600 tracks$"))
    expect(dialog.get_by_role("progressbar")).to_have_attribute("aria-valuenow", re.compile(r"\d"))
    # The library behind the modal can't be reached: it is inert while the modal is up.
    assert page.evaluate("document.getElementById('app').inert") is True
    assert page.evaluate("document.getElementById('sync-modal').contains(document.activeElement)")
    page.keyboard.press("Tab")
    assert page.evaluate("document.getElementById('sync-modal').contains(document.activeElement)")
    page.keyboard.press("Escape")  # it can't be dismissed while the sync runs
    expect(dialog).to_be_visible()

    expect(dialog).to_be_hidden(timeout=20_000)
    counts = counts_seen(page)
    assert len(set(counts)) >= 2, f"the modal should count up, it showed {counts}"
    assert counts == sorted(counts)
    assert page.evaluate("document.getElementById('app').inert") is False
    everything = ui.server.tracks(exclude_live="false", limit=1000)["tracks"]
    live = sum(1 for track in everything if track["is_live"])
    expect(page.locator("#match-count")).to_have_text(f"{600 - live} tracks")
    expect(page.locator("#tracks .track").first).to_contain_text(
        ui.server.tracks(limit=1)["tracks"][0]["title"]
    )
    expect(page.locator("#statusbar")).to_contain_text("600 tracks · Synced just now · Refresh")
    assert ui.server.status()["sync_reason"] == "manual"


def test_a_failed_first_sync_says_why_and_retry_finishes_it(
    start_ui: StartUi, page: Page, plex: PlexSimulator
) -> None:
    plex.faults.inject("status", status=500, times=None)  # every track page fails
    ui = start_ui()
    page.goto(ui.url)

    dialog = page.get_by_role("dialog", name="Sync failed")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("alert")).to_contain_text("500")
    retry = dialog.get_by_role("button", name="Retry")
    expect(retry).to_be_focused()
    expect(page.locator("#statusbar")).to_contain_text("Sync failed · Retry")

    plex.faults.clear()
    plex.latency = QUICK
    retry.click()
    expect(page.get_by_role("dialog", name="Syncing your library…")).to_be_visible()
    expect(page.get_by_role("dialog")).to_be_hidden(timeout=20_000)
    expect(page.locator("#statusbar")).to_contain_text("600 tracks · Synced just now")
    assert ui.server.status()["error"] is None


def test_closing_a_failed_first_sync_leaves_retry_in_the_footer(
    start_ui: StartUi, page: Page, plex: PlexSimulator
) -> None:
    plex.faults.inject("status", status=500, times=None)
    ui = start_ui()
    page.goto(ui.url)
    dialog = page.get_by_role("dialog", name="Sync failed")
    expect(dialog).to_be_visible()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # focus cycles inside the dialog: back to Retry
    expect(dialog.get_by_role("button", name="Retry")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    footer = page.locator("#statusbar")
    expect(footer).to_contain_text("Sync failed · Retry")
    expect(page.locator("#results-message")).to_contain_text("hasn't been synced yet")
    plex.faults.clear()
    footer.get_by_role("button", name="Retry").click()
    expect(footer).to_contain_text("600 tracks · Synced just now · Refresh", timeout=20_000)
    assert ui.server.status()["track_count"] == 600


def test_a_plex_that_does_not_answer_shows_its_address_and_the_error_at_once(
    start_ui: StartUi, page: Page
) -> None:
    """PLEX_URL set in the environment, and wrong: the page says where it asked, what went
    wrong, and which variable to change, without waiting for a sync to fail."""
    port = closed_port()
    ui = start_ui(plex_url=f"http://127.0.0.1:{port}", plex_source="env")
    page.goto(ui.url)
    message = page.locator("#results-message")
    expect(message).to_contain_text("Your library hasn't been synced yet: Plex isn't answering.")
    url = f"http://127.0.0.1:{port}"
    expect(message).to_contain_text(
        f"Cannot reach Plex at {url}: connection refused (while asking who it is)."
    )
    expect(message).to_contain_text(
        "PLEX_URL is set in the environment: change it there (and PLEX_TOKEN, if that is wrong "
        "too) and restart plexcrate."
    )
    expect(message.get_by_role("button", name="Change the Plex server")).to_have_count(0)
    expect(page.get_by_role("dialog")).to_have_count(0)  # no sync was started to find out


def test_a_saved_plex_that_does_not_answer_can_be_changed_from_the_message(
    start_ui: StartUi, page: Page, plex: PlexSimulator
) -> None:
    port = closed_port()
    ui = start_ui(plex_url=f"http://127.0.0.1:{port}", plex_source="file")
    page.goto(ui.url)
    message = page.locator("#results-message")
    expect(message).to_contain_text(f"Cannot reach Plex at http://127.0.0.1:{port}")
    message.get_by_role("button", name="Change the Plex server").click()
    expect(page.get_by_role("heading", name="Change the Plex server")).to_be_visible()
    expect(page.get_by_role("textbox", name="Plex server address")).to_have_value(
        f"http://127.0.0.1:{port}"
    )
