"""Recipes: a rule that owns a Plex playlist, and the history of its refreshes (pure SQLite).

Recipes are the user's work, not a copy of Plex: their tables sit beside the library snapshot,
never in ``schema.LIBRARY_TABLES``, so a full sync's swap, a server change (``clear_library``), a
migration and a restart all keep them.

What a recipe remembers of its playlist, to tell its own writes from hand edits in Plex:

- ``written``: the rating keys its last refresh left in the playlist (in order);
- ``writing``: what a refresh is about to make the playlist hold, committed *before* it writes
  Plex and cleared after; found set at the next refresh, it says the last one was cut short (a
  kill -9), and which of the differences are its own half-done writes rather than hand edits;
- ``excluded``: the tracks removed by hand in Plex, never added back.

Every function takes a connection; writers open their own transaction (``BEGIN IMMEDIATE``) and
run on the database's writer thread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import orjson

RECIPE_TABLES_SQL = [
    """CREATE TABLE IF NOT EXISTS recipes (
        id                 INTEGER PRIMARY KEY,
        name               TEXT NOT NULL,
        spec               TEXT NOT NULL,
        refresh            TEXT NOT NULL DEFAULT 'after_sync',
        mode               TEXT NOT NULL DEFAULT 'update',
        playlist_title     TEXT NOT NULL,
        playlist_id        INTEGER,
        machine_identifier TEXT,
        written            TEXT NOT NULL DEFAULT '[]',
        writing            TEXT,
        excluded           TEXT NOT NULL DEFAULT '[]',
        paused             TEXT,
        owed               TEXT,
        created_at         REAL NOT NULL,
        refreshed_at       REAL,
        track_count        INTEGER NOT NULL DEFAULT 0,
        duration_ms        INTEGER NOT NULL DEFAULT 0
    )""",
    """CREATE TABLE IF NOT EXISTS recipe_history (
        id           INTEGER PRIMARY KEY,
        recipe_id    INTEGER NOT NULL,
        at           REAL NOT NULL,
        reason       TEXT NOT NULL,
        added        INTEGER NOT NULL DEFAULT 0,
        removed      INTEGER NOT NULL DEFAULT 0,
        kept         INTEGER NOT NULL DEFAULT 0,
        hand_added   INTEGER NOT NULL DEFAULT 0,
        hand_removed INTEGER NOT NULL DEFAULT 0,
        not_taken    INTEGER NOT NULL DEFAULT 0,
        notes        TEXT NOT NULL DEFAULT '[]',
        error        TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS idx_recipe_history ON recipe_history (recipe_id, id)",
]

HISTORY_KEPT = 100  # refreshes remembered per recipe


def create_recipe_tables(conn: sqlite3.Connection) -> None:
    """The migration's body (``schema._recipes``): idempotent, so it can be run again."""
    for statement in RECIPE_TABLES_SQL:
        conn.execute(statement)


class Refresh(StrEnum):
    AFTER_SYNC = "after_sync"
    DAILY = "daily"
    WEEKLY = "weekly"
    MANUAL = "manual"


class Mode(StrEnum):
    UPDATE = "update"  # keep what still matches, in order; fill up from new matches
    REDRAW = "redraw"  # a fresh draw each time


class Why(StrEnum):
    """Why a refresh ran (the history's ``reason``)."""

    CREATED = "created"
    SYNC = "sync"
    SCHEDULE = "schedule"
    MANUAL = "manual"  # by hand (the API, the CLI)
    RETRY = "retry"  # one owed since Plex was offline


PERIOD_S = {Refresh.DAILY: 86_400.0, Refresh.WEEKLY: 7 * 86_400.0}


@dataclass(frozen=True, slots=True)
class Recipe:
    id: int
    name: str
    spec: dict[str, Any]  # rule, limit, sort, favour_rating, max_per_artist, max_per_album, dedupe
    refresh: Refresh
    mode: Mode
    playlist_title: str
    playlist_id: int | None
    machine_identifier: str | None
    written: list[int]
    writing: list[int] | None
    excluded: list[int]
    paused: str | None  # why, when paused
    owed: str | None  # a refresh failed (Plex offline…): why it is owed
    created_at: float
    refreshed_at: float | None
    track_count: int
    duration_ms: int

    def next_refresh(self) -> float | None:
        """When a daily or weekly recipe is next due (None for the others)."""
        period = PERIOD_S.get(self.refresh)
        if period is None:
            return None
        return (self.refreshed_at or self.created_at) + period

    def due(self, now: float) -> bool:
        due_at = self.next_refresh()
        return self.paused is None and due_at is not None and now >= due_at


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: float
    reason: str
    added: int = 0
    removed: int = 0
    kept: int = 0
    hand_added: int = 0
    hand_removed: int = 0
    not_taken: int = 0
    notes: list[str] = field(default_factory=list)
    error: str | None = None


_COLUMNS = """id, name, spec, refresh, mode, playlist_title, playlist_id, machine_identifier,
    written, writing, excluded, paused, owed, created_at, refreshed_at, track_count,
    duration_ms"""


def _recipe(row: tuple[Any, ...]) -> Recipe:
    (
        rid,
        name,
        spec,
        refresh,
        mode,
        title,
        playlist_id,
        server,
        written,
        writing,
        excluded,
        paused,
        owed,
        created_at,
        refreshed_at,
        track_count,
        duration_ms,
    ) = row
    return Recipe(
        id=rid,
        name=name,
        spec=orjson.loads(spec),
        refresh=Refresh(refresh),
        mode=Mode(mode),
        playlist_title=title,
        playlist_id=playlist_id,
        machine_identifier=server,
        written=orjson.loads(written),
        writing=None if writing is None else orjson.loads(writing),
        excluded=orjson.loads(excluded),
        paused=paused,
        owed=owed,
        created_at=created_at,
        refreshed_at=refreshed_at,
        track_count=track_count,
        duration_ms=duration_ms,
    )


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


# --- reading ---------------------------------------------------------------------------------


def all_recipes(conn: sqlite3.Connection) -> list[Recipe]:
    return [_recipe(row) for row in conn.execute(f"SELECT {_COLUMNS} FROM recipes ORDER BY id")]


def get_recipe(conn: sqlite3.Connection, recipe_id: int) -> Recipe | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM recipes WHERE id = ?", (recipe_id,)).fetchone()
    return None if row is None else _recipe(row)


def history(conn: sqlite3.Connection, recipe_id: int) -> list[HistoryEntry]:
    """A recipe's refreshes, newest first."""
    rows = conn.execute(
        """SELECT at, reason, added, removed, kept, hand_added, hand_removed, not_taken, notes,
                  error FROM recipe_history WHERE recipe_id = ? ORDER BY id DESC""",
        (recipe_id,),
    )
    return [_entry(row) for row in rows]


def _entry(row: tuple[Any, ...]) -> HistoryEntry:
    at, reason, added, removed, kept, hand_added, hand_removed, not_taken, notes, error = row
    return HistoryEntry(
        at,
        reason,
        added,
        removed,
        kept,
        hand_added,
        hand_removed,
        not_taken,
        notes=orjson.loads(notes),
        error=error,
    )


def last_entries(conn: sqlite3.Connection) -> dict[int, HistoryEntry]:
    """Each recipe's last history entry (for a list of recipes)."""
    rows = conn.execute(
        """SELECT recipe_id, at, reason, added, removed, kept, hand_added, hand_removed,
                  not_taken, notes, error FROM recipe_history
           WHERE id IN (SELECT max(id) FROM recipe_history GROUP BY recipe_id)"""
    )
    return {row[0]: _entry(row[1:]) for row in rows}


# --- writing (each in a transaction of its own) ----------------------------------------------


def _transaction(conn: sqlite3.Connection, work: Any) -> Any:
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = work()
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result


@dataclass(frozen=True, slots=True)
class NewRecipe:
    name: str
    spec: dict[str, Any]
    refresh: Refresh = Refresh.AFTER_SYNC
    mode: Mode = Mode.UPDATE
    playlist_title: str = ""
    machine_identifier: str | None = None


def insert_recipe(conn: sqlite3.Connection, new: NewRecipe, *, now: float) -> int:
    def work() -> int:
        cursor = conn.execute(
            """INSERT INTO recipes (name, spec, refresh, mode, playlist_title,
                   machine_identifier, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)""",
            (
                new.name,
                _json(new.spec),
                new.refresh.value,
                new.mode.value,
                new.playlist_title or new.name,
                new.machine_identifier,
                now,
            ),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    return _transaction(conn, work)


# Columns a PATCH may change, and how each is stored.
_EDITABLE: dict[str, Callable[[Any], Any]] = {
    "name": str,
    "spec": _json,
    "refresh": lambda v: Refresh(v).value,
    "mode": lambda v: Mode(v).value,
    "playlist_title": str,
    "paused": lambda v: v,
    "machine_identifier": lambda v: v,
    "playlist_id": lambda v: v,
}


def update_recipe(conn: sqlite3.Connection, recipe_id: int, **changes: Any) -> bool:
    """Change some of a recipe's columns (of :data:`_EDITABLE`); False if it is gone."""
    if not changes:
        return (
            conn.execute("SELECT 1 FROM recipes WHERE id = ?", (recipe_id,)).fetchone() is not None
        )
    unknown = set(changes) - set(_EDITABLE)
    if unknown:
        raise ValueError(f"not a recipe column: {', '.join(sorted(unknown))}")
    sets = ", ".join(f"{name} = ?" for name in changes)
    values = [_EDITABLE[name](value) for name, value in changes.items()]
    return _transaction(
        conn,
        lambda: (
            conn.execute(f"UPDATE recipes SET {sets} WHERE id = ?", (*values, recipe_id)).rowcount
            > 0
        ),
    )


def delete_recipe(conn: sqlite3.Connection, recipe_id: int) -> bool:
    def work() -> bool:
        conn.execute("DELETE FROM recipe_history WHERE recipe_id = ?", (recipe_id,))
        return conn.execute("DELETE FROM recipes WHERE id = ?", (recipe_id,)).rowcount > 0

    return _transaction(conn, work)


def begin_writing(conn: sqlite3.Connection, recipe_id: int, target: Sequence[int]) -> None:
    """Say what a refresh is about to make the playlist hold, before it writes Plex."""
    _transaction(
        conn,
        lambda: conn.execute(
            "UPDATE recipes SET writing = ? WHERE id = ?", (_json(list(target)), recipe_id)
        ),
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a refresh leaves in the recipe's row."""

    playlist_id: int | None
    machine_identifier: str | None
    written: list[int]
    excluded: list[int]
    track_count: int
    duration_ms: int


def finish_refresh(
    conn: sqlite3.Connection, recipe_id: int, outcome: Outcome, entry: HistoryEntry
) -> None:
    """A refresh has ended well: its outcome and its history entry, in one transaction."""

    def work() -> None:
        conn.execute(
            """UPDATE recipes SET playlist_id = ?, machine_identifier = ?, written = ?,
                   writing = NULL, excluded = ?, owed = NULL, refreshed_at = ?,
                   track_count = ?, duration_ms = ?
               WHERE id = ?""",
            (
                outcome.playlist_id,
                outcome.machine_identifier,
                _json(outcome.written),
                _json(outcome.excluded),
                entry.at,
                outcome.track_count,
                outcome.duration_ms,
                recipe_id,
            ),
        )
        _add_history(conn, recipe_id, entry)

    _transaction(conn, work)


def refresh_failed(
    conn: sqlite3.Connection, recipe_id: int, entry: HistoryEntry, *, owed: bool
) -> None:
    """A refresh failed (``entry.error`` says why); ``owed``: retry once Plex answers. What it
    had begun writing stays in ``writing``, for the next refresh to mend."""

    def work() -> None:
        conn.execute(
            "UPDATE recipes SET owed = ? WHERE id = ?",
            (entry.error if owed else None, recipe_id),
        )
        _add_history(conn, recipe_id, entry)

    _transaction(conn, work)


def note(conn: sqlite3.Connection, recipe_id: int, entry: HistoryEntry) -> None:
    """A history entry alone (a pause, a refresh that had nothing to do)."""
    _transaction(conn, lambda: _add_history(conn, recipe_id, entry))


def pause(conn: sqlite3.Connection, recipe_id: int, entry: HistoryEntry) -> None:
    """Pause one recipe, ``entry.error`` saying why (also in its history)."""

    def work() -> None:
        conn.execute("UPDATE recipes SET paused = ? WHERE id = ?", (entry.error, recipe_id))
        _add_history(conn, recipe_id, entry)

    _transaction(conn, work)


def resume(conn: sqlite3.Connection, recipe_id: int, *, server: str | None) -> bool:
    """Resume a paused recipe for ``server``: when that is another server than its playlist's,
    it starts afresh there (a new playlist, nothing remembered of the old one)."""

    def work() -> bool:
        row = conn.execute(
            "SELECT machine_identifier FROM recipes WHERE id = ?", (recipe_id,)
        ).fetchone()
        if row is None:
            return False
        if row[0] not in (None, server):
            conn.execute(
                """UPDATE recipes SET machine_identifier = NULL, playlist_id = NULL,
                       written = '[]', writing = NULL, excluded = '[]' WHERE id = ?""",
                (recipe_id,),
            )
        conn.execute("UPDATE recipes SET paused = NULL WHERE id = ?", (recipe_id,))
        return True

    return _transaction(conn, work)


def pause_all(conn: sqlite3.Connection, why: str, *, server: str | None) -> int:
    """Pause every recipe whose playlist is on another server than ``server``."""

    def work() -> int:
        return conn.execute(
            """UPDATE recipes SET paused = ? WHERE paused IS NULL
                   AND machine_identifier IS NOT NULL AND machine_identifier IS NOT ?""",
            (why, server),
        ).rowcount

    return _transaction(conn, work)


def _add_history(conn: sqlite3.Connection, recipe_id: int, entry: HistoryEntry) -> None:
    conn.execute(
        """INSERT INTO recipe_history (recipe_id, at, reason, added, removed, kept, hand_added,
               hand_removed, not_taken, notes, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            recipe_id,
            entry.at,
            entry.reason,
            entry.added,
            entry.removed,
            entry.kept,
            entry.hand_added,
            entry.hand_removed,
            entry.not_taken,
            _json(entry.notes),
            entry.error,
        ),
    )
    conn.execute(
        """DELETE FROM recipe_history WHERE recipe_id = ? AND id <= (
               SELECT id FROM recipe_history WHERE recipe_id = ? ORDER BY id DESC
               LIMIT 1 OFFSET ?)""",
        (recipe_id, recipe_id, HISTORY_KEPT),
    )
