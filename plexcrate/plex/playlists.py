"""Saving a list of tracks to Plex as a playlist: a new one, or into an existing one."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from plexcrate.plex.client import PlaylistInfo, PlexClient
from plexcrate.plex.errors import PlexError


class SaveMode(StrEnum):
    NEW = "new"
    REPLACE = "replace"  # the playlist's tracks become these
    APPEND = "append"  # these tracks are added at the end


class PlaylistRefused(PlexError):
    """The playlist can't take these tracks (it is gone, or smart); the message says which."""


def save_playlist(
    client: PlexClient,
    rating_keys: Sequence[int],
    *,
    mode: SaveMode,
    title: str = "",
    playlist_id: int | None = None,
    server: str | None = None,
) -> PlaylistInfo:
    """Save the tracks and return the playlist as Plex now has it.

    ``server``: the machineIdentifier of the server the tracks came from. Their keys mean
    other tracks, or nothing, on another server, so a save there is refused.
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
        playlist = client.create_playlist(title, rating_keys, machine_identifier)
    else:
        playlist = _existing(client, playlist_id)
        if mode is SaveMode.REPLACE:
            client.clear_playlist(playlist.id)
        client.add_to_playlist(playlist.id, rating_keys, machine_identifier)
    item_count = len(client.playlist_item_keys(playlist.id))
    return PlaylistInfo(playlist.id, playlist.title, item_count, playlist.smart)


def _existing(client: PlexClient, playlist_id: int | None) -> PlaylistInfo:
    playlist = next((p for p in client.playlists() if p.id == playlist_id), None)
    if playlist is None:
        raise PlaylistRefused("That playlist is no longer on the Plex server.")
    if playlist.smart:
        raise PlaylistRefused(
            f"“{playlist.title}” is a smart playlist: Plex fills it from its rules, so tracks "
            "cannot be added to it."
        )
    return playlist
