"""Refreshing a recipe: draw its tracks from the cache, and write Plex by difference.

A refresh reads what the playlist holds in Plex now, tells the recipe's own last writes from
hand edits (:func:`hand_edits`: tracks added by hand stay, tracks removed by hand are never
added back), draws, then plans by difference (:func:`plan`): the entries to remove by their
``playlistItemID`` and the tracks to add. It adds first and removes after (the playlist is never
emptied to be filled again), reads the playlist back to see what Plex took, and writes the
outcome and a history entry in one transaction. A refresh with nothing to change sends Plex no
write at all.

Before it writes Plex, the refresh commits what it is about to make the playlist hold
(``writing``): a refresh cut short (a kill -9, Plex gone mid-way) leaves it set, and the next one
counts the differences it explains as the refresh's own, not as hand edits, and finishes the job.
"""

from __future__ import annotations

import logging
import secrets
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from plexcrate.cache.database import Database
from plexcrate.cache.draw import Drawn, DrawSpec, draw, duration_of
from plexcrate.cache.playlists import write_playlist
from plexcrate.cache.recipes import (
    HistoryEntry,
    Mode,
    Outcome,
    Recipe,
    Why,
    begin_writing,
    finish_refresh,
    get_recipe,
    pause,
    refresh_failed,
)
from plexcrate.cache.rules import RuleError, parse
from plexcrate.cache.state import read_sync_state
from plexcrate.plex.client import PlaylistEntry, PlexClient
from plexcrate.plex.errors import PlexBadResponse, PlexError
from plexcrate.plex.playlists import named, remove_entry
from plexcrate.sync.playlists import playlist_row

log = logging.getLogger(__name__)


class RecipeGone(Exception):
    """No recipe has that id (any more)."""


class RecipePaused(Exception):
    """The recipe is paused; ``str()`` says why."""


class RefreshFailed(Exception):
    """The refresh could not be done now (recorded in the history, owed when Plex failed)."""


class PlexUnsynced(PlexError):
    """The cache can't answer for the server answering now; retried after the next sync."""


def server_changed_why(server_name: str | None) -> str:
    name = f"“{server_name}”" if server_name else "another server"
    return (
        f"Paused: the Plex server is now {name}, not the server this recipe's playlist is on, "
        "and its tracks are other tracks there. Resume it to make its playlist on this server."
    )


# --- the plan: pure functions ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HandEdits:
    added: list[int]  # in the playlist, never written by the recipe: they stay
    removed: list[int]  # written by the recipe, gone from the playlist: never added back


def hand_edits(
    written: Sequence[int], writing: Sequence[int] | None, held: Sequence[int]
) -> HandEdits:
    """What was changed by hand in a playlist holding ``held`` (its keys, in order), when the
    last refresh left ``written`` there (and, if it was cut short, was making it ``writing``)."""
    ours = set(written) | set(writing or ())
    present = set(held)
    added = [key for key in dict.fromkeys(held) if key not in ours]
    # A refresh cut short may have removed what it no longer wanted: only the tracks it meant
    # to keep can have gone by hand.
    meant = set(writing) if writing is not None else None
    removed = [key for key in written if key not in present and (meant is None or key in meant)]
    return HandEdits(added=added, removed=list(dict.fromkeys(removed)))


@dataclass(frozen=True, slots=True)
class Plan:
    remove: list[int]  # playlistItemIDs
    add: list[int]  # rating keys, in the draw's order
    kept: int

    @property
    def writes(self) -> bool:
        return bool(self.remove or self.add)


def plan(
    wanted: Sequence[int], ours: Sequence[int] | set[int], items: Sequence[PlaylistEntry]
) -> Plan:
    """From the draw (``wanted``), the recipe's own tracks (``ours``) and the playlist's entries
    now (``items``): what to remove and add. Only the recipe's own
    entries are ever removed (hand-added ones stay), and of a track it holds twice, the second
    copy goes."""
    wanted_set, ours_set = set(wanted), set(ours)
    seen: set[int] = set()
    remove: list[int] = []
    for entry in items:
        key = entry.rating_key
        if key in ours_set and (key not in wanted_set or key in seen):
            remove.append(entry.item_id)
        seen.add(key)
    present = {entry.rating_key for entry in items}
    add = [key for key in dict.fromkeys(wanted) if key not in present]
    kept = sum(1 for key in dict.fromkeys(wanted) if key in present)
    return Plan(remove=remove, add=add, kept=kept)


# --- the refresh ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RefreshResult:
    added: int
    removed: int
    kept: int
    playlist_id: int | None
    entry: HistoryEntry = field(repr=False)


def draw_spec(spec: dict[str, Any]) -> DrawSpec:
    limit = spec.get("limit") or {"tracks": 50}
    return DrawSpec(
        tracks=limit.get("tracks"),
        minutes=limit.get("minutes"),
        sort=spec.get("sort", "random"),
        favour_rating=bool(spec.get("favour_rating")),
        max_per_artist=spec.get("max_per_artist"),
        max_per_album=spec.get("max_per_album"),
        dedupe=bool(spec.get("dedupe")),
    )


def draw_recipe(
    conn: sqlite3.Connection,
    recipe: Recipe,
    *,
    now: float,
    seed: int,
    pinned: Sequence[int] = (),
    keep: Sequence[int] = (),
    exclude: Sequence[int] = (),
) -> Drawn:
    """The recipe's draw over the snapshot ``conn`` reads (its rule's days counted from now)."""
    rule = parse(recipe.spec["rule"], now=now)
    return draw(
        conn, rule, draw_spec(recipe.spec), seed=seed, pinned=pinned, keep=keep, exclude=exclude
    )


def refresh_recipe(
    db: Database,
    client: PlexClient,
    recipe_id: int,
    why: Why,
    *,
    clock: Callable[[], float] = time.time,
) -> RefreshResult:
    """Refresh one recipe's playlist in Plex (on the caller's thread: Plex and SQLite both)."""
    recipe = db.read(lambda conn: get_recipe(conn, recipe_id))
    if recipe is None:
        raise RecipeGone(f"There is no recipe {recipe_id}.")
    if recipe.paused:
        raise RecipePaused(recipe.paused)
    now = clock()
    try:
        return _refresh(db, client, recipe, why, now)
    except PlexError as error:
        entry = HistoryEntry(at=now, reason=why.value, error=error.message)
        db.write(lambda conn: refresh_failed(conn, recipe.id, entry, owed=True))
        raise RefreshFailed(error.message) from error
    except RuleError as error:
        entry = HistoryEntry(at=now, reason=why.value, error=f"The rule can't be read: {error}")
        db.write(lambda conn: refresh_failed(conn, recipe.id, entry, owed=False))
        raise RefreshFailed(entry.error or "") from error


def _refresh(
    db: Database, client: PlexClient, recipe: Recipe, why: Why, now: float
) -> RefreshResult:
    state = db.read(read_sync_state)
    if state.is_empty or state.machine_identifier is None:
        raise PlexUnsynced("The library has not been synced yet; the refresh waits for it.")
    if recipe.machine_identifier not in (None, state.machine_identifier):
        why_paused = server_changed_why(state.server_name)
        db.write(
            lambda conn: pause(conn, recipe.id, HistoryEntry(now, why.value, error=why_paused))
        )
        raise RecipePaused(why_paused)
    identity = client.identity()
    if identity.machine_identifier != state.machine_identifier:
        raise PlexUnsynced(
            "The Plex server answering is not the one the library mirrors; the refresh waits "
            "for the next sync."
        )
    notes: list[str] = []
    items = _current_items(client, recipe, notes)
    held = [entry.rating_key for entry in items or ()]
    edits = hand_edits(recipe.written, recipe.writing, held) if items is not None else None
    if recipe.writing is not None:
        notes.append("The last refresh was cut short; this one finished its work.")
    ours = set(recipe.written) | set(recipe.writing or ())
    if edits is not None:
        ours -= set(edits.added)
    excluded = list(dict.fromkeys([*recipe.excluded, *(edits.removed if edits else ())]))
    if edits and edits.added:
        notes.append(f"{len(edits.added)} tracks added by hand in Plex stay.")
    if edits and edits.removed:
        notes.append(f"{len(edits.removed)} tracks removed by hand in Plex are not added back.")
    if recipe.mode is Mode.UPDATE:
        keep = [key for key in held if key in ours] if items is not None else recipe.written
        if recipe.writing is not None:  # finish what the refresh cut short meant to hold
            keep = [*recipe.writing, *keep]
    else:
        keep = []
    pinned = edits.added if edits else []
    seed = secrets.randbelow(2**31)
    drawn = db.read(
        lambda conn: draw_recipe(
            conn, recipe, now=now, seed=seed, pinned=pinned, keep=keep, exclude=excluded
        )
    )
    todo = plan(drawn.keys, ours, items or [])
    playlist_id = recipe.playlist_id if items is not None else None
    entry_base = dict(
        at=now,
        reason=why.value,
        hand_added=len(edits.added) if edits else 0,
        hand_removed=len(edits.removed) if edits else 0,
    )
    if playlist_id is not None and not todo.writes:
        # Nothing to change: no write to Plex.
        return _finish(
            db,
            recipe,
            playlist_id,
            held,
            drawn.keys,
            excluded,
            todo,
            notes,
            entry_base,
            not_taken=0,
        )
    db.write(lambda conn: begin_writing(conn, recipe.id, drawn.keys))
    if playlist_id is None:
        playlist_id, after = _create(client, recipe, drawn.keys, identity.machine_identifier, notes)
        todo = Plan(remove=[], add=list(drawn.keys), kept=0)
    else:
        if todo.add:  # first, so the playlist is never emptied to be filled again
            client.add_to_playlist(playlist_id, todo.add, identity.machine_identifier)
        _remove_all(client, playlist_id, todo.remove)
        after = client.playlist_item_keys(playlist_id)
    present = set(after)
    not_taken = [key for key in todo.add if key not in present]
    if not_taken:
        notes.append(f"Plex did not take {len(not_taken)} of the tracks added.")
    result = _finish(
        db,
        recipe,
        playlist_id,
        after,
        drawn.keys,
        excluded,
        todo,
        notes,
        entry_base,
        not_taken=len(not_taken),
    )
    if playlist_id is not None:  # a rule on `playlist` follows at once
        _mirror(db, client, identity.machine_identifier, playlist_id, after)
    return result


def _mirror(
    db: Database, client: PlexClient, server: str, playlist_id: int, keys: list[int]
) -> None:
    """The playlist's mirror, from the items just read back and its listing (one request, not
    the three of ``mirror_one``). A failure waits for the next sync, which mends the mirror."""
    try:
        info = client.playlist(playlist_id)
        contents = (playlist_row(info), keys)
        db.write(lambda conn: write_playlist(conn, server, playlist_id, contents))
    except (PlexError, sqlite3.Error) as error:
        log.info("The mirror of playlist %d waits for the next sync: %s", playlist_id, error)


def _current_items(
    client: PlexClient, recipe: Recipe, notes: list[str]
) -> list[PlaylistEntry] | None:
    """The playlist's entries now; None when it has none in Plex (never made, or deleted)."""
    if recipe.playlist_id is None:
        return None
    try:
        return client.playlist_entries(recipe.playlist_id)
    except PlexBadResponse as error:
        if error.status != 404:
            raise
    notes.append("The playlist was deleted in Plex; it was made again.")
    return None


def _create(
    client: PlexClient, recipe: Recipe, keys: list[int], server: str, notes: list[str]
) -> tuple[int | None, list[int]]:
    """Make the recipe's playlist. One a cut-short refresh made (its id never saved) is taken
    over rather than doubled."""
    if recipe.writing is not None and recipe.playlist_id is None:
        orphan = named(client, recipe.playlist_title)
        if orphan is not None and not orphan.smart:
            held = client.playlist_item_keys(orphan.id)
            missing = [key for key in keys if key not in set(held)]
            if missing:
                client.add_to_playlist(orphan.id, missing, server)
            return orphan.id, client.playlist_item_keys(orphan.id)
    if not keys:
        notes.append("No track matches yet: the playlist is made once one does.")
        return None, []
    created = client.create_playlist(recipe.playlist_title, keys, server)
    return created.id, client.playlist_item_keys(created.id)


REMOVE_AT_ONCE = 4  # removals in flight (one request each): Plex serves a few at once


def _remove_all(client: PlexClient, playlist_id: int, item_ids: list[int]) -> None:
    """Remove these entries, a few requests at a time (a redraw may remove a whole playlist's
    worth, one request an entry)."""
    if len(item_ids) <= 1:
        for item_id in item_ids:
            remove_entry(client, playlist_id, item_id)
        return
    with ThreadPoolExecutor(REMOVE_AT_ONCE, thread_name_prefix="plex-remove") as pool:
        for done in [pool.submit(remove_entry, client, playlist_id, i) for i in item_ids]:
            done.result()  # the first failure is raised; the rest are finished or failed


def _finish(
    db: Database,
    recipe: Recipe,
    playlist_id: int | None,
    after: list[int],
    wanted: list[int],
    excluded: list[int],
    todo: Plan,
    notes: list[str],
    entry_base: dict[str, Any],
    *,
    not_taken: int,
) -> RefreshResult:
    present = set(after)
    written = [key for key in wanted if key in present]
    duration = db.read(lambda conn: duration_of(conn, after))
    entry = HistoryEntry(
        added=len(todo.add) - not_taken,
        removed=len(todo.remove),
        kept=todo.kept,
        not_taken=not_taken,
        notes=notes,
        **entry_base,
    )
    server = recipe.machine_identifier or db.read(read_sync_state).machine_identifier
    outcome = Outcome(playlist_id, server, written, excluded, len(after), duration)
    db.write(lambda conn: finish_refresh(conn, recipe.id, outcome, entry))
    return RefreshResult(entry.added, entry.removed, entry.kept, playlist_id, entry)
