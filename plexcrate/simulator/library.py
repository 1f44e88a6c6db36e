"""The simulated Plex library: data model, deterministic generator and thread-safe mutations.

Artists, albums, tracks and playlists share one rating-key space, as on a real Plex Media Server.
Every mutation takes ``lib.lock`` and bumps a version counter so the server's cached listings
(see ``query.py``) are rebuilt on the next request. Tests that poke the dataclasses directly must
call :meth:`SimLibrary.invalidate` afterwards.
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from plexcrate.simulator import names, notifications
from plexcrate.simulator.notifications import Timeline

MUSIC = "artist"  # Plex calls a music section's type "artist".
MOVIE = "movie"

# Generated timestamps start here (2015-01-01); see generator.py.
EPOCH_START = 1_420_070_400
_FIRST_KEY = 100

TRACK_FIELDS = frozenset(
    {
        "title", "original_title", "index", "disc", "duration", "user_rating", "last_rated_at",
        "view_count", "last_viewed_at", "added_at", "updated_at", "genres", "moods",
    }
)  # fmt: skip
ALBUM_FIELDS = frozenset(
    {
        "title", "year", "genres", "subformats", "added_at", "updated_at", "styles", "moods",
        "formats", "studio",
    }
)  # fmt: skip
ARTIST_FIELDS = frozenset(
    {"title", "genres", "added_at", "updated_at", "styles", "moods", "countries"}
)
# Fields of the default listing order (query.default_order): editing one reorders listings.
_ORDER_FIELDS = frozenset({"title", "year", "index", "disc"})
# Tag lists by Plex tag kind (the XML element is the kind capitalised: Genre, Style, Mood...),
# as (kind, attribute) per item type, in the order PMS renders them.
TAG_LISTS: dict[str, tuple[tuple[str, str], ...]] = {
    "artist": (("genre", "genres"), ("style", "styles"), ("mood", "moods"),
               ("country", "countries")),
    "album": (("genre", "genres"), ("style", "styles"), ("mood", "moods"),
              ("format", "formats"), ("subformat", "subformats")),
    "track": (("genre", "genres"), ("mood", "moods")),
}  # fmt: skip
# Tag ids are per kind, as in PMS's tag table; genres keep the ids they always had.
_TAG_ID_BASE = {"genre": 1000, "style": 100_000, "mood": 200_000, "country": 300_000,
                "format": 400_000, "subformat": 500_000}  # fmt: skip


def wall_clock() -> int:
    return int(time.time())


@dataclass(slots=True)
class SimSection:
    id: int
    title: str
    kind: str  # "artist" (music) or "movie"
    uuid: str = ""
    created_at: int = EPOCH_START
    updated_at: int = EPOCH_START


@dataclass(slots=True)
class SimArtist:
    rating_key: int
    section_id: int
    title: str
    genres: list[str]
    added_at: int
    updated_at: int
    styles: list[str] = field(default_factory=list)
    moods: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)


@dataclass(slots=True)
class SimAlbum:
    rating_key: int
    section_id: int
    artist_key: int
    title: str
    year: int | None
    genres: list[str]
    subformats: list[str]
    added_at: int
    updated_at: int
    styles: list[str] = field(default_factory=list)
    moods: list[str] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)  # release format: Album, EP, Single
    studio: str | None = None  # the record label


@dataclass(slots=True)
class SimTrack:
    rating_key: int
    section_id: int
    album_key: int
    artist_key: int
    title: str
    original_title: str | None
    index: int | None
    disc: int
    duration: int | None
    user_rating: float | None
    last_rated_at: int | None
    view_count: int
    last_viewed_at: int | None
    added_at: int
    updated_at: int
    # A track's own tags (PMS 1.40+); a track's genre in plexcrate still comes from its album.
    genres: list[str] = field(default_factory=list)
    moods: list[str] = field(default_factory=list)
    # In the trash (its file deleted or unreachable): still listed, with deletedAt, until
    # the trash is emptied (automatic emptying off, as on servers that keep a trash).
    deleted_at: int | None = None
    # The guid once Plex gave the track a new ratingKey (a metadata refresh keeps the guid);
    # None: the one made from its key (render.guid).
    guid: str | None = None


@dataclass(slots=True)
class SimCollection:
    """A collection of albums or artists (``subtype``). Like on PMS it is listed among the
    section's albums (or artists) unless a listing asks ``includeCollections=0``."""

    rating_key: int
    section_id: int
    title: str
    subtype: str  # "album" or "artist": the kind of its items, and the listing it shows in
    item_keys: list[int]
    added_at: int
    updated_at: int


def item_kind(item: Any) -> str:
    """ "artist", "album", "track" or "collection": the Plex type of a library item."""
    if isinstance(item, SimTrack):
        return "track"
    if isinstance(item, SimAlbum):
        return "album"
    if isinstance(item, SimArtist):
        return "artist"
    return "collection"


@dataclass(slots=True)
class SimPlaylist:
    rating_key: int
    title: str
    item_keys: list[int]
    added_at: int
    updated_at: int
    # playlistItemID of each entry, parallel to item_keys (Plex removes/moves entries by it).
    item_ids: list[int] = field(default_factory=list)
    summary: str = ""
    smart: bool = False  # filled by Plex from rules: items can't be added or removed by hand
    # "audio", "video" or "photo": /playlists lists every kind unless playlistType is asked.
    playlist_type: str = "audio"


class SimLibrary:
    """An in-memory Plex music library. Build one with :meth:`generate`."""

    def __init__(
        self,
        machine_identifier: str = "0" * 40,
        friendly_name: str = "plexcrate-simulator",
        sections: list[SimSection] | None = None,
        seed: int = 0,
    ) -> None:
        self.lock = threading.RLock()
        self.clock: Callable[[], int] = wall_clock
        self.machine_identifier = machine_identifier
        self.friendly_name = friendly_name
        self.sections: list[SimSection] = sections or default_sections(1, seed)
        self.artists: dict[int, SimArtist] = {}
        self.albums: dict[int, SimAlbum] = {}
        self.tracks: dict[int, SimTrack] = {}
        self.playlists: dict[int, SimPlaylist] = {}
        # Child indexes, in insertion (= rating key) order.
        self.album_tracks: dict[int, list[int]] = {}
        self.artist_albums: dict[int, list[int]] = {}
        self.genre_ids: dict[str, int] = {}
        self.tag_ids: dict[tuple[str, str], int] = {}  # (kind, name) -> id, genres excepted
        self.collections: dict[int, SimCollection] = {}
        # Items whose art is padded to this many bytes: Plex has served "thumbnails" of 64 MB.
        self.art_bytes: dict[int, int] = {}
        # structure_version changes when items appear/disappear, content_version on any change;
        # query.py keys its caches on them.
        self.structure_version = 0
        self.content_version = 0
        self.order_version = 0  # changes with a field of the default order (titles, numbers)
        self.query_cache: dict[Any, Any] = {}
        self._next_key = _FIRST_KEY
        self._next_item_id = 1
        self._rng = random.Random(seed ^ 0x5EED)
        self.timeline = Timeline()  # what /:/eventsource/notifications streams

    # ----------------------------------------------------------------------------- generation
    @classmethod
    def generate(cls, tracks: int = 1000, seed: int = 1, music_sections: int = 1) -> SimLibrary:
        """A realistic library with exactly ``tracks`` tracks, deterministic for its arguments."""
        if tracks < 0:
            raise ValueError("tracks must be >= 0")
        if music_sections not in (1, 2):
            raise ValueError("music_sections must be 1 or 2")
        rng = random.Random(seed)
        lib = cls(
            machine_identifier=f"{rng.getrandbits(160):040x}",
            friendly_name="plexcrate-simulator",
            sections=default_sections(music_sections, seed),
            seed=seed,
        )
        # The generator imports this module.
        from plexcrate.simulator.generator import (
            add_collections,
            add_countries,
            add_tags,
            populate,
        )

        populate(lib, rng, tracks)
        # Tags beyond genres and the collections come from a random stream of their own, so
        # every item generated above is exactly what it was before they existed.
        extra = random.Random(f"tags:{seed}")
        add_tags(lib, extra)
        add_collections(lib, extra)
        add_countries(lib, random.Random(f"countries:{seed}"))
        return lib

    # ----------------------------------------------------------------------------- helpers
    def music_sections(self) -> list[SimSection]:
        return [s for s in self.sections if s.kind == MUSIC]

    def section(self, section_id: int) -> SimSection | None:
        return next((s for s in self.sections if s.id == section_id), None)

    def genre_id(self, genre: str) -> int:
        """Stable tag id per genre name (Plex exposes tags as ids in filters)."""
        gid = self.genre_ids.get(genre)
        if gid is None:
            gid = self.genre_ids[genre] = 1000 + len(self.genre_ids)
        return gid

    def tag_id(self, kind: str, name: str) -> int:
        """Stable id of a tag of one kind ("genre", "style", "mood", "format"...)."""
        if kind == "genre":
            return self.genre_id(name)
        tid = self.tag_ids.get((kind, name))
        if tid is None:
            count = sum(1 for k, _ in self.tag_ids if k == kind)
            tid = self.tag_ids[(kind, name)] = _TAG_ID_BASE[kind] + count
        return tid

    def _register_tags(self, item: Any) -> None:
        # Ids are handed out as items appear, so they do not depend on request order.
        for kind, attr in TAG_LISTS[item_kind(item)]:
            for name in getattr(item, attr):
                self.tag_id(kind, name)

    def new_key(self) -> int:
        key = self._next_key
        self._next_key += 1
        return key

    def now(self) -> int:
        return int(self.clock())

    def invalidate(self, structure: bool = True, order: bool = True) -> None:
        """Drop cached listings; call after mutating the dataclasses directly. ``order=False``
        when no field of the default order (titles, years, disc and track numbers) changed."""
        with self.lock:
            self.content_version += 1
            if structure:
                self.structure_version += 1
            if order:
                self.order_version += 1

    def _announce(self, kind: str, items: Iterable[Any], state: int) -> None:
        """Tell notification listeners, as PMS does after a scan or an edit."""
        now = self.now()
        self.timeline.publish([notifications.entry(kind, item, state, now) for item in items])

    def _touch_section(self, section_id: int, now: int) -> None:
        section = self.section(section_id)
        if section is not None:
            section.updated_at = max(section.updated_at, now)

    # Index maintenance (no locking or cache invalidation: callers do that) -------------------
    def insert_artist(self, artist: SimArtist) -> None:
        self.artists[artist.rating_key] = artist
        self.artist_albums.setdefault(artist.rating_key, [])
        self._register_tags(artist)

    def insert_album(self, album: SimAlbum) -> None:
        self.albums[album.rating_key] = album
        self._register_tags(album)
        self.album_tracks.setdefault(album.rating_key, [])
        self.artist_albums.setdefault(album.artist_key, []).append(album.rating_key)

    def insert_track(self, track: SimTrack) -> None:
        self.tracks[track.rating_key] = track
        self.album_tracks.setdefault(track.album_key, []).append(track.rating_key)
        if track.genres or track.moods:
            self._register_tags(track)

    # ----------------------------------------------------------------------------- mutations
    def add_album(
        self, artist_key: int | None = None, tracks: int = 10, **album_fields: Any
    ) -> SimAlbum:
        """A new album (and a new artist when ``artist_key`` is None) with ``tracks`` new tracks.

        Extra keywords set album fields; ``artist_title`` names a new artist and ``section_id``
        picks the music section for it.
        """
        with self.lock:
            now = self.now()
            artist = self._artist_for_new_album(artist_key, album_fields, now)
            _check_fields(album_fields, ALBUM_FIELDS, "album")
            album = SimAlbum(
                rating_key=self.new_key(),
                section_id=artist.section_id,
                artist_key=artist.rating_key,
                title=names.album_title(self._rng),
                year=None,
                genres=[],
                subformats=[],
                added_at=now,
                updated_at=now,
            )
            for name, value in album_fields.items():
                setattr(album, name, value)
            self.insert_album(album)
            for number in range(1, tracks + 1):
                self.insert_track(self._new_track(album, number, now))
            self._touch_section(album.section_id, now)
            self.invalidate()
            added = [self.tracks[key] for key in self.album_tracks[album.rating_key]]
            for state in (notifications.CREATED, notifications.PROCESSED):
                self._announce("album", [album], state)
                self._announce("track", added, state)
            return album

    def _artist_for_new_album(
        self, artist_key: int | None, album_fields: dict[str, Any], now: int
    ) -> SimArtist:
        title = album_fields.pop("artist_title", None)
        section_id = album_fields.pop("section_id", None)
        if artist_key is not None:
            return self.artists[artist_key]
        if section_id is None:
            section_id = self.music_sections()[0].id
        artist = SimArtist(
            rating_key=self.new_key(),
            section_id=section_id,
            title=title or names.artist_name(self._rng),
            genres=[],
            added_at=now,
            updated_at=now,
        )
        self.insert_artist(artist)
        return artist

    def _new_track(self, album: SimAlbum, number: int, now: int) -> SimTrack:
        return SimTrack(
            rating_key=self.new_key(),
            section_id=album.section_id,
            album_key=album.rating_key,
            artist_key=album.artist_key,
            title=names.track_title(self._rng),
            original_title=None,
            index=number,
            disc=1,
            duration=self._rng.randint(90_000, 420_000),
            user_rating=None,
            last_rated_at=None,
            view_count=0,
            last_viewed_at=None,
            added_at=now,
            updated_at=now,
        )

    def add_track(self, album_key: int, **fields: Any) -> SimTrack:
        """A new track on an existing album; by default numbered after the album's last track."""
        with self.lock:
            album = self.albums[album_key]
            _check_fields(fields, TRACK_FIELDS, "track")
            now = self.now()
            siblings = [self.tracks[k] for k in self.album_tracks.get(album_key, [])]
            number = max((t.index or 0 for t in siblings if t.disc == 1), default=0) + 1
            track = self._new_track(album, number, now)
            for name, value in fields.items():
                setattr(track, name, value)
            self.insert_track(track)
            self._touch_section(album.section_id, now)
            self.invalidate()
            self._announce("track", [track], notifications.CREATED)
            self._announce("track", [track], notifications.PROCESSED)
            return track

    def delete_track(self, rating_key: int) -> None:
        """Remove a track. Like PMS after emptying the trash, an album left with no tracks goes
        too, and so does an artist left with no albums."""
        with self.lock:
            track = self.tracks.pop(rating_key)
            self.album_tracks[track.album_key].remove(rating_key)
            self._drop_from_playlists({rating_key})
            if not self.album_tracks[track.album_key]:
                self._remove_album(track.album_key)
            self._touch_section(track.section_id, self.now())
            self.invalidate()
            self._announce("track", [track], notifications.DELETED)

    def delete_album(self, rating_key: int) -> None:
        """Remove an album with all its tracks (and its artist if it was the last album)."""
        with self.lock:
            album = self.albums[rating_key]
            gone = set(self.album_tracks.get(rating_key, []))
            for key in gone:
                del self.tracks[key]
            self._drop_from_playlists(gone)
            self._remove_album(rating_key)
            self._touch_section(album.section_id, self.now())
            self.invalidate()
            self._announce("album", [album], notifications.DELETED)

    def delete_artist(self, rating_key: int) -> None:
        """Remove an artist with all its albums and tracks."""
        with self.lock:
            if rating_key not in self.artists:
                raise KeyError(rating_key)
            for album_key in list(self.artist_albums.get(rating_key, [])):
                self.delete_album(album_key)
            if rating_key in self.artists:  # an artist with no albums at all
                self._remove_artist(rating_key)
                self.invalidate()

    def _remove_album(self, album_key: int) -> None:
        self._drop_from_collections(album_key)
        album = self.albums.pop(album_key)
        self.album_tracks.pop(album_key, None)
        siblings = self.artist_albums.get(album.artist_key, [])
        if album_key in siblings:
            siblings.remove(album_key)
        if not siblings:
            self._remove_artist(album.artist_key)

    def _remove_artist(self, artist_key: int) -> None:
        self._drop_from_collections(artist_key)
        self.artists.pop(artist_key, None)
        self.artist_albums.pop(artist_key, None)

    def edit_track(self, rating_key: int, **fields: Any) -> SimTrack:
        """Change track fields; ``updated_at`` becomes now unless given explicitly."""
        with self.lock:
            return self._edit(self.tracks[rating_key], TRACK_FIELDS, "track", fields)

    def edit_album(self, rating_key: int, **fields: Any) -> SimAlbum:
        """Change album fields. As on PMS only the album's ``updated_at`` moves, not its
        tracks', even though the tracks' parentTitle/parentYear change with it."""
        with self.lock:
            return self._edit(self.albums[rating_key], ALBUM_FIELDS, "album", fields)

    def edit_artist(self, rating_key: int, **fields: Any) -> SimArtist:
        with self.lock:
            return self._edit(self.artists[rating_key], ARTIST_FIELDS, "artist", fields)

    def _edit(self, item: Any, allowed: frozenset[str], kind: str, fields: dict[str, Any]) -> Any:
        _check_fields(fields, allowed, kind)
        now = self.now()
        for name, value in fields.items():
            setattr(item, name, value)
        self._register_tags(item)
        if "updated_at" not in fields:
            item.updated_at = now
        self._touch_section(item.section_id, now)
        self.invalidate(structure=False, order=not _ORDER_FIELDS.isdisjoint(fields))
        self._announce(kind, [item], notifications.PROCESSED)
        return item

    def rate_track(self, rating_key: int, rating: float | None) -> SimTrack:
        """Set (or with None / a negative value, clear) the user rating. As on PMS this moves
        ``last_rated_at`` but not ``updated_at``."""
        with self.lock:
            track = self.tracks[rating_key]
            if rating is not None and rating > 10:
                raise ValueError("rating must be between 0 and 10")
            track.user_rating = None if rating is None or rating < 0 else float(rating)
            track.last_rated_at = self.now()
            self.invalidate(structure=False, order=False)
            return track

    def play_track(self, rating_key: int) -> SimTrack:
        """A completed play (scrobble): view count and last-viewed move, ``updated_at`` not."""
        with self.lock:
            track = self.tracks[rating_key]
            track.view_count += 1
            track.last_viewed_at = self.now()
            self.invalidate(structure=False, order=False)
            return track

    def unplay_track(self, rating_key: int) -> SimTrack:
        """Mark unplayed (unscrobble): clears the view count and last-viewed time."""
        with self.lock:
            track = self.tracks[rating_key]
            track.view_count = 0
            track.last_viewed_at = None
            self.invalidate(structure=False, order=False)
            return track

    def trash_track(self, rating_key: int) -> SimTrack:
        """The track's file is gone: PMS keeps listing it, with ``deletedAt``, and counts it,
        until the trash is emptied. Its ``updatedAt`` stays (nothing recorded says it moves)."""
        with self.lock:
            track = self.tracks[rating_key]
            track.deleted_at = self.now()
            self.invalidate(structure=False, order=False)
            return track

    def restore_track(self, rating_key: int) -> SimTrack:
        """The file is back (a remounted drive): the track leaves the trash as it was."""
        with self.lock:
            track = self.tracks[rating_key]
            track.deleted_at = None
            self.invalidate(structure=False, order=False)
            return track

    def rekey_track(self, rating_key: int) -> int:
        """As a metadata refresh does to unchanged tracks (≈1,200 on one server): the track
        gets a new ratingKey and keeps its guid, and nothing else about it changes (nothing
        recorded says its timestamps move). Playlists keep naming the old key. Returns the
        new key."""
        with self.lock:
            track = self.tracks.pop(rating_key)
            if track.guid is None:
                track.guid = f"plex://track/5d07{rating_key:020x}"  # as render.guid made it
            track.rating_key = self.new_key()
            self.tracks[track.rating_key] = track
            keys = self.album_tracks[track.album_key]
            keys[keys.index(rating_key)] = track.rating_key
            self.invalidate(structure=True, order=False)
            return track.rating_key

    def empty_trash(self, section_id: int | None = None) -> list[int]:
        """``PUT /library/sections/{id}/emptyTrash``: trashed tracks (of the section, or all)
        are deleted for good, their empty albums and artists with them. Returns their keys."""
        with self.lock:
            gone = [
                t.rating_key
                for t in self.tracks.values()
                if t.deleted_at is not None and section_id in (None, t.section_id)
            ]
            for key in gone:
                self.delete_track(key)
            return gone

    def set_art_bytes(self, rating_key: int, size: int | None) -> None:
        """Make the item's art (at any size asked) weigh ``size`` bytes; None: as it was."""
        with self.lock:
            if size is None:
                self.art_bytes.pop(rating_key, None)
            else:
                self.art_bytes[rating_key] = int(size)

    def set_machine_identifier(self, new_id: str) -> None:
        """Pretend the server was reinstalled (or the client now talks to another server)."""
        with self.lock:
            self.machine_identifier = new_id
            self.invalidate()

    # ----------------------------------------------------------------------------- playlists
    def expand_items(self, keys: Iterable[int], *, skip_missing: bool = False) -> list[int]:
        """Track keys for playlist items: albums and artists expand to their tracks as on PMS.
        Raises ValueError for keys that are not in the library, unless ``skip_missing`` (as
        PMS does for a playlist's ``uri``: it adds those that exist)."""
        out: list[int] = []
        for key in keys:
            if key in self.tracks:
                out.append(key)
            elif key in self.albums:
                out.extend(self.album_track_keys(key))
            elif key in self.artists:
                for album_key in self.artist_albums.get(key, []):
                    out.extend(self.album_track_keys(album_key))
            elif not skip_missing:
                raise ValueError(f"no library item with ratingKey {key}")
        return out

    def album_track_keys(self, album_key: int) -> list[int]:
        """An album's tracks in play order (disc, then track number)."""
        keys = self.album_tracks.get(album_key, [])
        tracks = self.tracks
        return sorted(keys, key=lambda k: (tracks[k].disc, tracks[k].index or 0, k))

    def create_playlist(
        self,
        title: str,
        item_keys: Iterable[int],
        summary: str = "",
        playlist_type: str = "audio",
    ) -> SimPlaylist:
        """A playlist of the items; ``playlist_type`` "video" or "photo" makes one of another
        kind (its items are still library keys here: only its kind matters to clients)."""
        with self.lock:
            keys = self.expand_items(item_keys, skip_missing=True)
            if not keys:
                raise ValueError("a playlist needs at least one item")
            now = self.now()
            playlist = SimPlaylist(self.new_key(), title, [], now, now, [], summary)
            playlist.playlist_type = playlist_type
            self._append_items(playlist, keys)
            self.playlists[playlist.rating_key] = playlist
            return playlist

    def add_playlist_items(self, playlist_key: int, item_keys: Iterable[int]) -> int:
        """Append items (those that exist, as PMS does); returns how many entries were added.
        Adding none leaves the playlist as it was."""
        with self.lock:
            playlist = self.playlists[playlist_key]
            if playlist.smart:
                raise ValueError("Cannot add items to a smart playlist.")
            keys = self.expand_items(item_keys, skip_missing=True)
            if keys:
                self._append_items(playlist, keys)
                playlist.updated_at = self.now()
            return len(keys)

    def _append_items(self, playlist: SimPlaylist, keys: list[int]) -> None:
        for key in keys:
            playlist.item_keys.append(key)
            playlist.item_ids.append(self._next_item_id)
            self._next_item_id += 1

    def remove_playlist_item(self, playlist_key: int, item_id: int) -> None:
        with self.lock:
            playlist = self.playlists[playlist_key]
            position = playlist.item_ids.index(item_id)  # ValueError when absent
            del playlist.item_ids[position]
            del playlist.item_keys[position]
            playlist.updated_at = self.now()

    def move_playlist_item(self, playlist_key: int, item_id: int, after: int | None) -> None:
        """Move an entry to just after entry ``after`` (to the front when None)."""
        with self.lock:
            playlist = self.playlists[playlist_key]
            position = playlist.item_ids.index(item_id)
            key = playlist.item_keys.pop(position)
            playlist.item_ids.pop(position)
            target = 0 if after is None else playlist.item_ids.index(after) + 1
            playlist.item_ids.insert(target, item_id)
            playlist.item_keys.insert(target, key)
            playlist.updated_at = self.now()

    def clear_playlist(self, playlist_key: int) -> None:
        with self.lock:
            playlist = self.playlists[playlist_key]
            playlist.item_keys.clear()
            playlist.item_ids.clear()
            playlist.updated_at = self.now()

    def edit_playlist(
        self, playlist_key: int, title: str | None = None, summary: str | None = None
    ) -> SimPlaylist:
        with self.lock:
            playlist = self.playlists[playlist_key]
            if title is not None:
                playlist.title = title
            if summary is not None:
                playlist.summary = summary
            playlist.updated_at = self.now()
            return playlist

    def delete_playlist(self, playlist_key: int) -> None:
        with self.lock:
            del self.playlists[playlist_key]

    def _drop_from_collections(self, key: int) -> None:
        for collection in self.collections.values():
            if key in collection.item_keys:
                collection.item_keys.remove(key)

    def _drop_from_playlists(self, track_keys: set[int]) -> None:
        for playlist in self.playlists.values():
            if not track_keys.intersection(playlist.item_keys):
                continue
            kept = [(k, i) for k, i in zip(playlist.item_keys, playlist.item_ids, strict=True)]
            kept = [(k, i) for k, i in kept if k not in track_keys]
            playlist.item_keys = [k for k, _ in kept]
            playlist.item_ids = [i for _, i in kept]


def _check_fields(fields: dict[str, Any], allowed: frozenset[str], kind: str) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"cannot set {kind} field(s): {', '.join(sorted(unknown))}")


def default_sections(music_sections: int, seed: int) -> list[SimSection]:
    """One music section (id 1), one empty movie section (id 2) so clients must filter by type,
    and optionally a second music section (id 3)."""

    def make(sid: int, title: str, kind: str) -> SimSection:
        digest = hashlib.md5(f"{seed}:{sid}".encode()).digest()
        return SimSection(sid, title, kind, str(uuid.UUID(bytes=digest)))

    sections = [make(1, "Music", MUSIC), make(2, "Movies", MOVIE)]
    if music_sections == 2:
        sections.append(make(3, "Audiobooks & More", MUSIC))
    return sections
