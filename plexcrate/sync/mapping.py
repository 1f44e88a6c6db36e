"""From Plex's JSON items to cache rows: what a track *is*, in Plex terms.

- artist: the track's own artist (``originalTitle``) when set, else the album artist
  (``grandparentTitle``), so compilations by "Various Artists" name the real performer;
- album artist: ``grandparentTitle``; album: ``parentTitle``;
- year: the album's (``parentYear`` on track listings; the album row fills gaps);
- user rating: ``userRating`` (0–10, half stars as odd numbers) rounded half up to an int;
- tags: what each kind's declaration names on each kind of item (``cache/tags.py``: Plex's
  lists such as Genre, Format and Subformat, or an attribute such as the label's ``studio``),
  as the item lists them; cache/tags.py derives which apply to a track.
- art: an album's and an artist's ``thumb`` path (a track shows its album's).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from plexcrate.cache.rows import AlbumRow, ArtistRow, Tags, TrackRow
from plexcrate.cache.tags import TagKind, plex_names
from plexcrate.sync.live import is_live_album, is_live_title

Item = dict[str, Any]

# Plex's tag lists (and the label's attribute) on each kind of item, and the kind of tag each
# becomes: from the declarations.
ARTIST_TAGS = plex_names("artist")
ALBUM_TAGS = plex_names("album")
TRACK_TAGS = plex_names("track")
_OWN_TAGS = TRACK_TAGS.keys()

# The version of the rules above (and of what they read). Bump it whenever a change makes the
# same Plex items map to other rows (a new live rule, another genre precedence, another field
# read): the next start then does a full sync (sync.engine.full_sync_reason) rather than
# leaving rows mapped the old way until the weekly one.
# 2: tags are read complete (metadata) instead of from listings, which cut them short.
# 3: every kind of tag (styles, moods, album types, labels, tracks' own genres and moods).
# 4: artists' countries.
# 5: tracks' deletedAt (in the trash: unavailable) and guid.
MAPPING_VERSION = 5


def artist_row(item: Item, section_id: int) -> ArtistRow:
    return ArtistRow(
        rating_key=int(item["ratingKey"]),
        section_id=section_id,
        title=_text(item.get("title")),
        added_at=_int(item.get("addedAt")),
        updated_at=_int(item.get("updatedAt")),
        thumb=_text(item.get("thumb")) or None,
        tags=item_tags(item, ARTIST_TAGS),
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
        tags=item_tags(item, ALBUM_TAGS),
    )


def updated_at(item: Item) -> int | None:
    """When Plex last changed the item (its ``updatedAt``), if it says."""
    return _int(item.get("updatedAt"))


def album_played_tracks(item: Item) -> int | None:
    """How many of an album's tracks were played (Plex's ``viewedLeafCount``), if it says."""
    return _int(item.get("viewedLeafCount"))


def track_row(item: Item, section_id: int) -> TrackRow:
    # A sync maps every track, so this is the hottest Python in it: whether an album's title
    # says "live" is worked out once per album title, not once per track (_live_album_title).
    get = item.get
    title = _text(get("title"))
    album_artist = _text(get("grandparentTitle"))
    album = _text(get("parentTitle"))
    return TrackRow(
        rating_key=int(item["ratingKey"]),
        section_id=section_id,
        album_key=_int(get("parentRatingKey")),
        artist_key=_int(get("grandparentRatingKey")),
        title=title,
        artist=_text(get("originalTitle")) or album_artist,
        album_artist=album_artist,
        album=album,
        year=_int(get("parentYear")),
        duration_ms=_int(get("duration")),
        user_rating=rating(get("userRating")),
        disc_number=_int(get("parentIndex")),
        track_number=_int(get("index")),
        is_live=is_live_title(title) or _live_album_title(album),
        view_count=_int(get("viewCount")) or 0,
        added_at=_int(get("addedAt")),
        updated_at=_int(get("updatedAt")),
        last_rated_at=_int(get("lastRatedAt")),
        last_viewed_at=_int(get("lastViewedAt")),
        deleted_at=_int(get("deletedAt")),
        guid=_text(get("guid")) or None,
        # Most tracks have no tags of their own: skip the work for them.
        tags=item_tags(item, TRACK_TAGS) if not _OWN_TAGS.isdisjoint(item.keys()) else (),
    )


# Bounded: a few thousand names cover the albums of the pages in flight many times over.
@lru_cache(maxsize=4096)
def _live_album_title(title: str) -> bool:
    return is_live_title(title)


def rating(value: Any) -> int | None:
    """Plex's 0–10 ``userRating`` as an int, half up (4.5 → 5); missing → None."""
    number = _float(value)
    if number is None:
        return None
    return max(0, min(10, int(number + 0.5)))


def item_tags(item: Item, kinds: Mapping[str, TagKind]) -> Tags:
    """An item's tags of the given Plex kinds, as (kind, name) pairs, each once."""
    pairs = ((kind, name) for plex, kind in kinds.items() for name in tags(item, plex))
    return tuple(dict.fromkeys(pairs))


def tags(item: Item, kind: str) -> tuple[str, ...]:
    """The names of an item's tags of one kind, trimmed, no blanks: a tag list (``Genre``,
    ``Subformat``…: ``[{"tag": "Rock"}, …]``) or an attribute holding one name (``studio``)."""
    value = item.get(kind)
    if isinstance(value, str):
        return (value.strip(),) if value.strip() else ()
    entries: Iterable[Any] = value if isinstance(value, list) else ()
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
