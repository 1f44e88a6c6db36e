"""Every filter of the library, declared once.

A filter is one :class:`FilterSpec`: its name (the API parameter, the JSON field, the CLI option),
the type and bounds of its value, its help text, the facet it is counted in, and the condition of
the rule language (``rules.py``) it is a shorthand for. The API's parameters, JSON body and
OpenAPI document (``web/params.py``), the CLI's options (``cli.py``) and the browser's encoder
(``GET /api/filters``) all follow from :data:`FILTERS`; the query engine answers the conditions.
Adding a filter is one declaration here. A kind of tag's filters and facet follow from its
declaration in ``tags.py`` (:func:`tag_filters`).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from enum import EnumMeta, StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from plexcrate.cache.rules import EVERYTHING, Condition, Op, Rule, both, conditions
from plexcrate.cache.tags import KINDS, TagKind, TagSpec
from plexcrate.cache.text import search_words

MAX_VALUES = 100  # per repeatable filter
MAX_NAME = 200  # characters of one tag value
MAX_SEARCH = 200  # characters of a search
MAX_SEARCH_WORDS = 10  # words of a search (each must begin a word of the track)
MAX_RATING = 10
MAX_YEAR = 9999
MAX_DAYS = 36_500
DAY_S = 86_400


class ValueType(StrEnum):
    """What a filter's value is, for the layers that parse it (web, CLI, browser)."""

    NAMES = "names"  # repeatable text: any of the values matches
    DECADES = "decades"  # repeatable "1990s"
    INT = "int"  # a whole number within bounds
    BOOL = "bool"
    CHOICE = "choice"  # one of ``choices``
    TEXT = "text"


DECADES = "decades"

if TYPE_CHECKING:
    # The members are made from the tag kinds' declarations at run time (see TagKind).
    class _MadeFromKinds(EnumMeta):
        def __getattr__(cls, name: str) -> Facet: ...

    class Facet(StrEnum, metaclass=_MadeFromKinds):
        """The facets ``/api/library/stats`` counts, each under every filter but its own."""

else:
    # Every declared kind's facet (cache/tags.py), then the decades.
    Facet = StrEnum(
        "Facet",
        {name.upper(): name for name in [*(k.facet for k in KINDS if k.facet), DECADES]},
    )


@dataclass(frozen=True, slots=True)
class FilterSpec(ABC):
    """One filter: how it is named, typed, documented, counted and turned into SQL."""

    name: str
    help: str
    type: ClassVar[ValueType]

    @property
    def facet(self) -> Facet | None:
        """The facet whose counts leave this filter out (a genre's count is what the list
        would total with that genre chosen alone)."""
        return None

    @property
    def default(self) -> Any:
        """The value that restricts nothing, as the API writes it."""
        return None

    def bounds(self) -> tuple[int | None, int | None]:
        return None, None

    def choices(self) -> tuple[str, ...]:
        return ()

    def max_length(self) -> int | None:
        """Characters of a text value, or of each of a repeatable filter's values."""
        return None

    @abstractmethod
    def normalize(self, value: Any, now: float) -> Hashable | None:
        """The value as the query takes it, or None when it restricts nothing. ``value`` has
        been validated against the type and bounds; raises ValueError for what they can't say."""

    @abstractmethod
    def condition(self, value: Any) -> Condition:
        """The rule this filter is a shorthand for, for a normalized value."""

    def rule_shape(self) -> dict[str, str]:
        """Which field and operator of the rule language this filter is (``/api/filters``)."""
        example = self.condition(_EXAMPLES[self.type])
        return {"field": example.field, "op": example.op.value}

    def describe(self) -> dict[str, Any]:
        """The declaration as the browser reads it (``GET /api/filters``)."""
        minimum, maximum = self.bounds()
        return {
            "name": self.name,
            "type": self.type.value,
            "repeatable": self.type in (ValueType.NAMES, ValueType.DECADES),
            "default": self.default,
            "minimum": minimum,
            "maximum": maximum,
            "choices": list(self.choices()),
            "max_length": self.max_length(),
            "facet": self.facet.value if self.facet else None,
            "tag_kind": getattr(self, "kind", None),
            "help": self.help,
            "rule": self.rule_shape(),
        }


# --- the kinds of filter ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TagFilter(FilterSpec):
    """Tracks having any of the named tags of one kind (or, with ``exclude``, none of them)."""

    kind: TagKind
    exclude: bool = False
    counted_in: Facet | None = None
    type: ClassVar[ValueType] = ValueType.NAMES

    @property
    def facet(self) -> Facet | None:
        return None if self.exclude else self.counted_in

    @property
    def default(self) -> Any:
        return []

    def max_length(self) -> int | None:
        return MAX_NAME

    def normalize(self, value: Any, now: float) -> Hashable | None:
        names = tuple(dict.fromkeys(name for name in value or () if name))
        return names or None

    def condition(self, value: Any) -> Condition:
        return Condition(self.kind.value, Op.NONE_OF if self.exclude else Op.ANY_OF, value)


_DECADE = re.compile(r"^(\d{3})0s$")


def parse_decade(text: str) -> int:
    """``"1990s"`` → ``1990``. Raises ValueError for anything else."""
    match = _DECADE.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a decade; write it like 1990s")
    return int(match.group(1)) * 10


def decade_name(decade: int) -> str:
    return f"{decade}s"


@dataclass(frozen=True, slots=True)
class DecadeFilter(FilterSpec):
    type: ClassVar[ValueType] = ValueType.DECADES

    @property
    def facet(self) -> Facet | None:
        return Facet.DECADES

    @property
    def default(self) -> Any:
        return []

    def normalize(self, value: Any, now: float) -> Hashable | None:
        decades = tuple(sorted({parse_decade(text) for text in value or ()}))
        return decades or None

    def condition(self, value: Any) -> Condition:
        return Condition("decade", Op.ANY_OF, value)


@dataclass(frozen=True, slots=True)
class BoundFilter(FilterSpec):
    """A column at least (``>=``) or at most (``<=``) a whole number; ``off`` restricts nothing."""

    column: str
    op: str
    minimum: int
    maximum: int
    off: int | None = None
    type: ClassVar[ValueType] = ValueType.INT

    @property
    def default(self) -> Any:
        return self.off

    def bounds(self) -> tuple[int | None, int | None]:
        return self.minimum, self.maximum

    def normalize(self, value: Any, now: float) -> Hashable | None:
        return None if value is None or value == self.off else int(value)

    def condition(self, value: Any) -> Condition:
        field = {"year": "year", "user_rating": "rating"}[self.column]
        return Condition(field, Op.GE if self.op == ">=" else Op.LE, value)


@dataclass(frozen=True, slots=True)
class FlagFilter(FilterSpec):
    """When true, only tracks whose 0/1 ``column`` is 0 (``exclude_live``)."""

    column: str
    on_by_default: bool = False
    type: ClassVar[ValueType] = ValueType.BOOL

    @property
    def default(self) -> Any:
        return self.on_by_default

    def normalize(self, value: Any, now: float) -> Hashable | None:
        return True if value else None

    def condition(self, value: Any) -> Condition:
        return Condition("live", Op.IS, False)


@dataclass(frozen=True, slots=True)
class WithinDaysFilter(FilterSpec):
    """Tracks whose timestamp ``column`` lies within the last N days."""

    column: str
    type: ClassVar[ValueType] = ValueType.INT

    def bounds(self) -> tuple[int | None, int | None]:
        return 1, MAX_DAYS

    def normalize(self, value: Any, now: float) -> Hashable | None:
        if value is None:
            return None
        # To the minute, so that the same question asked twice is the same query (and the
        # answer remembered for it, see web/reads.py), not one a second apart.
        return int(now - int(value) * DAY_S) // 60 * 60

    def condition(self, value: Any) -> Condition:
        return Condition("added", Op.IN_LAST_DAYS, value)


class Played(StrEnum):
    ANY = "any"
    NEVER = "never"
    EVER = "ever"


@dataclass(frozen=True, slots=True)
class PlayedFilter(FilterSpec):
    type: ClassVar[ValueType] = ValueType.CHOICE

    @property
    def default(self) -> Any:
        return Played.ANY.value

    def choices(self) -> tuple[str, ...]:
        return tuple(choice.value for choice in Played)

    def normalize(self, value: Any, now: float) -> Hashable | None:
        played = Played(value or Played.ANY)
        return None if played is Played.ANY else played.value

    def condition(self, value: Any) -> Condition:
        if value == Played.NEVER:
            return Condition("plays", Op.IS, 0)
        return Condition("plays", Op.GE, 1)


@dataclass(frozen=True, slots=True)
class TextFilter(FilterSpec):
    """Words to find: each must begin a word of the title, artist, album artist or album."""

    type: ClassVar[ValueType] = ValueType.TEXT

    @property
    def default(self) -> Any:
        return ""

    def max_length(self) -> int | None:
        return MAX_SEARCH

    def normalize(self, value: Any, now: float) -> Hashable | None:
        words = search_words(value or "")
        if len(words) > MAX_SEARCH_WORDS:
            raise ValueError(
                f"a search takes at most {MAX_SEARCH_WORDS} words (each must appear), "
                f"not {len(words)}"
            )
        return words or None

    def condition(self, value: Any) -> Condition:
        return Condition("search", Op.MATCHES, value)


# A value of each type, to show which rule a filter is.
_EXAMPLES: dict[ValueType, Any] = {
    ValueType.NAMES: ("Rock",),
    ValueType.DECADES: (1990,),
    ValueType.INT: 1,
    ValueType.BOOL: True,
    ValueType.CHOICE: "ever",
    ValueType.TEXT: ("word",),
}


# --- the declarations ------------------------------------------------------------------------


def tag_filters(spec: TagSpec) -> tuple[TagFilter, ...]:
    """A kind's filters: tracks having any of the named values (counted in its facet, if it has
    one), and, when declared, ``exclude_{kind}``, tracks having none of them."""
    kind = TagKind(spec.name)
    include = TagFilter(
        spec.name, spec.help, kind=kind, counted_in=Facet(spec.facet) if spec.facet else None
    )
    if spec.exclude_help is None:
        return (include,)
    return include, TagFilter(f"exclude_{spec.name}", spec.exclude_help, kind=kind, exclude=True)


FILTERS: tuple[FilterSpec, ...] = (
    *(tag_filter for spec in KINDS for tag_filter in tag_filters(spec)),
    DecadeFilter("decade", "A decade like `1990s`; repeat it for several (any matches)."),
    BoundFilter("year_min", "Released in this year or later.", "year", ">=", 0, MAX_YEAR),
    BoundFilter("year_max", "Released in this year or earlier.", "year", "<=", 0, MAX_YEAR),
    BoundFilter(
        "min_rating",
        "Minimum rating, 0–10 (2 per star); 0 = any.",
        "user_rating",
        ">=",
        0,
        MAX_RATING,
        off=0,
    ),
    FlagFilter("exclude_live", "Leave out live recordings.", "is_live", on_by_default=True),
    WithinDaysFilter("added_within_days", "Added to Plex within this many days.", "added_at"),
    PlayedFilter("played", "`never`: never played; `ever`: played at least once; `any`."),
    TextFilter(
        "q",
        "Words to find in the title, artist, album artist or album: each must begin a word "
        "there (`beat` finds “The Beatles”). Case and accents don't matter.",
    ),
)

BY_NAME: dict[str, FilterSpec] = {spec.name: spec for spec in FILTERS}
TAG_FILTERS: tuple[TagFilter, ...] = tuple(s for s in FILTERS if isinstance(s, TagFilter))
FACET_KINDS: dict[Facet, TagKind] = {
    s.counted_in: s.kind for s in TAG_FILTERS if s.counted_in is not None and not s.exclude
}


@dataclass(frozen=True, slots=True)
class TrackFilter:
    """Which tracks to show: the filters that restrict something, by name, normalized.

    Hashable, so an answer can be remembered for it. Build one with :meth:`of`.
    """

    values: tuple[tuple[str, Hashable], ...] = ()
    rule: Rule | None = None  # a rule besides the filters (rules.parse), ANDed with them

    @classmethod
    def of(
        cls,
        values: Mapping[str, Any] | None = None,
        *,
        now: float = 0.0,
        rule: Rule | None = None,
        **more: Any,
    ) -> TrackFilter:
        """From API-level values (``genre=["Rock"], decade=["1990s"], min_rating=6``) and a
        parsed rule; unknown names raise KeyError, bad values ValueError. ``now`` dates
        ``added_within_days``."""
        given = {**(values or {}), **more}
        unknown = set(given) - set(BY_NAME)
        if unknown:
            raise KeyError(f"no such filter: {', '.join(sorted(unknown))}")
        normalized = (
            (spec.name, spec.normalize(given[spec.name], now))
            for spec in FILTERS
            if spec.name in given
        )
        chosen = tuple((name, value) for name, value in normalized if value is not None)
        return cls(chosen, None if rule == EVERYTHING else rule)

    def get(self, name: str) -> Any:
        return dict(self.values).get(name)

    def __contains__(self, name: str) -> bool:
        return any(key == name for key, _ in self.values)

    def without(self, *names: str) -> TrackFilter:
        return TrackFilter(tuple((n, v) for n, v in self.values if n not in names), self.rule)

    def as_rule(self) -> Rule:
        """The filters as the rule they are shorthands for, ANDed with the rule."""
        given = [spec.condition(value) for spec, value in self.specs()]
        return both(*given, *([self.rule] if self.rule is not None else []))

    @property
    def is_everything(self) -> bool:
        return not self.values and self.rule is None

    def specs(self) -> Iterable[tuple[FilterSpec, Any]]:
        for name, value in self.values:
            yield BY_NAME[name], value

    @property
    def words(self) -> tuple[str, ...]:
        """Every word searched for, in ``q`` and in the rule's search conditions."""
        found = [*(self.get("q") or ())]
        if self.rule is not None:
            found += [w for c in conditions(self.rule) if c.field == "search" for w in c.value]
        return tuple(dict.fromkeys(found))
