"""Secure connections (issue 21 point 2), against the simulator serving https with a certificate
from a local authority (trustme), named like Plex's: ``*.<hash>.plex.direct`` only.

Real servers (real-plex.md, "Connections, sign-in and accounts"): such a certificate fails at
``https://<LAN IP>:32400``; "Secure connections: Required" closes plain http without an answer;
the address that works is ``https://<ip-with-dashes>.<hash>.plex.direct:32400``, which plexcrate
reaches without DNS (the name carries its IP). Verification is never turned off.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from conftest import TOKEN, StartApp

from plexcrate.plex.client import PlexClient
from plexcrate.plex.errors import PlexInsecure
from plexcrate.simulator import PlexSimulator, SimLibrary

HASH = "0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def trusted(authority: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """This computer trusts the local authority (as it trusts Plex's certificates' one)."""
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))


def server_context(authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(f"*.{HASH}.plex.direct").configure_cert(context)
    return context


@pytest.fixture
def secure_plex(sim_library: SimLibrary, authority: trustme.CA) -> Iterator[PlexSimulator]:
    with PlexSimulator(sim_library, token=TOKEN, tls=server_context(authority)) as simulator:
        yield simulator


@pytest.fixture
def secure_only(sim_library: SimLibrary, authority: trustme.CA) -> Iterator[PlexSimulator]:
    context = server_context(authority)
    with PlexSimulator(sim_library, token=TOKEN, tls=context, secure_required=True) as simulator:
        yield simulator


def plex_direct(simulator: PlexSimulator) -> str:
    return f"https://127-0-0-1.{HASH}.plex.direct:{simulator.bound_port}"


def test_a_plex_direct_address_is_reached_at_its_ip_and_verified_by_its_name(
    trusted: None, secure_plex: PlexSimulator, sim_library: SimLibrary
) -> None:
    # No DNS knows this name: the client connects to the IP it carries.
    with PlexClient(plex_direct(secure_plex), TOKEN, retries=0) as client:
        assert client.identity().machine_identifier == sim_library.machine_identifier
    # The same port still answers plain http (secure connections preferred, not required).
    with PlexClient(secure_plex.url, TOKEN, retries=0) as client:
        assert client.identity().machine_identifier == sim_library.machine_identifier


def test_the_certificate_met_at_an_ip_gives_the_plex_direct_address(
    trusted: None, secure_plex: PlexSimulator
) -> None:
    url = f"https://127.0.0.1:{secure_plex.bound_port}"
    with PlexClient(url, TOKEN, retries=0) as client, pytest.raises(PlexInsecure) as failure:
        client.identity()
    assert failure.value.suggested_url == plex_direct(secure_plex)
    assert failure.value.message == (
        f"The certificate of the Plex server at {url} is Plex's own, for its plex.direct "
        f"address, not for this one: use {plex_direct(secure_plex)} (the same server, by the "
        "name its certificate carries)."
    )


def test_a_server_that_drops_plain_http_says_it_requires_secure_connections(
    trusted: None, secure_only: PlexSimulator
) -> None:
    with (
        PlexClient(secure_only.url, TOKEN, retries=0) as client,
        pytest.raises(PlexInsecure) as failure,
    ):
        client.identity()
    assert failure.value.suggested_url == plex_direct(secure_only)
    assert failure.value.message == (
        f"The Plex server at {secure_only.url} requires secure connections: it closed the "
        f"plain-http connection without an answer. Enter {plex_direct(secure_only)} instead "
        "(or sign in with Plex)."
    )
    with PlexClient(plex_direct(secure_only), TOKEN, retries=0) as client:
        assert client.identity().machine_identifier


def test_an_untrusted_certificate_is_refused_never_waved_through(
    secure_plex: PlexSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with (
        PlexClient(plex_direct(secure_plex), TOKEN, retries=0) as client,
        pytest.raises(PlexInsecure, match="an authority this computer does not trust"),
    ):
        client.identity()
    assert not any(r.path == "/" for r in secure_plex.requests)  # the token never went


def test_the_setup_screen_is_offered_the_address_that_works(
    trusted: None, secure_only: PlexSimulator, start_app: StartApp
) -> None:
    app = start_app(plex_url=None, plex_token=None)
    for url in (secure_only.url, f"https://127.0.0.1:{secure_only.bound_port}"):
        response = app.http.post("/api/setup/check", json={"plex_url": url, "plex_token": TOKEN})
        assert response.status_code == 400
        assert response.json()["suggested_url"] == plex_direct(secure_only)
    good = {"plex_url": plex_direct(secure_only), "plex_token": TOKEN}
    assert app.http.post("/api/setup/check", json=good).status_code == 200
