"""The setup screen: no Plex server configured, so the page asks for one, checks it, lets the user
pick music libraries, saves it (owner-only file) and syncs, never sending the token back."""

from __future__ import annotations

import json
import stat

from playwright.sync_api import Page, expect

from browser.harness import PHONE, OpenPage, StartUi, fill_cache
from plexcrate.config import Settings
from plexcrate.simulator import Latency, PlexSimulator, SimLibrary
from plexcrate.simulator.plextv import PlexTvSimulator, connection


def test_setting_up_plex_checks_saves_and_syncs(
    start_ui: StartUi,
    page: Page,
    plex: PlexSimulator,
    sim_library: SimLibrary,
    app_settings: Settings,
) -> None:
    ui = start_ui(plex_url=None, plex_token=None)
    page.goto(ui.url)
    expect(page.get_by_role("heading", name="Connect to your Plex server")).to_be_visible()
    expect(page.locator("#library")).to_be_hidden()
    expect(page.locator("#statusbar")).to_have_text("No Plex server set up")
    url = page.get_by_role("textbox", name="Plex server address")
    token = page.get_by_label("Plex token")
    expect(page.get_by_role("button", name="Sign in with Plex")).to_be_focused()

    # Nothing entered yet: the form says what is missing, without asking the server.
    page.get_by_role("button", name="Check connection").click()
    expect(page.get_by_role("alert")).to_have_text("Enter the address of your Plex server.")

    url.fill(plex.url)
    token.fill("not-the-token")
    page.get_by_role("button", name="Check connection").click()
    expect(page.get_by_role("alert")).to_contain_text("token")

    assert app_settings.plex_token
    token.fill(app_settings.plex_token)
    expect(token).to_have_attribute("type", "password")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(token).to_have_attribute("type", "text")
    page.get_by_role("button", name="Hide", exact=True).click()
    expect(token).to_have_attribute("type", "password")
    page.get_by_role("button", name="Check connection").click()
    expect(page.locator("#setup-connected")).to_have_text(
        f"Connected to “{sim_library.friendly_name}”."
    )
    music = page.get_by_role("checkbox", name="Music")
    expect(music).to_be_checked()
    expect(music).to_be_focused()

    plex.latency = Latency(per_request=0.1)
    page.get_by_role("button", name="Save and sync").click()
    expect(page.get_by_role("dialog", name="Syncing your library…")).to_be_visible()
    expect(page.get_by_role("dialog")).to_be_hidden(timeout=20_000)
    expect(page.locator("#library")).to_be_visible()
    expect(page.locator("#statusbar")).to_have_text("600 tracks · Synced just now · Refresh")

    saved = app_settings.data_dir / "settings.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert json.loads(saved.read_text())["plex_url"] == plex.url
    setup = page.evaluate("fetch('/api/setup').then(r => r.json())")
    assert setup["configured"] is True and setup["plex_url"] == plex.url
    assert "plex_token" not in setup

    # The settings button opens the screen again, with the address and without the token.
    page.get_by_role("button", name="Plex server settings").click()
    expect(page.get_by_role("heading", name="Change the Plex server")).to_be_visible()
    expect(url).to_have_value(plex.url)
    expect(token).to_have_value("")
    page.get_by_role("button", name="Cancel").click()
    expect(page.locator("#library")).to_be_visible()


def test_the_setup_screen_fits_a_phone(new_page: OpenPage, start_ui: StartUi) -> None:
    page = new_page(viewport=PHONE)
    ui = start_ui(plex_url=None, plex_token=None)
    page.goto(ui.url)
    expect(page.get_by_role("heading", name="Connect to your Plex server")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_role("textbox", name="Plex server address").fill("nas.local:32400")
    page.get_by_label("Plex token").fill("abc")
    page.get_by_role("button", name="Check connection").click()
    expect(page.get_by_role("alert")).to_contain_text("http://")
    expect(page.get_by_role("textbox", name="Plex server address")).to_have_attribute(
        "aria-invalid", "true"
    )


def test_without_plex_a_cached_library_can_still_be_browsed(
    start_ui: StartUi, page: Page, plex: PlexSimulator, app_settings: Settings
) -> None:
    assert app_settings.plex_token
    fill_cache(app_settings.cache_path, plex.url, app_settings.plex_token)
    ui = start_ui(plex_url=None, plex_token=None)
    page.goto(ui.url)
    expect(page.get_by_role("heading", name="Connect to your Plex server")).to_be_visible()
    page.get_by_role("button", name="Browse the cached library").click()
    expect(page.locator("#tracks .track").first).to_be_visible()
    footer = page.locator("#statusbar")
    expect(footer).to_have_text("600 tracks · Synced just now · Set up Plex")
    footer.get_by_role("button", name="Set up Plex").click()
    expect(page.get_by_role("heading", name="Connect to your Plex server")).to_be_visible()
    assert ui.server.status()["track_count"] == 600


def test_signing_in_with_plex_takes_three_clicks_and_syncs(
    start_ui: StartUi, page: Page, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    with PlexTvSimulator() as plextv:
        ann = plextv.add_account("ann")
        plextv.add_server("Ann's NAS", plex, owner=ann, connections=[connection(plex.url)])
        ui = start_ui(plex_url=None, plex_token=None, plex_tv_url=plextv.url)
        page.goto(ui.url)
        with page.expect_popup() as opened:
            page.get_by_role("button", name="Sign in with Plex").click()  # 1
        popup = opened.value
        expect(page.locator("#signin-status")).to_have_text(
            "Waiting for you to sign in at plex.tv…"
        )
        popup.get_by_role("button", name="Sign in").click()  # 2: at (the simulated) plex.tv
        expect(page.locator("#signin-account")).to_have_text(
            "Signed in as ann. Choose the server to mirror:"
        )
        page.get_by_role("button", name="Ann's NAS Yours").click()  # 3
        expect(page.get_by_role("dialog")).to_be_hidden(timeout=20_000)
        expect(page.locator("#library")).to_be_visible()
        expect(page.locator("#statusbar")).to_have_text(
            "600 tracks · Synced just now · Plex: ann · Refresh"
        )
        assert ann.token not in page.content()


def test_an_expired_sign_in_says_so_and_can_start_again(
    start_ui: StartUi, page: Page, plex: PlexSimulator
) -> None:
    with PlexTvSimulator() as plextv:
        plextv.add_account("ann")
        ui = start_ui(plex_url=None, plex_token=None, plex_tv_url=plextv.url)
        page.goto(ui.url)
        with page.expect_popup():
            page.get_by_role("button", name="Sign in with Plex").click()
        expect(page.locator("#signin-status")).to_contain_text("Waiting")
        plextv.expire(plextv.latest_pin().id)
        expect(page.get_by_role("alert")).to_have_text(
            "The sign-in took too long and expired. Sign in again."
        )
        expect(page.get_by_role("button", name="Sign in with Plex")).to_be_visible()
