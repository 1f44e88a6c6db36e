"""Reading the library through the API: filters, paging, stats, bad input, and the documents.

One app, synced once from a 600-track simulated library, serves every test in this module; the
tests only read. Expected answers come from ``plex_oracle`` (the simulator's own model), not from
the cache's queries.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import TOKEN
from plex_oracle import expected_tracks
from web_harness import PROBE_INTERVAL, AppServer, response_to_a_bug, synced_app

from plexcrate import __version__
from plexcrate.cache.filters import FILTERS
from plexcrate.cache.text import search_words
from plexcrate.config import Settings
from plexcrate.simulator import PlexSimulator, SimLibrary
from plexcrate.web.app import create_app
from plexcrate.web.models import (
    ErrorBody,
    Health,
    LibraryStatsBody,
    LibraryStatus,
    SyncStarted,
    TrackPageBody,
)

Expected = dict[int, dict[str, Any]]


@pytest.fixture(scope="module")
def library() -> SimLibrary:
    return SimLibrary.generate(tracks=600, seed=11)


@pytest.fixture(scope="module")
def app(library: SimLibrary, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    with synced_app(library, tmp_path_factory.mktemp("cache"), TOKEN) as server:
        yield server


@pytest.fixture(scope="module")
def expected(library: SimLibrary) -> Expected:
    return expected_tracks(library)


def all_keys(app: AppServer, **params: Any) -> list[int]:
    page = app.tracks(limit=1000, **params)
    assert page["total"] == len(page["tracks"])  # 600 tracks fit in one page
    return [track["rating_key"] for track in page["tracks"]]


# --- filters, against the oracle --------------------------------------------------------------


def matches(track: dict[str, Any], params: dict[str, Any]) -> bool:
    """What a filter means, written independently of the SQL."""
    genres = [g.lower() for g in params.get("genre", [])]
    if genres and not track["genre_tags"] & set(genres):
        return False
    decades = [int(d[:4]) for d in params.get("decade", [])]
    year = track["year"]
    if decades and not any(year is not None and d <= year <= d + 9 for d in decades):
        return False
    rating = params.get("min_rating", 0)
    if rating and (track["user_rating"] is None or track["user_rating"] < rating):
        return False
    if params.get("exclude_live", "true") == "true" and track["is_live"]:
        return False
    # Each word of the search begins a word of the title, artist, album artist or album.
    fields = (track["title"], track["artist"], track["album_artist"], track["album"])
    tokens = [token for text in fields for token in search_words(text)]
    return all(
        any(token.startswith(word) for token in tokens)
        for word in search_words(params.get("q", ""))
    )


def common_words(expected: Expected) -> list[str]:
    """The two commonest plain words in titles: search terms that surely find something."""
    words = [w for t in expected.values() for w in t["title"].split()]
    plain = [w for w in words if w.isascii() and w.isalpha()]
    return sorted(set(plain), key=lambda w: (-plain.count(w), w))[:2]


def filter_cases(expected: Expected) -> dict[str, dict[str, Any]]:
    by_genre: dict[str, int] = {}
    for track in expected.values():
        for genre in track["genre_tags"]:
            by_genre[genre] = by_genre.get(genre, 0) + 1
    top = sorted(by_genre, key=lambda g: -by_genre[g])
    word, other_word = common_words(expected)
    return {
        "nothing (live left out by default)": {},
        "live included": {"exclude_live": "false"},
        "one genre, in another case": {"genre": [top[0].upper()]},
        "two genres (OR)": {"genre": top[1:3]},
        "one decade": {"decade": ["1990s"]},
        "two decades (OR)": {"decade": ["1970s", "2000s"]},
        "rating": {"min_rating": 6},
        "a word": {"q": word},
        "two words (AND)": {"q": f"{word} {other_word}", "exclude_live": "false"},
        "everything at once": {
            "genre": top[:4],
            "decade": ["1980s", "1990s", "2000s"],
            "min_rating": 2,
            "exclude_live": "false",
        },
    }


def test_every_filter_selects_what_the_oracle_expects(app: AppServer, expected: Expected) -> None:
    for name, params in filter_cases(expected).items():
        want = {key for key, track in expected.items() if matches(track, params)}
        got = all_keys(app, **params)
        assert len(got) == len(set(got))
        assert set(got) == want, f"{name}: {params}"
        assert want or name.startswith("two words"), f"{name} selects nothing: a weak case"


def test_live_recordings_are_left_out_by_default(app: AppServer, expected: Expected) -> None:
    live = {key for key, track in expected.items() if track["is_live"]}
    assert live, "the library should hold live recordings"
    assert not live & set(all_keys(app))
    assert live <= set(all_keys(app, exclude_live="false"))


def test_stats_count_what_the_track_list_totals(app: AppServer, expected: Expected) -> None:
    cases = filter_cases(expected)
    for name in ("nothing (live left out by default)", "two genres (OR)", "everything at once"):
        params = cases[name]
        stats = app.stats(**params)
        assert stats["total_tracks"] == app.tracks(limit=1, **params)["total"], name
        assert stats["genres"] and stats["decades"]
        # A facet ignores its own filter: each count is the total with that value alone.
        for facet in stats["genres"]:
            total = app.tracks(limit=1, **{**params, "genre": [facet["name"]]})["total"]
            assert facet["count"] == total, (name, facet)
        for facet in stats["decades"]:
            total = app.tracks(limit=1, **{**params, "decade": [facet["name"]]})["total"]
            assert facet["count"] == total, (name, facet)


def test_the_stats_of_the_whole_library_add_up(app: AppServer, expected: Expected) -> None:
    stats = app.stats(exclude_live="false")
    assert stats["total_tracks"] == len(expected)
    with_year = sum(1 for track in expected.values() if track["year"] is not None)
    assert sum(facet["count"] for facet in stats["decades"]) == with_year
    names = [facet["name"] for facet in stats["decades"]]
    assert names == sorted(names)
    counts = [facet["count"] for facet in stats["genres"]]
    assert counts == sorted(counts, reverse=True)


# --- paging and order -------------------------------------------------------------------------


def nocase(text: str) -> str:
    """SQLite's NOCASE: folds ASCII letters only."""
    return "".join(ch.lower() if ch.isascii() else ch for ch in text)


def test_the_default_order_pages_without_repeating_or_skipping(app: AppServer) -> None:
    whole = app.tracks(limit=1000, exclude_live="false")["tracks"]
    paged: list[dict[str, Any]] = []
    for offset in range(0, 620, 37):
        page = app.tracks(limit=37, offset=offset, exclude_live="false")
        assert page["total"] == 600
        paged.extend(page["tracks"])
    assert [t["rating_key"] for t in paged] == [t["rating_key"] for t in whole]

    def position(track: dict[str, Any]) -> tuple[Any, ...]:
        disc, number = track["disc_number"], track["track_number"]
        return (
            nocase(track["album_artist"]),
            nocase(track["album"]),
            (disc is not None, disc or 0),  # SQLite sorts NULL first
            (number is not None, number or 0),
            track["rating_key"],
        )

    assert [position(t) for t in whole] == sorted(position(t) for t in whole)


def test_total_counts_every_match_not_just_the_page(app: AppServer) -> None:
    everything = app.tracks(limit=1000)["total"]
    page = app.tracks(limit=5, offset=10)
    assert page["total"] == everything > 5 and len(page["tracks"]) == 5
    beyond = app.tracks(offset=everything + 100)
    assert beyond["total"] == everything and beyond["tracks"] == []


def test_random_order_is_a_shuffle_that_pages_by_its_seed(app: AppServer) -> None:
    first = app.tracks(order="random", limit=1000, exclude_live="false")
    seed = first["seed"]
    assert isinstance(seed, int)
    shuffled = [t["rating_key"] for t in first["tracks"]]
    assert sorted(shuffled) == sorted(all_keys(app, exclude_live="false"))
    assert shuffled != all_keys(app, exclude_live="false")
    paged = []
    for offset in range(0, 600, 100):
        page = app.tracks(order="random", seed=seed, limit=100, offset=offset, exclude_live="false")
        assert page["seed"] == seed
        paged.extend(t["rating_key"] for t in page["tracks"])
    assert paged == shuffled
    other = app.tracks(order="random", seed=(seed + 1) % 2**31, limit=1000, exclude_live="false")
    assert [t["rating_key"] for t in other["tracks"]] != shuffled
    assert app.tracks(limit=1)["seed"] is None  # the default order has none


# --- bad input --------------------------------------------------------------------------------

BAD_FILTERS = [
    ({"decade": "19x0s"}, "decade: '19x0s' is not a decade; write it like 1990s"),
    ({"decade": ["1990s", "nineties"]}, "decade: 'nineties' is not a decade"),
    ({"min_rating": 11}, "min_rating: must be at most 10, not 11"),
    ({"min_rating": -1}, "min_rating: must be at least 0"),
    ({"min_rating": "high"}, "min_rating: must be a whole number, not 'high'"),
    ({"exclude_live": "maybe"}, "exclude_live: must be true or false, not 'maybe'"),
    ({"q": "x" * 201}, "q: must be at most 200 characters long"),
    ({"genre": ["Rock"] * 101}, "genre: can be given at most 100 times"),
]
BAD_PAGING = [
    ({"limit": 0}, "limit: must be at least 1, not 0"),
    ({"limit": 100000}, "limit: must be at most 1000, not 100000"),
    ({"offset": -1}, "offset: must be at least 0"),
    ({"offset": 10**30}, "offset: must be at most"),
    ({"order": "sideways"}, "order: must be 'default' or 'random', not 'sideways'"),
    ({"seed": -5, "order": "random"}, "seed: must be at least 0"),
]
BAD_REQUESTS = [
    *[("/api/tracks", params, message) for params, message in BAD_FILTERS + BAD_PAGING],
    *[("/api/library/stats", params, message) for params, message in BAD_FILTERS],
]


@pytest.mark.parametrize(("path", "params", "message"), BAD_REQUESTS)
def test_invalid_parameters_are_refused_with_a_message_naming_them(
    app: AppServer, path: str, params: dict[str, Any], message: str
) -> None:
    response = app.get(path, **params)
    assert response.status_code == 422
    body = response.json()
    assert list(body) == ["error"]
    assert message in body["error"]


def test_several_invalid_parameters_are_all_named(app: AppServer) -> None:
    response = app.get("/api/tracks", decade="19x0s", min_rating=11, limit=0)
    assert response.status_code == 422
    error = response.json()["error"]
    assert all(name in error for name in ("decade:", "min_rating:", "limit:"))


@pytest.mark.parametrize(
    "query",
    [
        "q=%00%FF%FE",
        "q=%25_%5C",  # LIKE's own wildcards and escape
        "q=%F0%9F%8E%B8+Bj%C3%B6rk",
        "genre=&decade=1990s&decade=1990s",
        "genre=%27%3B+DROP+TABLE+tracks%3B--",
        "min_rating=10&exclude_live=0&order=random&seed=0",
        "offset=1000000000&limit=1000",
        "unknown=1",
    ],
)
def test_odd_but_valid_input_is_answered_not_crashed_on(app: AppServer, query: str) -> None:
    for path in ("/api/tracks", "/api/library/stats"):
        response = app.http.get(f"{path}?{query}")
        assert response.status_code == 200, response.text
    assert app.tracks(limit=1, exclude_live="false")["total"] == 600


def test_unknown_paths_and_methods_answer_json_errors(app: AppServer) -> None:
    missing = app.get("/api/nothing-here")
    assert missing.status_code == 404 and list(missing.json()) == ["error"]
    wrong_method = app.http.request("DELETE", "/api/tracks", json={})
    assert wrong_method.status_code == 405 and list(wrong_method.json()) == ["error"]


# --- documents --------------------------------------------------------------------------------


def test_responses_match_the_models_in_the_openapi_document(app: AppServer) -> None:
    # The models forbid extra fields: a response with a field the document lacks fails here.
    TrackPageBody.model_validate(app.tracks(limit=1000, exclude_live="false"))
    TrackPageBody.model_validate(app.tracks(order="random", limit=3))
    LibraryStatsBody.model_validate(app.stats())
    LibraryStatus.model_validate(app.status())
    Health.model_validate(app.get("/api/health").json())
    ErrorBody.model_validate(app.get("/api/tracks", limit=0).json())
    started = app.sync()
    assert started.status_code == 200
    SyncStarted.model_validate(started.json())
    app.wait_for_sync_to_end()


def test_the_openapi_document_describes_every_endpoint(app: AppServer) -> None:
    document = app.get("/openapi.json").json()
    paths = document["paths"]
    assert set(paths) == {
        "/api/library/status",
        "/api/library/sync",
        "/api/library/stats",
        "/api/tracks",
        "/api/health",
        "/api/playlists",
        "/api/playlists/preview",
        "/api/playlists/{playlist_id}",
        "/api/playlists/{playlist_id}/art",
        "/api/art/{rating_key}",
        "/api/setup",
        "/api/setup/check",
        "/api/library/facets/{kind}",
        "/api/filters",
        "/api/albums",
        "/api/artists",
        "/api/albums/{rating_key}",
        "/api/artists/{rating_key}",
        "/api/tracks/query",
        "/api/search",
        "/api/playlists/{playlist_id}/items",
        "/api/recipes",
        "/api/recipes/export",
        "/api/recipes/import",
        "/api/recipes/{recipe_id}",
        "/api/recipes/{recipe_id}/history",
        "/api/recipes/{recipe_id}/refresh",
        "/api/setup/sign-in",
        "/api/setup/sign-in/{pin_id}",
    }
    tracks = paths["/api/tracks"]["get"]
    names = {param["name"] for param in tracks["parameters"]}
    # Every declared filter, then the paging and ordering of the list.
    assert names == {spec.name for spec in FILTERS} | {
        "sort",
        "order",
        "limit",
        "offset",
        "seed",
        "rule",
        "include_unavailable",
    }
    limit = next(p for p in tracks["parameters"] if p["name"] == "limit")["schema"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 1000, 100)
    error_ref = {"$ref": "#/components/schemas/ErrorBody"}
    assert tracks["responses"]["422"]["content"]["application/json"]["schema"] == error_ref
    sync = paths["/api/library/sync"]["post"]["responses"]
    assert sync["409"]["content"]["application/json"]["schema"] == error_ref
    status = document["components"]["schemas"]["LibraryStatus"]["properties"]
    assert {"track_count", "synced_at", "is_syncing", "sync_progress", "error"} <= set(status)
    assert {"plex_connected", "phase", "is_stale", "server_changed"} <= set(status)
    assert {"machine_identifier", "plex_error"} <= set(status)
    art = paths["/api/art/{rating_key}"]["get"]
    size = next(p for p in art["parameters"] if p["name"] == "size")["schema"]
    assert size["enum"] == [64, 128, 256, 512]
    assert set(art["responses"]["200"]["content"]) >= {"image/jpeg", "image/png", "image/svg+xml"}


def test_the_page_and_the_api_document_are_served(app: AppServer) -> None:
    page = app.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "<title>plexcrate</title>" in page.text
    assert app.get("/openapi.json").status_code == 200
    # No Swagger page: it needs a CDN and inline scripts, which the page's CSP forbids.
    assert app.get("/docs").status_code == 404
    assert app.get("/api/health").json() == {"status": "ok", "version": __version__}


def test_the_token_never_appears_in_a_response_or_a_log_line(
    app: AppServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bodies = [
        app.get(path, **params).content
        for path, params in [
            ("/api/library/status", {}),
            ("/api/tracks", {"limit": 1000, "exclude_live": "false"}),
            ("/api/library/stats", {}),
            ("/api/tracks", {"decade": "19x0s"}),
            ("/openapi.json", {}),
            ("/", {}),
            ("/api/nope", {}),
        ]
    ]
    bodies.append(app.sync().content)
    app.wait_for_sync_to_end()
    bodies.extend(app.bodies)
    assert not any(TOKEN.encode() in body for body in bodies)
    assert TOKEN not in caplog.text
    assert "X-Plex-Token" not in caplog.text


def test_a_refused_token_is_reported_without_the_token(
    tmp_path_factory: pytest.TempPathFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    lib = SimLibrary.generate(tracks=10, seed=1)
    with PlexSimulator(lib, token="the-right-one", strict=True) as plex:
        settings = Settings(
            plex_url=plex.url, plex_token=TOKEN, data_dir=tmp_path_factory.mktemp("refused")
        )
        server = AppServer(create_app(settings, probe_interval=PROBE_INTERVAL)).start()
        try:
            assert server.sync().status_code == 200
            status = server.wait_for_sync_to_end()
            assert "refused the token" in status["error"]
        finally:
            server.stop()
    assert not any(TOKEN.encode() in body for body in server.bodies)
    assert TOKEN not in caplog.text


def test_a_client_disconnecting_mid_request_does_not_disturb_the_app(app: AppServer) -> None:
    with httpx.Client(base_url=app.url, timeout=0.001) as impatient:
        for _ in range(5):
            with contextlib.suppress(httpx.TimeoutException):
                impatient.get("/api/tracks", params={"limit": 1000, "q": "a"})
    assert app.tracks(limit=1, exclude_live="false")["total"] == 600


def test_an_unexpected_error_is_a_json_500_without_a_traceback(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    detail = "a bug, with details the user must not see"
    response = response_to_a_bug(tmp_path_factory.mktemp("boom"), detail)
    assert response.status_code == 500
    assert response.json() == {"error": "Internal error"}
