"""Albums and artists through the API: grouped from the tracks that match the filters, sorted and
paged like the track list, and an album's and an artist's own pages.

One app, synced once from a simulated library, serves the module; the tests only read. What the
groups should hold is worked out from /api/tracks (whose filters are proved elsewhere).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import TOKEN
from web_harness import AppServer, synced_app

from plexcrate.simulator import SimLibrary
from plexcrate.web.models import AlbumDetail, AlbumsBody, ArtistDetail, ArtistsBody

FILTERS: list[dict[str, Any]] = [
    {},
    {"exclude_live": "false"},
    {"decade": "1990s"},
    {"played": "ever", "exclude_live": "false"},
    {"q": "the"},
]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    lib = SimLibrary.generate(tracks=600, seed=31)
    with synced_app(lib, tmp_path_factory.mktemp("browse"), TOKEN) as server:
        yield server


def get(app: AppServer, path: str, **params: Any) -> dict[str, Any]:
    answer = app.http.get(path, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def tracks(app: AppServer, **params: Any) -> list[dict[str, Any]]:
    return get(app, "/api/tracks", limit=1000, **params)["tracks"]


@pytest.mark.parametrize("params", FILTERS)
def test_albums_and_artists_are_those_of_the_matching_tracks(
    app: AppServer, params: dict[str, Any]
) -> None:
    matching = tracks(app, **params)
    by_album = Counter(t["album_key"] for t in matching)
    by_artist = Counter(t["artist_key"] for t in matching)
    albums = AlbumsBody.model_validate(get(app, "/api/albums", limit=1000, **params))
    assert albums.total == len(albums.albums) == len(by_album)
    assert {a.rating_key: a.matching_tracks for a in albums.albums} == dict(by_album)
    assert all(a.matching_tracks <= a.track_count for a in albums.albums)
    artists = ArtistsBody.model_validate(get(app, "/api/artists", limit=1000, **params))
    assert {a.rating_key: a.track_count for a in artists.artists} == dict(by_artist)
    albums_of = Counter(a.artist_key for a in albums.albums)
    assert {a.rating_key: a.album_count for a in artists.artists} == dict(albums_of)


def test_the_default_order_is_plex_s_and_pages_cover_every_album_once(app: AppServer) -> None:
    everything = get(app, "/api/albums", limit=1000)["albums"]
    keys = [(a["album_artist"].encode().lower(), a["title"].encode().lower()) for a in everything]
    assert keys == sorted(keys)
    paged = [
        a["rating_key"]
        for offset in range(0, len(everything), 7)
        for a in get(app, "/api/albums", limit=7, offset=offset)["albums"]
    ]
    assert paged == [a["rating_key"] for a in everything]
    past = get(app, "/api/albums", offset=10_000)
    assert past["albums"] == [] and past["total"] == len(everything)


@pytest.mark.parametrize("sort", ["year", "-year", "title", "-title"])
def test_albums_sort_by_their_own_fields(app: AppServer, sort: str) -> None:
    albums = get(app, "/api/albums", limit=1000, sort=sort)["albums"]
    field = sort.lstrip("-")
    values = [a[field] for a in albums]
    present = [v.encode().lower() if isinstance(v, str) else v for v in values if v is not None]
    assert values[len(present) :] == [None] * (len(values) - len(present))  # missing ones last
    assert present == sorted(present, reverse=sort.startswith("-"))


def test_artists_sort_by_plays_and_shuffle_by_a_seed(app: AppServer) -> None:
    plays = Counter()
    for track in tracks(app):
        plays[track["artist_key"]] += track["view_count"]
    ordered = [
        a["rating_key"] for a in get(app, "/api/artists", limit=1000, sort="-plays")["artists"]
    ]
    assert [plays[key] for key in ordered] == sorted(plays.values(), reverse=True)
    shuffled = get(app, "/api/artists", limit=1000, sort="random", seed=4)
    assert shuffled["seed"] == 4
    assert shuffled == get(app, "/api/artists", limit=1000, sort="random", seed=4)
    assert sorted(a["rating_key"] for a in shuffled["artists"]) == sorted(ordered)


def test_an_album_page_lists_its_tracks_in_disc_and_track_order(app: AppServer) -> None:
    album = get(app, "/api/albums", limit=1)["albums"][0]
    page = AlbumDetail.model_validate(get(app, f"/api/albums/{album['rating_key']}"))
    assert page.album.rating_key == album["rating_key"]
    assert len(page.tracks) == page.album.track_count
    assert {t.album_key for t in page.tracks} == {album["rating_key"]}
    order = [(t.disc_number or 0, t.track_number or 0) for t in page.tracks]
    assert order == sorted(order)


def test_an_artist_page_lists_its_albums_oldest_first(app: AppServer) -> None:
    artist = get(app, "/api/artists", limit=1, sort="-plays")["artists"][0]
    page = ArtistDetail.model_validate(get(app, f"/api/artists/{artist['rating_key']}"))
    assert page.artist.title == artist["title"]
    assert {a.artist_key for a in page.albums} == {artist["rating_key"]}
    years = [a.year for a in page.albums if a.year is not None]
    assert years == sorted(years)


@pytest.mark.parametrize(
    ("path", "params", "status", "message"),
    [
        ("/api/albums/999999999", {}, 404, "No album with the id 999999999 in the cache."),
        ("/api/artists/999999999", {}, 404, "No artist with the id 999999999 in the cache."),
        ("/api/albums/0", {}, 422, "rating_key: must be at least 1"),
        ("/api/albums/abc", {}, 422, "rating_key: must be a whole number"),
        ("/api/albums", {"sort": "loud"}, 422, "sort: must be"),
        ("/api/artists", {"limit": 0}, 422, "limit: must be at least 1"),
        ("/api/artists", {"played": "twice"}, 422, "played: must be"),
    ],
)
def test_bad_requests_get_a_plain_error(
    app: AppServer, path: str, params: dict[str, Any], status: int, message: str
) -> None:
    answer = app.http.get(path, params=params)
    assert answer.status_code == status
    assert answer.json()["error"].startswith(message), answer.text


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/albums", 200),
        ("/artists?genre=Rock&sort=-year", 200),
        ("/albums/123", 200),
        ("/artists/45", 200),
        ("/recipes?genre=Rock", 200),
        ("/albums/abc", 404),
        ("/artists/1/more", 404),
        ("/tracklist", 404),
    ],
)
def test_the_page_s_own_addresses_serve_the_page(app: AppServer, path: str, status: int) -> None:
    """The browser's views have addresses (js/router.js): a reload or a bookmark of one gets
    the page, under the same Content-Security-Policy; anything else stays a 404."""
    answer = app.http.get(path)
    assert answer.status_code == status
    if status == 200:
        assert answer.headers["content-type"].startswith("text/html")
        assert '<script type="module" src="/js/main.js">' in answer.text
        assert "script-src 'self'" in answer.headers["content-security-policy"]
        assert app.http.head(path).status_code == 200
    assert "/albums" not in app.http.get("/openapi.json").json()["paths"]
