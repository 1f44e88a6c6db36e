"""Art over loopback: a track's, album's, artist's or playlist's picture, fetched from the
simulator's photo transcoder on the server side, kept on disk within its bound, served with an
ETag, and still there with Plex offline; placeholders for the rest; every bound and error."""

from __future__ import annotations

import concurrent.futures
import threading
import time
import tracemalloc
from pathlib import Path

import httpx
import pytest
from conftest import TOKEN, StartApp
from web_harness import AppServer, wait_until

from plexcrate.simulator import Latency, PlexSimulator, SimLibrary
from plexcrate.simulator.images import art_png, has_art
from plexcrate.simulator.render import thumb_path
from plexcrate.web.art import MAX_FETCHES
from plexcrate.web.art_store import ArtStore
from plexcrate.web.placeholder import initials, placeholder_svg

TRANSCODE = "/photo/:/transcode"


@pytest.fixture
def app(synced_server: AppServer) -> AppServer:
    return synced_server


def transcodes(plex: PlexSimulator) -> list[dict[str, str]]:
    return [r.params for r in plex.requests if r.path == TRANSCODE]


def album_art(lib: SimLibrary, album_key: int) -> str:
    path = thumb_path(album_key, lib.albums[album_key].updated_at)
    assert path
    return path


def albums_with_art(lib: SimLibrary) -> list[int]:
    return [key for key in sorted(lib.albums) if has_art(key)]


def test_a_track_shows_its_album_s_art_at_the_size_asked(
    app: AppServer, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    album_key = albums_with_art(sim_library)[0]
    track_key = sim_library.album_track_keys(album_key)[0]
    plex.requests.clear()

    answer = app.get(f"/api/art/{track_key}", size=256)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/png"
    assert answer.content == art_png(album_art(sim_library, album_key), 256, 256)
    assert answer.headers["cache-control"] == "private, max-age=3600"
    # The album's own art is the same picture: on disk already, Plex is not asked again.
    assert app.get(f"/api/art/{album_key}", size=256).content == answer.content
    asked = transcodes(plex)
    assert asked == [
        {
            "width": "256",
            "height": "256",
            "minSize": "1",
            "upscale": "1",
            "url": album_art(sim_library, album_key),
        }
    ]
    assert not any(r.token_in_query for r in plex.requests), "the token went in a URL"

    artist_key = next(key for key in sorted(sim_library.artists) if has_art(key))
    artist = app.get(f"/api/art/{artist_key}", size=64)
    path = thumb_path(artist_key, sim_library.artists[artist_key].updated_at)
    assert artist.content == art_png(path or "", 64, 64)


def test_a_browser_with_the_picture_gets_a_304_without_plex_being_asked(
    app: AppServer, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    album_key = albums_with_art(sim_library)[1]
    first = app.get(f"/api/art/{album_key}", size=128)
    etag = first.headers["etag"]
    plex.requests.clear()
    again = app.http.get(f"/api/art/{album_key}?size=128", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    assert transcodes(plex) == []
    # Another size is another picture, with another tag.
    other = app.http.get(f"/api/art/{album_key}?size=64", headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["etag"] != etag


def test_with_plex_offline_kept_art_is_served_and_the_rest_gets_a_placeholder(
    app: AppServer, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    kept, never_fetched = albums_with_art(sim_library)[:2]
    picture = app.get(f"/api/art/{kept}", size=128).content
    plex.stop()
    app.wait_for_status(lambda s: s["plex_connected"] is False, what="Plex seen offline")

    assert app.get(f"/api/art/{kept}", size=128).content == picture
    stand_in = app.get(f"/api/art/{never_fetched}", size=128)
    assert stand_in.status_code == 200
    assert stand_in.headers["content-type"] == "image/svg+xml"
    assert stand_in.headers["cache-control"] == "no-cache"  # the real art, once Plex is back
    title = sim_library.albums[never_fetched].title
    assert f">{initials(title)}</text>" in stand_in.text


def test_an_item_without_art_gets_its_placeholder_without_asking_plex(
    app: AppServer, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    bare = next(key for key in sorted(sim_library.albums) if not has_art(key))
    track_key = sim_library.album_track_keys(bare)[0]
    plex.requests.clear()
    answer = app.get(f"/api/art/{track_key}", size=64)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/svg+xml"
    assert answer.headers["cache-control"] == "private, max-age=3600"
    assert answer.content == placeholder_svg(sim_library.albums[bare].title, 64)
    assert transcodes(plex) == []


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        (
            "/api/art/{track}?size=100",
            422,
            "size: must be one of 64, 128, 256, 512 (pixels), not 100",
        ),
        ("/api/art/{track}?size=abc", 422, "size: must be a whole number, not 'abc'"),
        ("/api/art/{track}?size=-64", 422, "size: must be one of 64, 128, 256, 512"),
        ("/api/art/0?size=64", 422, "rating_key: must be at least 1"),
        ("/api/art/abc", 422, "rating_key: must be a whole number"),
        ("/api/art/99999999?size=64", 404, "rating_key: the library has no item 99999999."),
        ("/api/playlists/0/art", 422, "playlist_id: must be at least 1"),
        ("/api/playlists/7/art?size=1024", 422, "size: must be one of"),
    ],
)
def test_bad_art_requests_are_refused_in_plain_words(
    app: AppServer, sim_library: SimLibrary, path: str, status: int, message: str
) -> None:
    answer = app.http.get(path.format(track=next(iter(sim_library.tracks))))
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["error"].startswith(message)


def test_the_disk_keeps_art_within_its_bound_least_recently_used_out_first(
    start_app: StartApp, plex: PlexSimulator, sim_library: SimLibrary, tmp_path: Path
) -> None:
    keys = albums_with_art(sim_library)[:8]
    sizes = [len(art_png(album_art(sim_library, key), 512, 512)) for key in keys]
    assert 3 * max(sizes) < 4 * min(sizes)
    bound_mb = (3 * max(sizes) + 4 * min(sizes)) / 2 / 2**20  # room for three, never four
    app = start_app(art_cache_mb=bound_mb)
    assert app.sync().status_code == 200
    app.wait_for_sync_to_end()
    folder = tmp_path / "art"

    def disk() -> int:
        return sum(path.stat().st_size for path in folder.iterdir())

    for key in keys[:3]:
        app.get(f"/api/art/{key}", size=512)
    app.get(f"/api/art/{keys[0]}", size=512)  # used again: now the most recent
    for key in keys[3:]:
        app.get(f"/api/art/{key}", size=512)
        assert disk() <= bound_mb * 2**20
    assert len(list(folder.iterdir())) == 3

    plex.requests.clear()
    app.get(f"/api/art/{keys[-1]}", size=512)  # kept
    assert transcodes(plex) == []
    app.get(f"/api/art/{keys[1]}", size=512)  # evicted long ago: Plex is asked again
    assert [p["url"] for p in transcodes(plex)] == [album_art(sim_library, keys[1])]


def test_concurrent_requests_share_a_fetch_and_plex_gets_a_few_at_a_time(
    app: AppServer, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    keys = albums_with_art(sim_library)[:12]
    plex.latency = Latency(per_request=0.15)
    plex.requests.clear()
    wanted = [keys[0]] * 6 + keys[1:]
    with concurrent.futures.ThreadPoolExecutor(len(wanted)) as pool:
        answers = list(pool.map(lambda key: app.get(f"/api/art/{key}", size=64), wanted))
    plex.latency = None
    assert all(a.status_code == 200 and a.headers["content-type"] == "image/png" for a in answers)
    assert len({a.content for a in answers[:6]}) == 1
    fetched = [r for r in plex.requests if r.path == TRANSCODE]
    assert sorted(r.params["url"] for r in fetched) == sorted(
        album_art(sim_library, key) for key in keys
    ), "one fetch per picture"
    # At any moment (a request's start), how many were being served.
    most = max(sum(1 for o in fetched if o.started <= r.started < o.finished) for r in fetched)
    assert 1 < most <= MAX_FETCHES


def test_the_event_loop_answers_while_art_waits_on_a_slow_plex(
    app: AppServer, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    plex.latency = Latency(per_request=1.5)
    keys = albums_with_art(sim_library)[:4]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        pending = [pool.submit(app.get, f"/api/art/{key}", size=64) for key in keys]
        wait_until(lambda: any(r.path == TRANSCODE for r in plex.requests), what="a fetch")
        started = time.monotonic()
        assert app.get("/api/tracks", limit=5).status_code == 200
        assert time.monotonic() - started < 0.5
        assert all(f.result().status_code == 200 for f in pending)
    plex.latency = None


def test_a_playlist_s_art_is_its_composite(
    app: AppServer, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    playlist = sim_library.create_playlist("Art mix", list(sim_library.tracks)[:5])
    listed = app.get("/api/playlists").json()["playlists"]
    assert [p["id"] for p in listed] == [playlist.rating_key]
    plex.requests.clear()
    answer = app.get(f"/api/playlists/{playlist.rating_key}/art", size=128)
    composite = f"/playlists/{playlist.rating_key}/composite/{playlist.updated_at}"
    assert answer.content == art_png(composite, 128, 128)
    assert [p["url"] for p in transcodes(plex)] == [composite]
    # Unknown to Plex: a placeholder, not an error.
    missing = app.get("/api/playlists/987654/art", size=64)
    assert missing.status_code == 200 and missing.headers["content-type"] == "image/svg+xml"


def test_the_token_is_in_no_art_answer(app: AppServer, sim_library: SimLibrary) -> None:
    for key in albums_with_art(sim_library)[:3]:
        answer = app.get(f"/api/art/{key}", size=64)
        assert TOKEN.encode() not in answer.content
        assert TOKEN not in str(answer.headers)


# --- bounded: pictures too large are refused, kept ones streamed from disk ---------------------


def test_a_picture_over_the_bound_gets_the_placeholder_and_is_never_kept(
    start_app: StartApp, plex: PlexSimulator, sim_library: SimLibrary, tmp_path: Path
) -> None:
    app = start_app(art_max_picture_mb=1)
    assert app.sync().status_code == 200
    app.wait_for_sync_to_end()
    heavy, light = albums_with_art(sim_library)[:2]
    sim_library.set_art_bytes(heavy, 1_200_000)
    sim_library.set_art_bytes(light, 1_000_000)  # under 1 MB (2**20 bytes): kept

    refused = app.get(f"/api/art/{heavy}", size=256)
    assert refused.status_code == 200
    assert refused.headers["content-type"] == "image/svg+xml"
    assert refused.content == placeholder_svg(sim_library.albums[heavy].title, 256)
    served = app.get(f"/api/art/{light}", size=256)
    assert served.headers["content-type"] == "image/png" and len(served.content) == 1_000_000
    assert [p.stat().st_size for p in (tmp_path / "art").iterdir()] == [1_000_000]

    plex.requests.clear()  # refused once: not asked for again at every scroll
    assert app.get(f"/api/art/{heavy}", size=256).headers["content-type"] == "image/svg+xml"
    assert transcodes(plex) == []


def test_kept_pictures_are_streamed_from_disk_not_held_in_memory(
    start_app: StartApp, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    app = start_app(art_max_picture_mb=5)
    assert app.sync().status_code == 200
    app.wait_for_sync_to_end()
    album = albums_with_art(sim_library)[0]
    sim_library.set_art_bytes(album, 4_900_000)
    picture = app.get(f"/api/art/{album}", size=512).content  # now on disk
    assert len(picture) == 4_900_000

    # A client of its own: the harness's keeps every body it reads.
    browser = httpx.Client(base_url=app.url, timeout=30.0, limits=httpx.Limits(max_connections=40))

    # Slow browsers: every answer has begun before any is read on, so all 40 are in flight.
    everyone_started = threading.Barrier(40, timeout=20)

    def fetch(_: int) -> int:
        size = 0
        with browser.stream("GET", f"/api/art/{album}", params={"size": 512}) as answer:
            assert answer.headers["content-length"] == "4900000"
            everyone_started.wait()
            time.sleep(0.3)  # what the app holds meanwhile is what this measures
            for chunk in answer.iter_raw():
                size += len(chunk)
        return size

    tracemalloc.start()
    try:
        with browser, concurrent.futures.ThreadPoolExecutor(40) as pool:
            sizes = list(pool.map(fetch, range(40)))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sizes == [4_900_000] * 40
    # Read whole, the app held about 48 MB here (what the sockets' buffers did not take);
    # streamed, about 15 MB (chunks in flight on both sides, the test's client included).
    assert peak < 30 * 2**20, f"peak {peak / 2**20:.0f} MB"


# --- the store on its own ----------------------------------------------------------------


def test_the_store_remembers_the_order_of_use_across_a_restart(tmp_path: Path) -> None:
    store = ArtStore(tmp_path, max_bytes=300)
    for name in ("a", "b", "c"):
        store.put(name, name.encode() * 100)
        time.sleep(0.01)  # distinct modification times, the order of use on disk
    (tmp_path / ".tmp-left-by-a-crash").write_bytes(b"x")
    reopened = ArtStore(tmp_path, max_bytes=300)
    assert reopened.total_bytes == 300
    assert not (tmp_path / ".tmp-left-by-a-crash").exists()
    reopened.put("d", b"d" * 100)  # "a" was the least recently used
    assert reopened.get("a") is None and reopened.get("b") == b"b" * 100
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b", "c", "d"]
    assert ArtStore(tmp_path, max_bytes=150).total_bytes == 100  # a smaller bound applies at once


def test_the_placeholder_is_the_name_s_initials_and_colour() -> None:
    assert initials("Miles Davis") == "MD"
    assert initials("(I Can't Get No) Satisfaction") == "IC"
    assert initials("ABBA") == "A"
    assert initials("…") == ""
    assert placeholder_svg("Kind of Blue", 64) == placeholder_svg("Kind of Blue", 64)
    assert placeholder_svg("Kind of Blue", 64) != placeholder_svg("Blue Train", 64)
    assert b"<path" in placeholder_svg("…", 64)


def test_a_store_that_cannot_write_only_loses_the_caching(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "art"
    blocked.write_text("a file where the folder should be")  # any user, root too, fails here
    store = ArtStore(blocked, max_bytes=1000)
    store.put("a", b"a" * 10)
    store.put("b", b"b" * 10)
    assert store.get("a") is None and store.total_bytes == 0
    assert caplog.text.count("Art is not kept on disk") == 1  # said once, not once a picture
