"""Security of the web app, over loopback against the simulator: response headers, the
Host/Origin/JSON checks on requests, the optional password, and the Plex token staying put.

Each attack is tried for real (a request as a hostile page's browser would send it), and each
test also checks that nothing happened: no sync started, no playlist saved, no setting written.
"""

from __future__ import annotations

import base64
import logging
import os
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from conftest import TOKEN, StartApp
from web_harness import PROBE_INTERVAL, AppServer, closed_port, fill_cache, response_to_a_bug

from plexcrate import cli
from plexcrate.config import ConfigError, Settings, save_plex_settings
from plexcrate.simulator import PlexSimulator, SimLibrary
from plexcrate.simulator.plextv import PlexTvSimulator, connection
from plexcrate.web import server as web_server
from plexcrate.web.app import STATIC_DIR, create_app
from plexcrate.web.security import (
    CONTENT_SECURITY_POLICY,
    _same_origin,
    exposure_warning,
    is_loopback,
)
from plexcrate.web.server import bind

EXPECTED_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}
EVIL = "http://evil.example"
JSON = {"Content-Type": "application/json"}


def assert_secure_headers(response: httpx.Response) -> None:
    for name, value in EXPECTED_HEADERS.items():
        assert response.headers.get(name) == value, f"{name} on {response.request.url}"
    assert "access-control-allow-origin" not in response.headers  # no CORS, ever


def sync_requests(plex: PlexSimulator) -> int:
    return sum(1 for record in plex.requests if record.path == "/library/sections")


@dataclass
class Shared:
    """One app for the tests that only send requests it must refuse (or harmless ones)."""

    app: AppServer
    plex: PlexSimulator
    lib: SimLibrary
    data_dir: Path

    def assert_nothing_changed(self, syncs_before: int) -> None:
        assert sync_requests(self.plex) == syncs_before
        assert not self.app.status()["is_syncing"]
        assert not self.lib.playlists
        assert not (self.data_dir / "settings.json").exists()


def module_app(data_dir: Path, **overrides: Any) -> Iterator[Shared]:
    lib = SimLibrary.generate(tracks=120, seed=8)
    with PlexSimulator(lib, token=TOKEN, strict=True) as plex:
        fill_cache(data_dir / "library_cache.db", plex.url, TOKEN)
        settings = Settings(plex_url=plex.url, plex_token=TOKEN, data_dir=data_dir, **overrides)
        app = AppServer(create_app(settings, probe_interval=PROBE_INTERVAL)).start()
        try:
            yield Shared(app, plex, lib, data_dir)
        finally:
            app.stop()
        assert not any(TOKEN.encode() in body for body in app.bodies)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shared]:
    yield from module_app(tmp_path_factory.mktemp("security"))


@pytest.fixture
def app(shared: Shared) -> AppServer:
    return shared.app


# --- headers ----------------------------------------------------------------------------------


def test_the_policy_allows_no_inline_script_and_no_framing() -> None:
    directives = dict(part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


def test_every_kind_of_response_carries_the_security_headers(
    app: AppServer, locked: AppServer
) -> None:
    responses = [
        app.get("/"),
        app.get("/index.html"),
        app.get("/favicon.svg"),
        app.get("/css/app.css"),
        app.get("/js/api.js"),
        app.get("/api/library/status"),
        app.get("/api/tracks", limit=0),  # 422
        app.get("/api/nothing-here"),  # 404
        app.get("/no-such-page"),  # 404 from the static files
        app.get("/openapi.json"),
        app.http.post("/api/library/sync", content=b"x"),  # 415
        app.http.get("/api/tracks", headers={"Host": "evil.example"}),  # 403
        app.http.post("/api/library/sync", json={}, headers={"Origin": EVIL}),  # 403
        app.http.request("DELETE", "/api/tracks", json={}),  # 405
    ]
    assert {r.status_code for r in responses} >= {200, 403, 404, 405, 415, 422}
    for response in responses:
        assert_secure_headers(response)
    refused = locked.get("/")
    assert refused.status_code == 401
    assert_secure_headers(refused)


def test_even_the_500_of_a_bug_carries_the_security_headers(tmp_path: Path) -> None:
    response = response_to_a_bug(tmp_path)
    assert response.status_code == 500 and response.json() == {"error": "Internal error"}
    assert_secure_headers(response)


class _PageAudit(HTMLParser):
    """What in a page the policy would block: inline scripts, styles and event handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.problems.append("an inline <script>")
        if tag == "style":
            self.problems.append("a <style> element")
        if "style" in names:
            self.problems.append(f"a style attribute on <{tag}>")
        self.problems += [f"{name} on <{tag}>" for name in names if name.startswith("on")]
        if tag == "a" and any((v or "").startswith("javascript:") for _, v in attrs):
            self.problems.append("a javascript: link")


@pytest.mark.parametrize("page", sorted(p.name for p in STATIC_DIR.glob("*.html")))
def test_the_pages_have_nothing_the_policy_would_block(page: str) -> None:
    audit = _PageAudit()
    audit.feed((STATIC_DIR / page).read_text())
    assert audit.problems == []


def test_the_swagger_pages_are_off_and_the_document_states_the_refusals(app: AppServer) -> None:
    assert app.get("/docs").status_code == 404 and app.get("/redoc").status_code == 404
    document = app.get("/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "403" in responses
            assert ("401" in responses) == (path != "/api/health")
            if method == "post":
                assert "415" in responses
                assert operation["requestBody"]["required"] is True


# --- DNS rebinding: the Host header -----------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    ["evil.example", "evil.example:{port}", "nas.local:{port}", "localhost.evil.example", "a:b:c"],
)
def test_a_name_the_app_does_not_answer_to_is_refused(shared: Shared, host: str) -> None:
    app, syncs = shared.app, sync_requests(shared.plex)
    port = app.url.rsplit(":", 1)[1]
    for method, path in [("GET", "/"), ("GET", "/api/tracks"), ("POST", "/api/library/sync")]:
        response = app.http.request(
            method,
            path,
            json={} if method == "POST" else None,
            headers={"Host": host.format(port=port)},
        )
        assert response.status_code == 403, (method, path)
        assert "PLEXCRATE_ALLOWED_HOSTS" in response.json()["error"]
    shared.assert_nothing_changed(syncs)


@pytest.mark.parametrize(
    "host",
    [
        "localhost:{port}",
        "LOCALHOST:{port}",
        "127.0.0.1:{port}",
        "[::1]:{port}",
        "192.168.1.10:5765",
        "localhost",
    ],
)
def test_addresses_and_localhost_are_always_answered(app: AppServer, host: str) -> None:
    port = app.url.rsplit(":", 1)[1]
    response = app.http.get("/api/library/status", headers={"Host": host.format(port=port)})
    assert response.status_code == 200


def test_names_in_allowed_hosts_are_answered(start_app: StartApp) -> None:
    app = start_app(allowed_hosts=("nas.local", "music.example.com"))
    for host in ["nas.local", "NAS.local:5765", "music.example.com.", "10.0.0.2"]:
        assert app.http.get("/api/health", headers={"Host": host}).status_code == 200, host
    assert app.http.get("/api/health", headers={"Host": "other.local"}).status_code == 403
    anything = start_app(allowed_hosts=("*",))
    assert anything.http.get("/api/health", headers={"Host": "whatever.example"}).status_code == 200


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("nas.local", ("nas.local",)),
        (" NAS.local:5765 , music.example.com ", ("nas.local", "music.example.com")),
        ("*", ("*",)),
        ("[::1], 192.168.1.10", ("192.168.1.10",)),
    ],
)
def test_allowed_hosts_are_read_from_the_environment(value: str, expected: tuple) -> None:
    assert Settings.from_env({"PLEXCRATE_ALLOWED_HOSTS": value}).allowed_hosts == expected


@pytest.mark.parametrize("value", ["http://nas.local", "nas local", "nas.local/music"])
def test_a_url_in_allowed_hosts_is_explained(value: str) -> None:
    with pytest.raises(ConfigError, match="PLEXCRATE_ALLOWED_HOSTS lists host names"):
        Settings.from_env({"PLEXCRATE_ALLOWED_HOSTS": value})


# --- cross-site requests: Origin, Referer and JSON ----------------------------------------------

# Every state-changing endpoint, with a body it would accept.
CHANGES = {
    "sync": ("/api/library/sync", {}),
    "preview": ("/api/playlists/preview", {"count": 1}),
    "save playlist": ("/api/playlists", {"title": "Pwned", "rating_keys": [1]}),
    "check server": ("/api/setup/check", {"plex_url": "http://127.0.0.1:9", "plex_token": "t"}),
    "change server": ("/api/setup", {"plex_url": "http://127.0.0.1:9", "plex_token": "t"}),
}


@pytest.mark.parametrize("endpoint", CHANGES)
@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": EVIL},
        {"Origin": "null"},  # a sandboxed frame or a data: page
        {"Origin": "http://127.0.0.1:1"},  # this machine, another port: another origin
        {"Origin": "https://localhost.evil.example"},
        {"Referer": f"{EVIL}/page.html"},  # no Origin: the Referer's origin decides
    ],
    ids=["other site", "null", "other port", "look-alike", "referer"],
)
def test_a_change_from_another_origin_is_refused_and_does_nothing(
    shared: Shared, endpoint: str, headers: dict[str, str]
) -> None:
    path, body = CHANGES[endpoint]
    syncs = sync_requests(shared.plex)
    response = shared.app.http.post(path, json=body, headers=headers)
    assert response.status_code == 403
    assert response.json()["error"].startswith("Refused: this request came from another web site")
    shared.assert_nothing_changed(syncs)


@pytest.mark.parametrize("endpoint", CHANGES)
@pytest.mark.parametrize(
    "content_type",
    [None, "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain"],
    ids=["none", "form", "multipart", "text"],
)
def test_a_change_must_be_sent_as_json(
    shared: Shared, endpoint: str, content_type: str | None
) -> None:
    """What an HTML form on another site can send without a preflight: refused as 415, even
    from a browser that sent no Origin."""
    path, _ = CHANGES[endpoint]
    syncs = sync_requests(shared.plex)
    headers = {"Content-Type": content_type} if content_type else {}
    body = b"count=1" if content_type else b""
    response = shared.app.http.post(path, content=body, headers=headers)
    assert response.status_code == 415
    assert response.json() == {
        "error": "Send this request with Content-Type: application/json and a JSON body "
        "(at least {})."
    }
    shared.assert_nothing_changed(syncs)


def test_the_app_s_own_pages_and_programs_may_make_changes(app: AppServer) -> None:
    own, port = app.url, app.url.rsplit(":", 1)[1]
    for headers in [
        {"Origin": own},  # the UI, as a browser sends it
        {"Origin": f"http://localhost:{port}", "Host": f"localhost:{port}"},  # by name
        {"Referer": f"{own}/?genre=Rock"},  # an older browser: no Origin, a Referer
        {},  # curl or a script: neither
        {"Content-Type": "application/json; charset=utf-8"},
    ]:
        response = app.http.post("/api/playlists/preview", json={"count": 1}, headers=headers)
        assert response.status_code == 200, (headers, response.text)
    assert app.sync().status_code == 200
    app.wait_for_sync_to_end()


@pytest.mark.parametrize(
    ("origin", "host", "scheme", "same"),
    [
        ("http://127.0.0.1:5765", "127.0.0.1:5765", "http", True),
        ("http://LOCALHOST:5765", "localhost:5765", "http", True),
        ("http://[::1]:5765", "[::1]:5765", "http", True),
        ("http://localhost:80", "localhost", "http", True),  # default ports
        ("https://music.example.com", "music.example.com", "http", True),  # TLS proxy in front
        ("https://music.example.com:443", "music.example.com", "https", True),
        ("http://localhost:8080", "localhost:5765", "http", False),
        ("http://evil.example", "localhost:5765", "http", False),
        ("http://music.example.com.evil.example", "music.example.com", "http", False),
        ("null", "localhost:5765", "http", False),
        ("http://localhost:5765", None, "http", False),
    ],
)
def test_what_counts_as_the_same_origin(
    origin: str, host: str | None, scheme: str, same: bool
) -> None:
    assert _same_origin(origin, host, scheme) is same


# --- the password -----------------------------------------------------------------------------

PASSWORD = "correct hörse battery"


def basic(user: str, password: str) -> dict[str, str]:
    encoded = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


@pytest.fixture(scope="module")
def locked_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shared]:
    yield from module_app(tmp_path_factory.mktemp("locked"), password=PASSWORD)


@pytest.fixture
def locked(locked_app: Shared) -> AppServer:
    return locked_app.app


def test_with_a_password_nothing_but_health_answers_without_it(locked_app: Shared) -> None:
    locked, plex = locked_app.app, locked_app.plex
    runs = sync_requests(plex)
    for method, path in [
        ("GET", "/"),
        ("GET", "/js/api.js"),
        ("GET", "/api/tracks"),
        ("GET", "/api/library/status"),
        ("GET", "/api/setup"),
        ("GET", "/openapi.json"),
        ("POST", "/api/library/sync"),
    ]:
        response = locked.http.request(method, path, json={} if method == "POST" else None)
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"] == 'Basic realm="plexcrate", charset="UTF-8"'
        assert response.json() == {
            "error": "This plexcrate is protected by a password: sign in with PLEXCRATE_PASSWORD."
        }
    assert sync_requests(plex) == runs
    assert locked.get("/api/health").json()["status"] == "ok"


@pytest.mark.parametrize(
    "authorization",
    [
        basic("admin", "wrong"),
        basic("admin", PASSWORD + " "),
        basic("admin", PASSWORD[:-1]),
        {"Authorization": "Basic not-base64!"},
        {"Authorization": "Basic " + base64.b64encode(PASSWORD.encode()).decode()},  # no colon
        {"Authorization": "Bearer c2VjcmV0"},
        {"Authorization": ""},
    ],
    ids=["wrong", "trailing space", "prefix", "garbage", "no colon", "bearer", "empty"],
)
def test_a_wrong_password_is_refused(locked: AppServer, authorization: dict[str, str]) -> None:
    response = locked.http.get("/api/tracks", headers=authorization)
    assert response.status_code == 401


@pytest.mark.parametrize("user", ["", "admin", "anything at all"])
def test_the_right_password_opens_everything_whatever_the_user_name(
    locked: AppServer, user: str
) -> None:
    auth = basic(user, PASSWORD)
    assert locked.http.get("/", headers=auth).status_code == 200
    assert locked.http.get("/api/tracks", headers=auth).json()["total"] > 0
    response = locked.http.post("/api/playlists/preview", json={"count": 2}, headers=auth)
    assert response.status_code == 200 and len(response.json()["tracks"]) == 2


def test_the_password_never_reaches_a_log_or_an_answer(
    locked: AppServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    locked.http.get("/api/tracks", headers=basic("u", PASSWORD))
    locked.http.get("/api/tracks", headers=basic("u", "wrong"))
    assert PASSWORD not in caplog.text
    assert not any(PASSWORD.encode() in body for body in locked.bodies)
    assert PASSWORD not in repr(Settings(password=PASSWORD, plex_token=TOKEN))
    assert TOKEN not in repr(Settings(password=PASSWORD, plex_token=TOKEN))


def test_the_password_is_read_from_the_environment() -> None:
    assert Settings.from_env({"PLEXCRATE_PASSWORD": " s3cret "}).password == "s3cret"
    assert Settings.from_env({"PLEXCRATE_PASSWORD": ""}).password is None


# --- listening beyond this machine ------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.0.1.1", True), ("::1", True), ("localhost", True),
     ("0.0.0.0", False), ("::", False), ("192.168.1.10", False), ("nas.local", False)],
)  # fmt: skip
def test_which_addresses_keep_the_app_to_this_machine(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
    warning = exposure_warning(host, Settings())
    assert (warning is None) is loopback
    assert exposure_warning(host, Settings(password="x")) is None


@pytest.mark.parametrize(
    ("host", "password", "warned"),
    [("127.0.0.1", None, False), ("0.0.0.0", None, True), ("0.0.0.0", "x", False)],
)
def test_serve_warns_when_it_listens_beyond_this_machine_without_a_password(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, host: str, password: str | None, warned: bool
) -> None:
    # The socket is bound on loopback whatever --host says: this test must not listen outside.
    monkeypatch.setattr(web_server, "bind", lambda _host, _port: bind("127.0.0.1", 0))
    monkeypatch.setattr(web_server, "run", lambda app, sock: sock.close())
    env = {"PLEXCRATE_DATA_DIR": str(tmp_path), "PLEXCRATE_PASSWORD": password}
    result = CliRunner().invoke(cli.main, ["serve", "--host", host, "--port", "0"], env=env)
    assert result.exit_code == 0, result.output
    assert ("Set PLEXCRATE_PASSWORD" in result.stderr) is warned
    if warned:
        assert "Warning: plexcrate listens on 0.0.0.0, so other machines can reach it" in (
            result.stderr
        )


# --- the Plex token ---------------------------------------------------------------------------


def test_the_settings_file_is_readable_by_its_owner_only_even_when_it_was_not(
    tmp_path: Path,
) -> None:
    path = tmp_path / "settings.json"
    path.write_text("{}")
    os.chmod(path, 0o644)
    old_umask = os.umask(0)
    try:
        save_plex_settings(Settings(data_dir=tmp_path), "http://nas:32400", TOKEN, [])
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not list(tmp_path.glob(".settings-*"))  # no temporary file left behind


@pytest.fixture(scope="module")
def unconfigured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("unconfigured"))
    app = AppServer(create_app(settings, probe_interval=PROBE_INTERVAL)).start()
    yield app
    app.stop()
    assert not any(TOKEN.encode() in body for body in app.bodies)


@pytest.mark.parametrize(
    "token",
    [f"{TOKEN}\n", f"abc\n{TOKEN}", f"{TOKEN}\r\nX-Evil: 1", f"{TOKEN} x", f"tök{TOKEN}"],
    ids=["trailing newline", "newline", "header injection", "space", "non-ascii"],
)
def test_a_token_no_header_can_carry_is_refused_without_quoting_it(
    unconfigured: AppServer, plex: PlexSimulator, token: str
) -> None:
    app = unconfigured
    for path in ("/api/setup/check", "/api/setup"):
        response = app.http.post(path, json={"plex_url": plex.url, "plex_token": token})
        assert response.status_code == 422
        assert response.json() == {
            "error": "plex_token: must be the token as Plex shows it: letters, digits and "
            "punctuation, no spaces"
        }
    assert len(plex.requests) == 0
    with pytest.raises(ConfigError, match="PLEX_TOKEN must be the token as Plex shows it") as e:
        Settings.from_env({"PLEX_URL": plex.url, "PLEX_TOKEN": token + "x"})
    assert TOKEN not in str(e.value)


def test_the_client_never_quotes_the_token_in_an_error(plex: PlexSimulator) -> None:
    """The last line of defence, should a bad token get past the settings."""
    from plexcrate.plex.client import PlexClient
    from plexcrate.plex.errors import PlexError

    bad = f"abc\n{TOKEN}"
    with PlexClient(plex.url, bad, timeout=2, retries=0) as client, pytest.raises(PlexError) as e:
        client.identity()
    assert TOKEN not in str(e.value)
    assert "the Plex token has characters no token has" in str(e.value)


def test_a_url_carrying_the_token_is_refused_without_quoting_it(
    unconfigured: AppServer, plex: PlexSimulator
) -> None:
    app = unconfigured
    for url in [f"{plex.url}/?X-Plex-Token={TOKEN}", f"http://user:{TOKEN}@127.0.0.1:32400"]:
        response = app.http.post("/api/setup/check", json={"plex_url": url, "plex_token": "t"})
        assert response.status_code == 422
        assert TOKEN not in response.text
    assert len(plex.requests) == 0


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "file:///etc/passwd", "ftp://127.0.0.1:21", "//127.0.0.1:1"]
)
def test_only_http_and_https_servers_are_checked(unconfigured: AppServer, url: str) -> None:
    app = unconfigured
    response = app.http.post("/api/setup/check", json={"plex_url": url, "plex_token": "t"})
    assert response.status_code == 422
    assert "plex_url: must be an http:// or https:// address" in response.json()["error"]


@pytest.fixture
def redirector(plex: PlexSimulator) -> Iterator[tuple[str, list[int]]]:
    """A server on another port redirecting every request to the simulator, with each of the
    redirect statuses in turn."""
    statuses = [301, 302, 303, 307, 308]
    served: list[int] = []

    class Redirect(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status = statuses[len(served) % len(statuses)]
            served.append(status)
            self.send_response(status)
            self.send_header("Location", plex.url + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", served
    server.shutdown()
    server.server_close()


def test_no_redirect_carries_the_token_elsewhere(
    start_app: StartApp, plex: PlexSimulator, redirector: tuple[str, list[int]]
) -> None:
    url, served = redirector
    setup = start_app(plex_url=None, plex_token=None)
    for _ in range(5):  # each redirect status once
        response = setup.http.post("/api/setup/check", json={"plex_url": url, "plex_token": TOKEN})
        assert response.status_code == 400
        assert f"redirected to {plex.url}/" in response.json()["error"]
    assert sorted(set(served)) == [301, 302, 303, 307, 308]
    # A configured server that redirects: the sync and the probe don't follow either.
    app = start_app(plex_url=url)
    assert app.sync().status_code == 200
    assert "redirected to" in app.wait_for_sync_to_end()["error"]
    assert len(plex.requests) == 0


def test_the_token_is_not_in_what_a_plex_failure_shows(start_app: StartApp) -> None:
    app = start_app(plex_url=f"http://127.0.0.1:{closed_port()}")
    assert app.sync().status_code == 200
    status = app.wait_for_sync_to_end()
    assert status["error"].startswith("Cannot reach Plex at")
    assert TOKEN not in status["error"] and TOKEN not in app.get("/api/setup").text


def test_the_token_never_appears_in_the_pages_or_the_document(app: AppServer) -> None:
    """The fixture's teardown checks every body; this reads the ones a browser would."""
    for path in ["/", "/index.html", "/openapi.json", "/api/setup", "/api/library/status"]:
        assert TOKEN not in app.get(path).text, path
    for js in sorted((STATIC_DIR / "js").rglob("*.js")):
        assert TOKEN not in app.get("/" + str(js.relative_to(STATIC_DIR))).text


def test_the_account_token_stays_on_the_server(
    start_app: StartApp, plex: PlexSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Signed in with Plex, the account's token joins the server's: in no answer, page, log
    line or repr, and only in the owner-only settings file."""
    account_token = "account-token-do-not-log"
    assert account_token not in repr(Settings(plex_account_token=account_token))
    with PlexTvSimulator() as plextv:
        ann = plextv.add_account("ann", token=account_token)
        plextv.add_server("NAS", plex, owner=ann, connections=[connection(plex.url)])
        app = start_app(plex_url=None, plex_token=None, plex_tv_url=plextv.url)
        pin = app.http.post("/api/setup/sign-in", json={}).json()["pin_id"]
        plextv.sign_in(pin, "ann")
        assert app.get(f"/api/setup/sign-in/{pin}").json()["account"] == "ann"
        body = {"machine_identifier": plex.lib.machine_identifier}
        assert app.http.post("/api/setup", json=body).status_code == 200
        for path in ["/", "/api/setup", "/api/library/status", f"/api/setup/sign-in/{pin}"]:
            assert account_token not in app.get(path).text, path
        assert not any(account_token.encode() in body for body in app.bodies)
        assert account_token not in caplog.text
        path = app.app.state.library.settings.settings_path
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert account_token in path.read_text()  # kept to look the server's addresses up again
