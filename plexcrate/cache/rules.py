"""The rule language: which tracks, in one JSON grammar for the API, the CLI, recipes and the page.

A rule is a group or a condition::

    {"all": [R, …]}    every one of them
    {"any": [R, …]}    at least one
    {"not": R}         not that one
    {"field": F, "op": O, "value": V}

Each field has a type, and the type says which operators it takes and what their values are
(:data:`OPERATORS`). :func:`parse` checks a rule and turns it into a tree of frozen dataclasses
(hashable, so an answer can be remembered for it), resolving what depends on the clock (the last
N days) to a fixed instant; a rule that can't be read raises :class:`RuleError`, whose message
names the JSON path at fault and what is allowed there.

How each condition reads the library (the tags as they apply to a track, a missing value):

- tags and names (``genre``, ``artist``…): the track's tags of the kind as they apply to it
  (its own, else its album's, else its artist's); ``is_not`` and ``none_of`` match a track with
  no tag of the kind. ``artist`` is the track's own artist or its album artist.
- text (``title``, ``album``, ``album_artist``): case and accents don't matter.
- numbers: a missing value (an unrated track, an unknown year) matches ``is_empty`` and
  ``is_not`` and no comparison. ``rating`` is Plex's 0–10 (2 a star); ``duration`` is seconds.
- dates: a date is a UTC calendar day; ``before`` is earlier than that day, ``after`` later
  than it; ``not_in_last_days`` is the opposite of ``in_last_days``, so it takes in a track
  never played. ``last_played`` empty = never played.
- ``search``: words that must each begin a word of the title, artist, album artist or album.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import orjson

from plexcrate.cache.tags import KINDS
from plexcrate.cache.text import search_words

MAX_DEPTH = 8
MAX_CONDITIONS = 200
MAX_VALUES = 100
MAX_NAME = 200
MAX_DAYS = 36_500
MAX_SEARCH_WORDS = 10
DAY_S = 86_400


class FieldType(StrEnum):
    TAGS = "tags"  # names of one kind of tag
    DECADE = "decade"
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    BOOL = "bool"
    PLAYLIST = "playlist"
    SEARCH = "search"


class Op(StrEnum):
    IS = "is"
    IS_NOT = "is_not"
    ANY_OF = "any_of"
    NONE_OF = "none_of"
    ALL_OF = "all_of"
    IS_EMPTY = "is_empty"
    IS_NOT_EMPTY = "is_not_empty"
    CONTAINS = "contains"
    NOT_CONTAINS = "not_contains"
    STARTS_WITH = "starts_with"
    LT = "lt"
    LE = "le"
    GT = "gt"
    GE = "ge"
    BETWEEN = "between"
    IN_LAST_DAYS = "in_last_days"
    NOT_IN_LAST_DAYS = "not_in_last_days"
    BEFORE = "before"
    AFTER = "after"
    MATCHES = "matches"


_SETS = (Op.IS, Op.IS_NOT, Op.ANY_OF, Op.NONE_OF, Op.ALL_OF, Op.IS_EMPTY, Op.IS_NOT_EMPTY)
# A number that is never missing (plays) is never empty: is_empty matches nothing there.
_COMPARE = (Op.IS, Op.IS_NOT, Op.LT, Op.LE, Op.GT, Op.GE, Op.BETWEEN, Op.IS_EMPTY, Op.IS_NOT_EMPTY)
OPERATORS: dict[FieldType, tuple[Op, ...]] = {
    FieldType.TAGS: _SETS,
    FieldType.DECADE: _SETS,
    FieldType.TEXT: (Op.IS, Op.IS_NOT, Op.CONTAINS, Op.NOT_CONTAINS, Op.STARTS_WITH),
    FieldType.NUMBER: _COMPARE,
    FieldType.DATE: (
        Op.IN_LAST_DAYS,
        Op.NOT_IN_LAST_DAYS,
        Op.BEFORE,
        Op.AFTER,
        Op.IS_EMPTY,
        Op.IS_NOT_EMPTY,
    ),
    FieldType.BOOL: (Op.IS,),
    FieldType.PLAYLIST: (Op.IS, Op.IS_NOT, Op.ANY_OF, Op.NONE_OF),
    FieldType.SEARCH: (Op.MATCHES,),
}
# Operators whose value is a list; those that take no value.
LIST_OPS = frozenset({Op.ANY_OF, Op.NONE_OF, Op.ALL_OF})
NO_VALUE = frozenset({Op.IS_EMPTY, Op.IS_NOT_EMPTY})
# Conditions that choose values of their field: a facet of the field leaves them out (a genre's
# count is what the list would total with that genre chosen).
CHOOSING = frozenset({Op.IS, Op.ANY_OF, Op.ALL_OF})


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    type: FieldType
    help: str
    minimum: int = 0
    maximum: int = 0

    def operators(self) -> tuple[Op, ...]:
        return OPERATORS[self.type]

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type.value,
            "operators": [op.value for op in self.operators()],
            "minimum": self.minimum if self.type is FieldType.NUMBER else None,
            "maximum": self.maximum if self.type is FieldType.NUMBER else None,
            "help": self.help,
        }


def _tag_fields() -> tuple[FieldSpec, ...]:
    # Every declared kind of tag (cache/tags.py), saying whose tags a track's are.
    return tuple(FieldSpec(spec.name, FieldType.TAGS, spec.whose()) for spec in KINDS)


FIELDS: tuple[FieldSpec, ...] = (
    *_tag_fields(),
    FieldSpec("decade", FieldType.DECADE, "The decade of the track's year, like 1990s."),
    FieldSpec("title", FieldType.TEXT, "The track's title."),
    FieldSpec("album", FieldType.TEXT, "The album's title."),
    FieldSpec("album_artist", FieldType.TEXT, "The album artist's name."),
    FieldSpec("year", FieldType.NUMBER, "The release year.", 0, 9999),
    FieldSpec("rating", FieldType.NUMBER, "Plex's rating, 0–10 (2 a star).", 0, 10),
    FieldSpec("plays", FieldType.NUMBER, "How many times it was played.", 0, 1_000_000_000),
    FieldSpec("duration", FieldType.NUMBER, "Length in seconds.", 0, 10_000_000),
    FieldSpec("added", FieldType.DATE, "When it was added to Plex."),
    FieldSpec("last_played", FieldType.DATE, "When it was last played (empty: never)."),
    FieldSpec("live", FieldType.BOOL, "A live recording."),
    FieldSpec("playlist", FieldType.PLAYLIST, "A member of this Plex playlist (its id)."),
    FieldSpec(
        "search",
        FieldType.SEARCH,
        "Words that must each begin a word of the title, artist, album artist or album.",
    ),
)
FIELD_BY_NAME: dict[str, FieldSpec] = {spec.name: spec for spec in FIELDS}


# --- the tree ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Condition:
    """One test of one field. ``value`` is normalized: a tuple for a list, names as given,
    decades as their first year, dates and spans as Unix seconds, search text as its words."""

    field: str
    op: Op
    value: Any = None

    @property
    def spec(self) -> FieldSpec:
        return FIELD_BY_NAME[self.field]


@dataclass(frozen=True, slots=True)
class All:
    rules: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    rules: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class Not:
    rule: Rule


Rule = Condition | All | AnyOf | Not

EVERYTHING = All(())


def conjuncts(rule: Rule) -> tuple[Rule, ...]:
    """The rules that must all hold: a top-level ``all``'s members (flattened), or the rule."""
    if isinstance(rule, All):
        return tuple(part for member in rule.rules for part in conjuncts(member))
    return (rule,)


def both(*rules: Rule) -> Rule:
    """The rules together, flattened into one ``all``."""
    parts = tuple(part for rule in rules for part in conjuncts(rule))
    return parts[0] if len(parts) == 1 else All(parts)  # All(()) when there are none


def chooses(rule: Rule, field: str) -> bool:
    """Whether ``rule`` is a condition choosing values of ``field`` (see :data:`CHOOSING`)."""
    return isinstance(rule, Condition) and rule.field == field and rule.op in CHOOSING


def conditions(rule: Rule) -> list[Condition]:
    if isinstance(rule, Condition):
        return [rule]
    if isinstance(rule, Not):
        return conditions(rule.rule)
    return [c for member in rule.rules for c in conditions(member)]


def to_json(rule: Rule) -> dict[str, Any]:
    """The rule as JSON again (dates and spans as they were resolved: Unix seconds)."""
    if isinstance(rule, All):
        return {"all": [to_json(r) for r in rule.rules]}
    if isinstance(rule, AnyOf):
        return {"any": [to_json(r) for r in rule.rules]}
    if isinstance(rule, Not):
        return {"not": to_json(rule.rule)}
    value = list(rule.value) if isinstance(rule.value, tuple) else rule.value
    return {"field": rule.field, "op": rule.op.value, "value": value}


# --- reading a rule ---------------------------------------------------------------------------


class RuleError(ValueError):
    """A rule that can't be read; ``path`` is where, like ``rule.all[2].op``."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.detail = message


@dataclass
class _Reader:
    now: float
    conditions: int = 0

    def rule(self, node: Any, path: str, depth: int) -> Rule:
        if depth > MAX_DEPTH:
            raise RuleError(path, f"rules nest at most {MAX_DEPTH} deep")
        if not isinstance(node, Mapping):
            raise RuleError(path, f"must be an object (a group or a condition), not {_kind(node)}")
        groups = [key for key in ("all", "any", "not") if key in node]
        if groups:
            if len(node) != 1:
                extra = ", ".join(sorted(k for k in node if k != groups[0]))
                raise RuleError(path, f"a group has one key ({groups[0]}); remove {extra}")
            key = groups[0]
            if key == "not":
                return Not(self.rule(node["not"], f"{path}.not", depth + 1))
            members = node[key]
            if not isinstance(members, list):
                raise RuleError(f"{path}.{key}", f"must be a list of rules, not {_kind(members)}")
            rules = tuple(
                self.rule(member, f"{path}.{key}[{i}]", depth + 1)
                for i, member in enumerate(members)
            )
            return All(rules) if key == "all" else AnyOf(rules)
        return self.condition(node, path)

    def condition(self, node: Mapping[str, Any], path: str) -> Condition:
        unknown = sorted(set(node) - {"field", "op", "value"})
        if unknown:
            raise RuleError(
                path,
                f"unknown key {unknown[0]!r}: a condition has field, op and value; a group "
                "has all, any or not",
            )
        self.conditions += 1
        if self.conditions > MAX_CONDITIONS:
            raise RuleError(path, f"a rule holds at most {MAX_CONDITIONS} conditions")
        name = node.get("field")
        spec = FIELD_BY_NAME.get(name) if isinstance(name, str) else None
        if spec is None:
            fields = ", ".join(FIELD_BY_NAME)
            raise RuleError(f"{path}.field", f"{_show(name)} is not a field ({fields})")
        ops = spec.operators()
        op_name = node.get("op")
        op = next((op for op in ops if op.value == op_name), None)
        if op is None:
            allowed = ", ".join(op.value for op in ops)
            raise RuleError(
                f"{path}.op", f"{_show(op_name)} is not an operator of {spec.name} ({allowed})"
            )
        if op in NO_VALUE:
            if node.get("value") is not None:
                raise RuleError(f"{path}.value", f"{op.value} takes no value")
            return Condition(spec.name, op)
        if "value" not in node:
            raise RuleError(f"{path}.value", f"{spec.name} {op.value} needs a value")
        value = self.value(spec, op, node["value"], f"{path}.value")
        return Condition(spec.name, op, value)

    def value(self, spec: FieldSpec, op: Op, value: Any, path: str) -> Any:
        if op in LIST_OPS:
            if not isinstance(value, list) or not value:
                raise RuleError(path, f"{op.value} takes a list of 1 to {MAX_VALUES} values")
            if len(value) > MAX_VALUES:
                raise RuleError(path, f"at most {MAX_VALUES} values, not {len(value)}")
            items = (self.one(spec, op, item, f"{path}[{i}]") for i, item in enumerate(value))
            return tuple(dict.fromkeys(items))
        return self.one(spec, op, value, path)

    def one(self, spec: FieldSpec, op: Op, value: Any, path: str) -> Any:
        kind = spec.type
        if kind in (FieldType.TAGS, FieldType.TEXT):
            return _text(value, path, MAX_NAME)
        if kind is FieldType.DECADE:
            text = _text(value, path, 8)
            if len(text) != 5 or not text[:4].isdigit() or text[3] != "0" or text[4] != "s":
                raise RuleError(path, f"{_show(value)} is not a decade; write it like 1990s")
            return int(text[:4])
        if kind is FieldType.NUMBER:
            if op is Op.BETWEEN:
                if not isinstance(value, list) or len(value) != 2:
                    raise RuleError(path, "between takes [low, high]")
                low = _number(spec, value[0], f"{path}[0]")
                high = _number(spec, value[1], f"{path}[1]")
                if low > high:
                    raise RuleError(path, f"the low end ({low}) is above the high end ({high})")
                return (low, high)
            return _number(spec, value, path)
        if kind is FieldType.DATE:
            if op in (Op.IN_LAST_DAYS, Op.NOT_IN_LAST_DAYS):
                days = _whole(value, path, 1, MAX_DAYS, "days")
                # To the minute: the same question asked twice is the same rule (and its
                # answer can be remembered), not one a second apart.
                return int(self.now - days * DAY_S) // 60 * 60
            return _day(value, path, after=op is Op.AFTER)
        if kind is FieldType.BOOL:
            if not isinstance(value, bool):
                raise RuleError(path, f"must be true or false, not {_show(value)}")
            return value
        if kind is FieldType.PLAYLIST:
            return _whole(value, path, 1, 2**53 - 1, "a playlist id")
        words = search_words(_text(value, path, MAX_NAME))
        if not words:
            raise RuleError(path, "a search needs a word (letters or digits)")
        if len(words) > MAX_SEARCH_WORDS:
            raise RuleError(path, f"a search takes at most {MAX_SEARCH_WORDS} words")
        return words


def parse(node: Any, *, now: float, path: str = "rule") -> Rule:
    """The rule ``node`` (decoded JSON) as a tree, or :class:`RuleError` naming what is wrong.

    ``now`` (Unix seconds) resolves the conditions on the last N days.
    """
    return _Reader(now).rule(node, path, 1)


def parse_text(text: str, *, now: float, path: str = "rule") -> Rule:
    """A rule written as JSON text (a query string's, the command line's)."""
    try:
        decoded = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise RuleError(path, f"is not JSON ({error.args[0]})") from None
    return parse(decoded, now=now, path=path)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return {list: "a list", str: "a string", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__
    )


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value[:40])
    return _kind(value)


def _text(value: Any, path: str, limit: int) -> str:
    if not isinstance(value, str):
        raise RuleError(path, f"must be a string, not {_kind(value)}")
    if not value.strip():
        raise RuleError(path, "must not be empty")
    if len(value) > limit:
        raise RuleError(path, f"at most {limit} characters, not {len(value)}")
    return value


def _whole(value: Any, path: str, low: int, high: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise RuleError(path, f"{what} must be a whole number, not {_show(value)}")
    if not low <= value <= high:
        raise RuleError(path, f"{what} must be from {low} to {high}, not {int(value)}")
    return int(value)


def _number(spec: FieldSpec, value: Any, path: str) -> int:
    return _whole(value, path, spec.minimum, spec.maximum, spec.name)


def _day(value: Any, path: str, *, after: bool) -> int:
    """A UTC calendar day as Unix seconds: its start (``before``) or its end (``after``)."""
    if not isinstance(value, str):
        raise RuleError(path, f"must be a date like 2024-01-31, not {_kind(value)}")
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise RuleError(path, f"{_show(value)} is not a date; write it like 2024-01-31") from None
    start = calendar.timegm(day.timetuple())
    return start + DAY_S if after else start
