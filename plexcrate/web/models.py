"""The API's response bodies, as pydantic models: they are what /openapi.json documents.

``extra="forbid"`` keeps the documents honest: the tests validate real responses against these
models, so a field the API sends but the document lacks (or the reverse) fails a test.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from plexcrate.cache.tags import KINDS, TagSpec
from plexcrate.sync.progress import Phase


class ApiModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(ApiModel):
    error: str = Field(description="What went wrong, naming the parameter when one is at fault.")


# --- status ----------------------------------------------------------------------------------


# "idle", then whatever phases the sync engine reports: built from its enum, so a phase the
# engine adds (an incremental refresh's, say) is documented and served without a change here.
IDLE = "idle"
SyncPhase = StrEnum(  # type: ignore[misc]
    "SyncPhase", {"IDLE": IDLE, **{phase.name: phase.value for phase in Phase}}
)


class SyncReason(StrEnum):
    MANUAL = "manual"  # POST /api/library/sync
    STALE = "stale"  # the cache was older than PLEXCRATE_STALE_AFTER_HOURS at start
    SERVER_CHANGED = "server_changed"  # Plex now has another machineIdentifier
    OUTDATED = "outdated"  # the cache was built by an older plexcrate (schema, mapping rules)
    PLEX_CHANGED = "plex_changed"  # Plex announced a change in a music section (notifications)


class SyncProgressBody(ApiModel):
    current: int = Field(description="Tracks read so far; only ever goes up during a sync.")
    total: int = Field(description="Tracks the server reported; never below `current`.")


class LibraryStatus(ApiModel):
    track_count: int = Field(description="Tracks in the cache now (what the API serves).")
    unavailable_tracks: int = Field(
        default=0,
        description="Tracks Plex keeps in its trash (their files deleted or unreachable, "
        "listed with deletedAt until the trash is emptied): cached, but left out of every "
        "list, facet, pick and search; `include_unavailable=true` on /api/tracks shows them.",
    )
    synced_at: str | None = Field(
        description="When the cache was last complete, ISO 8601 UTC; null before the first sync."
    )
    is_syncing: bool
    sync_progress: SyncProgressBody | None = Field(
        description="Progress of the running sync, counted in tracks; null when none runs."
    )
    phase: SyncPhase = Field(description="What the running sync is doing; `idle` when none runs.")
    sync_reason: SyncReason | None = Field(
        description="Why the running (or else the last) sync started; null before any."
    )
    error: str | None = Field(
        description="Why the last sync failed, in plain words; null once a sync succeeds."
    )
    plex_configured: bool = Field(description="Whether PLEX_URL and PLEX_TOKEN are set.")
    plex_connected: bool | None = Field(
        description="Whether Plex answered the last background probe (every few seconds); "
        "null in the moment after start, before the first probe has answered."
    )
    server_name: str | None = Field(description="The Plex server the cache mirrors.")
    machine_identifier: str | None = Field(
        default=None,
        description="That server's id, for links that open an item in the Plex web app.",
    )
    plex_error: str | None = Field(
        default=None,
        description="Why Plex did not answer the last probe, naming its URL; null when it did.",
    )
    plex_account: str | None = Field(
        default=None,
        description="The Plex account signed in with: its plays and ratings are mirrored. Null "
        "when the server was set up with a token.",
    )
    is_stale: bool = Field(
        description="The cache holds tracks older than PLEXCRATE_STALE_AFTER_HOURS."
    )
    server_changed: str | None = Field(
        description="A notice when the Plex server changed and the old cache was cleared."
    )
    notice: str | None = Field(
        description="Something to know about the cache, e.g. that an unreadable cache file was "
        "moved aside at start; null once a sync succeeds."
    )
    last_sync_kind: str | None = Field(
        description="How the cache was last brought up to date: `full` or `incremental`."
    )
    last_sync_duration_s: float | None = Field(description="How long the last sync took.")
    shrink_refused: bool = Field(
        description="The last sync was not published because it would have removed all the "
        "cached tracks, or more than half of them (`error` says how many); start one with "
        "`allow_shrink` to publish it anyway."
    )


class SyncRequest(BaseModel):
    full: bool = Field(
        default=False,
        strict=True,  # JSON's true or false, not 0 or "yes"
        description="Rebuild the whole cache instead of refreshing what changed.",
    )
    allow_shrink: bool = Field(
        default=False,
        strict=True,
        description="Publish the sync even if it removes all the cached tracks or more than "
        "half of them (refused otherwise, see `shrink_refused` in the status).",
    )


class SyncStarted(ApiModel):
    started: bool = True
    blocking: bool = Field(
        description="True when the cache is empty, so there is nothing to browse until it ends."
    )


class Health(ApiModel):
    status: str = Field(description="`ok` whenever the app answers.")
    version: str


# --- library ---------------------------------------------------------------------------------


class TrackColumnsBody(ApiModel):
    """A track's own fields; :data:`TrackBody` adds its tags."""

    rating_key: int = Field(description="Plex's id for the track.")
    title: str
    artist: str = Field(description="The track's own artist (featured or compilation artist).")
    album_artist: str
    album: str
    album_key: int | None
    artist_key: int | None = Field(description="Plex's id for the album artist.")
    year: int | None
    duration_ms: int | None
    user_rating: int | None = Field(description="0–10, Plex's scale (2 per star); null if unrated.")
    disc_number: int | None
    track_number: int | None
    is_live: bool
    view_count: int
    added_at: str | None = Field(description="When Plex added the track, ISO 8601 UTC.")
    last_played_at: str | None = Field(description="When it was last played, ISO 8601 UTC.")
    unavailable: bool = Field(
        default=False,
        description="In Plex's trash (its file deleted or unreachable): listed only with "
        "`include_unavailable=true`, after the available tracks.",
    )


# A track: its own fields, then a field per kind of tag shown on it (genres, styles, moods,
# album_types, label…), as the kinds are declared (cache/tags.py).
_TRACK_TAG_FIELDS: dict[str, Any] = {
    spec.track_field: (
        str | None if spec.track_first_only else list[str],
        Field(description=spec.track_help),
    )
    for spec in KINDS
    if spec.track_field
}
if TYPE_CHECKING:
    TrackBody = TrackColumnsBody
else:
    TrackBody = create_model("TrackBody", __base__=TrackColumnsBody, **_TRACK_TAG_FIELDS)


class TrackPageBody(ApiModel):
    total: int = Field(description="Every track matching the filters, not just this page.")
    seed: int | None = Field(
        description="The shuffle seed of a random order; pass it back to page the same shuffle."
    )
    tracks: list[TrackBody]


class TrackQuery(ApiModel):
    """A page of the tracks matching a rule, for rules too long for a query string."""

    rule: dict[str, Any] | None = Field(
        default=None, description="A rule (see `rule` on GET /api/tracks); none: every track."
    )
    sort: str = Field(default="default", description="As `sort` on GET /api/tracks.")
    limit: int = Field(default=100, ge=1, le=1000, description="Tracks per page.")
    offset: int = Field(default=0, ge=0, le=1_000_000_000, description="Tracks to skip.")
    seed: int | None = Field(
        default=None, ge=0, le=2**31 - 1, description="The shuffle to page (random order only)."
    )
    include_unavailable: bool = Field(
        default=False, description="As `include_unavailable` on GET /api/tracks."
    )


class FacetBody(ApiModel):
    name: str
    count: int


def _tag_facet(spec: TagSpec) -> Any:
    return Field(
        description=f"Per {spec.one}, the tracks matching every filter but the `{spec.name}` one: "
        f"what the track list would total with that {spec.one} alone selected. Most tracks "
        "first, at most 200 (GET /api/library/facets/{kind} searches them all)."
    )


# The total, then every declared kind's facet (cache/tags.py), then the decades.
_STATS_FIELDS: dict[str, Any] = {
    "total_tracks": (int, Field(description="Tracks matching the filters.")),
    **{spec.facet: (list[FacetBody], _tag_facet(spec)) for spec in KINDS if spec.facet},
    "decades": (
        list[FacetBody],
        Field(
            description="Per decade (like `1990s`), the tracks matching every filter but the "
            "decade one. Oldest first; tracks without a year are in no decade."
        ),
    ),
}
LibraryStatsBody = create_model("LibraryStatsBody", __base__=ApiModel, **_STATS_FIELDS)


class FacetValues(ApiModel):
    kind: str = Field(description="The kind of tag counted.")
    values: list[FacetBody] = Field(
        description="Per value whose name holds the search, the tracks matching every filter "
        "but this kind's own: most tracks first, then by name."
    )


class FilterDeclaration(ApiModel):
    name: str = Field(description="The query parameter (and the JSON field of a filter body).")
    type: str = Field(description="names, decades, int, bool, choice or text.")
    repeatable: bool = Field(description="Whether the parameter may be given several times.")
    default: Any = Field(description="The value that restricts nothing.")
    minimum: int | None
    maximum: int | None
    choices: list[str]
    max_length: int | None = Field(description="Characters of a value, at most.")
    facet: str | None = Field(description="The facet of /api/library/stats it is counted in.")
    tag_kind: str | None = Field(description="The kind of tag it names, for a names filter.")
    help: str
    rule: dict[str, str] = Field(
        description="The condition of the rule language this parameter is a shorthand for: "
        "its field and operator, the parameter's values its value."
    )


class RuleField(ApiModel):
    name: str = Field(description="The `field` of a condition.")
    type: str = Field(description="tags, decade, text, number, date, bool, playlist or search.")
    operators: list[str] = Field(description="Every `op` it takes.")
    minimum: int | None = Field(description="A number's least value.")
    maximum: int | None = Field(description="A number's greatest value.")
    help: str


class TagKindDeclaration(ApiModel):
    name: str = Field(description="The kind (a names filter's `tag_kind`).")
    one: str = Field(description="A value of it, in words: `album type`.")
    many: str = Field(description="Several: `album types`.")
    facet: str | None = Field(description="Its facet in /api/library/stats, if it has one.")
    phrase: str = Field(
        description="Its filter in a sentence, `{}` standing for the values: `by {}`."
    )
    exclude_phrase: str = Field(description="The same for its `exclude_` filter: `not by {}`.")


class FilterDeclarations(ApiModel):
    filters: list[FilterDeclaration]
    fields: list[RuleField] = Field(description="The rule language's fields (`rule=`).")
    sorts: list[str] = Field(description="Every value of the `sort` parameter.")
    facet_kinds: list[str] = Field(description="Every kind of /api/library/facets/{kind}.")
    tag_kinds: list[TagKindDeclaration] = Field(
        description="Every kind of tag, in order, with its words (the page's labels)."
    )


# --- albums and artists ------------------------------------------------------------------------


class AlbumBody(ApiModel):
    rating_key: int = Field(description="Plex's id for the album (its art: /api/art/{id}).")
    title: str
    album_artist: str
    artist_key: int | None = Field(description="Plex's id for the album artist.")
    year: int | None
    track_count: int = Field(description="Its tracks in the library.")
    matching_tracks: int = Field(description="Those of its tracks the filters let through.")
    genres: list[str] = Field(description="The album's own genres, as Plex lists them.")
    album_types: list[str] = Field(description="Format (Album, EP, Single) and Subformat.")


class AlbumsBody(ApiModel):
    total: int = Field(description="Every album with a matching track, not just this page.")
    seed: int | None = Field(description="The shuffle's seed, for a random order.")
    albums: list[AlbumBody]


class ArtistBody(ApiModel):
    rating_key: int = Field(description="Plex's id for the (album) artist.")
    title: str
    album_count: int = Field(description="Its albums with a matching track.")
    track_count: int = Field(description="Its matching tracks.")


class ArtistsBody(ApiModel):
    total: int = Field(description="Every artist with a matching track, not just this page.")
    seed: int | None = Field(description="The shuffle's seed, for a random order.")
    artists: list[ArtistBody]


class AlbumDetail(ApiModel):
    album: AlbumBody
    tracks: list[TrackBody] = Field(
        description="Every track of the album, in disc and track order."
    )


class ArtistDetail(ApiModel):
    artist: ArtistBody
    albums: list[AlbumBody] = Field(description="Every album of the artist, oldest first.")


# --- search ------------------------------------------------------------------------------------


class SearchBody(ApiModel):
    artists: list[ArtistBody] = Field(
        description="Artists found, best first; counts as in /api/artists without filters."
    )
    albums: list[AlbumBody] = Field(
        description="Albums found, best first; counts as in /api/albums without filters."
    )
    tracks: list[TrackBody] = Field(description="Tracks found, best first.")
