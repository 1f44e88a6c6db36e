"""The ``plexcrate`` command's library commands: sync, status and tracks."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner, Result
from conftest import TOKEN

from plexcrate.cli import main
from plexcrate.simulator import PlexSimulator, SimLibrary


@pytest.fixture
def env(plex: PlexSimulator, tmp_path: Path) -> dict[str, str]:
    return {
        "PLEX_URL": plex.url,
        "PLEX_TOKEN": TOKEN,
        "PLEXCRATE_DATA_DIR": str(tmp_path / "data"),
        "PLEXCRATE_PLEX_TIMEOUT": "2",
    }


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_sync_then_status_and_tracks(env: dict[str, str], sim_library: SimLibrary) -> None:
    synced = run(env, "sync")
    assert synced.exit_code == 0, synced.output
    assert f"Synced {len(sim_library.tracks):,} tracks" in synced.output

    status = orjson.loads(run(env, "status", "--json").stdout)
    assert status["track_count"] == len(sim_library.tracks)
    assert status["machine_identifier"] == sim_library.machine_identifier
    assert status["synced_at"].endswith("Z")
    assert status["is_stale"] is False
    assert TOKEN not in run(env, "status", "--json").output

    everything = orjson.loads(run(env, "tracks", "--include-live", "--json").stdout)
    assert everything["total"] == len(sim_library.tracks)
    studio = orjson.loads(run(env, "tracks", "--json", "--limit", "5").stdout)
    assert 0 < studio["total"] < everything["total"]  # live recordings are left out by default
    assert len(studio["tracks"]) == 5


def test_tracks_filters_narrow_the_list(env: dict[str, str]) -> None:
    run(env, "sync")
    total = orjson.loads(run(env, "tracks", "--json").stdout)["total"]
    rated = orjson.loads(run(env, "tracks", "--json", "--min-rating", "8").stdout)
    assert 0 < rated["total"] < total
    assert all(t["user_rating"] >= 8 for t in rated["tracks"])
    human = run(env, "tracks", "--limit", "3")
    assert human.exit_code == 0
    assert len(human.stdout.strip().splitlines()) == 3
    assert f"3 of {total:,} matching tracks" in human.stderr


def test_sync_without_a_plex_server_explains_what_to_set(tmp_path: Path) -> None:
    result = run({"PLEXCRATE_DATA_DIR": str(tmp_path), "PLEX_URL": "", "PLEX_TOKEN": ""}, "sync")
    assert result.exit_code == 1
    assert "Set PLEX_URL and PLEX_TOKEN" in result.stderr


def test_a_failed_sync_exits_nonzero_with_the_reason_and_no_traceback(
    env: dict[str, str], plex: PlexSimulator
) -> None:
    plex.faults.inject("status", path="/library/sections/1/all", status=500, times=None)
    result = run(env, "sync")
    assert result.exit_code == 1
    assert "Sync failed: Plex answered 500 Internal Server Error while" in result.stderr
    assert "Traceback" not in result.output


def test_tracks_take_a_rule_as_json_or_from_a_file(env: dict[str, str], tmp_path: Path) -> None:
    run(env, "sync")
    rated, played = (
        {"field": "rating", "op": "ge", "value": 8},
        {"field": "plays", "op": "gt", "value": 3},
    )
    rule = orjson.dumps({"any": [rated, played]}).decode()
    given = orjson.loads(run(env, "tracks", "--json", "--limit", "1000", "--rule", rule).stdout)
    assert given["total"] > 0
    assert all((t["user_rating"] or 0) >= 8 or t["view_count"] > 3 for t in given["tracks"])
    saved = tmp_path / "rule.json"
    saved.write_text(rule)
    from_file = run(env, "tracks", "--json", "--limit", "1000", "--rule", f"@{saved}")
    assert orjson.loads(from_file.stdout) == given
    wrong = run(env, "tracks", "--rule", '{"field": "rating", "op": "greater", "value": 1}')
    assert wrong.exit_code == 2
    assert "rule.op: 'greater' is not an operator of rating" in wrong.stderr


def test_a_bad_decade_is_a_usage_error(env: dict[str, str]) -> None:
    result = run(env, "tracks", "--decade", "19x0s")
    assert result.exit_code == 2
    assert "'19x0s' is not a decade; write it like 1990s" in result.stderr


def test_a_bad_setting_names_the_variable(env: dict[str, str]) -> None:
    result = run({**env, "PLEXCRATE_PLEX_TIMEOUT": "soon"}, "status")
    assert result.exit_code == 1
    assert "PLEXCRATE_PLEX_TIMEOUT must be a number" in result.stderr


def test_status_before_any_sync(env: dict[str, str]) -> None:
    assert "Not synced yet" in run(env, "status").stdout


def test_an_unreadable_cache_is_explained_then_rebuilt_by_sync(
    env: dict[str, str], tmp_path: Path
) -> None:
    data = Path(env["PLEXCRATE_DATA_DIR"])
    data.mkdir()
    (data / "library_cache.db").write_bytes(b"not a database" * 100)
    status = run(env, "status")
    assert status.exit_code == 1
    assert "Run `plexcrate sync` to move it aside" in status.stderr
    synced = run(env, "sync")
    assert synced.exit_code == 0
    assert "moved to library_cache.db.unreadable-" in synced.stderr
    assert orjson.loads(run(env, "status", "--json").stdout)["track_count"] > 0
