"""A hostile (or just greedy) client cannot exhaust the app: request bodies are capped, searches
are capped in words, use at most half the readers with a bounded queue, and every read has a
time budget; meanwhile a normal client is served as if nobody else were there.
"""

from __future__ import annotations

import random
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from library_factory import album, artist, publish, track
from web_harness import PROBE_INTERVAL, AppServer, wait_until

from plexcrate.cache.database import Database
from plexcrate.config import Settings
from plexcrate.web.app import create_app
from plexcrate.web.limits import MAX_SEARCH_WORDS
from plexcrate.web.security import MAX_BODY_BYTES

TRACKS = 40_000
WORDS = [
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
]
PAD = "lorem ipsum dolor sit amet consectetur " * 5  # every search word far into the text


def build_cache(data_dir: Path) -> None:
    """40,000 tracks whose search text holds all ten words, after a long title: a search for
    all ten reads every track and tests every word (about 60 ms alone, on a quiet machine)."""
    with Database(data_dir / "library_cache.db") as db:
        artists = [artist(key, f"Artist {key}", "Rock") for key in range(1, 101)]
        albums = [album(1000 + i, 1 + i % 100, f"Album {i}", year=1990) for i in range(1000)]
        tracks = [
            track(
                10_000 + i, 1000 + i % 1000, 1 + i % 100,
                title=f"Song {i} {PAD}{' '.join(WORDS)}", artist=f"Artist {1 + i % 100}",
            )
            for i in range(TRACKS)
        ]  # fmt: skip
        publish(db, artists, albums, tracks)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("limits")
    build_cache(path)
    return path


def start(data_dir: Path, **kwargs: float) -> AppServer:
    settings = Settings(data_dir=data_dir)  # no Plex: the cache is all these tests read
    return AppServer(create_app(settings, probe_interval=PROBE_INTERVAL, **kwargs)).start()


@pytest.fixture(scope="module")
def app(data_dir: Path) -> Iterator[AppServer]:
    server = start(data_dir)
    yield server
    server.stop()


def costly_search() -> str:
    """All ten words, in a new order each time: never a remembered answer."""
    return " ".join(random.sample(WORDS, len(WORDS)))


# --- request bodies ---------------------------------------------------------------------------


def test_a_body_over_the_limit_is_refused_before_it_is_read(app: AppServer) -> None:
    """Only the headers are sent: the 413 comes back without waiting for 200 MB."""
    host, port = app.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /api/playlists/preview HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 200000000\r\n\r\n"
        )
        answer = b""
        while chunk := sock.recv(4096):  # until the app closes the connection
            answer += chunk
    text = answer.decode("latin-1")
    assert text.startswith("HTTP/1.1 413 "), text
    assert "connection: close" in text.lower()
    assert text.endswith(
        '{"error":"The request body is larger than 1 MiB, which no request to plexcrate needs; '
        'it was not read."}'
    )


def test_a_chunked_body_is_cut_off_at_the_limit(app: AppServer) -> None:
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        yield b'{"exclude": ['
        for _ in range(200):  # up to 2 MB, in chunks of 10 KB, no Content-Length
            sent += 10_000
            yield b"1," * 5000

    response = app.http.post(
        "/api/playlists/preview", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json() == {
        "error": "The request body is larger than 1 MiB, which no request to plexcrate needs; "
        "it was not read."
    }


def test_a_body_of_exactly_the_limit_is_read(app: AppServer) -> None:
    body = b'{"count": 3}'
    body += b" " * (MAX_BODY_BYTES - len(body))
    response = app.http.post(
        "/api/playlists/preview", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200, response.text
    assert len(response.json()["tracks"]) == 3
    over = body + b" "
    response = app.http.post(
        "/api/playlists/preview", content=over, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


# --- searches ---------------------------------------------------------------------------------


def test_a_search_takes_at_most_ten_words(app: AppServer) -> None:
    ten, eleven = " ".join(WORDS), " ".join([*WORDS, "kilo"])
    assert app.tracks(q=ten, limit=1)["total"] == TRACKS
    for path in ("/api/tracks", "/api/library/stats"):
        response = app.get(path, q=eleven)
        assert response.status_code == 422
        assert response.json() == {
            "error": f"q: a search takes at most {MAX_SEARCH_WORDS} words (each must appear), "
            "not 11"
        }
    response = app.http.post("/api/playlists/preview", json={"filters": {"q": eleven}})
    assert response.status_code == 422
    assert response.json()["error"].startswith("filters.q: a search takes at most 10 words")
    # Repeating a word costs nothing: each is matched once.
    assert app.tracks(q="alpha " * 10, limit=1)["total"] == TRACKS


def test_a_read_over_its_time_budget_is_stopped(data_dir: Path) -> None:
    app = start(data_dir, read_budget_s=0.001)
    try:
        # (A search is answered from memory now, in no time; picking a playlist from 40,000
        # tracks, in SQL, is not.)
        response = app.http.post(
            "/api/playlists/preview", json={"filters": {"q": costly_search()}, "count": 500}
        )
        assert response.status_code == 503
        assert response.json() == {
            "error": "This request took more than 0.001 s of work, so it was stopped. Narrow it "
            "down: fewer or longer search words, or a genre or decade."
        }
        assert app.get("/api/health").status_code == 200
    finally:
        app.stop()


def test_costly_searches_from_many_clients_do_not_slow_a_normal_client(app: AppServer) -> None:
    """Eight clients search as fast as they can; a ninth browses. The browsing client must not
    queue behind the searches: its requests take well under a search's time (without the search
    slots, they waited in the same queue, for as long as a search or longer). A search is no
    longer costly (the search index answers it from memory), so the margin is half, not a
    quarter: the eight searchers and the browser share two cores."""
    stop = threading.Event()
    searched: list[float] = []
    failures: list[str] = []

    def search() -> None:
        with httpx.Client(base_url=app.url, timeout=60) as client:
            while not stop.is_set():
                started = time.monotonic()
                response = client.get("/api/tracks", params={"q": costly_search(), "limit": 50})
                if response.status_code != 200:
                    failures.append(response.text)
                searched.append(time.monotonic() - started)

    searchers = [threading.Thread(target=search, daemon=True) for _ in range(8)]
    for searcher in searchers:
        searcher.start()
    try:
        wait_until(lambda: len(searched) >= 16, timeout=60, what="the searches to flow")
        browsed: list[float] = []
        with httpx.Client(base_url=app.url, timeout=60) as client:
            # At least 20 pages, and as many as it takes for 8 searches to end meanwhile.
            while len(browsed) < 20 or len(searched) < 16 + 8:
                started = time.monotonic()
                offset = len(browsed) * 500 % TRACKS
                response = client.get("/api/tracks", params={"offset": offset, "limit": 50})
                assert response.status_code == 200
                browsed.append(time.monotonic() - started)
        searches_meanwhile = list(searched[16:])
    finally:
        stop.set()
        for searcher in searchers:
            searcher.join(60)
    assert failures == []
    browse, search_time = statistics.median(browsed), statistics.median(searches_meanwhile)
    assert browse < search_time / 2, (browse, search_time)
