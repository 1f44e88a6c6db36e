"""The Plex simulator: its synthetic library and its HTTP API, tested over loopback."""

from __future__ import annotations

import itertools
import re
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plexcrate.simulator import PlexSimulator, SimLibrary
from plexcrate.simulator.query import default_order, select

TOKEN = "simulator-token"
NOW = 1_800_000_000  # later than every generated timestamp


@pytest.fixture
def lib() -> SimLibrary:
    library = SimLibrary.generate(tracks=1000, seed=7)
    library.clock = lambda: NOW
    return library


@pytest.fixture
def sim(lib: SimLibrary) -> Iterator[PlexSimulator]:
    with PlexSimulator(lib, token=TOKEN) as simulator:
        yield simulator


@pytest.fixture
def client(sim: PlexSimulator) -> Iterator[httpx.Client]:
    headers = {"X-Plex-Token": TOKEN, "Accept": "application/json"}
    with httpx.Client(base_url=sim.url, headers=headers, timeout=10) as http:
        yield http


def container(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()["MediaContainer"]


def listing(client: httpx.Client, type_num: int, **params: Any) -> dict[str, Any]:
    return container(client.get("/library/sections/1/all", params={"type": type_num, **params}))


def keys(items: list[dict[str, Any]]) -> list[int]:
    return [int(item["ratingKey"]) for item in items]


def listed(client: httpx.Client, type_num: int, **params: Any) -> list[int]:
    """Rating keys of a whole listing (PMS omits Metadata when nothing matches)."""
    return keys(listing(client, type_num, **params).get("Metadata", []))


def ordered(lib: SimLibrary, kind: str, found: Any) -> list[Any]:
    """Items (or their keys) in the listing's default order (title order; see
    test_the_default_order_is_title_order_as_on_pms, which checks it independently)."""
    source = {"artist": lib.artists, "album": lib.albums, "track": lib.tracks}[kind]
    found = list(found)
    as_keys = bool(found) and isinstance(found[0], int)
    items = sorted((source[k] for k in found) if as_keys else found, key=default_order(lib, kind))
    return [item.rating_key for item in items] if as_keys else items


def where(lib: SimLibrary, kind: str, keep: Any) -> list[int]:
    """Keys of the items of ``kind`` that ``keep(item)`` accepts, in the default order."""
    source = {"artist": lib.artists, "album": lib.albums, "track": lib.tracks}[kind]
    return ordered(lib, kind, (key for key, item in source.items() if keep(item)))


def snapshot(lib: SimLibrary) -> tuple[Any, ...]:
    return (
        lib.machine_identifier,
        [repr(a) for a in lib.artists.values()],
        [repr(a) for a in lib.albums.values()],
        [repr(t) for t in lib.tracks.values()],
        lib.genre_ids,
    )


# ------------------------------------------------------------------------------ the library
def test_generation_is_deterministic_per_seed() -> None:
    first = SimLibrary.generate(tracks=800, seed=11)
    assert snapshot(first) == snapshot(SimLibrary.generate(tracks=800, seed=11))
    assert snapshot(first) != snapshot(SimLibrary.generate(tracks=800, seed=12))


@pytest.mark.parametrize("tracks", [0, 1, 19, 1000, 2345])
@pytest.mark.parametrize("music_sections", [1, 2])
def test_track_count_is_exact_and_the_tree_is_consistent(tracks: int, music_sections: int) -> None:
    lib = SimLibrary.generate(tracks=tracks, seed=3, music_sections=music_sections)
    assert len(lib.tracks) == tracks
    all_keys = [*lib.artists, *lib.albums, *lib.tracks]
    assert len(all_keys) == len(set(all_keys)) and min(all_keys, default=1) > 0
    for track in lib.tracks.values():
        album = lib.albums[track.album_key]
        assert track.artist_key == album.artist_key
        assert track.section_id == album.section_id == lib.artists[album.artist_key].section_id
    assert all(lib.album_tracks[key] for key in lib.albums), "no empty albums"
    assert sum(len(v) for v in lib.album_tracks.values()) == tracks


def test_sections_include_a_movie_section_and_optionally_a_second_music_one() -> None:
    one = SimLibrary.generate(tracks=100, seed=1)
    assert [(s.id, s.title, s.kind) for s in one.sections] == [
        (1, "Music", "artist"),
        (2, "Movies", "movie"),
    ]
    two = SimLibrary.generate(tracks=1000, seed=1, music_sections=2)
    assert [(s.id, s.kind) for s in two.sections] == [(1, "artist"), (2, "movie"), (3, "artist")]
    per_section = {s: sum(t.section_id == s for t in two.tracks.values()) for s in (1, 2, 3)}
    assert per_section == {1: 800, 2: 0, 3: 200}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_library_has_the_variety_of_a_real_one(seed: int) -> None:
    lib = SimLibrary.generate(tracks=1500, seed=seed)
    artists, albums, tracks = lib.artists, lib.albums, list(lib.tracks.values())

    compilations = [a for a in albums.values() if artists[a.artist_key].title == "Various Artists"]
    assert compilations and all("Compilation" in a.subformats for a in compilations)
    on_compilations = [t for t in tracks if t.album_key in {a.rating_key for a in compilations}]
    assert on_compilations and all(t.original_title for t in on_compilations)
    assert any(" feat. " in (t.original_title or "") for t in tracks if t not in on_compilations)

    assert any(a.genres for a in albums.values())

    def bare_albums(artist_key: int) -> bool:
        return all(not albums[k].genres for k in lib.artist_albums[artist_key])

    assert any(ar.genres and bare_albums(k) for k, ar in artists.items()), "only on the artist"
    assert any(not ar.genres and bare_albums(k) for k, ar in artists.items()), "no genres"
    assert any(a.year is None for a in albums.values())
    assert {a.year for a in albums.values() if a.year} & set(range(1950, 1970))
    assert any(t.duration is None for t in tracks)
    assert any(t.disc > 1 for t in tracks), "multi-disc albums"

    ratings = [t.user_rating for t in tracks if t.user_rating is not None]
    assert set(ratings) <= {float(n) for n in range(1, 11)}, "whole Plex steps, no halves"
    assert len(set(ratings)) >= 6 and len(ratings) < len(tracks) / 2
    assert all(t.last_rated_at for t in tracks if t.user_rating is not None)
    assert any(t.view_count > 0 and t.last_viewed_at for t in tracks)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_live_material_and_merely_live_sounding_titles(seed: int) -> None:
    lib = SimLibrary.generate(tracks=1500, seed=seed)
    live_albums = [a for a in lib.albums.values() if a.subformats == ["Live"]]
    assert live_albums
    live_keys = {a.rating_key for a in live_albums}
    studio = [t for t in lib.tracks.values() if t.album_key not in live_keys]
    marker = re.compile(r"\((Live|Live in [^)]*)\)$|\[Live\]$| - Live at ")
    assert any(marker.search(t.title) for t in studio), "live recordings on studio albums"
    tricky = {"Live Wire", "Live and Let Die", "Live Through This", "Alive", "Deliver"}
    assert tricky & {t.title for t in studio}, "studio titles that merely contain 'live'"


def test_names_cover_non_ascii_and_xml_special_characters() -> None:
    titles = {a.title for a in SimLibrary.generate(tracks=1500, seed=1).artists.values()}
    assert "Sigur Rós" in titles
    assert any(re.search(r"[\u3040-\u9fff\uac00-\ud7af]", t) for t in titles), "CJK"
    for char in "&<\"'":
        assert any(char in t for t in titles), char


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tracks=st.integers(min_value=0, max_value=400), seed=st.integers(0, 2**32))
def test_any_size_and_seed_gives_exactly_that_many_tracks(tracks: int, seed: int) -> None:
    lib = SimLibrary.generate(tracks=tracks, seed=seed)
    assert len(lib.tracks) == tracks
    for album_key, track_keys in lib.album_tracks.items():
        numbered = [(lib.tracks[k].disc, lib.tracks[k].index) for k in track_keys]
        present = [n for n in numbered if n[1] is not None]
        assert len(present) == len(set(present)), f"duplicate disc/track numbers on {album_key}"


@settings(max_examples=40, deadline=None)
@given(threshold=st.integers(1_420_000_000, 1_710_000_000))
def test_date_filters_match_a_plain_python_evaluation(threshold: int) -> None:
    lib = _FILTER_LIB
    after = select(lib, 1, 10, [("updatedAt>>", str(threshold))])
    expected = [lib.tracks[k] for k in where(lib, "track", lambda t: t.updated_at > threshold)]
    assert after == expected
    before = select(lib, 1, 9, [("addedAt<<", str(threshold))])
    assert before == [lib.albums[k] for k in where(lib, "album", lambda a: a.added_at < threshold)]


_FILTER_LIB = SimLibrary.generate(tracks=600, seed=5)


@settings(max_examples=40, deadline=None)
@given(
    albums=st.lists(st.sampled_from([*sorted(_FILTER_LIB.albums), 0, 10**9]), max_size=6),
    rated_above=st.none() | st.integers(0, 10),
    section=st.sampled_from([1, 2, 3]),
)
def test_album_id_filters_match_a_plain_python_evaluation(
    albums: list[int], rated_above: int | None, section: int
) -> None:
    """``album.id=`` starts from the albums' own tracks (a shortcut): the same answer as a scan,
    duplicates, unknown albums, other sections and further filters included."""
    lib = _FILTER_LIB
    pairs = [("album.id", ",".join(map(str, albums)) or "0")]
    if rated_above is not None:
        pairs.append(("userRating>>", str(rated_above)))
    wanted = set(albums)
    expected = [
        t
        for t in lib.tracks.values()
        if t.section_id == section
        and t.album_key in wanted
        and (rated_above is None or (t.user_rating is not None and t.user_rating > rated_above))
    ]
    assert select(lib, section, 10, pairs) == ordered(lib, "track", expected)


def test_generating_100k_tracks_takes_seconds_not_minutes() -> None:
    started = time.monotonic()
    lib = SimLibrary.generate(tracks=100_000, seed=1)
    assert len(lib.tracks) == 100_000
    assert time.monotonic() - started < 20  # typically well under 2 s; this only catches O(n²)


# ------------------------------------------------------------------------------ auth
def test_token_in_header_or_query_and_401_without(sim: PlexSimulator) -> None:
    url = sim.url + "/library/sections"
    assert httpx.get(url, headers={"X-Plex-Token": TOKEN}).status_code == 200
    assert httpx.get(url, params={"X-Plex-Token": TOKEN}).status_code == 200
    for denied in (httpx.get(url), httpx.get(url, headers={"X-Plex-Token": "wrong"})):
        assert denied.status_code == 401 and denied.text == "Unauthorized"
    records = [(r.status, r.token_in_query) for r in sim.requests]
    assert records == [(200, False), (200, True), (401, False), (401, False)]
    assert all("X-Plex-Token" not in r.params for r in sim.requests)
    assert all("x-plex-token" not in {h.lower() for h in r.headers} for r in sim.requests)


def test_identity_answers_without_a_token(sim: PlexSimulator, lib: SimLibrary) -> None:
    response = httpx.get(sim.url + "/identity")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    assert root.tag == "MediaContainer"
    assert root.attrib["machineIdentifier"] == lib.machine_identifier
    assert root.attrib["size"] == "0" and root.attrib["version"]
    assert httpx.get(sim.url + "/").status_code == 401


def test_root_and_sections_in_json_and_xml(client: httpx.Client, lib: SimLibrary) -> None:
    root = container(client.get("/"))
    assert root["machineIdentifier"] == lib.machine_identifier
    assert root["friendlyName"] == lib.friendly_name and root["version"]
    sections = container(client.get("/library/sections"))["Directory"]
    assert [(s["key"], s["type"], s["title"]) for s in sections] == [
        ("1", "artist", "Music"),
        ("2", "movie", "Movies"),
    ]
    xml = ET.fromstring(client.get("/library/sections", headers={"Accept": "*/*"}).content)
    assert [(d.tag, d.get("key"), d.get("type")) for d in xml] == [
        ("Directory", "1", "artist"),
        ("Directory", "2", "movie"),
    ]
    assert xml[0].find("Location") is not None


def test_unknown_paths_are_404_and_unknown_params_are_ignored(client: httpx.Client) -> None:
    assert client.get("/nope").status_code == 404
    assert client.get("/library/sections/9/all").status_code == 404
    assert client.get("/library/metadata/999999").status_code == 404
    plain = listing(client, 10, **{"X-Plex-Container-Size": 5})
    noisy = listing(client, 10, **{"X-Plex-Container-Size": 5, "bogus": "1", "zzz>>": "3"})
    assert keys(plain["Metadata"]) == keys(noisy["Metadata"])


def test_movie_section_lists_nothing_musical(client: httpx.Client) -> None:
    for type_num in (None, 8, 9, 10):
        params = {} if type_num is None else {"type": type_num}
        movies = container(client.get("/library/sections/2/all", params=params))
        assert movies["size"] == 0 and movies["totalSize"] == 0 and "Metadata" not in movies


# ------------------------------------------------------------------------------ paging
def test_paging_by_header_and_by_query_param_give_identical_pages(client: httpx.Client) -> None:
    bounds = {"X-Plex-Container-Start": "200", "X-Plex-Container-Size": "50"}
    by_query = client.get("/library/sections/1/all", params={"type": 10, **bounds})
    by_header = client.get("/library/sections/1/all", params={"type": 10}, headers=bounds)
    assert by_query.content == by_header.content
    page = container(by_query)
    assert (page["size"], page["totalSize"], page["offset"]) == (50, 1000, 200)
    assert len(page["Metadata"]) == 50


def test_page_sizes_offsets_and_counting(client: httpx.Client, lib: SimLibrary) -> None:
    tail = listing(client, 10, **{"X-Plex-Container-Start": 990, "X-Plex-Container-Size": 20})
    assert (tail["size"], tail["totalSize"], tail["offset"]) == (10, 1000, 990)
    count = listing(client, 10, **{"X-Plex-Container-Start": 0, "X-Plex-Container-Size": 0})
    assert (count["size"], count["totalSize"]) == (0, 1000) and "Metadata" not in count
    beyond = listing(client, 10, **{"X-Plex-Container-Start": 5000, "X-Plex-Container-Size": 10})
    assert (beyond["size"], beyond["totalSize"]) == (0, 1000)
    everything = listing(client, 10)
    assert everything["size"] == everything["totalSize"] == 1000
    # Collections are listed (and counted) among albums and artists, unless asked not to be.
    collections = {kind: sum(c.subtype == kind for c in lib.collections.values()) for kind in
                   ("album", "artist")}  # fmt: skip
    assert collections == {"album": 1, "artist": 1}
    albums = listing(client, 9, **{"X-Plex-Container-Size": 0})
    assert albums["totalSize"] == len(lib.albums) + 1
    albums = listing(client, 9, includeCollections=0, **{"X-Plex-Container-Size": 0})
    assert albums["totalSize"] == len(lib.albums)
    artists = container(client.get("/library/sections/1/all"))  # no type: artists
    assert artists["totalSize"] == len(lib.artists) + 1
    assert {item["type"] for item in artists["Metadata"]} == {"artist", "collection"}
    artists = container(client.get("/library/sections/1/all", params={"includeCollections": 0}))
    assert {item["type"] for item in artists["Metadata"]} == {"artist"}


@pytest.mark.parametrize("type_num", [8, 9, 10])
def test_concatenated_pages_are_the_whole_listing(client: httpx.Client, type_num: int) -> None:
    whole = listed(client, type_num)
    pages: list[int] = []
    start = 0
    while True:
        page = listing(
            client, type_num, **{"X-Plex-Container-Start": start, "X-Plex-Container-Size": 37}
        )
        if not page["size"]:
            break
        pages += keys(page["Metadata"])
        start += 37
    assert pages == whole and len(set(pages)) == len(pages)


# ------------------------------------------------------------------------------ items
def test_track_items_carry_plex_fields_only_when_set(client: httpx.Client, lib: SimLibrary) -> None:
    items = {int(t["ratingKey"]): t for t in listing(client, 10)["Metadata"]}
    for key, track in lib.tracks.items():
        item = items[key]
        album, artist = lib.albums[track.album_key], lib.artists[track.artist_key]
        assert item["key"] == f"/library/metadata/{key}" and item["type"] == "track"
        assert item["title"] == track.title
        assert item["parentRatingKey"] == str(album.rating_key)
        assert item["grandparentRatingKey"] == str(artist.rating_key)
        assert item["parentTitle"] == album.title and item["grandparentTitle"] == artist.title
        assert item["parentKey"] == f"/library/metadata/{album.rating_key}"
        assert item["grandparentKey"] == f"/library/metadata/{artist.rating_key}"
        assert item["parentIndex"] == track.disc
        assert item["librarySectionID"] == 1 and item["librarySectionKey"]
        assert (item["addedAt"], item["updatedAt"]) == (track.added_at, track.updated_at)
        assert item.get("index") == track.index
        assert item.get("originalTitle") == track.original_title
        assert item.get("duration") == track.duration
        assert item.get("parentYear") == album.year
        assert item.get("userRating") == track.user_rating
        assert item.get("lastRatedAt") == track.last_rated_at
        assert item.get("viewCount") == (track.view_count or None)
        assert item.get("lastViewedAt") == track.last_viewed_at
        part = item["Media"][0]["Part"][0]
        assert part["key"].startswith(f"/library/parts/{key}/") and part["file"] and part["size"]
    assert any("originalTitle" not in i for i in items.values())
    assert any("duration" not in i for i in items.values())


def test_album_and_artist_items(client: httpx.Client, lib: SimLibrary) -> None:
    """Listings show the first two tags of each list and no release types, like PMS; an item's
    metadata shows them all."""
    albums = {int(a["ratingKey"]): a for a in listing(client, 9)["Metadata"]}
    details = container(client.get(f"/library/metadata/{','.join(map(str, lib.albums))}"))
    full = {int(a["ratingKey"]): a for a in details["Metadata"]}
    for key, album in lib.albums.items():
        item = albums[key]
        assert item["type"] == "album" and item["title"] == album.title
        assert item["parentRatingKey"] == str(album.artist_key)
        assert item["parentTitle"] == lib.artists[album.artist_key].title
        assert item.get("year") == album.year and item.get("studio") == album.studio
        assert item["leafCount"] == len(lib.album_tracks[key])
        for tag, values in (("Genre", album.genres), ("Style", album.styles),
                            ("Mood", album.moods)):  # fmt: skip
            assert [g["tag"] for g in item.get(tag, [])] == values[:2]
            assert [g["tag"] for g in full[key].get(tag, [])] == values
        assert "Subformat" not in item and "Format" not in item
        assert [s["tag"] for s in full[key].get("Subformat", [])] == album.subformats
        assert [s["tag"] for s in full[key]["Format"]] == album.formats
        assert {k: v for k, v in full[key].items() if k not in TAG_ELEMENTS} == {
            k: v for k, v in item.items() if k not in TAG_ELEMENTS
        }
    assert any(len(a.genres) > 2 for a in lib.albums.values()), "some lists are cut"
    # Artists of several countries are few: make sure one has more than a listing shows.
    wide = next(k for k, a in sorted(lib.artists.items()) if a.countries)
    lib.edit_artist(wide, countries=["Iceland", "Japan", "Nigeria", "Brazil"])
    listed_artists = container(client.get("/library/sections/1/all"))["Metadata"]
    artists = {int(a["ratingKey"]): a for a in listed_artists}
    keys = ",".join(map(str, lib.artists))
    full_artists = {
        int(a["ratingKey"]): a
        for a in container(client.get(f"/library/metadata/{keys}"))["Metadata"]
    }
    for key, artist in lib.artists.items():
        assert artists[key]["childCount"] == len(lib.artist_albums[key])
        for tag, values in (("Genre", artist.genres), ("Style", artist.styles),
                            ("Mood", artist.moods), ("Country", artist.countries)):  # fmt: skip
            assert [g["tag"] for g in artists[key].get(tag, [])] == values[:2]
            assert [g["tag"] for g in full_artists[key].get(tag, [])] == values
    assert [g["tag"] for g in full_artists[wide]["Country"]][2:] == ["Nigeria", "Brazil"]


TAG_ELEMENTS = frozenset({"Genre", "Style", "Mood", "Country", "Format", "Subformat"})


def test_tracks_carry_their_own_tags_cut_in_listings(client: httpx.Client, lib: SimLibrary) -> None:
    tagged = [t for t in lib.tracks.values() if len(t.genres) > 2 or len(t.moods) > 2]
    assert tagged
    items = {int(t["ratingKey"]): t for t in listing(client, 10)["Metadata"]}
    ids = ",".join(str(t.rating_key) for t in tagged)
    details = container(client.get(f"/library/metadata/{ids}"))["Metadata"]
    full = {int(t["ratingKey"]): t for t in details}
    for track in tagged:
        item = items[track.rating_key]
        assert [g["tag"] for g in item.get("Genre", [])] == track.genres[:2]
        assert [g["tag"] for g in item.get("Mood", [])] == track.moods[:2]
        assert [g["tag"] for g in full[track.rating_key].get("Genre", [])] == track.genres
        assert [g["tag"] for g in full[track.rating_key].get("Mood", [])] == track.moods


def test_a_generous_simulator_lists_every_tag(lib: SimLibrary) -> None:
    with (
        PlexSimulator(lib, token=TOKEN, generous=True) as generous,
        httpx.Client(
            base_url=generous.url, headers={"X-Plex-Token": TOKEN, "Accept": "application/json"}
        ) as http,  # fmt: skip
    ):
        albums = {int(a["ratingKey"]): a for a in listing(http, 9)["Metadata"]}
    for key, album in lib.albums.items():
        assert [g["tag"] for g in albums[key].get("Genre", [])] == album.genres
        assert [s["tag"] for s in albums[key].get("Subformat", [])] == album.subformats


def test_the_default_order_is_title_order_as_on_pms(client: httpx.Client, lib: SimLibrary) -> None:
    """Artists by titleSort; albums by artist, then title; tracks by artist, album, year, disc,
    track number (home-assistant's recorded library_music_metadata.xml names these sorts)."""

    def fold(title: str | None) -> str:
        return re.sub(r"^(the|a|an) ", "", (title or "").casefold())

    artists = listed(client, 8, includeCollections=0)
    assert artists == sorted(lib.artists, key=lambda k: (fold(lib.artists[k].title), k))
    albums = listed(client, 9, includeCollections=0)
    artist_of = lambda a: lib.artists[lib.albums[a].artist_key].title  # noqa: E731
    assert albums == sorted(
        lib.albums, key=lambda k: (fold(artist_of(k)), fold(lib.albums[k].title), k)
    )

    def track_order(k: int) -> tuple[Any, ...]:
        t = lib.tracks[k]
        album = lib.albums[t.album_key]
        return (fold(artist_of(t.album_key)), fold(album.title), album.year or 0, t.disc,
                t.index or 0, fold(t.title), k)  # fmt: skip

    tracks = listed(client, 10)
    assert tracks == sorted(lib.tracks, key=track_order)
    assert tracks != sorted(tracks), "not ratingKey order"
    # So a deletion near the front moves every later item one place.
    before = listing(client, 10, **{"X-Plex-Container-Start": 500, "X-Plex-Container-Size": 1})
    lib.delete_track(tracks[3])
    after = listing(client, 10, **{"X-Plex-Container-Start": 499, "X-Plex-Container-Size": 1})
    assert keys(before["Metadata"]) == keys(after["Metadata"])


def test_xml_uses_plex_element_names(client: httpx.Client, lib: SimLibrary) -> None:
    live = next(a for a in lib.albums.values() if a.subformats == ["Live"] and a.genres)
    xml = {"Accept": "application/xml"}
    albums = ET.fromstring(
        client.get("/library/sections/1/all", params={"type": 9}, headers=xml).content
    )
    element = next(e for e in albums if e.get("ratingKey") == str(live.rating_key))
    assert (element.tag, element.get("type")) == ("Directory", "album")
    assert [g.get("tag") for g in element.findall("Genre")] == live.genres[:2]
    assert element.findall("Subformat") == []  # listings leave release types out
    details = ET.fromstring(client.get(f"/library/metadata/{live.rating_key}", headers=xml).content)
    assert [g.get("tag") for g in details[0].findall("Genre")] == live.genres
    assert [s.get("tag") for s in details[0].findall("Subformat")] == ["Live"]
    tracks = ET.fromstring(
        client.get("/library/sections/1/all", params={"type": 10}, headers=xml).content
    )
    assert {e.tag for e in tracks} == {"Track"}
    assert tracks[0].find("Media/Part").get("file")


def test_special_characters_round_trip_through_xml_and_json(
    client: httpx.Client, lib: SimLibrary
) -> None:
    expected = {(str(k), t.title) for k, t in lib.tracks.items()}
    expected_originals = {
        (str(k), t.original_title) for k, t in lib.tracks.items() if t.original_title
    }
    expected_artists = {(str(k), a.title) for k, a in lib.artists.items()}
    collections = lib.collections.items()
    expected_artists |= {(str(k), c.title) for k, c in collections if c.subtype == "artist"}
    assert any(set(title) & set("&<\"'") for _, title in expected_artists)
    as_json = listing(client, 10)["Metadata"]
    assert {(t["ratingKey"], t["title"]) for t in as_json} == expected
    assert {(t["ratingKey"], t["originalTitle"]) for t in as_json if "originalTitle" in t} == (
        expected_originals
    )
    xml = {"Accept": "text/xml"}
    raw = client.get("/library/sections/1/all", params={"type": 10}, headers=xml).content
    assert raw.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    as_xml = ET.fromstring(raw)
    assert {(t.get("ratingKey"), t.get("title")) for t in as_xml} == expected
    assert {(t.get("ratingKey"), t.get("grandparentTitle")) for t in as_xml} == {
        (str(k), lib.artists[t.artist_key].title) for k, t in lib.tracks.items()
    }
    artists_xml = ET.fromstring(client.get("/library/sections/1/all", headers=xml).content)
    assert {(a.get("ratingKey"), a.get("title")) for a in artists_xml} == expected_artists


def test_metadata_by_ids_and_children(client: httpx.Client, lib: SimLibrary) -> None:
    discs = {a: {lib.tracks[k].disc for k in ks} for a, ks in lib.album_tracks.items()}
    multi = lib.albums[next(a for a, d in discs.items() if len(d) > 1)]
    track_key = lib.album_tracks[multi.rating_key][0]
    found = container(client.get(f"/library/metadata/{track_key},{multi.rating_key},999999"))
    assert [(m["ratingKey"], m["type"]) for m in found["Metadata"]] == [
        (str(track_key), "track"),
        (str(multi.rating_key), "album"),
    ]
    children = container(client.get(f"/library/metadata/{multi.rating_key}/children"))
    order = [(m["parentIndex"], m.get("index", 0)) for m in children["Metadata"]]
    assert order == sorted(order) and len(order) == len(lib.album_tracks[multi.rating_key])
    albums = container(client.get(f"/library/metadata/{multi.artist_key}/children"))
    assert keys(albums["Metadata"]) == lib.artist_albums[multi.artist_key]
    leaves = container(client.get(f"/library/metadata/{multi.artist_key}/allLeaves"))
    own_albums = lib.artist_albums[multi.artist_key]
    assert leaves["size"] == sum(len(lib.album_tracks[a]) for a in own_albums)


# ------------------------------------------------------------------------------ filters & sort
def test_updated_at_filter_is_strictly_after(client: httpx.Client, lib: SimLibrary) -> None:
    threshold = sorted(t.updated_at for t in lib.tracks.values())[700]
    after = listed(client, 10, **{"updatedAt>>": threshold})
    assert after == where(lib, "track", lambda t: t.updated_at > threshold)
    before = listed(client, 10, **{"updatedAt<<": threshold})
    assert before == where(lib, "track", lambda t: t.updated_at < threshold)
    assert len(after) + len(before) < 1000, "the boundary itself is in neither"
    # The raw, unencoded operator form works the same.
    raw = client.get(f"/library/sections/1/all?type=10&updatedAt>>={threshold}")
    assert keys(container(raw)["Metadata"]) == after


def test_other_date_filters_and_relative_values(client: httpx.Client, lib: SimLibrary) -> None:
    cases = {
        "addedAt>>": lambda t, n: t.added_at > n,
        "lastRatedAt>>": lambda t, n: t.last_rated_at is not None and t.last_rated_at > n,
        "lastViewedAt<<": lambda t, n: t.last_viewed_at is not None and t.last_viewed_at < n,
    }
    threshold = 1_560_000_000
    for param, keep in cases.items():
        got = listed(client, 10, **{param: threshold})
        assert got == where(lib, "track", lambda t: keep(t, threshold)), param  # noqa: B023
    recent = listed(client, 10, **{"addedAt>>": "-4y"})
    assert recent == where(lib, "track", lambda t: t.added_at > NOW - 4 * 31_536_000)
    assert 0 < len(recent) < 1000
    hours = listed(client, 10, **{"addedAt>>": "-7200"})
    lib.add_album(tracks=2)
    added = hours + list(lib.tracks)[-2:]
    assert listed(client, 10, **{"addedAt>>": "-7200"}) == ordered(lib, "track", added)


def test_title_and_scoped_filters(client: httpx.Client, lib: SimLibrary) -> None:
    live = listed(client, 10, title="LIVE")
    assert live == where(lib, "track", lambda t: "live" in t.title.casefold())
    assert any("deliver" in lib.tracks[k].title.casefold() for k in live), "contains, not word"
    album = next(iter(lib.albums.values()))
    by_album = listed(client, 10, **{"album.id": album.rating_key})
    assert by_album == ordered(lib, "track", lib.album_tracks[album.rating_key])
    rated = listed(client, 10, **{"userRating>>": 7})
    assert rated == where(lib, "track", lambda t: (t.user_rating or 0) > 7)
    genre = next(g for a in lib.albums.values() for g in a.genres)
    tagged = listed(client, 9, genre=genre)
    assert tagged == where(lib, "album", lambda a: genre in a.genres)


def test_sorting(client: httpx.Client, lib: SimLibrary) -> None:
    newest = listing(client, 10, sort="addedAt:desc")["Metadata"]
    added = [t["addedAt"] for t in newest]
    assert added == sorted(added, reverse=True)
    default = {key: index for index, key in enumerate(listed(client, 10))}
    ties = [(t["addedAt"], default[int(t["ratingKey"])]) for t in newest]
    for (a1, k1), (a2, k2) in itertools.pairwise(ties):
        assert a1 > a2 or k1 < k2, "ties keep the default order"
    by_title = [a["title"] for a in listing(client, 9, sort="titleSort")["Metadata"]]
    folded = [re.sub(r"^(the|a|an) ", "", t.casefold()) for t in by_title]
    assert folded == sorted(folded)


# ------------------------------------------------------------------------------ mutations
def test_rating_moves_last_rated_at_but_not_updated_at(
    client: httpx.Client, lib: SimLibrary
) -> None:
    track = next(t for t in lib.tracks.values() if t.user_rating is None)
    before = track.updated_at
    lib.rate_track(track.rating_key, 8.0)
    assert (track.user_rating, track.last_rated_at, track.updated_at) == (8.0, NOW, before)
    rated = listed(client, 10, **{"lastRatedAt>>": NOW - 1})
    assert rated == [track.rating_key]
    assert listed(client, 10, **{"updatedAt>>": NOW - 1}) == []
    item = container(client.get(f"/library/metadata/{track.rating_key}"))["Metadata"][0]
    assert (item["userRating"], item["lastRatedAt"], item["updatedAt"]) == (8.0, NOW, before)


def test_play_moves_view_count_and_last_viewed_only(client: httpx.Client, lib: SimLibrary) -> None:
    track = next(iter(lib.tracks.values()))
    count, updated = track.view_count, track.updated_at
    lib.play_track(track.rating_key)
    item = container(client.get(f"/library/metadata/{track.rating_key}"))["Metadata"][0]
    assert (item["viewCount"], item["lastViewedAt"]) == (count + 1, NOW)
    assert item["updatedAt"] == updated
    assert listed(client, 10, **{"lastViewedAt>>": NOW - 1}) == [track.rating_key]


def test_edits_move_updated_at_of_the_edited_item_only(
    client: httpx.Client, lib: SimLibrary
) -> None:
    album = next(iter(lib.albums.values()))
    track_key = lib.album_tracks[album.rating_key][0]
    track_updated = lib.tracks[track_key].updated_at
    lib.edit_album(album.rating_key, title="Renamed & <Reissued>")
    assert listed(client, 9, **{"updatedAt>>": NOW - 1}) == [album.rating_key]
    assert listed(client, 10, **{"updatedAt>>": NOW - 1}) == []
    item = container(client.get(f"/library/metadata/{track_key}"))["Metadata"][0]
    assert item["parentTitle"] == "Renamed & <Reissued>"
    assert item["updatedAt"] == track_updated
    lib.edit_track(track_key, title="New Title")
    assert listed(client, 10, **{"updatedAt>>": NOW - 1}) == [track_key]


def test_additions_appear_with_added_at_now(client: httpx.Client, lib: SimLibrary) -> None:
    album = lib.add_album(tracks=4, title="Brand New", year=2025)
    new_keys = lib.album_tracks[album.rating_key]
    assert listed(client, 10, **{"addedAt>>": NOW - 1}) == ordered(lib, "track", new_keys)
    assert listing(client, 10, **{"X-Plex-Container-Size": 0})["totalSize"] == 1004
    extra = lib.add_track(album.rating_key, title="Bonus")
    assert extra.index == 5 and lib.tracks[extra.rating_key].added_at == NOW
    newest = listing(client, 9, sort="addedAt:desc", **{"X-Plex-Container-Size": 1})
    assert newest["Metadata"][0]["title"] == "Brand New"
    assert newest["Metadata"][0]["leafCount"] == 5


def test_deletions_vanish_from_listings_and_metadata(client: httpx.Client, lib: SimLibrary) -> None:
    track_key = next(iter(lib.tracks))
    lib.delete_track(track_key)
    assert client.get(f"/library/metadata/{track_key}").status_code == 404
    assert track_key not in listed(client, 10)
    collected = {key for c in lib.collections.values() for key in c.item_keys}
    album = next(
        a
        for a in lib.albums.values()
        if len(lib.album_tracks[a.rating_key]) > 1 and a.rating_key in collected
    )
    gone = list(lib.album_tracks[album.rating_key])
    lib.delete_album(album.rating_key)
    remaining = set(listed(client, 10))
    assert not remaining & set(gone) and len(remaining) == 999 - len(gone)
    assert client.get(f"/library/metadata/{album.rating_key}").status_code == 404
    assert album.rating_key not in listed(client, 9)
    assert not any(album.rating_key in c.item_keys for c in lib.collections.values())


def test_last_track_of_an_album_takes_the_album_with_it(lib: SimLibrary) -> None:
    album = lib.add_album(tracks=1)
    (only,) = lib.album_tracks[album.rating_key]
    lib.delete_track(only)
    assert album.rating_key not in lib.albums
    assert album.artist_key not in lib.artists, "a new artist with no albums left goes too"


def test_rate_and_scrobble_endpoints(client: httpx.Client, lib: SimLibrary) -> None:
    key = next(iter(lib.tracks))
    ident = "com.plexapp.plugins.library"
    assert client.put("/:/rate", params={"key": key, "identifier": ident, "rating": 6}).is_success
    assert lib.tracks[key].user_rating == 6.0
    assert client.put("/:/rate", params={"key": key, "identifier": ident, "rating": -1}).is_success
    assert lib.tracks[key].user_rating is None and lib.tracks[key].last_rated_at == NOW
    views = lib.tracks[key].view_count
    assert client.get("/:/scrobble", params={"key": key, "identifier": ident}).is_success
    assert lib.tracks[key].view_count == views + 1
    assert client.get("/:/unscrobble", params={"key": key, "identifier": ident}).is_success
    assert lib.tracks[key].view_count == 0
    assert client.put("/:/rate", params={"key": 1, "identifier": ident, "rating": 2}).is_error


def test_machine_identifier_can_change(client: httpx.Client, lib: SimLibrary) -> None:
    lib.set_machine_identifier("f" * 40)
    assert container(client.get("/"))["machineIdentifier"] == "f" * 40
    assert container(client.get("/identity"))["machineIdentifier"] == "f" * 40


def test_pages_stay_consistent_while_the_library_changes(
    client: httpx.Client, lib: SimLibrary
) -> None:
    stop = threading.Event()

    def churn() -> None:
        while not stop.is_set():
            album = lib.add_album(tracks=3)
            lib.rate_track(lib.album_tracks[album.rating_key][0], 4.0)
            lib.delete_album(album.rating_key)

    worker = threading.Thread(target=churn)
    worker.start()
    try:
        for _ in range(25):
            page = listing(client, 10, **{"X-Plex-Container-Size": 500, "addedAt>>": 0})
            assert page["size"] == len(page["Metadata"]) == 500
            assert page["totalSize"] in (1000, 1003)
            for item in page["Metadata"]:
                assert int(item["parentRatingKey"]) > 0 and item["parentTitle"] is not None
    finally:
        stop.set()
        worker.join()


# ------------------------------------------------------------------------------ playlists
def test_a_playlists_updated_at_and_leaf_count_follow_its_edits(
    client: httpx.Client, lib: SimLibrary
) -> None:
    """As on PMS: leafCount counts the items that landed (keys naming nothing are left out),
    and an edit of the items or the title moves updatedAt (and the composite, stamped with
    it)."""
    keys_ = list(lib.tracks)[:4]
    uri = f"server://{lib.machine_identifier}/com.plexapp.plugins.library/library/metadata/"
    now = [1_700_000_000]
    lib.clock = lambda: now[0]
    created = client.post(
        "/playlists",
        params={"uri": uri + ",".join(map(str, [*keys_[:2], 999_999])), "type": "audio",
                "title": "Edited"},
    )  # fmt: skip
    playlist = container(created)["Metadata"][0]
    pid = playlist["ratingKey"]
    assert (playlist["leafCount"], playlist["updatedAt"]) == (2, now[0])

    def listed() -> dict[str, Any]:
        found = container(client.get("/playlists", params={"playlistType": "audio"}))
        return next(p for p in found["Metadata"] if p["ratingKey"] == pid)

    for edit, count in (
        (lambda: client.put(f"/playlists/{pid}/items", params={"uri": uri + str(keys_[2])}), 3),
        (lambda: client.put(f"/playlists/{pid}", params={"title": "Renamed"}), 3),
        (lambda: client.delete(f"/playlists/{pid}/items"), 0),
    ):
        now[0] += 10
        assert edit().is_success
        assert (listed()["leafCount"], listed()["updatedAt"]) == (count, now[0])
        assert listed()["composite"].endswith(f"/{now[0]}")


def test_playlists_over_http(client: httpx.Client, lib: SimLibrary) -> None:
    track_keys = list(lib.tracks)[:3]
    uri = f"server://{lib.machine_identifier}/com.plexapp.plugins.library/library/metadata/"
    created = client.post(
        "/playlists",
        params={"uri": uri + ",".join(map(str, track_keys)), "type": "audio", "title": "Mix"},
    )
    playlist = container(created)["Metadata"][0]
    pid = int(playlist["ratingKey"])
    assert (playlist["title"], playlist["leafCount"], playlist["smart"]) == ("Mix", 3, False)
    assert lib.playlists[pid].item_keys == track_keys
    # A key that names nothing is left out, as PMS does; the playlist stays as it was.
    stamped = lib.playlists[pid].updated_at
    nothing = container(client.put(f"/playlists/{pid}/items", params={"uri": uri + "999999"}))
    assert (nothing["leafCountAdded"], nothing["leafCountRequested"]) == (0, 1)
    assert nothing["Metadata"][0]["leafCount"] == 3
    assert lib.playlists[pid].updated_at == stamped
    album = next(iter(lib.albums.values()))
    added = client.put(f"/playlists/{pid}/items", params={"uri": uri + str(album.rating_key)})
    assert container(added)["leafCountAdded"] == len(lib.album_tracks[album.rating_key])
    items = container(client.get(f"/playlists/{pid}/items"))["Metadata"]
    assert keys(items) == track_keys + lib.album_track_keys(album.rating_key)
    assert client.delete(f"/playlists/{pid}/items/{items[0]['playlistItemID']}").is_success
    assert keys(container(client.get(f"/playlists/{pid}/items"))["Metadata"]) == keys(items[1:])
    listed = container(client.get("/playlists", params={"playlistType": "audio"}))["Metadata"]
    assert [p["title"] for p in listed] == ["Mix"]
    assert client.delete(f"/playlists/{pid}/items").is_success
    assert lib.playlists[pid].item_keys == []
    assert client.delete(f"/playlists/{pid}").is_success
    assert client.get(f"/playlists/{pid}").status_code == 404 and pid not in lib.playlists
    bad = client.post("/playlists", params={"uri": uri + "424242", "title": "x", "type": "audio"})
    assert bad.status_code == 400


def test_the_trash_keeps_tracks_listed_with_deleted_at_until_it_is_emptied(
    client: httpx.Client, lib: SimLibrary
) -> None:
    """As on PMS with automatic emptying off: a trashed track stays listed and counted, marked
    ``deletedAt``; restoring unmarks it; ``emptyTrash`` deletes it for good."""
    total = listing(client, 10, **{"X-Plex-Container-Size": 0})["totalSize"]
    trashed, restored = sorted(lib.tracks)[3:5]
    for key in (trashed, restored):
        answer = client.post(
            "/__simulator__/mutate", json={"op": "trash_track", "args": {"rating_key": key}}
        )
        assert answer.status_code == 200, answer.text
    assert listing(client, 10, **{"X-Plex-Container-Size": 0})["totalSize"] == total
    shown = {int(i["ratingKey"]): i for i in listing(client, 10)["Metadata"]}
    assert shown[trashed]["deletedAt"] == NOW and shown[restored]["deletedAt"] == NOW
    assert sum("deletedAt" in item for item in shown.values()) == 2
    metadata = container(client.get(f"/library/metadata/{trashed}"))["Metadata"][0]
    assert metadata["deletedAt"] == NOW

    client.post(
        "/__simulator__/mutate", json={"op": "restore_track", "args": {"rating_key": restored}}
    )
    assert "deletedAt" not in container(client.get(f"/library/metadata/{restored}"))["Metadata"][0]

    assert client.put("/library/sections/1/emptyTrash").status_code == 200
    assert trashed not in lib.tracks and restored in lib.tracks
    assert listing(client, 10, **{"X-Plex-Container-Size": 0})["totalSize"] == total - 1
    assert client.put("/library/sections/99/emptyTrash").status_code == 404
