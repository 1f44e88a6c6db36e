"""The library's query parameters and the playlist builder's JSON filter, made from the filter
declarations (``cache/filters.py``): every bound is stated in the OpenAPI document, and the error
handler (``errors.py``) can name the parameter at fault.

A query string holds text only, so its values are parsed leniently (``min_rating=6``); a JSON
body has real types, so its values must be of them (``true``, not ``"yes"`` or ``1``).
"""

from __future__ import annotations

import time
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Query
from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, WithJsonSchema, create_model

from plexcrate.cache.filters import (
    FILTERS,
    MAX_VALUES,
    FilterSpec,
    TrackFilter,
    ValueType,
    parse_decade,
)
from plexcrate.cache.queries import SORTS
from plexcrate.cache.rules import Rule, parse_text
from plexcrate.cache.rules import parse as parse_rule

MAX_PAGE = 1000
MAX_OFFSET = 1_000_000_000  # far beyond any library; keeps values inside SQLite's integers
MAX_SEED = 2**31 - 1
MAX_FACET_VALUES = 500


def _check_search(text: str) -> str:
    TrackFilter.of(q=text)  # raises ValueError past MAX_SEARCH_WORDS, saying so
    return text


def _check_decade(text: str) -> str:
    parse_decade(text)  # raises ValueError with a message that says how to write one
    return text


def _a_json_number(value: object) -> object:
    """JSON numbers only: true is not 1, nor "1990" 1990 (in a query string it would be)."""
    if isinstance(value, bool):
        raise ValueError(f"must be a number, not {str(value).lower()}")
    if isinstance(value, str):
        raise ValueError(f"must be a number, not a string ({value[:20]!r})")
    return value


# Beside an int or a float in a JSON body: only JSON numbers are taken (see _a_json_number).
JSON_NUMBER = BeforeValidator(_a_json_number)


def json_int(*, ge: int, le: int) -> Any:
    """An integer in a JSON body, typed as JSON Schema types it: 5 and 5.0 are integers, false
    and "5" are not. The bounds sit beside the int itself, or pydantic leaves them out of the
    document."""
    return Annotated[int, Field(ge=ge, le=le), JSON_NUMBER]


JsonBool = Annotated[bool, Field(strict=True)]  # true or false, not 0 or "yes"

Decade = Annotated[
    str,
    AfterValidator(_check_decade),
    WithJsonSchema({"type": "string", "pattern": r"^\d{3}0s$", "examples": ["1990s"]}),
]

SortName = StrEnum("SortName", {name: name for name in SORTS})  # type: ignore[misc]


def _field(spec: FilterSpec, *, json: bool) -> tuple[Any, Any]:
    """The annotation and default of one filter, in a query string or (``json``) a JSON body."""
    minimum, maximum = spec.bounds()
    default = spec.default
    if spec.type is ValueType.NAMES:
        name = Annotated[str, Field(max_length=spec.max_length())]
        return list[name], Field(default_factory=list, max_length=MAX_VALUES, description=spec.help)
    if spec.type is ValueType.DECADES:
        return list[Decade], Field(
            default_factory=list, max_length=MAX_VALUES, description=spec.help
        )
    if spec.type is ValueType.INT:
        assert minimum is not None and maximum is not None
        number = (
            json_int(ge=minimum, le=maximum)
            if json
            else Annotated[int, Field(ge=minimum, le=maximum)]
        )
        kind = number if default is not None else number | None
        return kind, Field(default=default, description=spec.help)
    if spec.type is ValueType.BOOL:
        return (JsonBool if json else bool), Field(default=default, description=spec.help)
    if spec.type is ValueType.CHOICE:
        choices = StrEnum(_camel(spec.name), {c: c for c in spec.choices()})  # type: ignore[misc]
        return choices, Field(default=choices(default), description=spec.help)
    text = Annotated[str, AfterValidator(_check_search)]
    return text, Field(default=default, max_length=spec.max_length(), description=spec.help)


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _model(name: str, *, json: bool, doc: str) -> type[BaseModel]:
    fields = {spec.name: _field(spec, json=json) for spec in FILTERS}
    model = create_model(name, __doc__=doc, **fields)  # type: ignore[call-overload]
    return model


FilterQuery = _model("FilterQuery", json=False, doc="The library's filters, as query parameters.")
FilterBody = _model(
    "FilterBody",
    json=True,
    doc="The same filters as the query parameters of /api/tracks, in a JSON body.",
)


MAX_RULE_TEXT = 16_384  # characters of a rule in a query string; longer ones go in a POST body

RULE_HELP = (
    'A rule (JSON, URL-encoded) ANDed with the other filters: groups `{"all": [...]}`, '
    '`{"any": [...]}`, `{"not": rule}` and conditions `{"field", "op", "value"}`; '
    "GET /api/filters lists every field with its operators. Longer rules: POST /api/tracks/query."
)


def read_rule(rule: Any, now: float) -> Rule | None:
    """A rule from decoded JSON (None: no rule); RuleError names what is wrong in it."""
    return None if rule is None else parse_rule(rule, now=now)


def rule_from_text(text: str | None, now: float) -> Rule | None:
    """A rule from a query string's JSON text."""
    if text is None or not text.strip():
        return None
    return parse_text(text, now=now)


def to_filter(values: BaseModel, rule: Any = None) -> TrackFilter:
    """The cache's filter from validated parameters (either model above) and a decoded rule."""
    now = time.time()
    return TrackFilter.of(values.model_dump(mode="json"), now=now, rule=read_rule(rule, now))


def track_filter(
    query: Annotated[FilterQuery, Query()],  # type: ignore[valid-type]
    rule: Annotated[str | None, Query(max_length=MAX_RULE_TEXT, description=RULE_HELP)] = None,
) -> TrackFilter:
    """The dependency of every route that filters the library."""
    now = time.time()
    values = query.model_dump(mode="json")  # type: ignore[attr-defined]
    return TrackFilter.of(values, now=now, rule=rule_from_text(rule, now))
