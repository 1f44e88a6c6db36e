"""Bad settings are messages: a malformed Plex URL, a URL carrying the token, a bad number, from
the environment, the settings file or the setup screen. The setup screen answers 422 naming the
field (never a 500); ``plexcrate serve`` stops before listening with one line naming the
variable (never a traceback, never "running at" first). A token found in a URL is never echoed.
"""

from __future__ import annotations

import subprocess
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from threading import Thread
from typing import Any

import orjson
import pytest
from conftest import TOKEN, StartApp
from served import PLEXCRATE, clean_environment

from plexcrate.config import ConfigError, Settings
from plexcrate.plex.client import PlexClient
from plexcrate.plex.errors import PlexBadResponse
from plexcrate.simulator import PlexSimulator

PORT = "has a port that is not a number from 1 to 65535"
BAD_URLS: dict[str, tuple[str, str]] = {
    "port not a number": (
        "http://127.0.0.1:abc",
        "has a port that is not a number from 1 to 65535",
    ),
    "port too big": ("http://127.0.0.1:70000", PORT),
    "port zero": ("http://127.0.0.1:0", PORT),
    "empty host label": ("http://a..b:32400", "must name its host as an IP address or a host name"),
    "newline in host": ("http://nas\nevil:32400", "must be one address, without spaces or control"),
    "NUL in host": ("http://nas\x00:32400", "must be one address, without spaces or control"),
    "space in host": ("http://my nas:32400", "must be one address, without spaces or control"),
    "open bracket": ("http://[::1:32400", "has unmatched brackets"),
    "no scheme": ("nas.local:32400", "must be an http:// or https:// address"),
}
TOKEN_URLS = [
    f"http://127.0.0.1:32400/?X-Plex-Token={TOKEN}",
    f"http://127.0.0.1:32400/library/sections?x-plex-token={TOKEN}&type=10",
    f"http://plex:{TOKEN}@127.0.0.1:32400",
]


@pytest.mark.parametrize("case", BAD_URLS)
def test_a_malformed_url_on_the_setup_screen_is_a_422_naming_the_field(
    start_app: StartApp, case: str
) -> None:
    url, problem = BAD_URLS[case]
    app = start_app(plex_url=None, plex_token=None)
    for path in ("/api/setup/check", "/api/setup"):
        response = app.http.post(path, json={"plex_url": url, "plex_token": "t"})
        assert response.status_code == 422, response.text
        assert response.json()["error"].startswith(f"plex_url: {problem}")


@pytest.mark.parametrize("case", BAD_URLS)
def test_a_malformed_url_in_the_environment_names_the_variable(case: str) -> None:
    url, problem = BAD_URLS[case]
    with pytest.raises(ConfigError) as error:
        Settings.from_env({"PLEX_URL": url, "PLEX_TOKEN": "t"})
    assert str(error.value).startswith(f"PLEX_URL {problem}")
    assert url.strip() not in str(error.value)


@pytest.mark.parametrize("url", TOKEN_URLS)
def test_a_url_carrying_the_token_is_refused_everywhere_without_echoing_it(
    start_app: StartApp, tmp_path: Path, url: str
) -> None:
    with pytest.raises(ConfigError) as from_env:
        Settings.from_env({"PLEX_URL": url, "PLEX_TOKEN": "t"})
    assert str(from_env.value).startswith("PLEX_URL must be just the server's address")
    (tmp_path / "settings.json").write_bytes(
        orjson.dumps({"plex_url": url, "plex_token": "t", "music_libraries": []})
    )
    with pytest.raises(ConfigError) as from_file:
        Settings.load({"PLEXCRATE_DATA_DIR": str(tmp_path)})
    assert "plex_url must be just the server's address" in str(from_file.value)
    app = start_app(plex_url=None, plex_token=None, data_dir=tmp_path / "app")
    response = app.http.post("/api/setup", json={"plex_url": url, "plex_token": "t"})
    assert response.status_code == 422
    for text in (str(from_env.value), str(from_file.value), response.text):
        assert TOKEN not in text


NUMBERS = {
    "PLEXCRATE_PLEX_TIMEOUT": ["abc", "0", "-1", "inf", "nan", "1e9", ""],
    "PLEXCRATE_PROBE_INTERVAL": ["soon", "0", "3601"],
    "PLEXCRATE_STALE_AFTER_HOURS": ["-5", "1e6"],
    "PLEXCRATE_SYNC_TIME_BASE": ["forever", "0"],
    "PLEXCRATE_SYNC_TIME_PER_1000_TRACKS": ["-1", "inf"],
}


@pytest.mark.parametrize(
    ("name", "value"), [(name, value) for name, values in NUMBERS.items() for value in values]
)
def test_a_bad_number_names_the_variable(name: str, value: str) -> None:
    if not value:  # empty is unset: the default
        assert Settings.from_env({name: value}) == Settings()
        return
    with pytest.raises(ConfigError, match=rf"^{name} must be a number of (seconds|hours)"):
        Settings.from_env({name: value})


def serve(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    settings = {"PLEXCRATE_DATA_DIR": str(tmp_path), "PLEX_TOKEN": TOKEN, **env}
    return subprocess.run(
        [str(PLEXCRATE), "serve", "--port", "0"],
        env=clean_environment(**settings),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "line"),
    [
        (
            {"PLEX_URL": "http://127.0.0.1:abc"},
            "Error: PLEX_URL has a port that is not a number from 1 to 65535.",
        ),
        (
            {"PLEX_URL": f"http://127.0.0.1:32400/?X-Plex-Token={TOKEN}"},
            "Error: PLEX_URL must be just the server's address, like http://192.168.1.10:32400: "
            "this one carries a Plex token (X-Plex-Token) or a password, which goes with the "
            "token, separately.",
        ),
        (
            {"PLEX_URL": "http://127.0.0.1:32400", "PLEXCRATE_PLEX_TIMEOUT": "soon"},
            "Error: PLEXCRATE_PLEX_TIMEOUT must be a number of seconds, not 'soon'.",
        ),
    ],
    ids=["bad port", "token in the URL", "bad number"],
)
def test_serve_stops_with_one_line_naming_the_setting(
    tmp_path: Path, env: dict[str, str], line: str
) -> None:
    done = serve(tmp_path, **env)
    assert done.returncode == 1
    assert done.stderr.strip() == line
    assert "running at" not in done.stdout
    assert "Traceback" not in done.stderr and TOKEN not in done.stdout + done.stderr


def test_a_token_in_a_redirect_is_not_repeated(plex: PlexSimulator) -> None:
    """A server redirecting to an address with a token in it (its own, or ours): the message
    names the address without it."""

    class Redirect(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", f"{plex.url}/?X-Plex-Token={TOKEN}&a=1")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Redirect)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        with (
            PlexClient(url, "t", timeout=2, retries=0) as client,
            pytest.raises(PlexBadResponse) as error,
        ):
            client.identity()
    finally:
        server.shutdown()
        server.server_close()
    assert f"redirected to {plex.url}/?X-Plex-Token=[token]&a=1" in str(error.value)
    assert TOKEN not in str(error.value)
