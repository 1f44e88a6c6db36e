"""Picking tracks for a playlist: a random sample of the filtered library, with a few wishes.

- ``favour_rating``: a weighted sample (Efraimidis–Spirakis: each track's key is -ln(u)/w, the
  smallest keys win), where the weight doubles every star, so a five-star track is about six
  times as likely as an unrated one (counted as 2½ stars) and 32 times a zero-star one;
- ``max_per_artist``: at most K tracks by one artist (a window function, in SQL), counting the
  tracks a preview already ``keep``s;
- ``target_minutes``: stop once the picked tracks last that long (tracks without a known
  duration are skipped then, since they would make the length a guess).

All of it runs in SQL over the same filter as the track list, streamed in pick order, so nothing
library-sized is held in Python. The same seed gives the same picks.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import orjson

from plexcrate.cache.filters import TrackFilter
from plexcrate.cache.queries import TRACK_COLUMNS, Track, matching, row_to_track, shuffle_key
from plexcrate.cache.shuffle import shuffle_params

MAX_PICK = 1000
UNRATED_AS = 5  # an unrated track weighs like 2½ stars


@dataclass(frozen=True, slots=True)
class PickOptions:
    count: int = 50  # at most this many tracks
    favour_rating: bool = False
    max_per_artist: int | None = None
    target_minutes: float | None = None
    exclude: tuple[int, ...] = ()  # rating keys never to pick (removed from a preview)
    keep: tuple[int, ...] = ()  # rating keys a preview holds: not picked again, and capped with
    seed: int = 0


def pick_tracks(conn: sqlite3.Connection, flt: TrackFilter, options: PickOptions) -> list[Track]:
    # The engine finds the matching tracks; the sampling below runs over them in SQL.
    params: dict[str, str] = {}
    chosen = ["t.deleted_at IS NULL"]  # never a track in Plex's trash
    if not flt.is_everything:
        lib, mask = matching(conn, flt)
        params["matching"] = orjson.dumps(lib.keys[mask].tolist()).decode()
        chosen = ["t.rating_key IN (SELECT value FROM json_each(:matching))"]
    # A uniform number in (0, 1) per track, from the seeded shuffle.
    uniform = f"((({shuffle_key('t')}) & 16777215) + 1) / 16777218.0"
    key = (
        f"-ln({uniform}) / pow(2.0, coalesce(t.user_rating, {UNRATED_AS}) / 2.0)"
        if options.favour_rating
        else uniform
    )
    conditions = [*chosen, "t.rating_key NOT IN (SELECT value FROM json_each(:not_again))"]
    if options.target_minutes is not None:
        conditions.append("t.duration_ms IS NOT NULL")
    per_artist = options.max_per_artist or MAX_PICK
    rows = conn.execute(
        f"""WITH kept AS (
                SELECT lower(t.artist) AS artist, count(*) AS n FROM tracks t
                WHERE t.rating_key IN (SELECT value FROM json_each(:keep)) GROUP BY 1),
            candidates AS (
                SELECT t.rating_key, {key} AS pick_key,
                       row_number() OVER (
                           PARTITION BY lower(t.artist) ORDER BY {key}, t.rating_key) AS nth
                FROM tracks t WHERE {" AND ".join(conditions)})
            SELECT {TRACK_COLUMNS} FROM candidates c JOIN tracks t USING (rating_key)
            LEFT JOIN kept k ON k.artist = lower(t.artist)
            WHERE c.nth + coalesce(k.n, 0) <= :per_artist
            ORDER BY c.pick_key, t.rating_key""",
        {
            **params,
            **shuffle_params(options.seed & 0x7FFFFFFF),
            "not_again": orjson.dumps([*options.exclude, *options.keep]).decode(),
            "keep": orjson.dumps(list(options.keep)).decode(),
            "per_artist": per_artist,
        },
    )
    return _take(rows, min(options.count, MAX_PICK), options.target_minutes)


def _take(rows: sqlite3.Cursor, count: int, target_minutes: float | None) -> list[Track]:
    """The first ``count`` picks, or fewer once they reach the target length."""
    target_ms = None if target_minutes is None else target_minutes * 60_000
    picked: list[Track] = []
    total_ms = 0
    for row in rows:
        if len(picked) >= count or (target_ms is not None and total_ms >= target_ms):
            break
        track = row_to_track(row)
        picked.append(track)
        total_ms += track.duration_ms or 0
    return picked
