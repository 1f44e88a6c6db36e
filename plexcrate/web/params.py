"""Query parameters: the track filter shared by /api/tracks and /api/library/stats, and paging.

Validation happens here, declaratively, so the OpenAPI document states every bound and the error
handler (``errors.py``) can name the parameter at fault.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from pydantic import AfterValidator, WithJsonSchema

from plexcrate.cache.queries import MAX_RATING, TrackFilter, parse_decade

MAX_PAGE = 1000
MAX_OFFSET = 1_000_000_000  # far beyond any library; keeps values inside SQLite's integers
MAX_SEED = 2**31 - 1
MAX_VALUES = 100  # per repeatable parameter
MAX_SEARCH = 200  # characters


def _check_decade(text: str) -> str:
    parse_decade(text)  # raises ValueError with a message that says how to write one
    return text


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
            "each word must appear. Case and accents don't matter.",
        ),
    ] = "",
) -> TrackFilter:
    return TrackFilter(
        genres=tuple(genre),
        decades=tuple(parse_decade(text) for text in decade),
        min_rating=min_rating,
        exclude_live=exclude_live,
        text=q,
    )
