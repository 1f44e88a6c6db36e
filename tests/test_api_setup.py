"""The setup screen's API: checking a server, saving it (0600), switching to it live."""

from __future__ import annotations

import stat
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import orjson
import pytest
from conftest import TOKEN, StartApp
from web_harness import AppServer, closed_port

from plexcrate.config import Settings
from plexcrate.simulator import PlexSimulator, SimLibrary


@pytest.fixture
def unconfigured(start_app: StartApp) -> AppServer:
    return start_app(plex_url=None, plex_token=None)


def credentials(plex: PlexSimulator, token: str = TOKEN) -> dict[str, str]:
    return {"plex_url": plex.url, "plex_token": token}


def test_an_unconfigured_app_says_so(unconfigured: AppServer) -> None:
    assert unconfigured.get("/api/setup").json() == {
        "configured": False,
        "plex_url": None,
        "music_libraries": [],
        "editable": True,
        "source": None,
        "account": None,
    }
    assert unconfigured.status()["plex_configured"] is False


def test_checking_a_server_lists_its_music_libraries(
    unconfigured: AppServer, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    response = unconfigured.http.post("/api/setup/check", json=credentials(plex))
    assert response.status_code == 200
    assert response.json() == {
        "server_name": sim_library.friendly_name,
        "machine_identifier": sim_library.machine_identifier,
        "libraries": [{"id": s.id, "title": s.title} for s in sim_library.music_sections()],
    }


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"plex_token": "wrong"}, 400, "Plex refused the token (401 Unauthorized)"),
        ({"plex_url": "ftp://nas:32400"}, 422, "plex_url: must be an http:// or https:// address"),
        ({"plex_url": "nas.local:32400"}, 422, "plex_url: must be an http:// or https:// address"),
        ({"plex_url": "http://u:p@nas:32400"}, 422, "plex_url: must be just the server's address"),
        ({"plex_token": ""}, 422, "plex_token"),
    ],
)
def test_a_bad_check_says_what_is_wrong(
    unconfigured: AppServer, plex: PlexSimulator, body: dict, status: int, message: str
) -> None:
    response = unconfigured.http.post("/api/setup/check", json={**credentials(plex), **body})
    assert response.status_code == status
    assert message in response.json()["error"]


def test_checking_a_server_that_is_not_there(unconfigured: AppServer) -> None:
    body = {"plex_url": f"http://127.0.0.1:{closed_port()}", "plex_token": "t"}
    response = unconfigured.http.post("/api/setup/check", json=body)
    assert response.status_code == 400
    assert "Cannot reach Plex at http://127.0.0.1:" in response.json()["error"]


@pytest.fixture
def redirector(plex: PlexSimulator) -> Iterator[str]:
    """A server that redirects every request to the simulator."""

    class Redirect(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", plex.url + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_redirect_is_not_followed_so_the_token_stays_put(
    unconfigured: AppServer, plex: PlexSimulator, redirector: str
) -> None:
    plex.requests.clear()
    body = {"plex_url": redirector, "plex_token": TOKEN}
    response = unconfigured.http.post("/api/setup/check", json=body)
    assert response.status_code == 400
    assert f"redirected to {plex.url}/" in response.json()["error"]
    assert len(plex.requests) == 0  # the token never reached the other host


def test_saving_switches_the_running_app_to_the_server(
    unconfigured: AppServer, plex: PlexSimulator, sim_library: SimLibrary, app_settings: Settings
) -> None:
    title = sim_library.music_sections()[0].title
    body = {**credentials(plex), "music_libraries": [title]}
    response = unconfigured.http.post("/api/setup", json=body)
    assert response.status_code == 200 and response.json() == {"configured": True}

    path = app_settings.settings_path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert orjson.loads(path.read_bytes()) == {**body, "plex_url": plex.url}
    assert unconfigured.get("/api/setup").json() == {
        "configured": True,
        "plex_url": plex.url,
        "music_libraries": [title],
        "editable": True,
        "source": "file",
        "account": None,  # set up with a token, not signed in with Plex
    }
    status = unconfigured.wait_for_status(lambda s: s["plex_connected"], what="the probe")
    assert status["plex_configured"] and status["track_count"] == 0
    assert unconfigured.sync().json() == {"started": True, "blocking": True}
    assert unconfigured.wait_for_sync_to_end()["track_count"] == len(sim_library.tracks)


def test_the_saved_server_is_used_after_a_restart(
    start_app: StartApp, plex: PlexSimulator, app_settings: Settings
) -> None:
    first = start_app(plex_url=None, plex_token=None)
    assert first.http.post("/api/setup", json=credentials(plex)).status_code == 200
    first.stop()
    env = {"PLEXCRATE_DATA_DIR": str(app_settings.data_dir)}
    loaded = Settings.load(env)
    assert (loaded.plex_url, loaded.plex_token, loaded.plex_source) == (plex.url, TOKEN, "file")


def test_an_unknown_music_library_is_refused(
    unconfigured: AppServer, plex: PlexSimulator, app_settings: Settings
) -> None:
    body = {**credentials(plex), "music_libraries": ["Podcasts"]}
    response = unconfigured.http.post("/api/setup", json=body)
    assert response.status_code == 400
    assert response.json()["error"] == (
        "music_libraries: this server has no music library called “Podcasts”."
    )
    assert not app_settings.settings_path.exists()


def test_a_server_set_by_the_environment_cannot_be_changed_here(
    start_app: StartApp, plex: PlexSimulator, app_settings: Settings
) -> None:
    app = start_app(plex_source="env")
    setup = app.get("/api/setup").json()
    assert (setup["editable"], setup["source"]) == (False, "env")  # the page says where to fix it
    response = app.http.post("/api/setup", json=credentials(plex))
    assert response.status_code == 409
    assert "PLEX_URL and PLEX_TOKEN environment variables" in response.json()["error"]
    assert not app_settings.settings_path.exists()


def test_environment_variables_win_over_the_settings_file(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_bytes(
        orjson.dumps({"plex_url": "http://file:32400", "plex_token": "f", "music_libraries": ["A"]})
    )
    base = {"PLEXCRATE_DATA_DIR": str(tmp_path)}
    from_file = Settings.load(base)
    assert (from_file.plex_url, from_file.music_libraries) == ("http://file:32400", ("A",))
    from_env = Settings.load({**base, "PLEX_URL": "http://env:32400", "PLEX_TOKEN": "e"})
    assert (from_env.plex_url, from_env.plex_token, from_env.plex_source) == (
        "http://env:32400",
        "e",
        "env",
    )
