"""The library's vocabulary through the API and the CLI: the filter declarations, sorts, facet
search, the fields of a track, and bad values refused with a message naming the parameter.

One app, synced once from a simulated library, serves every test in this module; the tests only
read. (The brute-force proofs of every filter, sort and facet are in test_query_properties.py;
these check that the API, the OpenAPI document and the CLI follow the same declarations.)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from conftest import TOKEN
from web_harness import AppServer, synced_app

from plexcrate.cache.filters import FILTERS
from plexcrate.cache.queries import SORTS
from plexcrate.cache.tags import KINDS, TagKind
from plexcrate.cache.tags import _check as check_kinds
from plexcrate.cli import main
from plexcrate.simulator import SimLibrary
from plexcrate.web.models import FacetValues, FilterDeclarations, TrackPageBody

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture(scope="module")
def lib() -> SimLibrary:
    return SimLibrary.generate(tracks=600, seed=21)


@pytest.fixture(scope="module")
def app(lib: SimLibrary, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    with synced_app(lib, tmp_path_factory.mktemp("vocabulary"), TOKEN) as server:
        yield server


def tracks(app: AppServer, **params: Any) -> dict[str, Any]:
    answer = app.http.get("/api/tracks", params={"limit": 1000, "exclude_live": "false", **params})
    assert answer.status_code == 200, answer.text
    return TrackPageBody.model_validate(answer.json()).model_dump()


# --- the declarations --------------------------------------------------------------------------


def test_every_filter_is_declared_once_for_the_browser_and_the_document(app: AppServer) -> None:
    declared = FilterDeclarations.model_validate(app.get("/api/filters").json())
    names = [d.name for d in declared.filters]
    assert names == [spec.name for spec in FILTERS] and len(set(names)) == len(names)
    assert declared.sorts == list(SORTS)
    assert set(declared.facet_kinds) == {kind.value for kind in TagKind}
    # The OpenAPI document's parameters and the JSON body of the playlist builder are made
    # from the same declarations.
    document = app.get("/openapi.json").json()
    parameters = {p["name"] for p in document["paths"]["/api/tracks"]["get"]["parameters"]}
    assert set(names) <= parameters
    body = document["components"]["schemas"]["FilterBody"]["properties"]
    assert set(body) == set(names)
    rating = next(d for d in declared.filters if d.name == "min_rating")
    assert (rating.type, rating.minimum, rating.maximum, rating.default) == ("int", 0, 10, 0)
    played = next(d for d in declared.filters if d.name == "played")
    assert played.choices == ["any", "never", "ever"]


def test_declarations_that_would_make_two_kinds_one_are_refused() -> None:
    genre, artist = KINDS[0], KINDS[-1]
    with pytest.raises(ValueError, match="same facet twice"):
        check_kinds((*KINDS, replace(genre, name="genre_again")))
    with pytest.raises(ValueError, match="no track has it"):
        check_kinds((*KINDS, replace(artist, name="nobody", columns=())))
    with pytest.raises(ValueError, match="a source reads nothing on"):
        colour = replace(genre, name="colour", album=("Colour",), artist=(), track=())
        check_kinds((*KINDS, replace(colour, facet=None, track_field=None)))


# --- a track's fields --------------------------------------------------------------------------


def test_a_track_carries_every_kind_of_tag_and_its_dates(app: AppServer) -> None:
    everything = tracks(app)["tracks"]
    assert all(isinstance(t[kind], list) for t in everything for kind in ("styles", "moods"))
    assert any(t["genres"] for t in everything)
    assert all(t["added_at"] is None or ISO_UTC.match(t["added_at"]) for t in everything)
    played = [t for t in everything if t["view_count"] > 0]
    assert played and all(ISO_UTC.match(t["last_played_at"] or "") for t in played)


# --- filters -----------------------------------------------------------------------------------


def test_each_new_filter_narrows_the_list_to_what_it_says(app: AppServer) -> None:
    everything = tracks(app)["tracks"]
    total = len(everything)
    assert tracks(app, played="never")["total"] + tracks(app, played="ever")["total"] == total
    assert all(t["view_count"] == 0 for t in tracks(app, played="never")["tracks"])
    years = sorted(t["year"] for t in everything if t["year"])
    middle = years[len(years) // 2]
    later = tracks(app, year_min=middle)["tracks"]
    assert later and all(t["year"] >= middle for t in later)
    earlier = tracks(app, year_max=middle - 1)["tracks"]
    assert len(later) + len(earlier) == len(years)  # a track without a year is in neither
    genre = next(g for t in everything for g in t["genres"])
    without = tracks(app, exclude_genre=genre)["tracks"]
    assert without and all(genre not in t["genres"] for t in without)
    assert len(without) + tracks(app, genre=genre)["total"] == total
    artist = everything[0]["artist"]
    by_artist = tracks(app, artist=artist)["tracks"]
    assert by_artist and all(artist in (t["artist"], t["album_artist"]) for t in by_artist)
    assert tracks(app, exclude_artist=artist)["total"] == total - len(by_artist)


def test_added_within_days_counts_back_from_now(app: AppServer) -> None:
    everything = tracks(app)["tracks"]
    # The simulated library was added years ago: a century back finds them all, a day none.
    assert tracks(app, added_within_days=36_500)["total"] == len(everything)
    assert tracks(app, added_within_days=1)["total"] == 0


# --- sorts -------------------------------------------------------------------------------------

FIELDS = {
    "title": "title",
    "artist": "artist",
    "album": "album",
    "year": "year",
    "added": "added_at",
    "rating": "user_rating",
    "plays": "view_count",
    "last_played": "last_played_at",
    "duration": "duration_ms",
}


@pytest.mark.parametrize("sort", [name for name in SORTS if name not in ("default", "random")])
def test_each_sort_orders_by_its_field_with_missing_values_last(app: AppServer, sort: str) -> None:
    listed = tracks(app, sort=sort)["tracks"]
    values = [t[FIELDS[sort.lstrip("-")]] for t in listed]
    present = [v for v in values if v is not None]
    assert values == present + [None] * (len(values) - len(present))  # missing ones last
    if isinstance(present[0], str) and sort.lstrip("-") in ("title", "artist", "album"):
        present = [v.encode().lower() for v in present]  # NOCASE: ASCII letters folded
    assert present == sorted(present, reverse=sort.startswith("-"))


def test_sort_wins_over_the_older_order_parameter(app: AppServer) -> None:
    by_title = tracks(app, sort="title", order="random")
    assert by_title["seed"] is None and by_title == tracks(app, sort="title")
    shuffled = tracks(app, order="random", seed=5)
    assert shuffled == tracks(app, sort="random", seed=5) and shuffled["seed"] == 5


# --- facets ------------------------------------------------------------------------------------


def test_the_stats_count_every_facet(app: AppServer) -> None:
    stats = app.http.get("/api/library/stats", params={"exclude_live": "false"}).json()
    assert set(stats) == {
        "total_tracks", "genres", "styles", "moods", "album_types", "labels", "countries",
        "decades",
    }  # fmt: skip
    for facet in stats["genres"][:3]:
        assert tracks(app, genre=facet["name"])["total"] == facet["count"]


def test_countries_are_a_field_a_facet_and_a_filter(app: AppServer, lib: SimLibrary) -> None:
    """A track's countries are its album artist's, as Plex lists them on the artist (complete,
    though listings cut them to two)."""
    everything = tracks(app)["tracks"]
    for track in everything:
        artist = lib.artists[lib.albums[track["album_key"]].artist_key]
        assert sorted(track["countries"], key=str.casefold) == track["countries"]
        assert set(track["countries"]) == set(artist.countries)
    assert any(len(t["countries"]) > 2 for t in everything), "some lists were cut in listings"
    stats = app.http.get("/api/library/stats", params={"exclude_live": "false"}).json()
    assert stats["countries"]
    for facet in stats["countries"]:
        found = tracks(app, country=facet["name"])
        assert found["total"] == facet["count"]
        assert all(facet["name"] in t["countries"] for t in found["tracks"])
    first, second = (f["name"] for f in stats["countries"][:2])
    either = tracks(app, country=[first, second])["tracks"]
    assert {t["rating_key"] for t in either} == {
        t["rating_key"] for t in everything if {first, second} & set(t["countries"])
    }
    # Counted under every other filter, not its own.
    chosen = app.http.get(
        "/api/library/stats", params={"exclude_live": "false", "country": first}
    ).json()
    assert chosen["countries"] == stats["countries"]
    assert chosen["total_tracks"] == tracks(app, country=first)["total"]
    found = app.http.get("/api/library/facets/country", params={"q": first[1:4].lower()}).json()
    assert first in [v["name"] for v in found["values"]]


def test_every_declared_kind_is_in_the_declarations_the_stats_and_a_track(
    app: AppServer,
) -> None:
    """A kind declared in cache/tags.py needs nothing more: it is a filter (and its facet and
    field, when declared) everywhere, with the words the page shows."""
    declared = app.get("/api/filters").json()
    filters = {d["name"]: d for d in declared["filters"]}
    stats = app.http.get("/api/library/stats").json()
    track = tracks(app, limit=1)["tracks"][0]
    document = app.get("/openapi.json").json()["components"]["schemas"]
    assert [k["name"] for k in declared["tag_kinds"]] == [spec.name for spec in KINDS]
    assert declared["facet_kinds"] == [spec.name for spec in KINDS]
    for spec, words in zip(KINDS, declared["tag_kinds"], strict=True):
        assert (words["one"], words["many"], words["facet"]) == (spec.one, spec.many, spec.facet)
        assert filters[spec.name]["tag_kind"] == spec.name
        assert filters[spec.name]["facet"] == spec.facet
        if spec.exclude_help:
            assert filters[f"exclude_{spec.name}"]["tag_kind"] == spec.name
        if spec.facet:
            assert spec.facet in stats and spec.facet in document["LibraryStatsBody"]["properties"]
        if spec.track_field:
            assert spec.track_field in track
            assert spec.track_field in document["TrackBody"]["properties"]
        answer = app.http.get(f"/api/library/facets/{spec.name}")
        assert answer.status_code == 200 and answer.json()["kind"] == spec.name


def test_a_facet_search_finds_values_by_part_of_their_name(app: AppServer) -> None:
    everything = tracks(app)["tracks"]
    artist = everything[0]["album_artist"]
    part = artist[1:4]
    found = FacetValues.model_validate(
        app.http.get(
            "/api/library/facets/artist", params={"q": part.upper(), "exclude_live": "false"}
        ).json()
    )
    assert found.kind == "artist"
    names = [v.name for v in found.values]
    assert artist in names and all(part.lower() in name.lower() for name in names)
    for value in found.values[:3]:
        assert tracks(app, artist=value.name)["total"] == value.count
    # Under the other filters, but not its own: choosing an artist leaves the others counted.
    chosen = app.http.get(
        "/api/library/facets/artist", params={"artist": artist, "q": part, "limit": 500}
    ).json()
    assert [v["name"] for v in chosen["values"]] == [
        v["name"]
        for v in app.http.get("/api/library/facets/artist", params={"q": part}).json()["values"]
    ]
    limited = app.http.get("/api/library/facets/genre", params={"limit": 2}).json()["values"]
    assert len(limited) == 2 and limited[0]["count"] >= limited[1]["count"]


# --- bad values ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("/api/tracks", {"sort": "loudness"}, "sort: must be"),
        ("/api/tracks", {"played": "sometimes"}, "played: must be 'any', 'never' or 'ever'"),
        ("/api/tracks", {"year_min": "nineteen"}, "year_min: must be a whole number"),
        ("/api/tracks", {"added_within_days": "0"}, "added_within_days: must be at least 1"),
        ("/api/tracks", {"style": "x" * 201}, "style: must be at most 200 characters long"),
        ("/api/library/stats", {"exclude_artist": ["a"] * 101}, "exclude_artist: can be given"),
        ("/api/library/facets/colour", {}, "kind: must be 'genre'"),
        ("/api/library/facets/genre", {"limit": "0"}, "limit: must be at least 1"),
    ],
)
def test_bad_values_are_refused_naming_the_parameter(
    app: AppServer, path: str, params: dict[str, Any], message: str
) -> None:
    answer = app.http.get(path, params=params)
    assert answer.status_code == 422
    assert answer.json()["error"].startswith(message), answer.text


def test_the_playlist_builder_takes_the_same_filters_as_json(app: AppServer) -> None:
    body = {"filters": {"played": "never", "year_min": 1990, "exclude_live": False}, "count": 20}
    picked = app.http.post("/api/playlists/preview", json=body).json()["tracks"]
    assert picked and all(t["view_count"] == 0 and t["year"] >= 1990 for t in picked)
    refused = app.http.post("/api/playlists/preview", json={"filters": {"year_min": "1990"}})
    assert refused.status_code == 422 and "year_min" in refused.json()["error"]


# --- the CLI -----------------------------------------------------------------------------------


def test_the_cli_takes_the_same_filters_and_sorts(app: AppServer, tmp_path: Path) -> None:
    env = {"PLEXCRATE_DATA_DIR": str(app.app.state.library.db.path.parent)}
    listed = CliRunner().invoke(
        main,
        ["tracks", "--json", "--include-live", "--played", "ever", "--sort=-plays", "--limit", "5"],
        env=env,
        catch_exceptions=False,
    )
    assert listed.exit_code == 0, listed.output
    answer = orjson.loads(listed.stdout)
    api = tracks(app, played="ever", sort="-plays", limit=5)
    assert answer["total"] == api["total"]
    assert [t["rating_key"] for t in answer["tracks"]] == [t["rating_key"] for t in api["tracks"]]
    refused = CliRunner().invoke(main, ["tracks", "--played", "sometimes"], env=env)
    assert refused.exit_code == 2 and "--played" in refused.output
