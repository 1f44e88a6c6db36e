"""Property-based requests from the OpenAPI document (schemathesis): whatever the document allows,
and a good deal it doesn't, the app answers without a server error, and every answer conforms to
the document (status codes, content types, bodies)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from conftest import TOKEN
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from web_harness import AppServer, synced_app

from plexcrate.simulator import SimLibrary

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
    # Not POST /api/setup/check or /api/setup: their generated URLs would make the app connect
    # to arbitrary hosts, and this machine may only talk to loopback.
]


@pytest.fixture(scope="module")
def fuzzed_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    lib = SimLibrary.generate(tracks=300, seed=5)
    with synced_app(lib, tmp_path_factory.mktemp("fuzz"), TOKEN) as server:
        yield server


@pytest.fixture(scope="module")
def api_schema(fuzzed_app: AppServer) -> schemathesis.BaseSchema:
    # Driven by hand rather than through schemathesis' pytest plugin, whose lazy fixtures
    # don't work with pytest 9.
    return schemathesis.openapi.from_url(f"{fuzzed_app.url}/openapi.json")


@pytest.mark.parametrize(("operation", "mode"), CASES)
def test_the_api_honours_its_openapi_document(
    api_schema: schemathesis.BaseSchema,
    fuzzed_app: AppServer,
    operation: str,
    mode: GenerationMode,
) -> None:
    method, path = operation.split(" ")
    cases = api_schema[path][method].as_strategy(generation_mode=mode)

    @given(case=cases)
    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
        # No "explain" phase: it traces every line the client runs, and encoding a huge
        # generated query string under that tracer can take minutes on a busy machine.
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    )
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(base_url=fuzzed_app.url)

    check()
