"""Every parameter's bounds, both sides: the last value accepted, and the first refused with the
exact message the user sees (it names the parameter and says what would do).

``test_api_library.py`` and ``test_api_playlists.py`` test bad values in general; this file walks
each bound of the OpenAPI document to its edge.
"""

# The tables below read best one case to a line.
# ruff: noqa: E501

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import TOKEN
from web_harness import AppServer, closed_port, synced_app

from plexcrate.simulator import SimLibrary

BIG_KEY = 2**53 - 1  # the largest id a browser's JavaScript holds exactly
SEED = 2**31 - 1


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    with synced_app(
        SimLibrary.generate(tracks=60, seed=9), tmp_path_factory.mktemp("b"), TOKEN
    ) as s:
        yield s


# (parameter, the last accepted value, the first refused value, the message for it)
QUERY_BOUNDS: list[tuple[str, Any, Any, str]] = [
    ("limit", 1, 0, "limit: must be at least 1, not 0"),
    ("limit", 1000, 1001, "limit: must be at most 1000, not 1001"),
    ("offset", 0, -1, "offset: must be at least 0, not -1"),
    ("offset", 10**9, 10**9 + 1, "offset: must be at most 1000000000, not 1000000001"),
    ("seed", 0, -1, "seed: must be at least 0, not -1"),
    ("seed", SEED, SEED + 1, f"seed: must be at most {SEED}, not {SEED + 1}"),
    ("min_rating", 0, -1, "min_rating: must be at least 0, not -1"),
    ("min_rating", 10, 11, "min_rating: must be at most 10, not 11"),
    ("min_rating", 7, "7.5", "min_rating: must be a whole number, not '7.5'"),
    ("q", "x" * 200, "x" * 201, "q: must be at most 200 characters long"),
    ("genre", ["Rock"] * 100, ["Rock"] * 101, "genre: can be given at most 100 times"),
    ("decade", ["1990s"] * 100, ["1990s"] * 101, "decade: can be given at most 100 times"),
    ("decade", "2020s", "2020", "decade: '2020' is not a decade; write it like 1990s"),
    ("exclude_live", "false", "no way", "exclude_live: must be true or false, not 'no way'"),
    ("order", "random", "shuffle", "order: must be 'default' or 'random', not 'shuffle'"),
]
FILTER_ONLY = {"genre", "decade", "min_rating", "q", "exclude_live"}


@pytest.mark.parametrize(
    ("path", "name", "ok", "bad", "message"),
    [("/api/tracks", *bound) for bound in QUERY_BOUNDS]
    + [("/api/library/stats", *bound) for bound in QUERY_BOUNDS if bound[0] in FILTER_ONLY],
)
def test_each_query_parameter_at_its_bounds(
    app: AppServer, path: str, name: str, ok: Any, bad: Any, message: str
) -> None:
    extra = {"order": "random"} if name == "seed" else {}
    accepted = app.get(path, **{name: ok}, **extra)
    assert accepted.status_code == 200, accepted.text
    refused = app.get(path, **{name: bad}, **extra)
    assert refused.status_code == 422
    assert refused.json() == {"error": message}


PREVIEW = "/api/playlists/preview"
SAVE = "/api/playlists"
NEW = {"title": "t", "rating_keys": [1]}  # a valid save, but for its bound

# (path, body at the bound, body beyond it, message); the bodies are merged into a valid one.
BODY_BOUNDS: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    (PREVIEW, {"count": 1}, {"count": 0}, "count: must be at least 1, not 0"),
    (PREVIEW, {"count": 1000}, {"count": 1001}, "count: must be at most 1000, not 1001"),
    (PREVIEW, {"count": 5.0}, {"count": 5.5}, "count: must be a whole number, not 5.5"),
    (PREVIEW, {"count": 5}, {"count": True}, "count: must be a number, not true"),
    (PREVIEW, {"max_per_artist": 1}, {"max_per_artist": 0}, "max_per_artist: must be at least 1, not 0"),
    (PREVIEW, {"max_per_artist": 1000}, {"max_per_artist": 1001}, "max_per_artist: must be at most 1000, not 1001"),
    (PREVIEW, {"target_minutes": 0.01}, {"target_minutes": 0}, "target_minutes: must be more than 0, not 0"),
    (PREVIEW, {"target_minutes": 6000}, {"target_minutes": 6000.5}, "target_minutes: must be at most 6000, not 6000.5"),
    (PREVIEW, {"target_minutes": 1}, {"target_minutes": True}, "target_minutes: must be a number, not true"),
    (PREVIEW, {"seed": 0}, {"seed": -1}, "seed: must be at least 0, not -1"),
    (PREVIEW, {"seed": SEED}, {"seed": SEED + 1}, f"seed: must be at most {SEED}, not {SEED + 1}"),
    (PREVIEW, {"exclude": [1]}, {"exclude": [0]}, "exclude: must be at least 1, not 0"),
    (PREVIEW, {"exclude": [BIG_KEY]}, {"exclude": [BIG_KEY + 1]}, f"exclude: must be at most {BIG_KEY}, not {BIG_KEY + 1}"),
    (PREVIEW, {"exclude": [7] * 5000}, {"exclude": [7] * 5001}, "exclude: can be given at most 5000 times"),
    (PREVIEW, {"keep": [7] * 5000}, {"keep": [7] * 5001}, "keep: can be given at most 5000 times"),
    (PREVIEW, {"keep": [1]}, {"keep": [0]}, "keep: must be at least 1, not 0"),
    (PREVIEW, {"favour_rating": True}, {"favour_rating": 1}, "favour_rating: must be true or false, not 1"),
    (PREVIEW, {"filters": {"min_rating": 10}}, {"filters": {"min_rating": 11}}, "filters.min_rating: must be at most 10, not 11"),
    (PREVIEW, {"filters": {"min_rating": 0}}, {"filters": {"min_rating": -1}}, "filters.min_rating: must be at least 0, not -1"),
    (PREVIEW, {"filters": {"q": "x" * 200}}, {"filters": {"q": "x" * 201}}, "filters.q: must be at most 200 characters long"),
    (PREVIEW, {"filters": {"genre": ["a"] * 100}}, {"filters": {"genre": ["a"] * 101}}, "filters.genre: can be given at most 100 times"),
    (PREVIEW, {"filters": {"decade": ["1990s"] * 100}}, {"filters": {"decade": ["1990s"] * 101}}, "filters.decade: can be given at most 100 times"),
    (PREVIEW, {"filters": {"decade": ["1990s"]}}, {"filters": {"decade": ["90s"]}}, "filters.decade: '90s' is not a decade; write it like 1990s"),
    (PREVIEW, {"filters": {"exclude_live": False}}, {"filters": {"exclude_live": "no"}}, "filters.exclude_live: must be true or false, not 'no'"),
    (PREVIEW, {"filters": {}}, {"filters": []}, "filters: must be a JSON object, like {}"),
    (SAVE, {"title": "x" * 200}, {"title": "x" * 201}, "title: must be at most 200 characters long"),
    (SAVE, {"rating_keys": [1] * 5000}, {"rating_keys": [1] * 5001}, "rating_keys: can be given at most 5000 times"),
    (SAVE, {"rating_keys": [1]}, {"rating_keys": []}, "rating_keys: needs at least 1"),
    (SAVE, {"rating_keys": [BIG_KEY]}, {"rating_keys": [BIG_KEY + 1]}, f"rating_keys: must be at most {BIG_KEY}, not {BIG_KEY + 1}"),
    (SAVE, {"rating_keys": [1]}, {"rating_keys": [0]}, "rating_keys: must be at least 1, not 0"),
    (SAVE, {"mode": "append", "playlist_id": BIG_KEY}, {"mode": "append", "playlist_id": 0}, "playlist_id: must be at least 1, not 0"),
    (SAVE, {"mode": "replace", "playlist_id": 1}, {"mode": "replace", "playlist_id": BIG_KEY + 1}, f"playlist_id: must be at most {BIG_KEY}, not {BIG_KEY + 1}"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "ok", "bad", "message"), BODY_BOUNDS)
def test_each_body_field_at_its_bounds(
    app: AppServer, path: str, ok: dict[str, Any], bad: dict[str, Any], message: str
) -> None:
    base = NEW if path == SAVE else {}
    accepted = app.http.post(path, json={**base, **ok})
    # A save at its bound passes validation and reaches the cache or Plex: tracks that aren't
    # in the library (409), a playlist that isn't there (409), or a saved playlist (200).
    assert accepted.status_code in ((200, 409) if path == SAVE else (200,)), accepted.text
    refused = app.http.post(path, json={**base, **bad})
    assert refused.status_code == 422
    assert refused.json() == {"error": message}


def test_a_sync_request_s_body(app: AppServer) -> None:
    def post(body: Any) -> tuple[int, dict[str, Any]]:
        response = app.http.post("/api/library/sync", json=body)
        return response.status_code, response.json()

    assert post({"full": 1}) == (422, {"error": "full: must be true or false, not 1"})
    assert post({"full": "yes"}) == (422, {"error": "full: must be true or false, not 'yes'"})
    assert post([True]) == (422, {"error": "body: must be a JSON object, like {}"})
    broken = app.http.post(
        "/api/library/sync", content=b"{full: true", headers={"Content-Type": "application/json"}
    )
    assert (broken.status_code, broken.json()) == (
        400,
        {"error": "The request body is not valid JSON."},
    )
    assert post({"full": False})[0] == 200
    app.wait_for_sync_to_end()


@pytest.mark.parametrize("path", ["/api/setup/check", "/api/setup"])
def test_the_setup_fields_at_their_bounds(app: AppServer, path: str) -> None:
    """At the bounds the server is asked (and isn't there: 400, nothing saved)."""
    url = f"http://127.0.0.1:{closed_port()}"
    cases = [
        ({"plex_url": url + "/" + "x" * (1999 - len(url))},
         {"plex_url": url + "/" + "x" * (2000 - len(url))},
         "plex_url: must be at most 2000 characters long"),
        ({"plex_token": "t" * 500}, {"plex_token": "t" * 501},
         "plex_token: must be at most 500 characters long"),
        ({"plex_token": "t"}, {"plex_token": ""}, "plex_token: must not be empty"),
    ]  # fmt: skip
    if path == "/api/setup":
        cases += [
            ({"music_libraries": ["M"] * 100}, {"music_libraries": ["M"] * 101},
             "music_libraries: can be given at most 100 times"),
            ({"music_libraries": ["M" * 500]}, {"music_libraries": ["M" * 501]},
             "music_libraries: must be at most 500 characters long"),
        ]  # fmt: skip
    for ok, bad, message in cases:
        body = {"plex_url": url, "plex_token": "t"}
        accepted = app.http.post(path, json={**body, **ok})
        assert accepted.status_code == 400, accepted.text
        assert accepted.json()["error"].startswith("Cannot reach Plex at http://127.0.0.1:")
        refused = app.http.post(path, json={**body, **bad})
        assert refused.status_code == 422
        assert refused.json() == {"error": message}
    assert app.get("/api/setup").json()["configured"] is True  # nothing was switched
