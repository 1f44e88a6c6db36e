"""Plex playlists: save a list of tracks as a new one or into an existing one; rename or
delete one; read them all, with the items of those that changed, for the cache's mirror."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from plexcrate.plex.client import PlaylistInfo, PlexClient
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

    def __init__(self, existing: PlaylistInfo) -> None:
        super().__init__(
            f"Plex already has a playlist called “{existing.title}”. Save again to make a "
            "second one with the same name, or add the tracks to that one."
        )
        self.existing = existing


class PlaylistMissing(PlexError):
    """The playlist is not on the Plex server (any more)."""


def save_playlist(
    client: PlexClient,
    rating_keys: Sequence[int],
    *,
    mode: SaveMode,
    title: str = "",
    playlist_id: int | None = None,
    server: str | None = None,
    allow_duplicate: bool = False,
) -> PlaylistInfo:
    """Save the tracks and return the playlist as Plex now has it.

    ``server``: the machineIdentifier of the server the tracks came from. Their keys mean
    other tracks, or nothing, on another server, so a save there is refused.

    A new playlist whose name an audio playlist already has (case aside) is refused with
    :class:`PlaylistExists`, unless ``allow_duplicate``: two playlists of one name are rarely
    what someone meant.
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
    if mode is SaveMode.NEW and not allow_duplicate:
        existing = named(client, title)
        if existing is not None:
            raise PlaylistExists(existing)
    if mode is SaveMode.NEW:
        playlist = client.create_playlist(title, rating_keys, machine_identifier)
    else:
        playlist = _existing(client, playlist_id)
        if mode is SaveMode.REPLACE:
            client.clear_playlist(playlist.id)
        client.add_to_playlist(playlist.id, rating_keys, machine_identifier)
    item_count = len(client.playlist_item_keys(playlist.id))
    return PlaylistInfo(playlist.id, playlist.title, item_count, playlist.smart)


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


def named(client: PlexClient, title: str) -> PlaylistInfo | None:
    """The audio playlist called ``title`` (case and surrounding spaces aside), if any."""
    wanted = title.strip().casefold()
    # Plex's title filter finds names that contain it; the exact match is ours to pick.
    matches = client.audio_playlists(title=title.strip())
    return next((p for p in matches if p.title.strip().casefold() == wanted), None)


def rename_playlist(client: PlexClient, playlist_id: int, title: str) -> PlaylistInfo:
    """Rename the playlist; returns it as Plex now has it."""

    def rename() -> PlaylistInfo:
        client.rename_playlist(playlist_id, title)
        return client.playlist(playlist_id)

    return _known(rename)


def delete_playlist(client: PlexClient, playlist_id: int) -> None:
    _known(lambda: client.delete_playlist(playlist_id))


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
