"""From Plex's JSON items to cache rows: what a track *is*, in Plex terms.

- artist: the track's own artist (``originalTitle``) when set, else the album artist
  (``grandparentTitle``), so compilations by "Various Artists" name the real performer;
- album artist: ``grandparentTitle``; album: ``parentTitle``;
- year: the album's (``parentYear`` on track listings; the album row fills gaps);
- user rating: ``userRating`` (0–10, half stars as odd numbers) rounded half up to an int;
- genres: the album's, else the artist's — joined in SQL when the snapshot is published;
- art: an album's and an artist's ``thumb`` path (a track shows its album's).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from plexcrate.cache.rows import AlbumRow, ArtistRow, TrackRow
from plexcrate.cache.text import FIELD_SEPARATOR, fold
from plexcrate.sync.live import is_live_album, is_live_title

Item = dict[str, Any]

# The version of the rules above (and of what they read). Bump it whenever a change makes the
# same Plex items map to other rows (a new live rule, another genre precedence, another field
# read): the next start then does a full sync (sync.engine.full_sync_reason) rather than
# leaving rows mapped the old way until the weekly one.
# 2: tags are read complete (metadata) instead of from listings, which cut them short.
MAPPING_VERSION = 2


def artist_row(item: Item, section_id: int) -> ArtistRow:
    return ArtistRow(
        rating_key=int(item["ratingKey"]),
        section_id=section_id,
        title=_text(item.get("title")),
        added_at=_int(item.get("addedAt")),
        updated_at=_int(item.get("updatedAt")),
        thumb=_text(item.get("thumb")) or None,
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
        thumb=_text(item.get("thumb")) or None,
        genres=tags(item, "Genre"),
    )


def updated_at(item: Item) -> int | None:
    """When Plex last changed the item (its ``updatedAt``), if it says."""
    return _int(item.get("updatedAt"))


def album_played_tracks(item: Item) -> int | None:
    """How many of an album's tracks were played (Plex's ``viewedLeafCount``), if it says."""
    return _int(item.get("viewedLeafCount"))


def track_row(item: Item, section_id: int) -> TrackRow:
    # A sync maps every track, so this is the hottest Python in it: the fields an album's
    # tracks share (artist and album names) are folded and checked for "live" once per name,
    # not once per track (see _fold_name and _live_album_title).
    get = item.get
    title = _text(get("title"))
    album_artist = _text(get("grandparentTitle"))
    artist = _text(get("originalTitle")) or album_artist
    album = _text(get("parentTitle"))
    # As cache.text.search_text(title, artist, album_artist, album), with the names memoized.
    words = [_fold_name(name) for name in (artist, album_artist, album) if name]
    if title:
        words.insert(0, fold(title))
    return TrackRow(
        int(item["ratingKey"]),  # rating_key
        section_id,
        _int(get("parentRatingKey")),  # album_key
        _int(get("grandparentRatingKey")),  # artist_key
        title,
        artist,
        album_artist,
        album,
        _int(get("parentYear")),  # year
        _int(get("duration")),  # duration_ms
        rating(get("userRating")),  # user_rating
        _int(get("parentIndex")),  # disc_number
        _int(get("index")),  # track_number
        is_live_title(title) or _live_album_title(album),  # is_live
        _int(get("viewCount")) or 0,  # view_count
        _int(get("addedAt")),  # added_at
        _int(get("updatedAt")),  # updated_at
        _int(get("lastRatedAt")),  # last_rated_at
        _int(get("lastViewedAt")),  # last_viewed_at
        FIELD_SEPARATOR.join(words),  # search_text
    )


# Bounded: a few thousand names cover the albums of the pages in flight many times over.
@lru_cache(maxsize=4096)
def _fold_name(name: str) -> str:
    return fold(name)


@lru_cache(maxsize=4096)
def _live_album_title(title: str) -> bool:
    return is_live_title(title)


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
    # Fast paths for what Plex sends: JSON integers, and rating keys as strings of digits.
    if type(value) is int:  # (exactly int: a bool is not a number here)
        return value
    if type(value) is str:
        try:
            return int(value)
        except ValueError:
            pass  # "12.0", "", "n/a": the general path below
    number = _float(value)
    return None if number is None else int(number)


def _float(value: Any) -> float | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
