"""From Plex's JSON items to cache rows: what a track *is*, in Plex terms.

- artist: the track's own artist (``originalTitle``) when set, else the album artist
  (``grandparentTitle``), so compilations by "Various Artists" name the real performer;
- album artist: ``grandparentTitle``; album: ``parentTitle``;
- year: the album's (``parentYear`` on track listings; the album row fills gaps);
- user rating: ``userRating`` (0–10, half stars as odd numbers) rounded half up to an int;
- genres: the album's, else the artist's — joined in SQL when the snapshot is published.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from plexcrate.cache.rows import AlbumRow, ArtistRow, TrackRow
from plexcrate.cache.text import search_text
from plexcrate.sync.live import is_live_album, is_live_track

Item = dict[str, Any]


def artist_row(item: Item, section_id: int) -> ArtistRow:
    return ArtistRow(
        rating_key=int(item["ratingKey"]),
        section_id=section_id,
        title=_text(item.get("title")),
        added_at=_int(item.get("addedAt")),
        updated_at=_int(item.get("updatedAt")),
        genres=tags(item, "Genre"),
    )


def album_row(item: Item, section_id: int) -> AlbumRow:
    title = _text(item.get("title"))
    return AlbumRow(
        rating_key=int(item["ratingKey"]),
        section_id=section_id,
        artist_key=_int(item.get("parentRatingKey")),
        title=title,
        album_artist=_text(item.get("parentTitle")),
        year=_int(item.get("year")),
        is_live=is_live_album(title, tags(item, "Subformat")),
        track_count=_int(item.get("leafCount")),
        added_at=_int(item.get("addedAt")),
        updated_at=_int(item.get("updatedAt")),
        genres=tags(item, "Genre"),
    )


def album_played_tracks(item: Item) -> int | None:
    """How many of an album's tracks were played (Plex's ``viewedLeafCount``), if it says."""
    return _int(item.get("viewedLeafCount"))


def track_row(item: Item, section_id: int) -> TrackRow:
    title = _text(item.get("title"))
    album_artist = _text(item.get("grandparentTitle"))
    artist = _text(item.get("originalTitle")) or album_artist
    album = _text(item.get("parentTitle"))
    return TrackRow(
        rating_key=int(item["ratingKey"]),
        section_id=section_id,
        album_key=_int(item.get("parentRatingKey")),
        artist_key=_int(item.get("grandparentRatingKey")),
        title=title,
        artist=artist,
        album_artist=album_artist,
        album=album,
        year=_int(item.get("parentYear")),
        duration_ms=_int(item.get("duration")),
        user_rating=rating(item.get("userRating")),
        disc_number=_int(item.get("parentIndex")),
        track_number=_int(item.get("index")),
        is_live=is_live_track(title, album),
        view_count=_int(item.get("viewCount")) or 0,
        added_at=_int(item.get("addedAt")),
        updated_at=_int(item.get("updatedAt")),
        last_rated_at=_int(item.get("lastRatedAt")),
        last_viewed_at=_int(item.get("lastViewedAt")),
        search_text=search_text(title, artist, album_artist, album),
    )


def rating(value: Any) -> int | None:
    """Plex's 0–10 ``userRating`` as an int, half up (4.5 → 5); missing → None."""
    number = _float(value)
    if number is None:
        return None
    return max(0, min(10, int(number + 0.5)))


def tags(item: Item, kind: str) -> tuple[str, ...]:
    """The names of an item's tags of one kind (``Genre``, ``Subformat``…), trimmed, no blanks."""
    entries: Iterable[Any] = item.get(kind) or ()
    names = (_text(entry.get("tag")) for entry in entries if isinstance(entry, dict))
    return tuple(name for name in names if name)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _int(value: Any) -> int | None:
    number = _float(value)
    return None if number is None else int(number)


def _float(value: Any) -> float | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
