"""GET /api/search through the running app: its shapes (those of the lists' items), its order
(best first, as the index ranks), and its refusals (a 422 naming the parameter, never a 500).

One app, synced once from a simulated library, serves the module; the tests only read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import TOKEN
from web_harness import AppServer, synced_app

from plexcrate.simulator import SimLibrary
from plexcrate.web.models import SearchBody


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    lib = SimLibrary.generate(tracks=600, seed=31)
    with synced_app(lib, tmp_path_factory.mktemp("search"), TOKEN) as server:
        yield server


def get(app: AppServer, path: str, **params: Any) -> dict[str, Any]:
    answer = app.http.get(path, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def by_key(items: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {item["rating_key"]: item for item in items}


def test_each_hit_is_shaped_as_in_its_list(app: AppServer) -> None:
    everything = {"limit": 1000, "exclude_live": "false"}
    artists = by_key(get(app, "/api/artists", **everything)["artists"])
    albums = by_key(get(app, "/api/albums", **everything)["albums"])
    first = next(iter(artists.values()))
    found = get(app, "/api/search", q=first["title"], limit=50)
    SearchBody.model_validate(found)
    assert found["artists"][0] == first
    assert found["albums"] and found["tracks"]
    for album in found["albums"]:
        assert album == albums[album["rating_key"]]
    for item in found["tracks"]:
        (same,) = [
            t
            for t in get(app, f"/api/albums/{item['album_key']}")["tracks"]
            if t["rating_key"] == item["rating_key"]
        ]
        assert item == same


def test_tracks_found_are_those_the_filter_finds_best_first(app: AppServer) -> None:
    track = get(app, "/api/tracks", limit=1, exclude_live="false")["tracks"][0]
    q = track["title"]
    filtered = get(app, "/api/tracks", q=q, limit=1000, exclude_live="false")["tracks"]
    found = get(app, "/api/search", q=q, limit=50)["tracks"]
    assert {t["rating_key"] for t in found} <= {t["rating_key"] for t in filtered}
    assert len(found) == min(50, len(filtered))
    assert found[0]["title"].casefold() == q.casefold()


def test_the_limit_is_per_kind(app: AppServer) -> None:
    found = get(app, "/api/search", q="s", limit=3)
    assert [len(found[kind]) for kind in ("artists", "albums", "tracks")] == [3, 3, 3]
    assert len(get(app, "/api/search", q="a")["tracks"]) == 10  # the default


@pytest.mark.parametrize("q", ["", "   ", "-/!", None])
def test_an_empty_search_finds_nothing(app: AppServer, q: str | None) -> None:
    params = {} if q is None else {"q": q}
    assert get(app, "/api/search", **params) == {"artists": [], "albums": [], "tracks": []}


def test_words_past_the_tenth_are_ignored(app: AppServer) -> None:
    track = get(app, "/api/tracks", limit=1, exclude_live="false")["tracks"][0]
    word = max(track["title"].split(), key=len)
    ten = " ".join([word[: n + 1] for n in range(len(word))][:10])  # each begins the title's
    assert get(app, "/api/search", q=ten)["tracks"]
    assert get(app, "/api/search", q=ten + " zzzzzz")["tracks"] == (
        get(app, "/api/search", q=ten)["tracks"] if len(word) >= 10 else []
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": "x" * 201}, "q: "),
        ({"q": "a", "limit": 0}, "limit: must be at least 1"),
        ({"q": "a", "limit": 51}, "limit: must be at most 50"),
        ({"q": "a", "limit": "ten"}, "limit: must be a whole number"),
    ],
)
def test_bad_parameters_are_a_422_naming_them(
    app: AppServer, params: dict[str, Any], message: str
) -> None:
    answer = app.http.get("/api/search", params=params)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"].startswith(message), answer.text


def test_the_search_is_in_the_api_s_document(app: AppServer) -> None:
    document = get(app, "/openapi.json")
    operation = document["paths"]["/api/search"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"q", "limit"}
    assert "422" in operation["responses"]
