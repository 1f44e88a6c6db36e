"""The rule language: every field and operator against a brute-force oracle (random nested rules
over random libraries), and every malformed rule refused with a message naming its JSON path.

The oracle reads the library the way docs/architecture.md and cache/rules.py say, in plain
Python; the engine answers from its columns in memory. They must agree on every rule.
"""

from __future__ import annotations

import calendar
import datetime as dt
import sqlite3
import unicodedata
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from conftest import TOKEN
from hypothesis import given
from hypothesis import strategies as st
from library_factory import album, artist, publish, track
from test_query_properties import (
    COUNTRIES,
    DECADES,
    EXAMPLES,
    GENRES,
    LABELS,
    MOODS,
    NOW,
    STYLES,
    TYPES,
    Library,
    Song,
    db,  # noqa: F401 (a fixture)
    default_order,
    libraries,
    nocase,
    publish_library,
)
from web_harness import AppServer, synced_app

from plexcrate.cache.database import Database
from plexcrate.cache.facets import library_stats
from plexcrate.cache.filters import DAY_S, TrackFilter
from plexcrate.cache.queries import Sort, count_tracks, find_tracks
from plexcrate.cache.rules import FIELDS, RuleError, parse
from plexcrate.cache.tags import KINDS
from plexcrate.cache.text import search_words
from plexcrate.simulator import SimLibrary

# --- random rules -------------------------------------------------------------------------------

NAMES = {
    "genre": [*GENRES, "nope"],
    "style": [*STYLES, "nope"],
    "mood": [*MOODS, "nope"],
    "album_type": [*TYPES, "nope"],
    "label": [*LABELS, "nope"],
    "country": [*COUNTRIES, "nope"],
    "artist": ["a", "A", "b", "é", "ab", "nope"],
}
TEXT = st.text(alphabet="aAbBcéÉoÖöß ﬁ%_-", min_size=1, max_size=3).filter(str.strip)
DAYS = ["2023-11-01", "2023-11-14", "2023-11-20"]  # around NOW (2023-11-14 22:13 UTC)


def set_ops(values: st.SearchStrategy[Any]) -> st.SearchStrategy[tuple[str, Any]]:
    one = st.tuples(st.sampled_from(["is", "is_not"]), values)
    many = st.tuples(
        st.sampled_from(["any_of", "none_of", "all_of"]), st.lists(values, min_size=1, max_size=3)
    )
    empty = st.tuples(st.sampled_from(["is_empty", "is_not_empty"]), st.none())
    return one | many | empty


def number_ops(low: int, high: int, nullable: bool) -> st.SearchStrategy[tuple[str, Any]]:
    value = st.integers(low, high)
    ops = st.tuples(st.sampled_from(["is", "is_not", "lt", "le", "gt", "ge"]), value)
    between = st.tuples(st.just("between"), st.tuples(value, value).map(sorted).map(list))
    empty = st.tuples(st.sampled_from(["is_empty", "is_not_empty"]), st.none())
    return ops | between | (empty if nullable else st.nothing())


DATE_OPS = (
    st.tuples(st.sampled_from(["in_last_days", "not_in_last_days"]), st.integers(1, 60))
    | st.tuples(st.sampled_from(["before", "after"]), st.sampled_from(DAYS))
    | st.tuples(st.sampled_from(["is_empty", "is_not_empty"]), st.none())
)
OPS: dict[str, st.SearchStrategy[tuple[str, Any]]] = {
    **{field: set_ops(st.sampled_from(names)) for field, names in NAMES.items()},
    "decade": set_ops(st.sampled_from([f"{d}s" for d in DECADES])),
    **{
        field: st.tuples(
            st.sampled_from(["is", "is_not", "contains", "not_contains", "starts_with"]), TEXT
        )
        for field in ("title", "album", "album_artist")
    },
    "year": number_ops(1950, 2030, True),
    "rating": number_ops(0, 10, True),
    "plays": number_ops(0, 6, True),
    "duration": number_ops(0, 700, True),
    "added": DATE_OPS,
    "last_played": DATE_OPS,
    "live": st.tuples(st.just("is"), st.booleans()),
    "playlist": st.tuples(st.sampled_from(["is", "is_not"]), st.integers(1, 3)),
    "search": st.tuples(st.just("matches"), st.text(alphabet="abcéo1 ", max_size=4)),
}


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, Any]:
    field = draw(st.sampled_from(sorted(OPS)))
    op, value = draw(OPS[field])
    if field == "search" and not search_words(value):
        value = "a"
    return {"field": field, "op": op, "value": value}


rules = st.recursive(
    conditions(),
    lambda inner: (
        st.lists(inner, max_size=3).map(lambda rs: {"all": rs})
        | st.lists(inner, max_size=3).map(lambda rs: {"any": rs})
        | inner.map(lambda r: {"not": r})
    ),
    max_leaves=6,
)


# --- the oracle ---------------------------------------------------------------------------------


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def day(text: str) -> int:
    return calendar.timegm(dt.date.fromisoformat(text).timetuple())


def field_value(lib: Library, song: Song, field: str) -> Any:
    album = lib.albums[song.album_key]
    return {
        "title": lambda: song.title,
        "album": lambda: album.title,
        "album_artist": lambda: lib.album_artist(song),
        "year": lambda: lib.year(song),
        "rating": lambda: song.rating,
        "plays": lambda: song.plays,
        "duration": lambda: None if song.duration_ms is None else song.duration_ms // 1000,
        "added": lambda: song.added_at,
        "last_played": lambda: song.last_played,
        "live": lambda: lib.live(song),
    }[field]()


def values_of(lib: Library, song: Song, field: str) -> set[Any]:
    """A set field's values for a track: its tags, its decade, its playlists (none here)."""
    if field == "decade":
        year = lib.year(song)
        return set() if year is None else {year // 10 * 10}
    if field == "playlist":
        return set()
    return lib.tags(song, field)


def holds(lib: Library, song: Song, rule: dict[str, Any]) -> bool:
    if "all" in rule:
        return all(holds(lib, song, r) for r in rule["all"])
    if "any" in rule:
        return any(holds(lib, song, r) for r in rule["any"])
    if "not" in rule:
        return not holds(lib, song, rule["not"])
    field, op, value = rule["field"], rule["op"], rule["value"]
    if field in (*NAMES, "decade", "playlist"):
        have = values_of(lib, song, field)

        def key(v: Any) -> Any:
            return int(v[:4]) if field == "decade" else v if field == "playlist" else nocase(v)

        if op in ("is_empty", "is_not_empty"):
            return (not have) == (op == "is_empty")
        wanted = {key(v) for v in (value if isinstance(value, list) else [value])}
        if op == "all_of":
            return wanted <= have
        return bool(wanted & have) == (op in ("is", "any_of"))
    if field == "search":
        tokens = [token for text in lib.fields(song) for token in search_words(text)]
        return all(any(t.startswith(w) for t in tokens) for w in search_words(value))
    got = field_value(lib, song, field)
    if field in ("title", "album", "album_artist"):
        text, needle = fold(got), fold(value)
        return {
            "is": text == needle,
            "is_not": text != needle,
            "contains": needle in text,
            "not_contains": needle not in text,
            "starts_with": text.startswith(needle),
        }[op]
    if field == "live":
        return got == value
    if op == "is_empty":
        return got is None
    if op == "is_not_empty":
        return got is not None
    if op in ("is_not", "not_in_last_days"):
        return not holds(lib, song, {**rule, "op": {"is_not": "is"}.get(op, "in_last_days")})
    if got is None:
        return False
    if op == "in_last_days":
        return got >= int(NOW - value * DAY_S) // 60 * 60
    if op == "before":
        return got < day(value)
    if op == "after":
        return got >= day(value) + DAY_S
    if op == "between":
        return value[0] <= got <= value[1]
    return {"is": got == value, "lt": got < value, "le": got <= value, "gt": got > value}.get(
        op, got >= value
    )


# --- engine against oracle ------------------------------------------------------------------------


@EXAMPLES
@given(lib=libraries(), rule=rules)
def test_every_field_and_operator_selects_what_the_rule_means(
    db: Database,  # noqa: F811
    lib: Library,
    rule: dict[str, Any],
) -> None:
    publish_library(db, lib)
    flt = TrackFilter.of(rule=parse(rule, now=NOW))
    expected = sorted(
        (s for s in lib.songs if holds(lib, s, rule)), key=lambda s: default_order(lib, s)
    )

    def read(conn: sqlite3.Connection) -> tuple[list[int], int]:
        page = find_tracks(conn, flt, sort=Sort("default"), limit=100)
        return [t.rating_key for t in page.tracks], count_tracks(conn, flt)

    keys, count = db.read(read)
    assert count == len(expected)
    assert keys == [s.key for s in expected]


@EXAMPLES
@given(lib=libraries(), chosen=st.lists(st.sampled_from(GENRES), max_size=2), rule=rules)
def test_facets_count_under_the_rule_leaving_out_its_own_choices(
    db: Database,  # noqa: F811
    lib: Library,
    chosen: list[str],
    rule: dict[str, Any],
) -> None:
    publish_library(db, lib)
    top = [rule, *([{"field": "genre", "op": "any_of", "value": chosen}] if chosen else [])]
    flt = TrackFilter.of(rule=parse({"all": top}, now=NOW))
    stats = db.read(lambda conn: library_stats(conn, flt))
    # A facet leaves out the top-level conditions choosing its own field's values, no other.
    parts = top_level({"all": top})

    def counted(field: str) -> list[Song]:
        kept = [p for p in parts if not choosing(p, field)]
        return [s for s in lib.songs if all(holds(lib, s, p) for p in kept)]

    expected: dict[str, int] = {}
    for song in counted("genre"):
        for name in lib.tags(song, "genre"):
            expected[name] = expected.get(name, 0) + 1
    assert {nocase(f.name): f.count for f in stats.genres} == expected
    assert stats.total_tracks == len(counted(""))
    decades: dict[str, int] = {}
    for song in counted("decade"):
        year = lib.year(song)
        if year is not None:
            decades[f"{year // 10 * 10}s"] = decades.get(f"{year // 10 * 10}s", 0) + 1
    assert {f.name: f.count for f in stats.decades} == decades


def top_level(rule: dict[str, Any]) -> list[dict[str, Any]]:
    """The rules that must all hold: a top-level ``all``'s members, flattened."""
    if "all" in rule:
        return [part for member in rule["all"] for part in top_level(member)]
    return [rule]


def choosing(rule: dict[str, Any], field: str) -> bool:
    return rule.get("field") == field and rule.get("op") in ("is", "any_of", "all_of")


def test_the_filters_are_shorthands_for_rules(db: Database) -> None:  # noqa: F811
    flt = TrackFilter.of({"genre": ["Rock"], "min_rating": 8, "played": "never"}, now=NOW)
    assert flt.as_rule() == parse(
        {
            "all": [
                {"field": "genre", "op": "any_of", "value": ["Rock"]},
                {"field": "rating", "op": "ge", "value": 8},
                {"field": "plays", "op": "is", "value": 0},
            ]
        },
        now=NOW,
    )


# --- rules that can't be read -------------------------------------------------------------------

RATING_OPS = "is, is_not, lt, le, gt, ge, between, is_empty, is_not_empty"
DEEP: dict[str, Any] = {"field": "live", "op": "is", "value": True}
for _ in range(8):
    DEEP = {"not": DEEP}
MALFORMED: list[tuple[Any, str]] = [
    (
        {
            "all": [
                {"field": "rating", "op": "ge", "value": 8},
                {"field": "rating", "op": "greater"},
            ]
        },
        f"rule.all[1].op: 'greater' is not an operator of rating ({RATING_OPS})",
    ),
    ([1, 2], "rule: must be an object (a group or a condition), not a list"),
    ({"field": "colour", "op": "is", "value": "red"}, "rule.field: 'colour' is not a field ("),
    ({"field": "genre", "op": "is"}, "rule.value: genre is needs a value"),
    ({"field": "genre", "op": "is", "value": 3}, "rule.value: must be a string, not a number"),
    ({"field": "genre", "op": "any_of", "value": "Rock"}, "rule.value: any_of takes a list"),
    (
        {"field": "genre", "op": "any_of", "value": ["x"] * 101},
        "rule.value: at most 100 values, not 101",
    ),
    ({"field": "genre", "op": "is_empty", "value": "x"}, "rule.value: is_empty takes no value"),
    ({"field": "decade", "op": "is", "value": "1995"}, "rule.value: '1995' is not a decade"),
    (
        {"field": "year", "op": "between", "value": [2000, 1990]},
        "rule.value: the low end (2000) is above the high end (1990)",
    ),
    ({"field": "rating", "op": "ge", "value": 11}, "rule.value: rating must be from 0 to 10"),
    ({"field": "rating", "op": "ge", "value": True}, "rule.value: rating must be a whole number"),
    ({"field": "plays", "op": "contains", "value": 1}, "rule.op: 'contains' is not an operator"),
    ({"field": "added", "op": "before", "value": "yesterday"}, "is not a date; write it like"),
    ({"field": "added", "op": "in_last_days", "value": 0}, "days must be from 1 to 36500"),
    ({"field": "live", "op": "is", "value": "yes"}, "rule.value: must be true or false"),
    ({"all": [], "any": []}, "rule: a group has one key (all); remove any"),
    ({"any": {"field": "live"}}, "rule.any: must be a list of rules, not dict"),
    ({"field": "live", "op": "is", "value": True, "x": 1}, "rule: unknown key 'x'"),
    ({"not": {"all": [{"field": "title", "op": "is", "value": " "}]}}, "rule.not.all[0].value"),
    (DEEP, "rule.not.not.not.not.not.not.not.not: rules nest at most 8 deep"),
    (
        {"all": [{"field": "live", "op": "is", "value": True}] * 201},
        "rule.all[200]: a rule holds at most 200 conditions",
    ),
    ({"field": "search", "op": "matches", "value": "!!"}, "a search needs a word"),
]


@pytest.mark.parametrize(("rule", "message"), MALFORMED)
def test_a_rule_that_cannot_be_read_says_where_and_why(rule: Any, message: str) -> None:
    with pytest.raises(RuleError) as error:
        parse(rule, now=NOW)
    assert message in str(error.value)


def test_every_field_the_oracle_knows_is_declared() -> None:
    assert {spec.name for spec in FIELDS} >= set(OPS)
    # And every kind of tag declared (cache/tags.py) is a field the oracle knows.
    assert {spec.name for spec in KINDS} <= set(OPS)


# --- through the API --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    lib = SimLibrary.generate(tracks=400, seed=3)
    with synced_app(lib, tmp_path_factory.mktemp("rules"), TOKEN) as server:
        yield server


def test_a_bad_rule_is_a_422_naming_its_path_everywhere_a_rule_goes(app: AppServer) -> None:
    bad = {"all": [{"field": "rating", "op": "greater", "value": 3}]}
    text = orjson.dumps(bad).decode()
    for path in ("/api/tracks", "/api/albums", "/api/artists", "/api/library/stats"):
        answer = app.get(path, rule=text)
        assert answer.status_code == 422, path
        assert answer.json()["error"].startswith("rule.all[0].op: 'greater' is not an operator")
    answer = app.get("/api/tracks", rule="{not json")
    assert answer.status_code == 422 and answer.json()["error"].startswith("rule: is not JSON")
    posted = app.http.post("/api/tracks/query", json={"rule": bad})
    assert posted.status_code == 422 and posted.json()["error"].startswith("rule.all[0].op")


def test_a_rule_narrows_every_list_and_the_facets_like_the_filters(app: AppServer) -> None:
    live = {"field": "live", "op": "is", "value": True}
    rule = {"all": [{"field": "rating", "op": "ge", "value": 6}, {"not": live}]}
    text = orjson.dumps(rule).decode()
    same = {"min_rating": 6, "exclude_live": "true"}
    for path in ("/api/tracks", "/api/albums", "/api/artists", "/api/library/stats"):
        by_rule = app.get(path, rule=text, exclude_live="false").json()
        by_filters = app.get(path, **same).json()
        assert by_rule == by_filters, path
    posted = app.http.post("/api/tracks/query", json={"rule": rule, "limit": 5}).json()
    assert posted["tracks"] == app.get("/api/tracks", limit=5, **same).json()["tracks"]
    declared = app.get("/api/filters").json()
    assert {f["name"]: f["rule"] for f in declared["filters"]}["min_rating"] == {
        "field": "rating",
        "op": "ge",
    }
    assert "between" in next(f for f in declared["fields"] if f["name"] == "year")["operators"]


def test_a_tag_without_tracks_counts_nothing_and_takes_nothing_from_its_neighbour(
    tmp_path: Any,
) -> None:
    """Tags are counted slice by slice; a tag with no track (its artist has none) has an empty
    slice, and the tag before it keeps its whole count (a case hypothesis found)."""
    with Database(tmp_path / "c.db") as database:
        publish(
            database,
            artists=[artist(1, "A", "Ambient"), artist(2, "B", "Zydeco")],
            albums=[album(10, 1, "One")],
            tracks=[track(100, 10, 1), track(101, 10, 1)],
        )
        stats = database.read(lambda conn: library_stats(conn, TrackFilter.of()))
    assert [(f.name, f.count) for f in stats.genres] == [("Ambient", 2)]
