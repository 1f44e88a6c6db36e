"""Responses shaped like a real Plex Media Server's, written here by hand, read by plexcrate.

The shapes follow what public sources recorded from real servers (looked up, not copied):
home-assistant/core ``tests/components/plex/fixtures`` (``album.xml``: an album's metadata with
``studio``, ``leafCount``, ``viewedLeafCount``; ``playlists.xml``; ``library_music_metadata.xml``:
the music filters genre, mood, style, format, subformat and the default sorts),
andrey-yantsen/plex-api.rs ``tests/mocks/server/media/music_*.json`` (JSON listings: string
``ratingKey``s, ``Genre`` as ``[{"tag": …}]``, tracks with ``Media``/``Part``), python-plexapi
``audio.py`` (``Album.formats``, ``subformats``, ``styles``, ``moods``, ``studio``).

- JSON: a small HTTP server of our own answers with these documents, pages and all; the client
  reads them and a full sync maps them. Listings cut tag lists to two and leave out release
  types; the metadata has everything; a collection is mixed into the album listing.
- XML: the simulator's answers have the elements and attributes these documents have, so the
  simulator stays shaped like a real server.
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import httpx
import orjson
import pytest
from plex_oracle import cached_tracks

from plexcrate.cache.database import Database
from plexcrate.cache.rows import AlbumRow, ArtistRow
from plexcrate.cache.tags import KINDS, TagKind
from plexcrate.plex.client import TAG_LISTS, LibType, PlexClient, listing_may_cut, of_type
from plexcrate.plex.errors import PlexBadResponse
from plexcrate.simulator import PlexSimulator, SimLibrary
from plexcrate.sync.engine import SyncOptions, full_sync
from plexcrate.sync.mapping import album_row, artist_row

TOKEN = "shapes-token"
SECTION = 5

# --- the library, as JSON documents of a real server ----------------------------------------------

ARTIST = {
    "ratingKey": "156",
    "key": "/library/metadata/156/children",
    "guid": "plex://artist/5d07bbfd403c6402904a6480",
    "type": "artist",
    "title": "Skrillex",
    "summary": "",
    "index": 1,
    "thumb": "/library/metadata/156/thumb/1579520110",
    "addedAt": 1579520106,
    "updatedAt": 1579520110,
    "Genre": [{"tag": "Dubstep"}, {"tag": "Electronic"}],  # a listing shows two
    "Country": [{"tag": "United States"}],
}
ARTIST_DETAILS = {**ARTIST, "Genre": [*ARTIST["Genre"], {"tag": "Brostep"}]}

LIVE_ALBUM = {  # live only by its release type: nothing in its title says so
    "ratingKey": "157",
    "key": "/library/metadata/157/children",
    "parentRatingKey": "156",
    "guid": "plex://album/5d07cd1e403c640290c4f2c1",
    "parentGuid": "plex://artist/5d07bbfd403c6402904a6480",
    "studio": "Big Beat",
    "type": "album",
    "title": "Alive in the Tent",
    "parentKey": "/library/metadata/156",
    "parentTitle": "Skrillex",
    "summary": "",
    "index": 1,
    "year": 2011,
    "thumb": "/library/metadata/157/thumb/1579520116",
    "originallyAvailableAt": "2011-06-01",
    "leafCount": 2,
    "viewedLeafCount": 1,
    "addedAt": 1579520106,
    "updatedAt": 1579520116,
    "loudnessAnalysisVersion": "1",
    "Genre": [{"tag": "Dubstep"}, {"tag": "Electronic"}],
}
LIVE_ALBUM_DETAILS = {
    **LIVE_ALBUM,
    "Genre": [{"tag": "Dubstep"}, {"tag": "Electronic"}, {"tag": "Festival"}],
    "Style": [{"tag": "Brostep"}],
    "Mood": [{"tag": "Energetic"}, {"tag": "Aggressive"}, {"tag": "Rowdy"}],
    "Format": [{"tag": "Album"}],
    "Subformat": [{"tag": "Live"}],
}
EP = {
    "ratingKey": "170",
    "key": "/library/metadata/170/children",
    "parentRatingKey": "156",
    "type": "album",
    "title": "Scary Monsters",
    "parentTitle": "Skrillex",
    "year": 2010,
    "leafCount": 1,
    "viewedLeafCount": 0,
    "addedAt": 1579520200,
    "updatedAt": 1579520200,
}
EP_DETAILS = {**EP, "Format": [{"tag": "EP"}], "Genre": [{"tag": "Dubstep"}]}
COLLECTION = {  # listed among the albums; this server does so even with includeCollections=0
    "ratingKey": "900",
    "key": "/library/collections/900/children",
    "type": "collection",
    "title": "Festival Sets",
    "subtype": "album",
    "childCount": "1",
    "addedAt": 1579520300,
    "updatedAt": 1579520300,
}


def _track(key: int, album: dict[str, Any], index: int, title: str, **extra: Any) -> dict:
    return {
        "ratingKey": str(key),
        "key": f"/library/metadata/{key}",
        "parentRatingKey": album["ratingKey"],
        "grandparentRatingKey": "156",
        "type": "track",
        "title": title,
        "grandparentKey": "/library/metadata/156",
        "parentKey": f"/library/metadata/{album['ratingKey']}",
        "grandparentTitle": "Skrillex",
        "parentTitle": album["title"],
        "summary": "",
        "index": index,
        "parentIndex": 1,
        "parentYear": album["year"],
        "duration": 5491,
        "addedAt": 1579520106,
        "updatedAt": 1579520116,
        "Media": [
            {
                "id": key,
                "duration": 5491,
                "bitrate": 146,
                "audioChannels": 2,
                "audioCodec": "aac",
                "container": "aac",
                "Part": [{"id": key, "key": f"/library/parts/{key}/1579520044/file.aac"}],
            }
        ],
        **extra,
    }


TRACKS = [
    _track(158, LIVE_ALBUM, 1, "Intro", viewCount=3, userRating=9.0),
    _track(159, LIVE_ALBUM, 2, "Kill Everybody", Genre=[{"tag": "Dubstep"}, {"tag": "Rave"}]),
    _track(171, EP, 1, "Scary Monsters and Nice Sprites"),
]
TRACK_DETAILS = {"159": {**TRACKS[1], "Genre": [*TRACKS[1]["Genre"], {"tag": "Live"}]}}
DETAILS = {
    "156": ARTIST_DETAILS,
    "157": LIVE_ALBUM_DETAILS,
    "170": EP_DETAILS,
    **{t["ratingKey"]: TRACK_DETAILS.get(t["ratingKey"], t) for t in TRACKS},
}
LISTINGS = {"8": [ARTIST], "9": [LIVE_ALBUM, COLLECTION, EP], "10": TRACKS}
PLAYLISTS = [
    {
        "ratingKey": str(500 + n),
        "key": f"/playlists/{500 + n}/items",
        "type": "playlist",
        "title": f"Playlist {n}",
        "summary": "",
        "smart": n == 2,
        "playlistType": "audio",
        "composite": f"/playlists/{500 + n}/composite/1597983847",
        "duration": 5054000,
        "leafCount": 3,
        "addedAt": 1505969338,
        "updatedAt": 1597983847,
    }
    for n in (1, 2)
]


ROOT = {"machineIdentifier": "f" * 40, "friendlyName": "NAS", "version": "1.41.3.9314-a0bfb8370"}
SECTIONS = {
    "size": 2,
    "Directory": [
        {"key": str(SECTION), "type": "artist", "title": "Music", "hidden": 0},
        {"key": "1", "type": "movie", "title": "Movies"},
    ],
}

# --- a server answering with them ----------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    server: _FixtureServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        params = dict(parse_qsl(url.query))
        paging = {
            name: self.headers.get(name, params.get(name))
            for name in ("X-Plex-Container-Start", "X-Plex-Container-Size")
        }
        self.server.seen.append((unquote(url.path), params, paging))
        status, body = self.server.answer(unquote(url.path), params, paging)
        payload = orjson.dumps({"MediaContainer": body}) if status == 200 else b"Not Found"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class _FixtureServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seen: list[tuple[str, dict[str, str], dict[str, str | None]]] = []
        self.offset_error = 0  # added to the offset its pages name (a server that misplaces them)

    def answer(self, path: str, params: dict[str, str], paging: dict[str, Any]) -> tuple[int, dict]:
        routes: dict[str, Callable[[], tuple[int, dict]]] = {
            "/": lambda: (200, ROOT),
            "/library/sections": lambda: (200, SECTIONS),
            f"/library/sections/{SECTION}/all": lambda: _paged(
                _listed(params, paging), paging, self.offset_error
            ),
            "/playlists": lambda: _paged(PLAYLISTS, paging),
            "/playlists/501/items": lambda: _paged([*TRACKS] * 700, paging),  # 2,100 entries
        }
        if path.startswith("/library/metadata/"):
            found = [DETAILS[k] for k in path.rsplit("/", 1)[1].split(",") if k in DETAILS]
            return (200, {"size": len(found), "Metadata": found}) if found else (404, {})
        route = routes.get(path)
        return route() if route else (404, {})

    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


def _listed(params: dict[str, str], paging: dict[str, Any]) -> list[dict[str, Any]]:
    items = LISTINGS[params.get("type", "8")]
    if paging["X-Plex-Container-Size"] == "0" and params.get("includeCollections") == "0":
        items = [i for i in items if i["type"] != "collection"]  # counted without them
    if params.get("viewCount>>") is not None:
        items = [i for i in items if i.get("viewCount", 0) > int(params["viewCount>>"])]
    return items


def _paged(
    items: list[dict[str, Any]], paging: dict[str, Any], offset_error: int = 0
) -> tuple[int, dict]:
    if paging["X-Plex-Container-Start"] is None or paging["X-Plex-Container-Size"] is None:
        return 400, {}  # a list request without paging: refused, as PMS says it will be
    start, size = int(paging["X-Plex-Container-Start"]), int(paging["X-Plex-Container-Size"])
    page = items[start : start + size]
    body = {"size": len(page), "totalSize": len(items), "offset": start + offset_error}
    return 200, ({**body, "Metadata": page} if page else body)


@pytest.fixture(scope="module")
def server() -> Iterator[_FixtureServer]:
    fixture = _FixtureServer()
    thread = threading.Thread(target=fixture.serve_forever, daemon=True)
    thread.start()
    yield fixture
    fixture.shutdown()
    fixture.server_close()


@pytest.fixture
def client(server: _FixtureServer) -> Iterator[PlexClient]:
    with PlexClient(server.url(), TOKEN, timeout=5, retry_delay=0) as plex:
        yield plex


def names(row: ArtistRow | AlbumRow, kind: TagKind) -> tuple[str, ...]:
    """A row's tags of one kind, in Plex's order."""
    return tuple(name for tag_kind, name in row.tags if tag_kind == kind)


def genres(row: ArtistRow | AlbumRow) -> tuple[str, ...]:
    return names(row, TagKind.GENRE)


# --- JSON: read and mapped -----------------------------------------------------------------------


def test_a_listing_s_cut_tags_are_completed_from_the_metadata(client: PlexClient) -> None:
    page = client.page(SECTION, LibType.ALBUM, 0, 50)
    assert [i["type"] for i in page.items] == ["album", "collection", "album"]
    albums = of_type(page.items, LibType.ALBUM)
    assert [a["ratingKey"] for a in albums] == ["157", "170"]
    listed = album_row(albums[0], SECTION)
    assert genres(listed) == ("Dubstep", "Electronic") and not listed.is_live  # what was cut
    complete = client.complete(albums, LibType.ALBUM)
    live, ep = (album_row(item, SECTION) for item in complete)
    assert genres(live) == ("Dubstep", "Electronic", "Festival")
    assert live.is_live, "its release type says Live, though its title doesn't"
    assert names(live, TagKind.ALBUM_TYPE) == ("Album", "Live")
    assert names(live, TagKind.LABEL) == ("Big Beat",)
    assert (live.track_count, live.year, live.album_artist) == (2, 2011, "Skrillex")
    assert (genres(ep), ep.is_live) == (("Dubstep",), False)
    assert complete[0]["Format"] == [{"tag": "Album"}] and complete[0]["studio"] == "Big Beat"


def test_which_listed_items_may_have_been_cut(client: PlexClient) -> None:
    """Albums always (their release types are not listed); artists and tracks with a tag list
    as long as a listing keeps; a shorter list is complete."""
    assert listing_may_cut(EP, LibType.ALBUM)
    assert listing_may_cut(ARTIST, LibType.ARTIST)
    assert [listing_may_cut(t, LibType.TRACK) for t in TRACKS] == [False, True, False]
    artist = client.complete([ARTIST], LibType.ARTIST)[0]
    assert genres(artist_row(artist, SECTION)) == ("Dubstep", "Electronic", "Brostep")
    tracks = client.complete(TRACKS, LibType.TRACK)
    assert [t["tag"] for t in tracks[1]["Genre"]] == ["Dubstep", "Rave", "Live"]
    # Countries count like any list: two may be two of more.
    one_each = {**ARTIST, "Genre": [{"tag": "Dubstep"}]}
    assert not listing_may_cut(one_each, LibType.ARTIST)
    two_countries = [{"tag": "United States"}, {"tag": "Canada"}]
    assert listing_may_cut({**one_each, "Country": two_countries}, LibType.ARTIST)


def test_every_list_a_kind_is_read_from_is_one_a_listing_may_cut() -> None:
    """So a kind declared in cache/tags.py is read complete: an artist or a track is read again
    through its metadata when one of those lists is as long as a listing keeps."""
    for owner in ("artist", "track"):
        lists = {name for spec in KINDS for name in spec.reads(owner) if name[0].isupper()}
        assert lists <= set(TAG_LISTS), owner


def test_an_artist_s_countries_are_mapped() -> None:
    details = {**ARTIST_DETAILS, "Country": [{"tag": "United States"}, {"tag": " Canada "}]}
    assert names(artist_row(details, SECTION), TagKind.COUNTRY) == ("United States", "Canada")


def test_items_gone_between_listing_and_metadata_are_dropped(client: PlexClient) -> None:
    gone = {**EP, "ratingKey": "999"}
    assert [a["ratingKey"] for a in client.complete([gone, EP], LibType.ALBUM)] == ["170"]
    assert client.metadata([998, 999]) == []  # Plex answers 404 when none is left


def test_a_page_that_names_another_offset_than_asked_is_refused(
    client: PlexClient, server: _FixtureServer
) -> None:
    """Its items' places can't be trusted: asked once more (a passing glitch), then an error."""
    server.offset_error = 1
    try:
        with pytest.raises(PlexBadResponse) as refused:
            client.page(SECTION, LibType.ALBUM, 0, 2)
    finally:
        server.offset_error = 0
    assert str(refused.value) == "Plex answered with albums from 2 while reading albums 1–2."
    asked = [p for path, _, p in server.seen if path.endswith("/all")]
    assert [p["X-Plex-Container-Start"] for p in asked[-2:]] == ["0", "0"]


def test_playlists_are_read_page_by_page(client: PlexClient, server: _FixtureServer) -> None:
    server.seen.clear()
    playlists = client.audio_playlists()
    assert [(p.id, p.title, p.item_count, p.smart) for p in playlists] == [
        (501, "Playlist 1", 3, False),
        (502, "Playlist 2", 3, True),
    ]
    keys = client.playlist_item_keys(501)
    assert keys == [158, 159, 171] * 700
    pages = [paging for path, _, paging in server.seen if path == "/playlists/501/items"]
    assert [p["X-Plex-Container-Start"] for p in pages] == ["0", "1000", "2000"]


def test_a_full_sync_of_this_server_maps_every_field(
    client: PlexClient, server: _FixtureServer, tmp_path
) -> None:
    with Database(tmp_path / "cache.db") as db:
        result = full_sync(db, client, options=SyncOptions(page_size=2, workers=2))
        tracks = cached_tracks(db)
    assert result.track_count == 3
    assert tracks[158]["genre_tags"] == {"dubstep", "electronic", "festival"}  # the album's, all
    assert tracks[159]["genre_tags"] == {"dubstep", "rave", "live"}  # its own, all of them
    assert tracks[158]["label_tags"] == {"big beat"}
    assert tracks[158]["album_type_tags"] == {"album", "live"}
    assert tracks[158]["is_live"] and tracks[159]["is_live"] and not tracks[171]["is_live"]
    assert (tracks[158]["user_rating"], tracks[158]["view_count"], tracks[158]["year"]) == (
        9,
        3,
        2011,
    )
    assert tracks[171]["genre_tags"] == {"dubstep"}
    assert all(t["country_tags"] == {"united states"} for t in tracks.values())  # the artist's
    assert all(paging["X-Plex-Container-Size"] is not None for path, _, paging in server.seen
               if path.endswith("/all"))  # fmt: skip


# --- XML: the simulator answers in the same shapes ------------------------------------------------

ALBUM_LISTING_XML = """<MediaContainer size="1" totalSize="1" offset="0" allowSync="1"
  identifier="com.plexapp.plugins.library" librarySectionID="3" librarySectionTitle="Music"
  title1="Music" title2="All Albums" viewGroup="album">
<Directory ratingKey="200" key="/library/metadata/200/children" parentRatingKey="300"
  guid="plex://album/12345" parentGuid="plex://artist/12345" type="album" title="Album"
  parentKey="/library/metadata/300" parentTitle="Artist" summary="" index="1" year="2019"
  thumb="/library/metadata/200/thumb/1602534481" originallyAvailableAt="2019-01-01"
  leafCount="9" viewedLeafCount="2" addedAt="1602534474" updatedAt="1602534481">
<Genre tag="Electronic"/><Genre tag="IDM"/>
</Directory>
</MediaContainer>"""
ALBUM_METADATA_XML = """<MediaContainer size="1" allowSync="1"
  identifier="com.plexapp.plugins.library" librarySectionID="3" librarySectionTitle="Music">
<Directory ratingKey="200" key="/library/metadata/200/children" parentRatingKey="300"
  type="album" title="Album" parentTitle="Artist" studio="Warp" year="2019" leafCount="9"
  viewedLeafCount="2" addedAt="1602534474" updatedAt="1602534481">
<Genre tag="Electronic"/><Genre tag="IDM"/><Genre tag="Ambient"/>
<Style tag="Glitch"/><Mood tag="Cerebral"/><Format tag="Album"/><Subformat tag="Live"/>
</Directory>
</MediaContainer>"""
FILTER_XML = """<MediaContainer size="2" totalSize="2" offset="0">
<Directory fastKey="/library/sections/3/all?type=9&amp;subformat=3001" key="3001" title="Live"
  type="subformat"/>
<Directory fastKey="/library/sections/3/all?type=9&amp;subformat=3002" key="3002"
  title="Compilation" type="subformat"/>
</MediaContainer>"""
PLAYLISTS_XML = """<MediaContainer size="1" totalSize="1" offset="0">
<Playlist ratingKey="500" key="/playlists/500/items" guid="com.plexapp.agents.none://9a8f"
  type="playlist" title="Playlist 1" summary="" smart="0" playlistType="audio"
  composite="/playlists/500/composite/1597983847" duration="5054000" leafCount="1"
  addedAt="1505969338" updatedAt="1597983847"/>
</MediaContainer>"""


SHAPED_ALBUM = 101  # given every tag an album can have, as in ALBUM_METADATA_XML


@pytest.fixture(scope="module")
def simulated() -> Iterator[tuple[httpx.Client, SimLibrary]]:
    lib = SimLibrary.generate(tracks=400, seed=8)
    lib.create_playlist("Road Trip", list(lib.tracks)[:3])
    lib.edit_album(SHAPED_ALBUM, genres=["Electronic", "IDM", "Ambient"], styles=["Glitch"],
                   moods=["Cerebral"], studio="Warp", subformats=["Live"])  # fmt: skip
    with (
        PlexSimulator(lib, token=TOKEN, strict=True) as sim,
        httpx.Client(base_url=sim.url, headers={"X-Plex-Token": TOKEN}) as http,
    ):
        yield http, lib


def _xml(http: httpx.Client, path: str, **params: Any) -> ET.Element:
    paging = {"X-Plex-Container-Start": "0", "X-Plex-Container-Size": "50"}
    response = http.get(path, params={**params, **paging})
    assert response.status_code == 200, response.text
    return ET.fromstring(response.content)


def assert_shaped_like(ours: ET.Element, real: ET.Element) -> None:
    """Ours has the real one's element names and, for each, at least its attributes; and a
    child kind the real one lacks only where the real one has none of that kind either."""
    assert ours.tag == real.tag
    assert set(real.attrib) <= set(ours.attrib), set(real.attrib) - set(ours.attrib)
    for kind in {child.tag for child in real}:
        theirs, mine = real.findall(kind), ours.findall(kind)
        assert mine, f"no {kind} in {ours.tag}"
        assert_shaped_like(mine[0], theirs[0])


def test_album_listings_and_metadata_are_shaped_like_a_real_server_s(
    simulated: tuple[httpx.Client, SimLibrary],
) -> None:
    http, lib = simulated
    album = lib.albums[SHAPED_ALBUM]
    listing = _xml(http, "/library/sections/1/all", type=9, includeCollections=0)
    mine = next(e for e in listing if e.get("ratingKey") == str(album.rating_key))
    real = ET.fromstring(ALBUM_LISTING_XML)
    assert_shaped_like(mine, real[0])
    assert len(mine.findall("Genre")) == 2 and not mine.findall("Subformat")
    details = _xml(http, f"/library/metadata/{album.rating_key}")
    assert_shaped_like(details[0], ET.fromstring(ALBUM_METADATA_XML)[0])
    assert len(details[0].findall("Genre")) == 3


def test_filter_directories_and_playlists_are_shaped_like_a_real_server_s(
    simulated: tuple[httpx.Client, SimLibrary],
) -> None:
    http, lib = simulated
    choices = _xml(http, "/library/sections/1/subformat", type=9)
    assert_shaped_like(choices, ET.fromstring(FILTER_XML))
    live = next(c for c in choices if c.get("title") == "Live")
    fast = _xml(http, live.get("fastKey", "").split("?")[0], **dict(
        parse_qsl(live.get("fastKey", "").split("?")[1])))  # fmt: skip
    assert {int(e.get("ratingKey", 0)) for e in fast} == {
        a.rating_key for a in lib.albums.values() if "Live" in a.subformats
    }
    assert_shaped_like(_xml(http, "/playlists", playlistType="audio"), ET.fromstring(PLAYLISTS_XML))


def test_tag_filters_take_several_ids_and_match_any(
    simulated: tuple[httpx.Client, SimLibrary],
) -> None:
    http, lib = simulated
    choices = _xml(http, "/library/sections/1/subformat", type=9)
    ids = {c.get("title"): c.get("key") for c in choices}
    either = f"{ids['Live']},{ids['Compilation']}"
    both = _xml(http, "/library/sections/1/all", type=9, subformat=either)
    assert {int(e.get("ratingKey", 0)) for e in both} == {
        a.rating_key for a in lib.albums.values() if {"Live", "Compilation"} & set(a.subformats)
    }
