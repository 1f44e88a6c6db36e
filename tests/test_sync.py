"""Full sync against the Plex simulator over loopback: exact mirroring, faults, retries."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TOKEN
from library_factory import dump
from plex_oracle import TAG_KINDS, assert_cache_matches, assert_same_library, cached_tracks

from plexcrate.cache.database import Database
from plexcrate.cache.state import read_sync_state
from plexcrate.cache.tags import KINDS
from plexcrate.plex.client import PlexClient
from plexcrate.simulator import PlexSimulator, SimLibrary
from plexcrate.simulator.images import has_art
from plexcrate.sync.engine import SyncFailed, SyncOptions, full_sync
from plexcrate.sync.live import is_live_title
from plexcrate.sync.progress import SyncProgress

# Small pages, so a 600-track library takes several pages of each kind.
OPTIONS = SyncOptions(page_size=100, workers=3)


def sync(cache: Database, client: PlexClient, **kwargs):
    return full_sync(cache, client, options=kwargs.pop("options", OPTIONS), **kwargs)


def test_first_sync_mirrors_the_library_field_for_field(
    cache: Database, client: PlexClient, sim_library: SimLibrary
) -> None:
    result = sync(cache, client)
    assert result.track_count == len(sim_library.tracks) == 600
    assert result.server_name == sim_library.friendly_name
    assert_cache_matches(cache, sim_library)
    state = cache.read(read_sync_state)
    assert state.machine_identifier == sim_library.machine_identifier
    assert state.track_count == 600


def test_the_library_has_the_cases_the_mapping_must_handle(sim_library: SimLibrary) -> None:
    """Guards the test above: it only proves something if these cases are in the library."""
    tracks = list(sim_library.tracks.values())
    albums = sim_library.albums
    artists = sim_library.artists
    assert any(t.original_title for t in tracks)  # compilations and featured artists
    assert any(not albums[t.album_key].genres and artists[t.artist_key].genres for t in tracks)
    assert any(albums[t.album_key].year is None for t in tracks)
    assert any(t.duration is None for t in tracks)
    assert any(t.user_rating is not None for t in tracks)
    assert any(t.disc > 1 for t in tracks)
    assert any("Live" in albums[t.album_key].subformats for t in tracks)
    assert any(not has_art(key) for key in albums) and any(has_art(key) for key in albums)
    assert any(not has_art(key) for key in artists)
    # What real listings hide: genre and country lists longer than they show, albums only
    # their release type marks live (the listings leave it out).
    assert any(len(albums[t.album_key].genres) > 2 for t in tracks)
    assert any(len(artists[t.artist_key].countries) > 2 for t in tracks)
    assert any(
        "Live" in albums[t.album_key].subformats and not is_live_title(albums[t.album_key].title)
        for t in tracks
    )


def test_the_oracle_derives_every_declared_kind() -> None:
    """So the test above checks a kind declared in cache/tags.py as soon as there is one (its
    rule written again in plex_oracle.expected_tracks)."""
    assert set(TAG_KINDS) == {spec.name for spec in KINDS}


def test_a_real_shaped_server_and_a_generous_one_give_the_same_cache(
    cache: Database, client: PlexClient, sim_library: SimLibrary, tmp_path: Path
) -> None:
    """Listings that show every tag (the simulator before issue 12) and real-shaped ones that
    cut them: the mirror is the same."""
    sync(cache, client)
    with (
        PlexSimulator(sim_library, token=TOKEN, generous=True, strict=True) as generous,
        PlexClient(generous.url, TOKEN, retry_delay=0) as other,
        Database(tmp_path / "generous.db") as db,
    ):
        sync(db, other)
        assert_same_library(cache, db)


def test_resync_after_adds_deletes_edits_and_ratings_is_exact(
    cache: Database, client: PlexClient, sim_library: SimLibrary
) -> None:
    sync(cache, client)
    keys = sorted(sim_library.tracks)
    album_keys = sorted(sim_library.albums)
    sim_library.add_album(tracks=7)
    sim_library.delete_track(keys[0])
    sim_library.delete_album(album_keys[3])
    sim_library.edit_track(keys[10], title="Renamed & <escaped> “Ünïcode”")
    sim_library.edit_album(album_keys[5], genres=["Shoegaze"], year=1991)
    sim_library.rate_track(keys[20], 7.0)
    sim_library.rate_track(keys[21], None)
    sim_library.play_track(keys[22])

    result = sync(cache, client)

    assert result.track_count == len(sim_library.tracks)
    assert_cache_matches(cache, sim_library)
    assert keys[0] not in cached_tracks(cache)  # no phantoms


def test_progress_counts_every_track_up_to_the_total(
    cache: Database, client: PlexClient, sim_library: SimLibrary
) -> None:
    progress = SyncProgress()
    sync(cache, client, progress=progress)
    snapshot = progress.snapshot()
    assert snapshot.current == snapshot.total == len(sim_library.tracks)


def test_the_token_travels_in_a_header_never_in_the_url(
    cache: Database, client: PlexClient, plex: PlexSimulator
) -> None:
    sync(cache, client)
    requests = list(plex.requests)
    assert requests
    assert not any(record.token_in_query for record in requests)
    assert not any(TOKEN in str(record.params) for record in requests)


def test_one_transient_failure_per_request_is_retried(
    cache: Database, client: PlexClient, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    plex.faults.inject("reset", path="/library/sections/1/all", params={"type": "10"}, nth=2)
    plex.faults.inject("status", path="/library/sections/1/all", params={"type": "9"}, status=503)
    sync(cache, client)
    assert_cache_matches(cache, sim_library)


# Where a fault can strike, as (path, params) of the request that fails.
TRACK_PAGE = {"type": "10", "X-Plex-Container-Size": "100"}
# Long enough that no answer of a loaded machine takes it; short enough that a hang is quick.
HANG_TIMEOUT = 1.0
PHASES = {
    "identity": ("/", {}),
    "sections": ("/library/sections", {}),
    "artists": ("/library/sections/1/all", {"type": "8"}),
    "albums": ("/library/sections/1/all", {"type": "9"}),
    "first-track-page": ("/library/sections/1/all", {**TRACK_PAGE, "X-Plex-Container-Start": "0"}),
    "middle-track-page": (
        "/library/sections/1/all",
        {**TRACK_PAGE, "X-Plex-Container-Start": "297"},
    ),
    "last-track-page": ("/library/sections/1/all", {**TRACK_PAGE, "X-Plex-Container-Start": "594"}),
}
FAULTS = {
    "500": ({"kind": "status", "status": 500}, "answered 500"),
    "503": ({"kind": "status", "status": 503}, "answered 503"),
    "reset": ({"kind": "reset"}, "connection to Plex at"),
    "truncated": ({"kind": "truncate"}, "broke while"),
    "hang": ({"kind": "hang", "hang_seconds": 5.0}, "did not answer within 1 s"),
    "401": ({"kind": "status", "status": 401}, "refused the token"),
}


@pytest.mark.parametrize("phase", PHASES)
@pytest.mark.parametrize("fault", FAULTS)
def test_a_lasting_fault_keeps_the_previous_cache_byte_identical(
    cache: Database, plex: PlexSimulator, sim_library: SimLibrary, phase: str, fault: str
) -> None:
    with PlexClient(plex.url, TOKEN, timeout=HANG_TIMEOUT, retry_delay=0.0) as client:
        sync(cache, client)
        sim_library.add_album(tracks=3)  # so a sync that wrongly commits would show
        before = dump(cache.path)
        path, params = PHASES[phase]
        kwargs, message = FAULTS[fault]
        plex.faults.inject(path=path, params=params, times=None, **kwargs)

        with pytest.raises(SyncFailed, match=message) as failure:
            sync(cache, client)

        assert TOKEN not in str(failure.value)
        assert dump(cache.path) == before
        plex.faults.clear()
        sync(cache, client)  # and the next sync succeeds once the fault is gone
        assert_cache_matches(cache, sim_library)


def test_a_timeout_says_which_tracks_were_being_read(cache: Database, plex: PlexSimulator) -> None:
    plex.faults.inject(
        "hang",
        path="/library/sections/1/all",
        params={**TRACK_PAGE, "X-Plex-Container-Start": "297"},
        times=None,
        hang_seconds=3.0,
    )
    with (
        PlexClient(plex.url, TOKEN, timeout=HANG_TIMEOUT, retry_delay=0.0) as client,
        pytest.raises(SyncFailed) as failure,
    ):
        sync(cache, client)
    assert str(failure.value) == "Plex did not answer within 1 s while reading tracks 298–397."


def test_plex_down_says_where_it_looked(cache: Database) -> None:
    with (
        PlexClient("http://127.0.0.1:9", TOKEN, timeout=1, retry_delay=0) as client,
        pytest.raises(SyncFailed, match=r"Cannot reach Plex at http://127\.0\.0\.1:9: "),
    ):
        sync(cache, client)


def test_a_different_server_clears_the_cache_before_syncing(
    cache: Database, client: PlexClient, sim_library: SimLibrary
) -> None:
    sync(cache, client)
    old_id = sim_library.machine_identifier
    sim_library.set_machine_identifier("another-server")
    result = sync(cache, client)
    assert result.replaced_server == old_id
    assert cache.read(read_sync_state).machine_identifier == "another-server"


def test_a_different_server_that_fails_to_sync_leaves_an_empty_cache(
    cache: Database, client: PlexClient, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    """The old server's tracks must never be served as the new server's."""
    sync(cache, client)
    sim_library.set_machine_identifier("another-server")
    plex.faults.inject("status", path="/library/sections/1/all", status=500, times=None)
    with pytest.raises(SyncFailed):
        sync(cache, client)
    assert cached_tracks(cache) == {}
    assert cache.read(read_sync_state).machine_identifier == "another-server"


def test_only_the_named_music_libraries_are_mirrored(tmp_path: Path) -> None:
    lib = SimLibrary.generate(tracks=300, seed=5, music_sections=2)
    sections = lib.music_sections()
    assert len(sections) == 2
    first, second = sections
    with (
        PlexSimulator(lib, token=TOKEN, strict=True) as plex,
        PlexClient(plex.url, TOKEN, retry_delay=0) as client,
        Database(tmp_path / "c.db") as db,
    ):
        result = full_sync(db, client, options=SyncOptions(libraries=(second.title.upper(),)))
        in_second = [t for t in lib.tracks.values() if t.section_id == second.id]
        assert 0 < result.track_count == len(in_second) < len(lib.tracks)

        with pytest.raises(SyncFailed, match=f"No music library called “Nope”.*{first.title}"):
            full_sync(db, client, options=SyncOptions(libraries=("Nope",)))
