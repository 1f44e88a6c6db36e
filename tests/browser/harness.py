"""What the browser tests share: Chromium's path and flags, the page sizes, the CSP the app is
served under, the app wrapper and its traffic log, and a cache filler.

``tests/browser`` is a package, so its conftest never shadows ``tests/conftest.py`` (both would
otherwise be the module ``conftest``); tests import these helpers as ``browser.harness``.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import ConsoleMessage, Locator, Page, expect
from web_harness import AppServer

from plexcrate.cache.database import Database
from plexcrate.config import Settings
from plexcrate.plex.client import PlexClient
from plexcrate.sync.engine import sync_library

CHROMIUM = os.environ.get("PLEXCRATE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
# What the hardening will send: no inline scripts or styles, nothing from elsewhere.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}


@dataclass
class PageErrors:
    messages: list[str] = field(default_factory=list)

    def console(self, message: ConsoleMessage) -> None:
        # Chromium logs every 4xx/5xx answer to fetch(); the tests provoke some on purpose.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.messages.append(message.text)


OpenPage = Callable[..., Page]


@dataclass
class Traffic:
    """What the app answered to the browser, and the writes the browser sent."""

    bodies: list[bytes] = field(default_factory=list)
    writes: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)


class Guard:
    """ASGI middleware for the tests: adds the CSP header, records bodies and writes."""

    def __init__(self, app: Any, traffic: Traffic) -> None:
        self.app = app
        self.traffic = traffic

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
            self.traffic.writes.append((scope["method"], scope["path"], headers))

        async def guarded_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (b"content-security-policy", CSP.encode())]
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body":
                self.traffic.bodies.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, guarded_send)


@dataclass
class UiApp:
    server: AppServer
    traffic: Traffic
    settings: Settings

    @property
    def url(self) -> str:
        return self.server.url


StartUi = Callable[..., UiApp]


def api_json(ui: UiApp, path: str, **params: Any) -> dict[str, Any]:
    """What the app's API answers (200 expected), for the tests to compare the page with."""
    answer = ui.server.http.get(path, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def query_of(page: Page) -> dict[str, list[str]]:
    """The page's address's query string, parsed."""
    return parse_qs(urlsplit(page.url).query)


# --- the page, as the tests move through it ------------------------------------------------------


def open_library(page: Page, ui: UiApp, address: str = "") -> None:
    """Open the page at ``address`` and wait for its first real track row."""
    page.goto(ui.url + address)
    expect(page.locator("#tracks .track:not(.is-placeholder)").first).to_be_visible()


def open_counted(page: Page, ui: UiApp, address: str = "/") -> None:
    """Open the page at ``address`` and wait for the list's count of matches."""
    page.goto(ui.url + address)
    expect(page.locator("#match-count")).to_have_text(re.compile(r"^[\d,]+ "))


def open_builder(page: Page) -> Locator:
    page.get_by_role("button", name="Build playlist").click()
    builder = page.get_by_role("dialog", name="Build a playlist")
    expect(builder).to_be_visible()
    return builder


def open_playlists(page: Page) -> Locator:
    page.get_by_role("button", name="Playlists").click()
    panel = page.get_by_role("dialog", name="Plex playlists")
    expect(panel).to_be_visible()
    return panel


def preview_keys(page: Page) -> list[int]:
    keys = page.locator("#builder .preview-track").evaluate_all(
        "items => items.map(li => Number(li.dataset.ratingKey))"
    )
    return list(keys)


def pick(builder: Locator, count: int) -> list[int]:
    """Pick ``count`` tracks in the builder; the preview's keys, in order."""
    builder.get_by_role("textbox", name="Number of tracks").fill(str(count))
    before = builder.locator("#preview-summary").text_content()
    builder.get_by_role("button", name=re.compile("^Pick")).click()
    expect(builder.locator(".preview-track")).to_have_count(count)
    if before:  # a pick again: wait for its answer, not the old preview of the same length
        expect(builder).not_to_have_attribute("aria-busy", "true")
    return preview_keys(builder.page)


class Clock:
    """A clock for the app's staleness rules that a test can move forward."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


def fill_cache(cache_path: Path, plex_url: str, token: str) -> None:
    """Sync a cache before the app starts, in as few requests as the engine likes."""
    with Database(cache_path) as db, PlexClient(plex_url, token, retry_delay=0) as client:
        sync_library(db, client)


# WCAG 2 contrast of every piece of visible text against what is behind it (the nearest
# background colour up the tree, blended when translucent).
CONTRASTS = """() => {
    const rgba = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
    const linear = (c) => {
        c /= 255;
        return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    };
    const luminance = ([r, g, b]) => 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
    const over = ([r, g, b, a = 1], [R, G, B]) =>
        [r * a + R * (1 - a), g * a + G * (1 - a), b * a + B * (1 - a)];
    function background(el) {
        const layers = [];
        for (let node = el; node; node = node.parentElement) {
            const [r, g, b, a = 1] = rgba(getComputedStyle(node).backgroundColor);
            if (a > 0) layers.push([r, g, b, a]);
            if (a >= 1) break;
        }
        let colour = [15, 17, 21];
        for (const layer of layers.reverse()) colour = over(layer, colour);
        return colour;
    }
    const found = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const el = node.parentElement;
        if (!node.textContent.trim() || !el) continue;
        if (el.closest("[hidden], .visually-hidden, [inert]")) continue;
        if (!el.getClientRects().length) continue;
        const style = getComputedStyle(el);
        if (style.visibility === "hidden" || style.opacity === "0") continue;
        const bg = background(el);
        const fg = over(rgba(style.color), bg);
        const [hi, lo] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
        const ratio = (hi + 0.05) / (lo + 0.05);
        found.push({ text: node.textContent.trim().slice(0, 40), ratio });
    }
    return found;
}"""
