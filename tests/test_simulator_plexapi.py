"""python-plexapi, an independent Plex client, against the simulator over loopback."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from plexapi.audio import Album, Track
from plexapi.exceptions import NotFound, Unauthorized
from plexapi.library import MusicSection
from plexapi.server import PlexServer

from plexcrate.simulator import PlexSimulator, SimLibrary
from plexcrate.simulator.query import default_order, select

TOKEN = "simulator-token"
NOW = 1_800_000_000


@pytest.fixture(scope="module")
def lib() -> SimLibrary:
    # ~250 albums: more than plexapi's page of 100, so searches must page.
    library = SimLibrary.generate(tracks=3000, seed=21)
    library.clock = lambda: NOW
    return library


@pytest.fixture(scope="module")
def sim(lib: SimLibrary) -> Iterator[PlexSimulator]:
    with PlexSimulator(lib, token=TOKEN, strict=True) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def plex(sim: PlexSimulator) -> PlexServer:
    return PlexServer(sim.url, TOKEN)


@pytest.fixture(scope="module")
def music(plex: PlexServer) -> MusicSection:
    return plex.library.section("Music")


def ordered(lib: SimLibrary, kind: str, keys: list[int]) -> list[int]:
    """Keys in the simulator's default (title) order, which plexapi's searches keep."""
    source = {"album": lib.albums, "track": lib.tracks}[kind]
    return [item.rating_key for item in sorted(map(source.get, keys), key=default_order(lib, kind))]


def test_plexserver_connects_and_sees_the_server(plex: PlexServer, lib: SimLibrary) -> None:
    assert plex.machineIdentifier == lib.machine_identifier
    assert plex.friendlyName == lib.friendly_name
    assert plex.version and plex.platform == "Linux"
    assert plex.identity().machineIdentifier == lib.machine_identifier


def test_a_wrong_token_is_unauthorized(sim: PlexSimulator) -> None:
    with pytest.raises(Unauthorized):
        PlexServer(sim.url, "not-the-token")


def test_sections_list_the_music_section(plex: PlexServer) -> None:
    sections = plex.library.sections()
    assert [(s.key, s.type, s.title) for s in sections] == [
        (1, "artist", "Music"),
        (2, "movie", "Movies"),
    ]
    assert isinstance(sections[0], MusicSection)
    assert sections[0].locations == ["/data/music"]
    with pytest.raises(NotFound):
        plex.library.section("Podcasts")


def test_search_tracks_by_title(music: MusicSection, lib: SimLibrary) -> None:
    found = music.searchTracks(title="live")
    live = [k for k, t in lib.tracks.items() if "live" in t.title.casefold()]
    expected = ordered(lib, "track", live)
    assert [t.ratingKey for t in found] == expected and len(expected) > 100, "paged"
    track = found[0]
    source = lib.tracks[track.ratingKey]
    album = lib.albums[source.album_key]
    assert isinstance(track, Track) and track.title == source.title
    assert track.parentTitle == album.title
    assert track.grandparentTitle == lib.artists[album.artist_key].title
    assert track.index == source.index and track.parentIndex == source.disc
    assert track.addedAt == datetime.fromtimestamp(source.added_at)
    assert track.media[0].parts[0].file.endswith(f"{source.title}.{track.media[0].container}")


def test_track_details_survive_the_trip(music: MusicSection, lib: SimLibrary) -> None:
    featured = next(t for t in lib.tracks.values() if " feat. " in (t.original_title or ""))
    missing = next(t for t in lib.tracks.values() if t.duration is None)
    rated = next(t for t in lib.tracks.values() if t.user_rating)
    plex_featured, plex_missing, plex_rated = music.fetchItems(
        [featured.rating_key, missing.rating_key, rated.rating_key]
    )
    assert plex_featured.originalTitle == featured.original_title
    assert plex_missing.duration is None
    assert plex_rated.userRating == rated.user_rating
    assert plex_rated.lastRatedAt == datetime.fromtimestamp(rated.last_rated_at or 0)


def test_search_albums_pages_through_everything(
    sim: PlexSimulator, music: MusicSection, lib: SimLibrary
) -> None:
    sim.requests.clear()
    albums = music.searchAlbums()
    # Like a real server, the simulator lists the section's album collections among its albums
    # unless asked not to (plexapi doesn't ask): plexapi makes Collection objects of them.
    listed = [item.rating_key for item in select(lib, 1, 9, [], collections=True)]
    assert [a.ratingKey for a in albums] == listed
    assert {type(a).__name__ for a in albums} == {"Album", "Collection"}
    assert len(lib.albums) > 200
    pages = [r for r in sim.requests if r.path == "/library/sections/1/all"]
    starts = [r.headers["X-Plex-Container-Start"] for r in pages]
    assert starts[:3] == ["0", "100", "200"]
    assert all(r.params["type"] == "9" for r in pages)
    assert not any(r.token_in_query for r in sim.requests)


def test_album_genres_and_subformats(music: MusicSection, lib: SimLibrary) -> None:
    """A search shows what a listing shows (two genres at most, no release types); plexapi's
    reload() reads the album's own metadata, which has them all."""
    albums = {a.ratingKey: a for a in music.searchAlbums()}
    many = next(a for a in lib.albums.values() if len(a.genres) > 2)
    assert [g.tag for g in albums[many.rating_key].genres] == many.genres[:2]
    assert [g.tag for g in albums[many.rating_key].reload().genres] == many.genres
    # An album without genres makes plexapi reload the full item; that must work too.
    bare = next(a for a in lib.albums.values() if not a.genres)
    assert albums[bare.rating_key].genres == []
    live = next(a for a in lib.albums.values() if "Live" in a.subformats)
    assert [s.tag for s in albums[live.rating_key].reload().subformats] == ["Live"]
    assert [f.tag for f in albums[live.rating_key].formats] == live.formats
    assert albums[live.rating_key].studio == live.studio
    assert albums[live.rating_key].year == live.year
    assert albums[live.rating_key].leafCount == len(lib.album_tracks[live.rating_key])


def test_artist_album_and_track_navigation(music: MusicSection, lib: SimLibrary) -> None:
    artist_key = next(k for k, v in lib.artist_albums.items() if len(v) > 1)
    artist = music.fetchItem(artist_key)
    assert [a.ratingKey for a in artist.albums()] == ordered(
        lib, "album", lib.artist_albums[artist_key]
    )
    album = artist.albums()[0]
    assert isinstance(album, Album)
    assert [t.ratingKey for t in album.tracks()] == lib.album_track_keys(album.ratingKey)
    assert len(artist.tracks()) == sum(len(lib.album_tracks[a.ratingKey]) for a in artist.albums())
    assert album.tracks()[0].album().ratingKey == album.ratingKey
    assert album.artist().title == lib.artists[artist_key].title


def test_counting_sorting_and_filters_through_plexapi(music: MusicSection, lib: SimLibrary) -> None:
    assert music.totalViewSize(libtype="track") == len(lib.tracks)
    assert music.totalViewSize(libtype="album", includeCollections=False) == len(lib.albums)
    assert music.totalViewSize(libtype="album") == len(lib.albums) + 1  # and its collection
    newest = music.searchTracks(sort="addedAt:desc", maxresults=5)
    assert [t.ratingKey for t in newest] == sorted(
        lib.tracks, key=lambda k: (-lib.tracks[k].added_at, k)
    )[:5]
    since = datetime.fromtimestamp(1_650_000_000)
    changed = music.searchTracks(filters={"track.updatedAt>>": since})
    assert [t.ratingKey for t in changed] == ordered(
        lib, "track", [k for k, t in lib.tracks.items() if t.updated_at > 1_650_000_000]
    )


def test_ratings_and_plays_from_plexapi_reach_the_library(
    music: MusicSection, lib: SimLibrary
) -> None:
    track = music.searchTracks(maxresults=1)[0]
    track.rate(4)
    assert lib.tracks[track.ratingKey].user_rating == 4.0
    assert lib.tracks[track.ratingKey].last_rated_at == NOW
    views = lib.tracks[track.ratingKey].view_count
    track.markPlayed()
    assert lib.tracks[track.ratingKey].view_count == views + 1
    assert track.reload().userRating == 4.0


def test_playlist_lifecycle(plex: PlexServer, music: MusicSection, lib: SimLibrary) -> None:
    tracks = music.searchTracks(maxresults=6)
    playlist = plex.createPlaylist("Road Trip & <More>", items=tracks[:3])
    assert playlist.title == "Road Trip & <More>" and playlist.playlistType == "audio"
    assert lib.playlists[playlist.ratingKey].item_keys == [t.ratingKey for t in tracks[:3]]

    playlist.addItems(tracks[3:5])
    assert [t.ratingKey for t in playlist.items()] == [t.ratingKey for t in tracks[:5]]
    assert lib.playlists[playlist.ratingKey].item_keys == [t.ratingKey for t in tracks[:5]]

    playlist.removeItems([tracks[0]])
    assert [t.ratingKey for t in playlist.reload().items()] == [t.ratingKey for t in tracks[1:5]]
    playlist.moveItem(tracks[4])
    assert lib.playlists[playlist.ratingKey].item_keys[0] == tracks[4].ratingKey
    playlist.editTitle("Renamed")
    assert plex.playlist("Renamed").ratingKey == playlist.ratingKey
    assert [p.title for p in plex.playlists(playlistType="audio")] == ["Renamed"]

    playlist.delete()
    assert playlist.ratingKey not in lib.playlists
    with pytest.raises(NotFound):
        plex.playlist("Renamed")
