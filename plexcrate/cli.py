"""The ``plexcrate`` command: sync, status, tracks, the simulator, and the web app."""

from __future__ import annotations

import hashlib
import os
import secrets
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

import click
import orjson

from plexcrate.cache.database import (
    CacheUnavailable,
    CacheUnreadable,
    Database,
    open_or_replace,
)
from plexcrate.cache.filters import FILTERS, FilterSpec, TrackFilter, ValueType
from plexcrate.cache.queries import SORTS, Order, Sort, find_tracks
from plexcrate.cache.recipes import Why, all_recipes
from plexcrate.cache.rules import Rule, parse_text
from plexcrate.cache.state import SyncState, read_sync_state
from plexcrate.config import ConfigError, Settings
from plexcrate.isotime import iso_utc
from plexcrate.plex.client import PlexClient
from plexcrate.sync.engine import SyncFailed, SyncOptions, SyncResult, sync_library
from plexcrate.sync.progress import SyncProgress
from plexcrate.sync.recipes import RecipeGone, RecipePaused, RefreshFailed, refresh_recipe
from plexcrate.sync.timelimit import TimeLimit


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="plexcrate")
def main() -> None:
    """A fast local mirror of your Plex music library."""


# --- recipes ---------------------------------------------------------------------------------


@main.group()
def recipes() -> None:
    """Living playlists: rules that own a Plex playlist (made in the web app or its API)."""


@recipes.command("list")
def recipes_list() -> None:
    """Every recipe: its playlist, tracks, when last refreshed, and whether it is paused."""
    with _database(_settings()) as db:
        found = db.read(all_recipes)
    if not found:
        click.echo("No recipes yet.")
    for recipe in found:
        state = f"paused: {recipe.paused}" if recipe.paused else f"refresh {recipe.refresh.value}"
        last = iso_utc(recipe.refreshed_at) or "never"
        click.echo(
            f"{recipe.id:>4}  {recipe.name}  → “{recipe.playlist_title}” "
            f"({recipe.track_count} tracks, last refreshed {last}; {state})"
        )


@recipes.command("refresh")
@click.argument("recipe_id", type=int, required=False)
def recipes_refresh(recipe_id: int | None) -> None:
    """Refresh one recipe's playlist in Plex now, or every recipe that is not paused."""
    settings = _settings()
    if not settings.plex_configured:
        _fail("No Plex server is configured. Set PLEX_URL and PLEX_TOKEN.")
    failed = False
    with _database(settings) as db, _client(settings) as client:
        ids = (
            [recipe_id]
            if recipe_id is not None
            else [r.id for r in db.read(all_recipes) if not r.paused]
        )
        for one in ids:
            try:
                done = refresh_recipe(db, client, one, Why.MANUAL)
            except (RecipeGone, RecipePaused, RefreshFailed) as error:
                click.echo(f"Recipe {one}: {error}", err=True)
                failed = True
                continue
            click.echo(
                f"Recipe {one}: {done.added} added, {done.removed} removed, {done.kept} kept "
                f"(playlist {done.playlist_id})."
            )
    if failed:
        sys.exit(1)


# --- sync ------------------------------------------------------------------------------------


@main.command()
@click.option("--full", is_flag=True, help="Rebuild the whole cache instead of refreshing it.")
@click.option(
    "--allow-shrink",
    is_flag=True,
    help="Save the sync even if it removes all the cached tracks or more than half of them.",
)
def sync(full: bool, allow_shrink: bool) -> None:
    """Mirror the Plex music library into the local cache."""
    settings = _settings()
    if not settings.plex_configured:
        _fail(
            "No Plex server is configured. Set PLEX_URL and PLEX_TOKEN, "
            "or try `plexcrate demo` to see plexcrate with a simulated server."
        )
    limit = TimeLimit.from_settings(settings)
    options = SyncOptions(libraries=settings.music_libraries, time_limit=limit)
    with _database(settings, replace_unreadable=True) as db, _client(settings) as client:
        progress = SyncProgress()
        result = _with_progress_bar(
            progress,
            lambda: sync_library(
                db, client, progress, options, full=full, allow_shrink=allow_shrink
            ),
        )
    if result.replaced_server:
        click.echo("The Plex server changed, so the previous server's cache was cleared.")
    click.echo(
        f"Synced {result.track_count:,} tracks from “{result.server_name}” "
        f"in {result.duration_s:.1f} s."
    )


def _with_progress_bar(progress: SyncProgress, run: Callable[[], SyncResult]) -> SyncResult:
    """Run the sync on a thread and draw its progress here until it ends."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["result"] = run()
        except BaseException as error:
            outcome["error"] = error

    worker = threading.Thread(target=target, name="sync", daemon=True)
    worker.start()
    shown = 0
    with click.progressbar(length=1, label="Syncing tracks", show_pos=True, file=sys.stderr) as bar:
        while worker.is_alive():
            worker.join(0.1)
            snapshot = progress.snapshot()
            if snapshot.total:
                bar.length = snapshot.total
            bar.update(snapshot.current - shown)
            shown = snapshot.current
    error = outcome.get("error")
    if isinstance(error, SyncFailed):
        _fail(f"Sync failed: {error}")
    if isinstance(error, Exception):  # a bug: a line to report, never a traceback
        _fail(
            f"The sync stopped because of an internal error ({type(error).__name__}: {error}); "
            "the previous library is kept."
        )
    if error is not None:
        raise error
    return outcome["result"]


# --- status ----------------------------------------------------------------------------------


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def status(as_json: bool) -> None:
    """What the cache holds and when it was last synced."""
    settings = _settings()
    with _database(settings) as db:
        state = db.read(read_sync_state)
    stale = state.is_stale(now=time.time(), max_age_hours=settings.stale_after_hours)
    if as_json:
        click.echo(orjson.dumps(_status_json(state, stale)).decode())
        return
    if state.is_empty:
        click.echo("Not synced yet. Run `plexcrate sync`.")
        return
    click.echo(f"{state.track_count:,} tracks from “{state.server_name or 'Plex'}”")
    click.echo(f"Synced {iso_utc(state.synced_at)}" + (" (stale)" if stale else ""))


def _status_json(state: SyncState, stale: bool) -> dict[str, Any]:
    return {
        "track_count": state.track_count,
        "synced_at": iso_utc(state.synced_at),
        "server_name": state.server_name,
        "machine_identifier": state.machine_identifier,
        "sync_duration_s": state.sync_duration_s,
        "is_stale": stale,
    }


# --- tracks ----------------------------------------------------------------------------------


# The filters' options, one per declaration (cache/filters.py); the CLI spells "q" --search.
_CLI_NAMES = {"q": "search"}


def _filter_option(spec: FilterSpec) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    flag = "--" + _CLI_NAMES.get(spec.name, spec.name).replace("_", "-")
    minimum, maximum = spec.bounds()
    options: dict[str, Any] = {"help": spec.help.replace("`", ""), "show_default": False}
    if spec.type in (ValueType.NAMES, ValueType.DECADES):
        options["multiple"] = True
    elif spec.type is ValueType.INT:
        options.update(type=click.IntRange(minimum, maximum), default=spec.default)
    elif spec.type is ValueType.BOOL:
        negated = flag.replace("--exclude-", "--include-")
        return click.option(f"{flag}/{negated}", spec.name, default=spec.default, **options)
    elif spec.type is ValueType.CHOICE:
        options.update(type=click.Choice(spec.choices()), default=spec.default)
    else:
        options["default"] = spec.default
    return click.option(flag, spec.name, **options)


def filter_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for spec in reversed(FILTERS):
        command = _filter_option(spec)(command)
    return command


@main.command()
@filter_options
@click.option("--sort", type=click.Choice(SORTS), default=None, help="How to order the tracks.")
@click.option("--order", type=click.Choice([o.value for o in Order]), default=Order.DEFAULT.value)
@click.option("--limit", type=click.IntRange(1, 10_000), default=50)
@click.option("--offset", type=click.IntRange(0), default=0)
@click.option(
    "--rule",
    default=None,
    metavar="JSON|@FILE",
    help='A rule ANDed with the filters, as JSON or @file: {"all": [{"field": "rating", '
    '"op": "ge", "value": 8}, {"not": {"field": "genre", "op": "is", "value": "Pop"}}]}.',
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def tracks(
    sort: str | None,
    order: str,
    limit: int,
    offset: int,
    rule: str | None,
    as_json: bool,
    **filters: Any,
) -> None:
    """List cached tracks matching filters and a rule."""
    now = time.time()
    try:
        flt = TrackFilter.of(filters, now=now, rule=_rule(rule, now))
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    chosen = Sort(sort or order)
    with _database(_settings()) as db:
        page = db.read(
            lambda conn: find_tracks(
                conn, flt, sort=chosen, limit=limit, offset=offset, seed=time.time_ns() & 0x7FFFFFFF
            )
        )
    if as_json:
        click.echo(orjson.dumps({"total": page.total, "tracks": page.tracks}).decode())
        return
    for track in page.tracks:
        year = f", {track.year}" if track.year else ""
        stars = (
            f"  {'★' * (track.user_rating // 2)}{'½' * (track.user_rating % 2)}"
            if (track.user_rating)
            else ""
        )
        click.echo(f"{track.artist} — {track.title} ({track.album}{year}){stars}")
    click.echo(f"{len(page.tracks):,} of {page.total:,} matching tracks", err=True)


def _rule(text: str | None, now: float) -> Rule | None:
    """``--rule``: JSON, or ``@path`` of a file holding it."""
    if text is None:
        return None
    if text.startswith("@"):
        try:
            text = Path(text[1:]).read_text(encoding="utf-8")
        except OSError as error:
            raise click.BadParameter(f"cannot read {text[1:]}: {error.strerror}") from None
    return parse_text(text, now=now)


# --- simulator -------------------------------------------------------------------------------


@main.command()
@click.option("--tracks", "track_count", type=click.IntRange(0), default=20_000, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=32400, show_default=True)
@click.option("--token", default="simulator-token", show_default=True)
@click.option("--latency-ms", type=float, default=0.0, help="Delay per request, in ms.")
@click.option("--item-latency-ms", type=float, default=0.0, help="Delay per item, in ms.")
@click.option("--max-concurrent", type=click.IntRange(1), default=4, show_default=True)
def simulate(
    track_count: int,
    seed: int,
    host: str,
    port: int,
    token: str,
    latency_ms: float,
    item_latency_ms: float,
    max_concurrent: int,
) -> None:
    """Run the bundled Plex simulator with a synthetic music library."""
    from plexcrate.simulator import Latency, run_simulator

    latency = None
    if latency_ms or item_latency_ms:
        latency = Latency(
            per_request=latency_ms / 1000,
            per_item=item_latency_ms / 1000,
            max_concurrent=max_concurrent,
        )
    click.echo(f"Plex simulator with {track_count:,} tracks on http://{host}:{port}", err=True)
    run_simulator(tracks=track_count, seed=seed, host=host, port=port, token=token, latency=latency)


# --- web app ---------------------------------------------------------------------------------

DEFAULT_PORT = 5765
DEMO_TRACKS = 20_000
DEMO_SEED = 1
DEMO_DATA_DIR = Path("data") / "demo"

host_option = click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; 0.0.0.0 makes the app reachable from other machines.",
)
port_option = click.option(
    "--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True
)
tracks_option = click.option(
    "--tracks",
    "track_count",
    type=click.IntRange(0),
    default=DEMO_TRACKS,
    show_default=True,
    help="Tracks in the demo's synthetic library.",
)


@main.command()
@host_option
@port_option
def serve(host: str, port: int) -> None:
    """Run the web app (API and browser UI) for the configured Plex server."""
    _serve(_settings(), host, port)


@main.command()
@tracks_option
@host_option
@port_option
def demo(track_count: int, host: str, port: int) -> None:
    """Run the web app against the bundled Plex simulator: no Plex server needed."""
    _demo(track_count, host, port)


@main.command()
@host_option
@port_option
def start(host: str, port: int) -> None:
    """`serve` when a Plex server is configured (PLEX_URL, PLEX_TOKEN), else `demo`."""
    settings = _settings()
    if settings.plex_configured:
        _serve(settings, host, port)
        return
    click.echo(
        "No Plex server is configured (PLEX_URL and PLEX_TOKEN), so plexcrate starts its demo "
        "with a simulated server.",
        err=True,
    )
    _demo(DEMO_TRACKS, host, port)


def _serve(settings: Settings, host: str, port: int) -> None:
    from plexcrate.web import server
    from plexcrate.web.app import create_app
    from plexcrate.web.security import exposure_warning

    _check_cache_folder(settings)
    try:
        sock = server.bind(host, port)
    except server.PortUnavailable as error:
        _fail(str(error))
    warning = exposure_warning(host, settings)
    if warning:
        click.echo(f"Warning: {warning}", err=True)
    click.echo(f"plexcrate is running at {server.url_of(sock)}")
    server.run(create_app(settings), sock)


def _check_cache_folder(settings: Settings) -> None:
    """Fail in plain words, before listening, when the cache can't be written at all.

    A damaged or foreign cache file is no reason to stop: the app moves it aside at start and
    says so in its status (a server that refused to start would restart into the same refusal).
    """
    try:
        Database(settings.cache_path).close()
    except CacheUnreadable:
        pass
    except (CacheUnavailable, OSError) as error:
        _fail(str(error))


def _demo(track_count: int, host: str, port: int) -> None:
    from plexcrate.simulator import PlexSimulator, SimLibrary

    settings = _settings()
    data_dir = Path(os.environ["PLEXCRATE_DATA_DIR"]) if _env("PLEXCRATE_DATA_DIR") else None
    lib = SimLibrary.generate(tracks=track_count, seed=DEMO_SEED)
    # Another demo size is another server: the app then replaces the cache rather than keep a
    # library of the wrong size.
    lib.set_machine_identifier(_demo_machine_identifier(track_count, DEMO_SEED))
    token = secrets.token_hex(16)
    with PlexSimulator(lib, token=token) as simulator:
        click.echo(
            f"Demo: a simulated Plex server with {track_count:,} tracks at {simulator.url}",
            err=True,
        )
        demo_settings = replace(
            settings,
            plex_url=simulator.url,
            plex_token=token,
            data_dir=data_dir or DEMO_DATA_DIR,
            music_libraries=(),
            plex_source="demo",
        )
        _serve(demo_settings, host, port)


def _demo_machine_identifier(track_count: int, seed: int) -> str:
    return hashlib.sha1(f"plexcrate-demo:{track_count}:{seed}".encode()).hexdigest()


def _env(name: str) -> bool:
    return bool(os.environ.get(name, "").strip())


# --- helpers ---------------------------------------------------------------------------------


def _settings() -> Settings:
    try:
        return Settings.load()
    except ConfigError as error:
        _fail(str(error))


@contextmanager
def _database(settings: Settings, *, replace_unreadable: bool = False) -> Iterator[Database]:
    """The cache. Only a sync, which rebuilds it anyway, moves an unreadable file aside."""
    try:
        if replace_unreadable:
            db, note = open_or_replace(settings.cache_path)
            if note:
                click.echo(note, err=True)
        else:
            db = Database(settings.cache_path)
    except CacheUnreadable as error:
        _fail(f"{error} Run `plexcrate sync` to move it aside and rebuild the cache.")
    except CacheUnavailable as error:
        _fail(str(error))
    try:
        yield db
    finally:
        db.close()


@contextmanager
def _client(settings: Settings) -> Iterator[PlexClient]:
    client = PlexClient.from_settings(settings)
    try:
        yield client
    finally:
        client.close()


def _fail(message: str) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)
