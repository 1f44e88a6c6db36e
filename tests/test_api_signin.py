"""Sign in with Plex (issue 21 point 1): the PIN flow against the simulated plex.tv, the servers
the account reaches (owned and shared), and the chosen one saved with its own access token,
reached through the best of its addresses. Shapes as plex.tv is recorded answering (pins 201
with ``authToken: null``, 404 once expired; resources with ``accessToken`` and ``connections``)."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest
from conftest import TOKEN, StartApp
from web_harness import AppServer, closed_port

from plexcrate.config import Settings
from plexcrate.plex.client import PlexClient
from plexcrate.plex.errors import PlexAuthError
from plexcrate.simulator import PlexSimulator, SimLibrary
from plexcrate.simulator.plextv import PlexTvSimulator, connection


@pytest.fixture
def plextv(plex: PlexSimulator) -> Iterator[PlexTvSimulator]:
    with PlexTvSimulator() as simulated:
        ann = simulated.add_account("ann", token="ann-account-token-secret")
        bob = simulated.add_account("bob", token="bob-account-token-secret")
        simulated.add_server(
            "Ann's NAS", plex, owner=ann, connections=[connection(plex.url)], shared_with=(bob,)
        )
        yield simulated


@pytest.fixture
def app(
    start_app: StartApp, plextv: PlexTvSimulator, caplog: pytest.LogCaptureFixture
) -> Iterator[AppServer]:
    server = start_app(plex_url=None, plex_token=None, plex_tv_url=plextv.url)
    yield server
    server.stop()
    for account in plextv.accounts.values():  # no account token in any answer or log line
        assert not any(account.token.encode() in body for body in server.bodies)
        assert account.token not in caplog.text


def signed_in(app: AppServer, plextv: PlexTvSimulator, username: str) -> dict:
    started = app.http.post("/api/setup/sign-in", json={}).json()
    plextv.sign_in(started["pin_id"], username)
    state = app.get(f"/api/setup/sign-in/{started['pin_id']}").json()
    assert state["status"] == "signed_in"
    return state


def test_signing_in_lists_the_servers_and_saves_the_chosen_one(
    app: AppServer, plextv: PlexTvSimulator, plex: PlexSimulator, sim_library: SimLibrary,
    app_settings: Settings,
) -> None:  # fmt: skip
    started = app.http.post("/api/setup/sign-in", json={}).json()
    assert set(started) == {"pin_id", "code", "auth_url"}
    pin = plextv.pins[started["pin_id"]]
    assert len(started["code"]) == 25 == len(pin.code)  # strong=true: a long code
    assert started["auth_url"].startswith(f"{plextv.url}/auth#?clientID=plexcrate-")
    assert f"code={pin.code}" in started["auth_url"]

    waiting = app.get(f"/api/setup/sign-in/{started['pin_id']}").json()
    assert waiting == {"status": "waiting", "account": None, "servers": []}

    plextv.sign_in(started["pin_id"], "ann")
    state = app.get(f"/api/setup/sign-in/{started['pin_id']}").json()
    assert state == {
        "status": "signed_in",
        "account": "ann",
        "servers": [
            {
                "machine_identifier": sim_library.machine_identifier,
                "name": "Ann's NAS",
                "owned": True,
                "owner": None,
                "connections": [{"uri": plex.url, "local": True, "relay": False}],
            }
        ],  # the phone plex.tv lists beside it is no server
    }

    saved = app.http.post("/api/setup", json={"machine_identifier": sim_library.machine_identifier})
    assert saved.status_code == 200, saved.text
    file = orjson.loads(app_settings.settings_path.read_bytes())
    assert (file["plex_url"], file["plex_token"]) == (plex.url, TOKEN)
    assert file["plex_account"]["username"] == "ann"
    assert app.get("/api/setup").json()["account"] == "ann"
    assert app.status()["plex_account"] == "ann"
    app.wait_for_status(lambda s: s["plex_connected"], what="the probe")
    assert app.sync().status_code == 200
    assert app.wait_for_sync_to_end()["track_count"] == len(sim_library.tracks)
    loaded = Settings.load({"PLEXCRATE_DATA_DIR": str(app_settings.data_dir)})
    assert (loaded.plex_account, loaded.plex_server_id) == ("ann", sim_library.machine_identifier)


def test_a_shared_server_is_used_with_its_access_token_never_the_account_s(
    app: AppServer, plextv: PlexTvSimulator, plex: PlexSimulator, sim_library: SimLibrary,
    app_settings: Settings,
) -> None:  # fmt: skip
    state = signed_in(app, plextv, "bob")
    [server] = state["servers"]
    assert (server["owned"], server["owner"]) == (False, "ann")
    # The owner's server refuses bob's own plex.tv token, as real servers do.
    with (
        PlexClient(plex.url, plextv.accounts["bob"].token, retries=0) as as_bob,
        pytest.raises(PlexAuthError),
    ):
        as_bob.identity()
    saved = app.http.post("/api/setup", json={"machine_identifier": server["machine_identifier"]})
    assert saved.status_code == 200, saved.text
    file = orjson.loads(app_settings.settings_path.read_bytes())
    assert file["plex_token"] in plex.guest_tokens
    assert file["plex_token"] != plextv.accounts["bob"].token
    assert file["plex_account"]["username"] == "bob"


def test_local_addresses_come_first_and_relays_last(
    start_app: StartApp, plex: PlexSimulator, sim_library: SimLibrary, app_settings: Settings
) -> None:
    other = PlexSimulator(SimLibrary.generate(tracks=10, seed=9), token=TOKEN).start()
    try:
        dead = f"http://127.0.0.1:{closed_port()}"
        via_localhost = plex.url.replace("127.0.0.1", "localhost")
        with PlexTvSimulator() as plextv:
            ann = plextv.add_account("ann")
            plextv.add_server(
                "NAS",
                plex,
                owner=ann,
                connections=[
                    connection(plex.url, local=False, relay=True),
                    connection(via_localhost, local=False),
                    connection(other.url, local=True),  # another server answers there
                    connection(dead, local=True),
                ],
            )
            app = start_app(plex_url=None, plex_token=None, plex_tv_url=plextv.url)
            [server] = signed_in(app, plextv, "ann")["servers"]
            assert [c["uri"] for c in server["connections"]] == [
                other.url, dead, via_localhost, plex.url
            ]  # fmt: skip
            assert [c["relay"] for c in server["connections"]] == [False, False, False, True]
            body = {"machine_identifier": sim_library.machine_identifier}
            assert app.http.post("/api/setup", json=body).status_code == 200
            saved = orjson.loads(app_settings.settings_path.read_bytes())
            assert saved["plex_url"] == via_localhost  # the best that is this server
    finally:
        other.stop()


def test_an_expired_pin_says_so(app: AppServer, plextv: PlexTvSimulator) -> None:
    started = app.http.post("/api/setup/sign-in", json={}).json()
    plextv.expire(started["pin_id"])
    state = app.get(f"/api/setup/sign-in/{started['pin_id']}").json()
    assert state == {"status": "expired", "account": None, "servers": []}


def test_bad_sign_in_requests_are_clear(
    app: AppServer, plextv: PlexTvSimulator, sim_library: SimLibrary
) -> None:
    assert app.get("/api/setup/sign-in/12345").status_code == 404
    assert app.get("/api/setup/sign-in/abc").status_code == 422
    body = {"machine_identifier": sim_library.machine_identifier}
    not_yet = app.http.post("/api/setup", json=body)
    assert (not_yet.status_code, not_yet.json()["error"]) == (
        409,
        "Sign in with Plex first, then choose one of your servers.",
    )
    neither = app.http.post("/api/setup", json={})
    assert neither.status_code == 422
    assert "machine_identifier" in neither.json()["error"]
    signed_in(app, plextv, "ann")
    unknown = app.http.post("/api/setup", json={"machine_identifier": "nope"})
    assert unknown.status_code == 422
    assert "not one of the servers" in unknown.json()["error"]


def test_a_shared_token_the_server_refuses_is_said_plainly(
    app: AppServer, plextv: PlexTvSimulator, plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    signed_in(app, plextv, "bob")
    plex.guest_tokens.clear()  # the owner stopped sharing
    body = {"machine_identifier": sim_library.machine_identifier}
    refused = app.http.post("/api/setup", json=body)
    assert refused.status_code == 400
    assert "refused the access token plex.tv gave for it" in refused.json()["error"]


def test_plex_tv_away_is_a_502_in_plain_words(start_app: StartApp) -> None:
    app = start_app(plex_url=None, plex_token=None, plex_tv_url=f"http://127.0.0.1:{closed_port()}")
    response = app.http.post("/api/setup/sign-in", json={})
    assert response.status_code == 502
    assert response.json()["error"].startswith("Cannot reach plex.tv at http://127.0.0.1:")
