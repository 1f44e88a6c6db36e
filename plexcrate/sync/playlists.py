"""Mirror Plex's audio playlists into the cache: by every sync, and after plexcrate itself
saved, renamed or deleted one.

A sync lists the playlists (one request for up to 1,000 of them) and reads the items only of
those whose ``updatedAt``, ``leafCount`` or ``duration`` differ from the cache's copy, or that
it lacks: after
a full sync's swap the mirror is empty, so all are read; a refresh with nothing changed reads
none. Playlists no longer listed go. A smart playlist's items follow the library (Plex
computes them from its rules, and nothing says its ``updatedAt`` moves when they change), so a
refresh that changed the library reads every smart playlist again.

It runs inside the sync's write transaction, after the library is read and before the last
checks: a failure rolls the playlists back with everything else.
"""

from __future__ import annotations

import logging
import sqlite3
from concurrent.futures import TimeoutError as FutureTimeout

from plexcrate.cache.database import Database
from plexcrate.cache.playlists import (
    PlaylistRow,
    cached_playlists,
    drop_playlists,
    put_playlist,
    write_playlist,
)
from plexcrate.plex.client import PlaylistInfo, PlexClient
from plexcrate.plex.errors import PlexError
from plexcrate.plex.playlists import read_audio_playlists, read_playlist

log = logging.getLogger(__name__)

# How long a playlist save waits for its mirror to be written. The writer thread is busy for
# the whole of a full sync; the save's answer does not wait for that (the write is queued, and
# lands when the sync commits).
MIRROR_WAIT_S = 2.0


def playlist_row(playlist: PlaylistInfo) -> PlaylistRow:
    return PlaylistRow(
        id=playlist.id,
        title=playlist.title,
        smart=playlist.smart,
        leaf_count=playlist.item_count,
        duration_ms=playlist.duration_ms,
        updated_at=playlist.updated_at,
    )


def mirror_playlists(
    conn: sqlite3.Connection, client: PlexClient, *, workers: int, library_changed: bool
) -> None:
    """Bring the mirror level with Plex's audio playlists, inside the caller's transaction.
    ``library_changed``: the sync changed tracks, albums or artists (smart playlists are read
    again)."""
    cached = cached_playlists(conn)

    def changed(playlist: PlaylistInfo) -> bool:
        known = cached.get(playlist.id)
        return (
            known is None
            or known.updated_at != playlist.updated_at
            or known.leaf_count != playlist.item_count
            # Items replaced by as many within the second of the last listing: a new length
            # tells, most of the time (what it misses waits for the weekly full sync).
            or known.duration_ms != playlist.duration_ms
            or (playlist.smart and library_changed)
        )

    read = read_audio_playlists(client, changed, workers=workers)
    listed = {playlist.id for playlist in read.listed}
    drop_playlists(conn, [playlist_id for playlist_id in cached if playlist_id not in listed])
    for playlist in read.listed:
        row = playlist_row(playlist)
        items = read.items.get(playlist.id)
        if items is None and cached.get(playlist.id) == row:
            continue  # as cached: no write
        put_playlist(conn, row, items)


def mirror_one(
    db: Database,
    client: PlexClient,
    playlist_id: int,
    *,
    deleted: bool = False,
    wait_s: float = MIRROR_WAIT_S,
) -> None:
    """After plexcrate saved, renamed (or, ``deleted``, deleted) a playlist: read it again from
    Plex and write it into the mirror, so a rule on ``playlist`` follows at once.

    The save itself has succeeded: a failure here is logged, never raised, and the next
    refresh mends the mirror (the playlist's ``updatedAt`` differs from the cache's). Written
    only when the cache mirrors the server answering now (``write_playlist`` checks)."""
    try:
        server = client.identity().machine_identifier
        playlist = None if deleted else read_playlist(client, playlist_id)
    except PlexError as error:
        log.warning("The mirror of playlist %d waits for the next sync: %s", playlist_id, error)
        return
    contents = None if playlist is None else (playlist_row(playlist[0]), playlist[1])
    try:
        written = db.submit_write(lambda conn: write_playlist(conn, server, playlist_id, contents))
        written.result(timeout=wait_s)
    except FutureTimeout:
        log.info("The mirror of playlist %d is written once the sync ends.", playlist_id)
    except (sqlite3.Error, RuntimeError) as error:  # RuntimeError: the cache was closed
        log.warning("The mirror of playlist %d could not be written: %s", playlist_id, error)
