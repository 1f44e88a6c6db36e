"""Plex playlists: save a list of tracks as a new one or into an existing one; rename or
delete one; read them all, with the items of those that changed, for the cache's mirror."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from plexcrate.plex.client import URI_CHUNK, PlaylistEntry, PlaylistInfo, PlexClient
from plexcrate.plex.errors import PlexBadResponse, PlexError

T = TypeVar("T")


class SaveMode(StrEnum):
    NEW = "new"
    REPLACE = "replace"  # the playlist's tracks become these
    APPEND = "append"  # these tracks are added at the end


class PlaylistRefused(PlexError):
    """The playlist can't take these tracks (it is gone, or smart); the message says which."""


class PlaylistExists(PlaylistRefused):
    """A new playlist would have the name of one Plex already has (``existing``)."""

    def __init__(self, existing: PlaylistInfo, message: str | None = None) -> None:
        super().__init__(
            message
            or f"Plex already has a playlist called “{existing.title}”. Save again to make a "
            "second one with the same name, or add the tracks to that one."
        )
        self.existing = existing


class PlaylistMissing(PlexError):
    """The playlist is not on the Plex server (any more)."""


@dataclass(frozen=True, slots=True)
class Saved:
    """A save's outcome: the playlist as Plex now has it, and the keys sent that Plex left out
    (it answers 200 and adds only the keys that still exist: never a silent success)."""

    playlist: PlaylistInfo
    not_added: list[int]


class PlaylistHalfDone(PlexError):
    """A write failed after it had changed the playlist: the message says what it holds now.
    ``cause`` is the failure (its kind decides the HTTP status)."""

    def __init__(self, message: str, cause: PlexError, playlist_id: int) -> None:
        super().__init__(message)
        self.cause = cause
        self.playlist_id = playlist_id


def not_added(expected: Sequence[int], held: Sequence[int]) -> list[int]:
    """The keys of ``expected`` that ``held`` lacks, repeats counted, in ``expected``'s order:
    what a write meant to leave in a playlist and Plex did not keep."""
    spare = Counter(held)
    missing: list[int] = []
    for key in expected:
        if spare[key] > 0:
            spare[key] -= 1
        else:
            missing.append(key)
    return missing


@dataclass(frozen=True, slots=True)
class WritePlan:
    """How to turn a playlist's entries into ``wanted`` without ever emptying it: keep the
    entries that already begin it as ``wanted`` does, append ``add``, then remove ``remove``
    (playlistItemIDs of the old entries after the kept ones)."""

    keep: int  # entries kept at the start
    add: list[int]
    remove: list[int]


def plan_write(current: Sequence[PlaylistEntry], wanted: Sequence[int]) -> WritePlan:
    """The plan for making a playlist holding ``current`` hold ``wanted``, in order. Adding
    comes before removing, so a failure halfway leaves the old and the new, never nothing."""
    keep = 0
    for entry, key in zip(current, wanted, strict=False):
        if entry.rating_key != key:
            break
        keep += 1
    return WritePlan(
        keep=keep,
        add=list(wanted[keep:]),
        remove=[entry.item_id for entry in current[keep:]],
    )


def save_playlist(
    client: PlexClient,
    rating_keys: Sequence[int],
    *,
    mode: SaveMode,
    title: str = "",
    playlist_id: int | None = None,
    server: str | None = None,
    allow_duplicate: bool = False,
) -> Saved:
    """Save the tracks and return the playlist as Plex now has it, with the keys Plex left
    out.

    ``server``: the machineIdentifier of the server the tracks came from. Their keys mean
    other tracks, or nothing, on another server, so a save there is refused.

    A new playlist whose name an audio playlist already has (case aside) is refused with
    :class:`PlaylistExists`, unless ``allow_duplicate``: two playlists of one name are rarely
    what someone meant.

    Replace adds the new tracks before removing the old ones (by playlistItemID), so the
    playlist is never empty in between; a failure after it changed anything is a
    :class:`PlaylistHalfDone` saying what it holds.
    """
    identity = client.identity()
    if server is not None and identity.machine_identifier != server:
        name = f"“{identity.name}”" if identity.name else "another server"
        raise PlaylistRefused(
            f"The Plex server at {client.url} is now {name}, not the server these tracks came "
            "from, so the playlist was not saved: there they would be other tracks. Let the "
            "library sync with the new server, then pick the tracks again."
        )
    machine_identifier = identity.machine_identifier
    if mode is SaveMode.NEW:
        if not allow_duplicate:
            existing = named(client, title)
            if existing is not None:
                raise PlaylistExists(existing)
        # The first chunk creates it; the rest is added as to any playlist, so a failure
        # there says that the new playlist holds part of the tracks.
        first = list(rating_keys[:URI_CHUNK])
        playlist = client.create_playlist(title, first, machine_identifier)
        created = [PlaylistEntry(key, 0) for key in first]  # what it holds, near enough
        _add(client, playlist, created, list(rating_keys[URI_CHUNK:]), machine_identifier)
        expected = list(rating_keys)
    else:
        playlist = _existing(client, playlist_id)
        before = client.playlist_entries(playlist.id)
        if mode is SaveMode.APPEND:
            expected = [entry.rating_key for entry in before] + list(rating_keys)
            _add(client, playlist, before, list(rating_keys), machine_identifier)
        else:
            expected = list(rating_keys)
            write_playlist(client, playlist, before, expected, machine_identifier)
    held = client.playlist_item_keys(playlist.id)
    return Saved(
        PlaylistInfo(playlist.id, playlist.title, len(held), playlist.smart),
        not_added(expected, held),
    )


def write_playlist(
    client: PlexClient,
    playlist: PlaylistInfo,
    current: Sequence[PlaylistEntry],
    wanted: Sequence[int],
    machine_identifier: str,
) -> None:
    """Make ``playlist`` (holding ``current``) hold ``wanted``: :func:`plan_write`'s additions,
    then its removals. When Plex kept none of the additions the old entries stay (removing
    them would empty what was to be replaced), and the write is refused saying so."""
    plan = plan_write(current, wanted)
    _add(client, playlist, current, plan.add, machine_identifier)
    if plan.add and not _arrived(client, playlist, current):
        raise PlaylistRefused(
            f"Plex added none of these {len(plan.add):,} tracks (they are no longer on the "
            f"server), so “{playlist.title}” keeps its {len(current):,} tracks. Let the "
            "library sync, then pick the tracks again."
        )
    for done, item_id in enumerate(plan.remove):
        try:
            remove_entry(client, playlist.id, item_id)
        except PlexError as error:
            raise _half_done(client, playlist, error, len(plan.remove) - done) from None


def remove_entry(client: PlexClient, playlist_id: int, item_id: int) -> None:
    """Remove one entry by its ``playlistItemID``; one gone already (removed elsewhere meanwhile)
    is as wanted."""
    try:
        client.remove_playlist_item(playlist_id, item_id)
    except PlexBadResponse as error:
        if error.status != 404:
            raise


def _add(
    client: PlexClient,
    playlist: PlaylistInfo,
    before: Sequence[PlaylistEntry],
    keys: list[int],
    machine_identifier: str,
) -> None:
    """Append ``keys`` to ``playlist`` (holding ``before``); a failure says what it holds."""
    if not keys:
        return
    try:
        client.add_to_playlist(playlist.id, keys, machine_identifier)
    except PlexError as error:
        raise _half_done(client, playlist, error, len(before), adding=True) from None


def _arrived(client: PlexClient, playlist: PlaylistInfo, before: Sequence[PlaylistEntry]) -> bool:
    """Whether any entry was added to ``playlist`` since it held ``before``."""
    try:
        after = client.playlist_entries(playlist.id)
    except PlexError as error:
        raise _half_done(client, playlist, error, len(before), adding=True) from None
    old = {entry.item_id for entry in before}
    return any(entry.item_id not in old for entry in after)


def _half_done(
    client: PlexClient,
    playlist: PlaylistInfo,
    error: PlexError,
    old_left: int,
    *,
    adding: bool = False,
) -> PlaylistHalfDone:
    """The failure, said with what the playlist holds now (read again when Plex answers)."""
    try:
        held = f"it now holds {len(client.playlist_item_keys(playlist.id)):,} tracks"
    except PlexError:
        held = "what it holds now could not be read"
    if adding:
        state = f"the new tracks may be added only in part, after its {old_left:,} old ones"
    else:
        state = f"the new tracks are added, and {old_left:,} of the old ones are still there"
    return PlaylistHalfDone(
        f"Saving to “{playlist.title}” stopped halfway ({error.message}): {state}; {held}. "
        "Save again to finish.",
        error,
        playlist.id,
    )


def _existing(client: PlexClient, playlist_id: int | None) -> PlaylistInfo:
    playlist = next((p for p in client.audio_playlists() if p.id == playlist_id), None)
    if playlist is None:
        raise PlaylistRefused("That playlist is no longer on the Plex server.")
    if playlist.smart:
        raise PlaylistRefused(
            f"“{playlist.title}” is a smart playlist: Plex fills it from its rules, so tracks "
            "cannot be added to it."
        )
    return playlist


def named(client: PlexClient, title: str, *, besides: int | None = None) -> PlaylistInfo | None:
    """The audio playlist called ``title`` (case and surrounding spaces aside), if any, other
    than ``besides``."""
    wanted = title.strip().casefold()
    # Plex's title filter finds names that contain it; the exact match is ours to pick.
    matches = client.audio_playlists(title=title.strip())
    return next(
        (p for p in matches if p.title.strip().casefold() == wanted and p.id != besides), None
    )


def rename_playlist(
    client: PlexClient, playlist_id: int, title: str, *, allow_duplicate: bool = False
) -> PlaylistInfo:
    """Rename the audio playlist; returns it as Plex now has it. Another kind of playlist (or
    none) is :class:`PlaylistMissing`; a name another audio playlist has is
    :class:`PlaylistExists` unless ``allow_duplicate``, as when creating."""
    audio_playlist(client, playlist_id)
    if not allow_duplicate:
        existing = named(client, title, besides=playlist_id)
        if existing is not None:
            raise PlaylistExists(
                existing,
                f"Plex already has a playlist called “{existing.title}”. Rename again to "
                "have two with the same name, or choose another name.",
            )

    def rename() -> PlaylistInfo:
        client.rename_playlist(playlist_id, title)
        return client.playlist(playlist_id)

    return _known(rename)


def delete_playlist(client: PlexClient, playlist_id: int) -> None:
    """Delete the audio playlist; another kind (or none) is :class:`PlaylistMissing`."""
    audio_playlist(client, playlist_id)
    _known(lambda: client.delete_playlist(playlist_id))


def audio_playlist(client: PlexClient, playlist_id: int) -> PlaylistInfo:
    """The audio playlist ``playlist_id``, looked up among the audio playlists (the only ones
    the page lists): an id of a video or photo playlist is as unknown as a deleted one."""
    found = next((p for p in client.audio_playlists() if p.id == playlist_id), None)
    if found is None:
        raise PlaylistMissing("That playlist is no longer on the Plex server.")
    return found


def _known(work: Callable[[], T]) -> T:
    """``work()``, with Plex's 404 for a playlist that is gone said as such."""
    try:
        return work()
    except PlexBadResponse as error:
        if error.status == 404:
            raise PlaylistMissing("That playlist is no longer on the Plex server.") from None
        raise


@dataclass(frozen=True, slots=True)
class PlaylistsRead:
    """Plex's audio playlists as listed now, and the items (rating keys, in order) of those
    that were read again. A playlist deleted between the listing and the reading of its items
    is in neither."""

    listed: list[PlaylistInfo]
    items: dict[int, list[int]]


def read_audio_playlists(
    client: PlexClient, wanted: Callable[[PlaylistInfo], bool], *, workers: int = 1
) -> PlaylistsRead:
    """Every audio playlist, and the items of those ``wanted`` says to read (``workers`` at
    once). A radio playlist holds no items: none are asked for."""
    listed = client.audio_playlists()
    to_read = [p for p in listed if wanted(p)]

    def read(playlist: PlaylistInfo) -> list[int] | None:
        if playlist.radio:
            return []
        return playlist_items_if_any(client, playlist.id)

    with ThreadPoolExecutor(max(1, workers), thread_name_prefix="plex-playlists") as pool:
        found = dict(zip((p.id for p in to_read), pool.map(read, to_read), strict=True))
    gone = {playlist_id for playlist_id, keys in found.items() if keys is None}
    return PlaylistsRead(
        listed=[p for p in listed if p.id not in gone],
        items={playlist_id: keys for playlist_id, keys in found.items() if keys is not None},
    )


def read_playlist(client: PlexClient, playlist_id: int) -> tuple[PlaylistInfo, list[int]] | None:
    """One playlist and its items as Plex has them now; None when it is gone."""
    try:
        playlist = client.playlist(playlist_id)
    except PlexBadResponse as error:
        if error.status == 404:
            return None
        raise
    keys = [] if playlist.radio else playlist_items_if_any(client, playlist_id)
    return None if keys is None else (playlist, keys)


def playlist_items_if_any(client: PlexClient, playlist_id: int) -> list[int] | None:
    """The playlist's items (rating keys, in order); None when the playlist is gone."""
    try:
        return client.playlist_item_keys(playlist_id)
    except PlexBadResponse as error:
        if error.status == 404:
            return None
        raise
