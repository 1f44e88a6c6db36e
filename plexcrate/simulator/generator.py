"""Deterministic generation of a realistic music library (see ``SimLibrary.generate``).

The first albums and tracks of the first section are forced into every tricky shape (special
names, compilation, live album, multi-disc, missing year/duration, feat., live and merely
"live"-sounding titles, genres only on the artist, no genres) so even small libraries contain
them; after that shapes are drawn at realistic rates.
"""

from __future__ import annotations

import random
from typing import Any

from plexcrate.simulator import names
from plexcrate.simulator.library import (
    EPOCH_START,
    MUSIC,
    SimAlbum,
    SimArtist,
    SimCollection,
    SimLibrary,
    SimTrack,
)

# Generated timestamps live in [2015-01-01, 2024-03-01): deterministic and safely in the past,
# so anything a test does "now" is newer than the whole generated library.
_EPOCH_END = 1_709_251_200
_EPOCH_SPAN = _EPOCH_END - EPOCH_START


def populate(lib: SimLibrary, rng: random.Random, tracks: int) -> None:
    """Fill the library's music sections with exactly ``tracks`` tracks."""
    music = [s for s in lib.sections if s.kind == MUSIC]
    # The second music section gets a fifth of the tracks; the first keeps the rest.
    shares = [tracks] if len(music) == 1 else [tracks - tracks // 5, tracks // 5]
    done = 0
    for section, share in zip(music, shares, strict=True):
        _Generator(lib, rng, section.id, share, done, tracks).run()
        done += share


class _Generator:
    """Fills one music section with artists, albums and exactly ``target`` tracks."""

    def __init__(
        self, lib: SimLibrary, rng: random.Random, section_id: int, target: int, offset: int,
        total: int,
    ) -> None:  # fmt: skip
        self.lib = lib
        self.rng = rng
        self.section_id = section_id
        self.remaining = target
        self.offset = offset  # tracks generated before this section, for the timeline
        self.total = max(total, 1)
        self.first_section = offset == 0
        self.artist_count = 0
        self.album_count = 0
        self.track_count = 0
        self.various: SimArtist | None = None
        self.used_names: set[str] = set()
        self.name_list: list[str] = []  # used_names in creation order, for seeded choices
        self.next_compilation = 2

    def run(self) -> None:
        while self.remaining > 0:
            if self.album_count >= self.next_compilation:
                self.next_compilation = self.album_count + self.rng.randint(8, 24)
                self.compilation()
            else:
                self.artist()

    # -- timeline --------------------------------------------------------------------------
    def added_at(self) -> int:
        """Albums are "scanned" in key order spread over the generation window."""
        progress = (self.offset + self.track_count) / self.total
        return EPOCH_START + int(progress * _EPOCH_SPAN * 0.97) + self.rng.randint(0, 3600)

    def later(self, start: int) -> int:
        """A moment after ``start`` but still inside the generation window."""
        end = _EPOCH_END
        return min(end, start + self.rng.randint(60, 60 * 86_400))

    # -- artists ---------------------------------------------------------------------------
    def artist_title(self) -> str:
        index = self.artist_count
        specials = names.SPECIAL_ARTISTS
        if self.first_section and index % 3 == 0 and index // 3 < len(specials):
            return specials[index // 3]
        for _ in range(5):
            name = names.artist_name(self.rng)
            if name not in self.used_names:
                return name
        return f"{name} {index}"

    def genre_mode(self) -> str:
        """Where genres live: on albums, only on the artist, or nowhere (forced early)."""
        forced = ("album", "artist", "none")
        if self.first_section and self.artist_count < len(forced):
            return forced[self.artist_count]
        return self.rng.choices(("album", "artist", "none"), weights=(6, 2, 2))[0]

    def artist(self) -> None:
        title = self.artist_title()
        self.used_names.add(title)
        self.name_list.append(title)
        mode = self.genre_mode()
        genres = self.rng.sample(names.GENRES, self.rng.randint(1, 2)) if mode != "none" else []
        added = self.added_at()
        artist = SimArtist(self.lib.new_key(), self.section_id, title, genres, added, added)
        self.lib.insert_artist(artist)
        self.artist_count += 1
        start_year = self.rng.randint(1955, 2020)
        for number in range(self.rng.randint(1, 6)):
            if self.remaining <= 0:
                break
            year = min(2024, start_year + number * self.rng.randint(1, 4))
            self.album(artist, year, mode)

    def compilation(self) -> None:
        if self.various is None:
            added = self.added_at()
            key = self.lib.new_key()
            various = SimArtist(key, self.section_id, names.VARIOUS_ARTISTS, [], added, added)
            self.lib.insert_artist(various)
            self.various = various
        year = self.rng.randint(1975, 2024)
        title = names.compilation_title(self.rng)
        self.album(self.various, year, "album", title=title, subformats=["Compilation"])

    # -- albums ----------------------------------------------------------------------------
    def album_shape(self) -> str:
        forced = {1: "live", 3: "multidisc", 4: "noyear"}
        if self.first_section and self.album_count in forced:
            return forced[self.album_count]
        roll = self.rng.random()
        if roll < 0.06:
            return "live"
        if roll < 0.14:
            return "multidisc"
        if roll < 0.22:
            return "noyear"
        return "studio"

    def track_total(self) -> int:
        roll = self.rng.random()
        if roll < 0.1:
            count = self.rng.randint(1, 4)  # singles and EPs
        elif roll < 0.85:
            count = self.rng.randint(8, 14)
        else:
            count = self.rng.randint(15, 20)
        return min(count, self.remaining)

    def album(
        self, artist: SimArtist, year: int, mode: str, title: str | None = None,
        subformats: list[str] | None = None,
    ) -> None:  # fmt: skip
        shape = "studio" if subformats else self.album_shape()
        if shape == "live":
            title = self.rng.choice(names.LIVE_ALBUM_TITLES)
            subformats = ["Live"]
        genres = self.rng.sample(names.GENRES, self.rng.randint(1, 3)) if mode == "album" else []
        added = self.added_at()
        album = SimAlbum(
            rating_key=self.lib.new_key(),
            section_id=self.section_id,
            artist_key=artist.rating_key,
            title=title or names.album_title(self.rng),
            year=None if shape == "noyear" else year,
            genres=genres,
            subformats=subformats or [],
            added_at=added,
            updated_at=self.later(added) if self.rng.random() < 0.2 else added,
        )
        self.lib.insert_album(album)
        self.album_count += 1
        count = self.track_total()
        discs = self.rng.randint(2, 3) if shape == "multidisc" and count >= 4 else 1
        per_disc = -(-count // discs)
        for position in range(count):
            disc, number = divmod(position, per_disc)
            self.track(album, artist, disc + 1, number + 1, shape == "live")
        self.remaining -= count

    # -- tracks ----------------------------------------------------------------------------
    def track_title(self, artist: SimArtist, live_album: bool) -> tuple[str, str | None]:
        """Title and originalTitle, covering feat./live/tricky shapes (forced early)."""
        rng = self.rng
        forced = {1: "feat", 3: "live", 5: "tricky", 7: "live", 9: "tricky"}
        shape = forced.get(self.track_count) if self.first_section else None
        if shape is None:
            roll = rng.random()
            shape = "feat" if roll < 0.06 else "live" if roll < 0.09 else "plain"
            shape = "tricky" if 0.09 <= roll < 0.12 else shape
        base = names.track_title(rng)
        if artist.title == names.VARIOUS_ARTISTS:
            return base, self.performer()
        if shape == "feat":
            return base, f"{artist.title} feat. {self.performer()}"
        if shape == "live" and not live_album:
            return names.live_variant(rng, base), None
        if shape == "tricky":
            return rng.choice(names.TRICKY_STUDIO_TITLES), None
        return base, None

    def performer(self) -> str:
        """Another artist's name: a real one from this library or a made-up guest."""
        if self.name_list and self.rng.random() < 0.3:
            return self.rng.choice(self.name_list)
        return names.artist_name(self.rng)

    def track(
        self, album: SimAlbum, artist: SimArtist, disc: int, number: int, live_album: bool
    ) -> None:
        rng = self.rng
        title, original = self.track_title(artist, live_album)
        added = album.added_at + number
        rated = rng.random() < 0.15 or (self.first_section and self.track_count < 10)
        played = rng.random() < 0.35
        missing_duration = rng.random() < 0.02 or (self.first_section and self.track_count == 2)
        track = SimTrack(
            rating_key=self.lib.new_key(),
            section_id=self.section_id,
            album_key=album.rating_key,
            artist_key=artist.rating_key,
            title=title,
            original_title=original,
            index=None if rng.random() < 0.01 else number,
            disc=disc,
            duration=None if missing_duration else rng.randint(60_000, 600_000),
            user_rating=float(rng.choice(_RATINGS)) if rated else None,
            last_rated_at=self.later(added) if rated else None,
            view_count=rng.randint(1, 60) if played else 0,
            last_viewed_at=self.later(added) if played else None,
            added_at=added,
            updated_at=self.later(added) if rng.random() < 0.25 else added,
        )
        self.lib.insert_track(track)
        self.track_count += 1


# Plex stores stars doubled (3.5 stars = 7.0). The generated library only uses whole steps;
# high ratings are likelier, as in real libraries.
_RATINGS = (10, 10, 9, 8, 8, 8, 7, 6, 6, 5, 4, 3, 2, 1)


# --- tags beyond genres, and collections -------------------------------------------------------
# Shares of items with each kind of tag, and how many they carry. Lists longer than two are
# what a listing cuts short (see render.py); a real library has many of them.
_TRACK_GENRES, _TRACK_MOODS = 0.10, 0.10
# Release types beyond the generator's Live and Compilation albums, and the share of studio
# albums that only their release type marks live (their titles say nothing).
_OTHER_SUBFORMATS = ("Soundtrack", "Remix", "Demo", "DJ Mix", "Mixtape")
_LIVE_BY_TYPE_ONLY = 0.02


def add_tags(lib: SimLibrary, rng: random.Random) -> None:
    """Styles, moods, countries, release formats, labels and tracks' own tags, drawn in key
    order from ``rng`` (not the generator's stream, which they would otherwise shift)."""
    for artist in lib.artists.values():
        artist.styles = _some(rng, names.STYLES, 0.6, 4)
        artist.moods = _some(rng, names.MOODS, 0.5, 6)
        artist.countries = _some(rng, names.COUNTRIES, 0.6, 1)
        lib._register_tags(artist)
    for album in lib.albums.values():
        count = len(lib.album_tracks.get(album.rating_key, ()))
        album.formats = ["Single" if count <= 2 else "EP" if count <= 5 else "Album"]
        album.styles = _some(rng, names.STYLES, 0.6, 4)
        album.moods = _some(rng, names.MOODS, 0.5, 6)
        album.studio = rng.choice(names.LABELS) if rng.random() < 0.8 else None
        roll = rng.random()
        if not album.subformats and roll < _LIVE_BY_TYPE_ONLY:
            album.subformats = ["Live"]
        elif roll > 0.96:
            album.subformats = [*album.subformats, rng.choice(_OTHER_SUBFORMATS)]
        lib._register_tags(album)
    for track in lib.tracks.values():
        track.genres = _some(rng, names.GENRES, _TRACK_GENRES, 3)
        track.moods = _some(rng, names.MOODS, _TRACK_MOODS, 3)
        if track.genres or track.moods:
            lib._register_tags(track)


# Artists of several countries (bands whose members come from two or more, an artist who moved):
# a few, so that some of their lists are longer than a listing shows.
_MORE_COUNTRIES = 0.15


def add_countries(lib: SimLibrary, rng: random.Random) -> None:
    """More countries for a few artists that have one, drawn in key order from ``rng`` (a stream
    of their own: every other tag stays what it was before artists had several)."""
    for artist in lib.artists.values():
        if artist.countries and rng.random() < _MORE_COUNTRIES:
            others = [c for c in names.COUNTRIES if c not in artist.countries]
            artist.countries = [*artist.countries, *rng.sample(others, rng.randint(1, 3))]
            lib._register_tags(artist)


def _some(rng: random.Random, words: tuple[str, ...], share: float, most: int) -> list[str]:
    """With probability ``share``, 1 to ``most`` distinct words; else none."""
    if rng.random() >= share:
        return []
    return rng.sample(words, rng.randint(1, most))


def add_collections(lib: SimLibrary, rng: random.Random) -> None:
    """A few collections per music section (one per 2,000 tracks or so, at least one once a
    section has 200 tracks): of albums, and one of artists."""
    for section in lib.music_sections():
        albums = [a for a in lib.albums.values() if a.section_id == section.id]
        artists = [a for a in lib.artists.values() if a.section_id == section.id]
        tracks = sum(len(lib.album_tracks.get(a.rating_key, ())) for a in albums)
        if tracks < 200:
            continue
        wanted = [("album", f"{rng.choice(names.STYLES)} Essentials") for _ in range(
            max(1, tracks // 2000))]  # fmt: skip
        wanted.append(("artist", "Favourite Artists"))
        for subtype, title in wanted:
            pool: list[Any] = albums if subtype == "album" else artists
            keys = sorted(a.rating_key for a in rng.sample(pool, min(len(pool), 12)))
            added = EPOCH_START + rng.randint(0, _EPOCH_SPAN)
            key = lib.new_key()
            lib.collections[key] = SimCollection(
                key, section.id, title, subtype, keys, added, added
            )
