"""Query parameters: the track filter shared by /api/tracks and /api/library/stats, and paging.

Validation happens here, declaratively, so the OpenAPI document states every bound and the error
handler (``errors.py``) can name the parameter at fault.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, WithJsonSchema

from plexcrate.cache.queries import MAX_RATING, TrackFilter, parse_decade
from plexcrate.cache.text import fold
from plexcrate.web.limits import MAX_SEARCH_WORDS

MAX_PAGE = 1000
MAX_OFFSET = 1_000_000_000  # far beyond any library; keeps values inside SQLite's integers
MAX_SEED = 2**31 - 1
MAX_VALUES = 100  # per repeatable parameter
MAX_SEARCH = 200  # characters


def _check_decade(text: str) -> str:
    parse_decade(text)  # raises ValueError with a message that says how to write one
    return text


def _check_search(text: str) -> str:
    words = len(fold(text).split())
    if words > MAX_SEARCH_WORDS:
        raise ValueError(
            f"a search takes at most {MAX_SEARCH_WORDS} words (each must appear), not {words}"
        )
    return text


# Words to find: at most MAX_SEARCH characters and MAX_SEARCH_WORDS words (see limits.py).
SearchText = Annotated[str, Field(max_length=MAX_SEARCH), AfterValidator(_check_search)]


def _not_a_boolean(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError(f"must be a number, not {str(value).lower()}")
    return value


def json_int(*, ge: int, le: int) -> Any:
    """An integer in a JSON body, typed as JSON Schema types it: 5 and 5.0 are integers, false
    is not. The bounds sit beside the int itself, or pydantic leaves them out of the document."""
    return Annotated[int, Field(ge=ge, le=le), BeforeValidator(_not_a_boolean)]


def json_number(*, gt: float, le: float) -> Any:
    """A number in a JSON body: 5 and 2.5 are numbers, true is not (see :func:`json_int`)."""
    return Annotated[float, Field(gt=gt, le=le), BeforeValidator(_not_a_boolean)]


JsonBool = Annotated[bool, Field(strict=True)]  # true or false, not 0 or "yes"
Rating = json_int(ge=0, le=MAX_RATING)

Decade = Annotated[
    str,
    AfterValidator(_check_decade),
    WithJsonSchema({"type": "string", "pattern": r"^\d{3}0s$", "examples": ["1990s"]}),
]


def track_filter(
    genre: Annotated[
        list[str],
        Query(
            default_factory=list,
            max_length=MAX_VALUES,
            description="A genre; repeat it for several (a track in any of them matches).",
        ),
    ],
    decade: Annotated[
        list[Decade],
        Query(
            default_factory=list,
            max_length=MAX_VALUES,
            description="A decade like `1990s`; repeat it for several (any matches).",
        ),
    ],
    min_rating: Annotated[
        int,
        Query(ge=0, le=MAX_RATING, description="Minimum rating, 0–10 (2 per star); 0 = any."),
    ] = 0,
    exclude_live: Annotated[bool, Query(description="Leave out live recordings.")] = True,
    q: Annotated[
        str,
        Query(
            max_length=MAX_SEARCH,
            description="Words to find in the title, artist, album artist or album; "
            f"each word must appear (at most {MAX_SEARCH_WORDS}). Case and accents don't matter.",
        ),
        AfterValidator(_check_search),
    ] = "",
) -> TrackFilter:
    return make_filter(genre, decade, min_rating, exclude_live, q)


class FilterBody(BaseModel):
    """The same filter as the query parameters above, in a JSON body (the playlist builder)."""

    genre: list[str] = Field(default_factory=list, max_length=MAX_VALUES)
    decade: list[Decade] = Field(default_factory=list, max_length=MAX_VALUES)
    min_rating: Rating = 0
    exclude_live: JsonBool = True
    q: SearchText = ""

    def to_filter(self) -> TrackFilter:
        return make_filter(self.genre, self.decade, self.min_rating, self.exclude_live, self.q)


def make_filter(
    genres: list[str], decades: list[str], min_rating: int, exclude_live: bool, text: str
) -> TrackFilter:
    return TrackFilter(
        genres=tuple(genres),
        decades=tuple(parse_decade(decade) for decade in decades),
        min_rating=min_rating,
        exclude_live=exclude_live,
        text=text,
    )
