"""Property-based requests from the OpenAPI document (schemathesis): whatever the document allows,
and a good deal it doesn't, the app answers without a server error, and every answer conforms to
the document (status codes, content types, bodies)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from conftest import TOKEN
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance
from web_harness import AppServer, closed_port, synced_app

from plexcrate.plex.client import PlexClient
from plexcrate.simulator import SimLibrary
from plexcrate.web import setup

POSITIVE, NEGATIVE = GenerationMode.POSITIVE, GenerationMode.NEGATIVE
CASES = [
    ("GET /api/tracks", POSITIVE),
    ("GET /api/tracks", NEGATIVE),  # invalid input: each must get a documented 422
    ("GET /api/library/stats", POSITIVE),
    ("GET /api/library/stats", NEGATIVE),
    ("GET /api/library/status", POSITIVE),
    ("POST /api/library/sync", POSITIVE),
    ("POST /api/library/sync", NEGATIVE),
    ("GET /api/health", POSITIVE),
    ("POST /api/playlists/preview", POSITIVE),
    ("POST /api/playlists/preview", NEGATIVE),
    ("POST /api/playlists", NEGATIVE),  # only ever reaches the simulator on loopback
    ("GET /api/setup", POSITIVE),
    # POST /api/setup/check and /api/setup: below, with the app's Plex client pinned to
    # loopback (their generated URLs would make it connect to arbitrary hosts).
]
# A schema-valid server that isn't there is refused (400), which schemathesis' "valid data is
# accepted" check can't know; every other check holds, no 5xx above all.
SETUP_CASES = [
    ("POST /api/setup/check", POSITIVE),
    ("POST /api/setup/check", NEGATIVE),
    ("POST /api/setup", POSITIVE),
    ("POST /api/setup", NEGATIVE),
]


@pytest.fixture(scope="module")
def fuzzed_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    lib = SimLibrary.generate(tracks=300, seed=5)
    with synced_app(lib, tmp_path_factory.mktemp("fuzz"), TOKEN) as server:
        yield server


@pytest.fixture
def plex_pinned_to_loopback(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The setup screen's Plex client, whatever URL it is given, talks to a closed loopback port
    (the app runs in this process); returns the URLs it was given."""
    asked: list[str] = []
    nowhere = f"http://127.0.0.1:{closed_port()}"

    class Pinned(PlexClient):
        def __init__(self, url: str, token: str, **kwargs: Any) -> None:
            asked.append(url)
            super().__init__(nowhere, token, **kwargs)

    monkeypatch.setattr(setup, "PlexClient", Pinned)
    return asked


@pytest.fixture(scope="module")
def api_schema(fuzzed_app: AppServer) -> schemathesis.BaseSchema:
    # Driven by hand rather than through schemathesis' pytest plugin, whose lazy fixtures
    # don't work with pytest 9.
    return schemathesis.openapi.from_url(f"{fuzzed_app.url}/openapi.json")


def fuzz(
    schema: schemathesis.BaseSchema,
    app: AppServer,
    operation: str,
    mode: GenerationMode,
    examples: int,
    **validation: Any,
) -> None:
    """Call ``operation`` with ``examples`` generated cases; each answer must match the document."""
    method, path = operation.split(" ")

    @given(case=schema[path][method].as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
        # No "explain" phase: it traces every line the client runs, and encoding a huge
        # generated query string under that tracer can take minutes on a busy machine.
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    )
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(base_url=app.url, **validation)

    check()


@pytest.mark.parametrize(("operation", "mode"), CASES)
def test_the_api_honours_its_openapi_document(
    api_schema: schemathesis.BaseSchema,
    fuzzed_app: AppServer,
    operation: str,
    mode: GenerationMode,
) -> None:
    fuzz(api_schema, fuzzed_app, operation, mode, examples=60)


@pytest.mark.parametrize(("operation", "mode"), SETUP_CASES)
def test_the_setup_endpoints_honour_the_document_too(
    api_schema: schemathesis.BaseSchema,
    fuzzed_app: AppServer,
    plex_pinned_to_loopback: list[str],
    operation: str,
    mode: GenerationMode,
) -> None:
    fuzz(
        api_schema,
        fuzzed_app,
        operation,
        mode,
        examples=40,
        excluded_checks=[positive_data_acceptance],
    )
    if mode is POSITIVE:
        assert plex_pinned_to_loopback, "no generated server was ever checked"
    assert fuzzed_app.get("/api/setup").json()["plex_url"] != "http://127.0.0.1:1"
