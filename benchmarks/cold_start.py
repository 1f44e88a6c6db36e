"""Starting the app on a 100,000-track cache, and the browser's first screen of it.

*Cold start*: from spawning ``plexcrate serve`` (a fresh process, a copy of the cache no process
has opened) to its first ``/api/library/status`` answer. Plex is unreachable, as it may well be
when the app starts; the app must not wait for it.

*First render*: Debian's Chromium (headless, through Playwright) opens the app in a fresh
browser context (nothing cached) and the time is taken from the navigation's start to the
moment the first track rows show real tracks: the page's own ``plexcrate:first-render`` mark
(set once the list is filled), checked against the rows being visible.
"""

from __future__ import annotations

import statistics
from pathlib import Path

from benchmarks.harness import (
    Result,
    app_server,
    load_average,
    plexcrate_env,
    synced_cache,
    unreachable_plex,
)

START_TARGET_S = 1.5
RENDER_TARGET_MS = 1500
STARTS = 5
RENDERS = 5
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
FIRST_ROWS = "#tracks .track[data-rating-key]"
RENDERED = "() => performance.getEntriesByName('plexcrate:first-render').length > 0"


def run(tracks: int = 100_000) -> list[Result]:
    name = f"start-up, {tracks:,}-track cache"
    print(f"{name}: {load_average()}", flush=True)
    starts = []
    for _ in range(STARTS):
        env = plexcrate_env(unreachable_plex(), synced_cache(tracks))
        with app_server(env) as server:
            starts.append(server.first_status_s)
    median_start = statistics.median(starts)
    results = [
        Result(
            name,
            f"cold start to the first status answer (median of {STARTS})",
            median_start,
            "s",
            target=f"< {START_TARGET_S} s",
            met=median_start < START_TARGET_S,
        ),
        Result(name, "cold start: slowest", max(starts), "s"),
    ]
    return results + first_render(name, synced_cache(tracks))


def first_render(name: str, data: Path) -> list[Result]:
    if not Path(CHROMIUM).exists():
        print(f"No Chromium at {CHROMIUM}: the first render is not measured.", flush=True)
        return []
    from playwright.sync_api import sync_playwright

    renders = []
    with (
        app_server(plexcrate_env(unreachable_plex(), data)) as server,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for _ in range(RENDERS):
                context = browser.new_context(viewport={"width": 1280, "height": 800})
                page = context.new_page()
                page.goto(server.url)
                page.wait_for_function(RENDERED, timeout=30_000)
                page.locator(FIRST_ROWS).first.wait_for(state="visible", timeout=30_000)
                renders.append(
                    page.evaluate(
                        "performance.getEntriesByName('plexcrate:first-render')[0].startTime"
                    )
                )
                context.close()
        finally:
            browser.close()
    median_render = statistics.median(renders)
    return [
        Result(
            name,
            f"Chromium: navigation to the first track rows (median of {RENDERS})",
            median_render,
            "ms",
            target=f"< {RENDER_TARGET_MS} ms",
            met=median_render < RENDER_TARGET_MS,
        ),
        Result(name, "Chromium: slowest", max(renders), "ms"),
    ]
