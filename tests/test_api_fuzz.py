"""Requests made from the OpenAPI document: whatever the document allows, and a good deal it
doesn't, the app answers without a server error, and every answer conforms to the document
(status codes, content types, bodies).

Two kinds of invalid input, because they are invalid in different ways:

- JSON bodies have real types, so schemathesis' negative mode (a number where a string belongs,
  a missing field) finds real mistakes there;
- a query string holds only text: ``genre=0.0`` is a good genre name, not "a number instead of a
  string". What can really be wrong in a query string is derived from each parameter's schema
  below (a number out of range or not a number, an unknown choice, too many values, too long),
  each refused with a 422 that names the parameter.

In CI (``CI=true``) hypothesis, and with it schemathesis, is derandomized: see conftest.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
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
    ("GET /api/tracks", POSITIVE),  # invalid query strings: test_an_invalid_query_string_…
    ("GET /api/library/stats", POSITIVE),
    ("GET /api/library/status", POSITIVE),
    ("GET /api/library/facets/{kind}", POSITIVE),
    ("GET /api/filters", POSITIVE),
    ("GET /api/albums", POSITIVE),
    ("GET /api/artists", POSITIVE),
    ("GET /api/albums/{rating_key}", POSITIVE),
    ("GET /api/artists/{rating_key}", POSITIVE),
    ("GET /api/search", POSITIVE),
    ("POST /api/library/sync", POSITIVE),
    ("POST /api/library/sync", NEGATIVE),
    ("GET /api/health", POSITIVE),
    ("POST /api/playlists/preview", POSITIVE),
    ("POST /api/playlists/preview", NEGATIVE),  # invalid JSON bodies: each gets a documented 4xx
    ("POST /api/playlists", NEGATIVE),  # only ever reaches the simulator on loopback
    ("GET /api/setup", POSITIVE),
    ("GET /api/art/{rating_key}", POSITIVE),  # pictures, placeholders (SVG) and 404s
    ("GET /api/playlists/{playlist_id}/art", POSITIVE),
    ("PATCH /api/playlists/{playlist_id}", NEGATIVE),
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
        # No "explain" phase: it traces every line the client runs, and encoding a huge
        # generated query string under that tracer can take minutes on a busy machine.
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    )
    def check(case: schemathesis.Case) -> None:
        # A rule is JSON whose validity no schema of a query string (or of a free-form object)
        # states: generated ones are refused, rightly. tests/test_rules.py covers rules.
        if mode is POSITIVE and case.query:
            case.query.pop("rule", None)
        if mode is POSITIVE and isinstance(case.body, dict):
            case.body.pop("rule", None)
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


# --- invalid query strings ----------------------------------------------------------------------

Schema = dict[str, Any]
Wire = list[str]  # a query parameter's values as sent: one, or several for a repeated parameter


def invalid_values(schema: Schema, components: Schema) -> list[tuple[str, Wire]]:
    """What no query string can make valid under ``schema``: (why, values as sent)."""
    schema = _resolve(schema, components)
    kind = schema.get("type")
    cases: list[tuple[str, Wire]] = []
    if kind == "array":
        item = _resolve(schema["items"], components)
        if "maxItems" in schema:
            cases.append(("too many values", [_valid(item)] * (schema["maxItems"] + 1)))
        return cases + [(f"a value {why}", wire[:1]) for why, wire in invalid_values(item, {})]
    if "enum" in schema:
        cases.append(("not one of the choices", ["surely-not-a-choice"]))
    if kind in ("integer", "number"):
        cases.append(("not a number", ["twelve"]))
        if kind == "integer":
            cases.append(("not a whole number", ["1.5"]))
        if "minimum" in schema:
            cases.append(("below the minimum", [str(schema["minimum"] - 1)]))
        if "maximum" in schema:
            cases.append(("above the maximum", [str(schema["maximum"] + 1)]))
    if kind == "boolean":
        cases.append(("not true or false", ["maybe"]))
    if kind == "string" and "maxLength" in schema:
        cases.append(("too long", ["x" * (schema["maxLength"] + 1)]))
    if kind == "string" and "pattern" in schema:
        misfit = next(v for v in ("x", "1", "") if not re.search(schema["pattern"], v))
        cases.append(("not of the pattern", [misfit]))
    return cases


def _resolve(schema: Schema, components: Schema) -> Schema:
    if "$ref" in schema:
        return components["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    alternatives = [s for s in schema.get("anyOf", ()) if s.get("type") != "null"]
    return _resolve(alternatives[0], components) if len(alternatives) == 1 else schema


def _valid(schema: Schema) -> str:
    examples = schema.get("examples") or schema.get("enum")
    if not examples:
        examples = [schema.get("minimum", 1)] if schema.get("type") == "integer" else ["a"]
    return str(examples[0])


def invalid_query_cases(document: Schema) -> list[tuple[str, str, str, Wire]]:
    """(path, parameter, why, values) for every query parameter of every GET in the document;
    a path's own parameters get a valid value."""
    components = document.get("components", {})
    cases = []
    for template, operations in document["paths"].items():
        parameters = operations.get("get", {}).get("parameters", ())
        path = template
        for parameter in parameters:
            if parameter["in"] == "path":
                valid = _valid(_resolve(parameter["schema"], components))
                path = path.replace("{" + parameter["name"] + "}", valid)
        cases += [
            (path, parameter["name"], why, wire)
            for parameter in parameters
            if parameter["in"] == "query"
            for why, wire in invalid_values(parameter["schema"], components)
        ]
    return cases


def test_an_invalid_query_string_is_refused_with_a_422_that_names_the_parameter(
    fuzzed_app: AppServer,
) -> None:
    document = fuzzed_app.get("/openapi.json").json()
    cases = invalid_query_cases(document)
    assert {(path, name) for path, name, *_ in cases} >= {  # the derivation found them all
        ("/api/tracks", "limit"),
        ("/api/tracks", "seed"),
        ("/api/tracks", "order"),
        ("/api/tracks", "decade"),
        ("/api/library/stats", "genre"),
        ("/api/library/stats", "q"),
        ("/api/art/1", "size"),
    }
    with httpx.Client(base_url=fuzzed_app.url, timeout=30) as http:
        for path, name, why, wire in cases:
            answer = http.get(path, params={name: wire})
            assert answer.status_code == 422, (path, name, why, answer.text)
            assert answer.json()["error"].startswith(f"{name}: "), (path, why, answer.text)
