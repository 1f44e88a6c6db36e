"""Recipes, below the API: a song's name (dedupe), the plan by difference, hand edits, the draw
over a synced cache, and the tables' life beside the library (a server change, a migration)."""

from __future__ import annotations

import sqlite3
import time

import pytest

from plexcrate.cache.database import Database
from plexcrate.cache.draw import DrawSpec, draw, song_key, song_title
from plexcrate.cache.recipes import NewRecipe, all_recipes, insert_recipe
from plexcrate.cache.rules import parse
from plexcrate.cache.schema import MIGRATIONS, migrate
from plexcrate.cache.state import clear_library
from plexcrate.plex.client import PlaylistEntry, PlexClient
from plexcrate.simulator import SimLibrary
from plexcrate.sync.engine import SyncOptions, sync_library
from plexcrate.sync.recipes import hand_edits, plan

# --- dedupe: what a song is called -------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "song"),
    [
        ("Here Comes the Sun (Remastered 2009)", "here comes the sun"),
        ("Here Comes the Sun - 2011 Remaster", "here comes the sun"),
        ("Here Comes The Sun [Live at Wembley]", "here comes the sun"),
        ("Café del Mar (feat. Björk)", "cafe del mar"),
        ("Song ft. Someone", "song"),
        ("Song (Live) - 2011 Remaster", "song"),
        ("Mono (Mono Version)", "mono"),
        ("Hey Jude", "hey jude"),
        ("Love - Reprise", "love reprise"),  # a dash that names no edition stays
    ],
)
def test_a_title_is_folded_to_its_song(title: str, song: str) -> None:
    assert song_title(title) == song


def test_two_versions_of_a_song_share_a_key_and_others_do_not() -> None:
    assert song_key("The Beatles", "Let It Be (Remastered 2009)") == song_key(
        "the beatles", "Let It Be"
    )
    assert song_key("Daft Punk feat. Pharrell", "Get Lucky") == song_key("Daft Punk", "Get Lucky")
    assert song_key("Daft Punk", "Get Lucky") != song_key("Daft Punk", "Lose Yourself")
    assert song_key("A", "Song") != song_key("B", "Song")


# --- the plan by difference --------------------------------------------------------------------


def entry(item_id: int, rating_key: int) -> PlaylistEntry:
    return PlaylistEntry(rating_key=rating_key, item_id=item_id)


def test_the_plan_removes_only_its_own_entries_and_adds_what_is_missing() -> None:
    items = [entry(101, 1), entry(102, 2), entry(103, 3), entry(104, 9)]  # 9 was added by hand
    todo = plan(wanted=[1, 3, 4, 5], ours={1, 2, 3}, items=items)
    assert todo.remove == [102]
    assert todo.add == [4, 5]
    assert todo.kept == 2


def test_nothing_changed_plans_no_write() -> None:
    todo = plan(wanted=[1, 2], ours={1, 2}, items=[entry(11, 1), entry(12, 2)])
    assert not todo.writes and todo.kept == 2


def test_a_second_copy_of_its_own_track_goes() -> None:
    assert plan(wanted=[1], ours={1}, items=[entry(11, 1), entry(12, 1)]).remove == [12]


def test_hand_edits_are_what_the_last_refresh_does_not_explain() -> None:
    edits = hand_edits(written=[1, 2, 3], writing=None, held=[1, 3, 7])
    assert edits.added == [7] and edits.removed == [2]


def test_a_refresh_cut_short_is_not_taken_for_hand_edits() -> None:
    # It was making [1, 2, 4] of [1, 2, 3]: it had added 4 and removed 3 when it died.
    edits = hand_edits(written=[1, 2, 3], writing=[1, 2, 4], held=[1, 2, 4])
    assert edits.added == [] and edits.removed == []
    # ...or it had added nothing yet, and the person removed 2 meanwhile.
    edits = hand_edits(written=[1, 2, 3], writing=[1, 2, 4], held=[1, 3])
    assert edits.added == [] and edits.removed == [2]


# --- the draw over a synced cache --------------------------------------------------------------


@pytest.fixture
def synced(cache: Database, client: PlexClient) -> Database:
    sync_library(cache, client, options=SyncOptions(page_size=200, workers=2))
    return cache


def rows(db: Database, keys: list[int]) -> list[tuple[int, str, int, int, int, int]]:
    def read(conn: sqlite3.Connection) -> list[tuple[int, str, int, int, int, int]]:
        return [
            conn.execute(
                """SELECT rating_key, lower(artist), album_key, coalesce(duration_ms, -1),
                          coalesce(user_rating, -1), is_live FROM tracks WHERE rating_key = ?""",
                (key,),
            ).fetchone()
            for key in keys
        ]

    return db.read(read)


RATED = parse({"field": "rating", "op": "ge", "value": 4}, now=time.time())
EVERYTHING = parse({"all": []}, now=time.time())


def test_a_draw_honours_the_rule_the_limit_and_the_caps(synced: Database) -> None:
    spec = DrawSpec(tracks=30, max_per_artist=2, max_per_album=1)
    drawn = synced.read(lambda conn: draw(conn, RATED, spec, seed=1))
    found = rows(synced, drawn.keys)
    assert len(found) == 30 == len(set(drawn.keys))
    assert all(rating >= 4 for *_, rating, _live in found)
    artists = [artist for _, artist, *_ in found]
    assert max(artists.count(a) for a in artists) <= 2
    albums = [album for _, _, album, *_ in found]
    assert len(albums) == len(set(albums))
    again = synced.read(lambda conn: draw(conn, RATED, spec, seed=1))
    assert again.keys == drawn.keys  # the same seed, the same draw


def test_a_draw_by_minutes_stops_once_long_enough(synced: Database) -> None:
    drawn = synced.read(
        lambda conn: draw(conn, EVERYTHING, DrawSpec(tracks=None, minutes=45), seed=3)
    )
    lengths = [duration for *_, duration, _r, _l in rows(synced, drawn.keys)]
    assert all(length > 0 for length in lengths)
    assert sum(lengths) >= 45 * 60_000 > sum(lengths[:-1])
    assert drawn.duration_ms == sum(lengths)


def test_a_sorted_draw_takes_the_top_and_keeps_what_it_is_told(synced: Database) -> None:
    spec = DrawSpec(tracks=10, sort="-rating")
    top = synced.read(lambda conn: draw(conn, EVERYTHING, spec, seed=0)).keys
    ratings = [rating for *_, rating, _live in rows(synced, top)]
    assert ratings == sorted(ratings, reverse=True)
    # Held first, in their order, and counted toward the limit; the excluded never come.
    held = top[5:8]
    redrawn = synced.read(
        lambda conn: draw(conn, EVERYTHING, spec, seed=0, keep=held, exclude=[top[0]])
    ).keys
    assert redrawn[:3] == held and top[0] not in redrawn and len(redrawn) == 10
    pinned = synced.read(lambda conn: draw(conn, EVERYTHING, spec, seed=0, pinned=top[:4])).keys
    assert len(pinned) == 6 and not set(pinned) & set(top[:4])


def test_dedupe_keeps_one_copy_the_studio_one_and_the_better_rated(
    cache: Database, client: PlexClient, sim_library: SimLibrary
) -> None:
    album = next(iter(sim_library.albums))
    copies = [
        sim_library.add_track(album, title="Twin Song (Remastered 2009)", duration=200_000),
        sim_library.add_track(album, title="Twin Song", duration=202_000),
        sim_library.add_track(album, title="Twin Song - Live", duration=199_000),
        sim_library.add_track(album, title="Twin Song (Extended)", duration=420_000),
    ]
    sim_library.rate_track(copies[0].rating_key, 6)
    sim_library.rate_track(copies[1].rating_key, 8)
    sim_library.rate_track(copies[2].rating_key, 10)
    sync_library(cache, client, options=SyncOptions(page_size=200, workers=2))
    live = {copies[2].rating_key}
    cache.write(
        lambda conn: conn.execute(
            "UPDATE tracks SET is_live = 1 WHERE rating_key = ?", (copies[2].rating_key,)
        )
    )
    # (the live flag set in the cache: a new snapshot, as a sync would name it)
    cache.write(lambda conn: conn.execute("UPDATE sync_state SET generation = generation + 1"))
    rule = parse({"field": "title", "op": "starts_with", "value": "Twin Song"}, now=time.time())
    everything = cache.read(lambda conn: draw(conn, rule, DrawSpec(tracks=10), seed=1)).keys
    assert len(everything) == 4
    deduped = cache.read(lambda conn: draw(conn, rule, DrawSpec(tracks=10, dedupe=True), seed=1))
    # The studio copies within 5 s are one song (the better rated wins over the live one,
    # rated higher); the extended version is another song.
    assert sorted(deduped.keys) == sorted([copies[1].rating_key, copies[3].rating_key])
    assert not live & set(deduped.keys)


# --- the tables' life beside the library ---------------------------------------------------------


def test_recipes_survive_a_server_change_and_a_repeated_migration(tmp_path) -> None:
    with Database(tmp_path / "c.db") as db:
        new = NewRecipe("Mine", {"rule": {"all": []}}, machine_identifier="abc")
        db.write(lambda conn: insert_recipe(conn, new, now=1.0))
        db.write(lambda conn: clear_library(conn, machine_identifier="other"))
        assert [r.name for r in db.read(all_recipes)] == ["Mine"]
    conn = sqlite3.connect(tmp_path / "c.db", isolation_level=None)
    # The recipes' step run again (the merge may order it after another one): nothing lost.
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) - 1}")
    migrate(conn)
    assert conn.execute("SELECT name FROM recipes").fetchall() == [("Mine",)]
    conn.close()
