"""The browser on a 100,000-track library: the first render of the track list and of the album
grid, and scrolling through them while album art comes from a slow Plex.

The app (``plexcrate serve``) runs over a synced copy of the cache with the simulator as its
Plex, every request of which takes ``ART_LATENCY`` seconds: each picture not on disk yet costs
that much. Debian's Chromium (headless, through Playwright) opens the view in a fresh context
and scrolls it from inside the page, step after step, waiting after each step for the item at
the top of the viewport to show (the *title latency*); every few steps it pauses as a reader
would, so the pictures of that screen are asked for and queue behind the slow Plex. Frames are
timed the whole while with a ``requestAnimationFrame`` loop.

Each view is scrolled twice: with the slow art (an empty art folder), then with every art
request refused by the browser. "Art never blocks scrolling" holds when the first run's title
latencies and frame times match the second's, within noise, and no more than a few pictures are
loading at once.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.cold_start import CHROMIUM, CHROMIUM_ARGS, RENDERED
from benchmarks.harness import (
    Latency,
    Result,
    app_server,
    load_average,
    percentiles,
    plexcrate_env,
    simulator,
    synced_cache,
)

RENDER_TARGET_MS = 1500
RENDERS = 3  # fresh page loads per view; the median is reported
ART_LATENCY = 0.3  # seconds for every Plex request, pictures included
MAX_ART_LOADING = 3  # what plex.js allows at once
VIEWS = {
    # view: (address, grid, steps, pixels a step): about 20,000 tracks, or the whole album grid
    "tracks": ("/", "#tracks", 150, 8_000),
    "albums": ("/albums", "#albums", 130, 2_000),
}
PAUSE_EVERY = 5  # steps; the reader's pause lets the pictures of that screen be asked for
PAUSE_MS = 300
FIRST_RENDER = "performance.getEntriesByName('plexcrate:first-render')[0].startTime"

# Scroll the grid from inside the page: a step, then frames until the item at the top of the
# viewport is filled; its time is that step's title latency. A rAF loop times every frame.
SCROLL = """async ([grid, steps, stepPx, pauseEvery, pauseMs]) => {
    const list = document.querySelector(grid);
    const frames = [];
    let last = performance.now();
    let running = true;
    const tick = (now) => {
        frames.push(now - last);
        last = now;
        if (running) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
    const header = document.querySelector('.topbar').offsetHeight;
    const waits = [];
    for (let step = 1; step <= steps; step++) {
        window.scrollBy(0, stepPx);
        const started = performance.now();
        const columns = Number(list.dataset.columns);
        const rowHeight = Number(list.dataset.rowHeight);
        const top = header - list.getBoundingClientRect().top;
        const index = Math.max(0, Math.ceil(top / rowHeight)) * columns;
        const wanted = `[aria-posinset="${index + 1}"]`;
        for (;;) {
            await frame();
            const cell = list.querySelector(wanted);
            if ((cell && cell.dataset.ratingKey) || performance.now() - started > 10000) break;
        }
        waits.push(performance.now() - started);
        if (step % pauseEvery === 0) await new Promise((r) => setTimeout(r, pauseMs));
    }
    running = false;
    return { frames: frames.slice(1), waits };
}"""


@dataclass
class Run:
    waits: list[float]
    frames: list[float]
    art_asked: int = 0
    art_most: int = 0
    in_flight: set[Any] = field(default_factory=set)


def run(tracks: int = 100_000) -> list[Result]:
    name = f"browser, {tracks:,}-track cache"
    print(f"{name}: {load_average()}", flush=True)
    if not Path(CHROMIUM).exists():
        print(f"No Chromium at {CHROMIUM}: nothing measured.", flush=True)
        return []
    from playwright.sync_api import sync_playwright

    results: list[Result] = []
    with (
        simulator(tracks, latency=Latency(per_request=ART_LATENCY)) as plex,
        app_server(plexcrate_env(plex, synced_cache(tracks))) as server,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for view, (address, grid, steps, step_px) in VIEWS.items():
                renders = [first_render(browser, server.url + address) for _ in range(RENDERS)]
                results.append(
                    Result(
                        name,
                        f"{view}: navigation to the first rows (median of {RENDERS})",
                        statistics.median(renders),
                        "ms",
                        target=f"< {RENDER_TARGET_MS} ms",
                        met=statistics.median(renders) < RENDER_TARGET_MS,
                    )
                )
                slow = scroll(browser, server.url + address, grid, steps, step_px, art=True)
                blocked = scroll(browser, server.url + address, grid, steps, step_px, art=False)
                results += report(name, view, slow, blocked)
        finally:
            browser.close()
    return results


def first_render(browser: Any, url: str) -> float:
    """From navigation to the first rows, in a fresh browser context (nothing cached)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(url)
    page.wait_for_function(RENDERED, timeout=30_000)
    took = page.evaluate(FIRST_RENDER)
    context.close()
    return took


def scroll(browser: Any, url: str, grid: str, steps: int, step_px: int, *, art: bool) -> Run:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    if not art:
        page.route("**/api/art/**", lambda route: route.abort())
    counts = Run([], [])

    def started(request: Any) -> None:
        if "/api/art/" in request.url:
            counts.in_flight.add(request)
            counts.art_asked += 1
            counts.art_most = max(counts.art_most, len(counts.in_flight))

    def ended(request: Any) -> None:
        counts.in_flight.discard(request)

    page.on("request", started)
    page.on("requestfinished", ended)
    page.on("requestfailed", ended)
    page.goto(url)
    page.wait_for_function(RENDERED, timeout=30_000)
    measured = page.evaluate(SCROLL, [grid, steps, step_px, PAUSE_EVERY, PAUSE_MS])
    counts.waits, counts.frames = measured["waits"], measured["frames"]
    context.close()
    return counts


def report(name: str, view: str, slow: Run, blocked: Run) -> list[Result]:
    results = []
    for label, run_ in (("slow art", slow), ("art refused", blocked)):
        p50, p95, worst = percentiles(run_.waits)
        _, f95, fmax = percentiles(run_.frames)
        n = len(run_.waits)
        results += [
            Result(name, f"{view}, {label}: title latency p50 ({n} steps)", p50, "ms"),
            Result(name, f"{view}, {label}: title latency p95", p95, "ms"),
            Result(name, f"{view}, {label}: title latency max", worst, "ms"),
            Result(
                name, f"{view}, {label}: frame time p95 ({len(run_.frames):,} frames)", f95, "ms"
            ),
            Result(name, f"{view}, {label}: longest frame", fmax, "ms"),
        ]
    results += [
        Result(name, f"{view}: pictures asked for while scrolling", slow.art_asked, ""),
        Result(
            name,
            f"{view}: pictures loading at once, at most",
            slow.art_most,
            "",
            target=f"≤ {MAX_ART_LOADING}",
            met=slow.art_most <= MAX_ART_LOADING,
        ),
    ]
    return results
