"""Browser tests: the real app (uvicorn on loopback) and the simulator, driven by Debian's
Chromium through Playwright's sync API. Nothing downloads a browser.

Every app these tests start serves the UI under the Content-Security-Policy the hardening will
send (no inline scripts or styles), so a page that needs them fails here first. Teardown checks
that the page logged no error (a CSP violation is one), that every write the page sent was
same-origin JSON, and that the Plex token appeared in no response the browser got.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright
from web_harness import PROBE_INTERVAL, TEST_SYNC_OPTIONS, AppServer

from browser.harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    Guard,
    OpenPage,
    PageErrors,
    StartUi,
    Traffic,
    UiApp,
    fill_cache,
)
from plexcrate.config import Settings
from plexcrate.simulator import PlexSimulator
from plexcrate.web.app import create_app

expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"No Chromium at {CHROMIUM}: `make browser` installs Debian's chromium.")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[OpenPage]:
    """``new_page(viewport=DESKTOP)``: a page in a fresh context; fails the test at teardown if
    the page logged an error or threw."""
    contexts = []
    errors = PageErrors()

    def open_page(viewport: dict[str, int] | None = None, **options: Any) -> Page:
        context = browser.new_context(
            viewport=viewport or DESKTOP, locale="en-US", reduced_motion="reduce", **options
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("console", errors.console)
        page.on("pageerror", lambda error: errors.messages.append(f"uncaught: {error}"))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not errors.messages, f"the page logged errors: {errors.messages}"


@pytest.fixture
def page(new_page: OpenPage) -> Page:
    return new_page()


@pytest.fixture
def start_ui(app_settings: Settings, caplog: pytest.LogCaptureFixture) -> Iterator[StartUi]:
    """``start_ui(clock=time.time, **setting_overrides)``: the app for the browser, stopped at
    teardown, which checks the token never reached the browser and writes were JSON."""
    caplog.set_level(logging.INFO)
    apps: list[UiApp] = []

    def start(clock: Callable[[], float] = time.time, **overrides: Any) -> UiApp:
        settings = replace(app_settings, **overrides)
        app = create_app(
            settings, probe_interval=PROBE_INTERVAL, sync_options=TEST_SYNC_OPTIONS, clock=clock
        )
        traffic = Traffic()
        app.add_middleware(Guard, traffic=traffic)
        ui = UiApp(AppServer(app).start(), traffic, settings)
        apps.append(ui)
        return ui

    yield start
    for ui in reversed(apps):
        ui.server.stop()
    token = app_settings.plex_token
    assert token
    for ui in apps:
        assert not any(token.encode() in body for body in ui.traffic.bodies), "token leaked"
        assert not any(token.encode() in body for body in ui.server.bodies), "token leaked"
        for method, path, headers in ui.traffic.writes:
            assert headers.get("content-type", "").startswith("application/json"), (method, path)
            assert int(headers.get("content-length", "0")) >= 2, f"{method} {path} had no body"
            origin = headers.get("origin")
            assert origin in (None, ui.url), f"{method} {path} came from {origin}"
    assert token not in caplog.text


@pytest.fixture
def synced_ui(start_ui: StartUi, app_settings: Settings, plex: PlexSimulator) -> UiApp:
    """The app over a cache already synced from the simulator (600 tracks)."""
    assert app_settings.plex_token
    fill_cache(app_settings.cache_path, plex.url, app_settings.plex_token)
    return start_ui()
