"""The Plex simulator misbehaving on purpose: faults, latency, the admin API and the CLI."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from plexcrate.simulator import Latency, PlexSimulator, RequestRecord, SimLibrary

TOKEN = "simulator-token"
ALL = "/library/sections/1/all"


@pytest.fixture
def sim() -> Iterator[PlexSimulator]:
    with PlexSimulator(SimLibrary.generate(tracks=600, seed=2), token=TOKEN) as simulator:
        yield simulator


@pytest.fixture
def client(sim: PlexSimulator) -> Iterator[httpx.Client]:
    headers = {"X-Plex-Token": TOKEN, "Accept": "application/json"}
    with httpx.Client(base_url=sim.url, headers=headers, timeout=10) as http:
        yield http


def tracks(client: httpx.Client, **params: Any) -> httpx.Response:
    return client.get(ALL, params={"type": 10, "X-Plex-Container-Size": 10, **params})


def max_overlap(records: list[RequestRecord]) -> int:
    """Most requests the server was serving at the same moment, from its own timings."""
    events = sorted(
        [(r.started, 1) for r in records] + [(r.finished, -1) for r in records],
        key=lambda e: (e[0], e[1]),  # an end and a start at the same instant don't overlap
    )
    current = peak = 0
    for _, delta in events:
        current += delta
        peak = max(peak, current)
    return peak


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The exception, its causes, and exceptions wrapped in their args (httpcore does that)."""
    seen: list[BaseException] = [error]
    while seen:
        current = seen.pop()
        yield current
        seen += [a for a in current.args if isinstance(a, BaseException)]
        if current.__cause__ is not None:
            seen.append(current.__cause__)


# ------------------------------------------------------------------------------ faults
def test_status_fault_fires_on_the_nth_match_for_times_requests(
    sim: PlexSimulator, client: httpx.Client
) -> None:
    sim.faults.inject("status", path=ALL, params={"type": "10"}, nth=2, times=2, status=503)
    assert client.get(ALL, params={"type": 9}).status_code == 200, "params don't match: no count"
    statuses = [tracks(client).status_code for _ in range(5)]
    assert statuses == [200, 503, 503, 200, 200]
    assert [r.status for r in sim.requests][-5:] == statuses


def test_fault_counting_starts_at_injection_and_path_none_matches_anything(
    sim: PlexSimulator, client: httpx.Client
) -> None:
    for _ in range(3):
        assert tracks(client).status_code == 200
    sim.faults.inject("status", path=None, params=None, nth=2, times=None, status=500)
    assert client.get("/library/sections").status_code == 200
    assert [client.get(p).status_code for p in ("/", "/library", "/identity")] == [500] * 3
    sim.faults.clear()
    assert client.get("/").status_code == 200


def test_by_default_faults_target_track_pages(sim: PlexSimulator, client: httpx.Client) -> None:
    sim.faults.inject("status", times=None)
    assert client.get("/library/sections").status_code == 200
    assert client.get(ALL, params={"type": 9}).status_code == 200
    assert client.get("/library/sections/2/all", params={"type": 10}).status_code == 200
    assert tracks(client).status_code == 500
    assert tracks(client, **{"X-Plex-Container-Start": 10}).status_code == 500


def test_param_predicates_match_headers_and_query_alike(
    sim: PlexSimulator, client: httpx.Client
) -> None:
    sim.faults.inject("status", path=ALL, params={"X-Plex-Container-Start": 20}, times=2)
    assert tracks(client, **{"X-Plex-Container-Start": 10}).status_code == 200
    bounds = {"X-Plex-Container-Start": "20", "X-Plex-Container-Size": "10"}
    assert client.get(ALL, params={"type": 10}, headers=bounds).status_code == 500
    assert client.get(ALL, params={"type": 10, **bounds}).status_code == 500
    assert client.get(ALL, params={"type": 10, **bounds}).status_code == 200, "times=2 used up"


def test_reset_fault_is_a_connection_reset(sim: PlexSimulator, client: httpx.Client) -> None:
    sim.faults.inject("reset", path=ALL)
    with pytest.raises(httpx.ReadError) as failure:
        tracks(client)
    assert any(isinstance(e, ConnectionResetError) for e in _chain(failure.value)), "an RST"
    assert tracks(client).status_code == 200, "the server keeps serving"
    assert [r.status for r in sim.requests] == [0, 200]


def test_truncate_fault_cuts_the_body_short(sim: PlexSimulator, client: httpx.Client) -> None:
    sim.faults.inject("truncate", path=ALL)
    with pytest.raises(httpx.RemoteProtocolError, match="without sending complete message body"):
        tracks(client)
    assert tracks(client).json()["MediaContainer"]["size"] == 10


def test_hang_fault_never_answers_and_stop_releases_it(sim: PlexSimulator) -> None:
    sim.faults.inject("hang", path=ALL, hang_seconds=60)
    with httpx.Client(base_url=sim.url, headers={"X-Plex-Token": TOKEN}, timeout=0.3) as http:
        with pytest.raises(httpx.ReadTimeout):
            http.get(ALL, params={"type": 10})
        assert http.get("/library/sections").status_code == 200
    started = time.monotonic()
    sim.stop()
    assert time.monotonic() - started < 10, "a hung request must not block stop() for 60 s"


def test_hang_ends_after_its_duration_with_a_closed_connection(sim: PlexSimulator) -> None:
    sim.faults.inject("hang", path=ALL, hang_seconds=0.3)
    http = httpx.Client(base_url=sim.url, headers={"X-Plex-Token": TOKEN}, timeout=10)
    with http, pytest.raises(httpx.RemoteProtocolError, match="disconnected"):
        http.get(ALL, params={"type": 10})


def test_a_released_hang_ends_at_once(sim: PlexSimulator) -> None:
    fault = sim.faults.inject("hang", path=ALL, hang_seconds=60)
    threading.Timer(0.2, fault.release).start()
    started = time.monotonic()
    http = httpx.Client(base_url=sim.url, headers={"X-Plex-Token": TOKEN}, timeout=10)
    with http, pytest.raises(httpx.RemoteProtocolError, match="disconnected"):
        http.get(ALL, params={"type": 10})
    assert time.monotonic() - started < 5


def test_trickle_sends_the_whole_answer_a_few_bytes_at_a_time(
    sim: PlexSimulator, client: httpx.Client
) -> None:
    whole = tracks(client).content
    sim.faults.inject("trickle", path=ALL, trickle_bytes=200, trickle_every=0.01)
    started = time.monotonic()
    with client.stream("GET", ALL, params={"type": 10, "X-Plex-Container-Size": 10}) as response:
        chunks = list(response.iter_raw())
    took = time.monotonic() - started
    assert b"".join(chunks) == whole  # the same answer, every byte of it
    # ...but 200 bytes at a time, each after a pause. (Timed rather than counted: a busy
    # reader gets several pieces in one read, but never sooner.)
    assert took >= (len(whole) // 200 - 1) * 0.01
    with pytest.raises(ValueError, match="trickle_bytes"):
        sim.faults.inject("trickle", trickle_bytes=0)


@pytest.mark.parametrize("accept", ["application/json", "text/xml"])
@pytest.mark.parametrize("total", [5_000_000_000, "abc", 0])
def test_total_claims_any_totalsize(
    sim: PlexSimulator, client: httpx.Client, accept: str, total: Any
) -> None:
    sim.faults.inject("total", path=ALL, total_size=total)
    params = {"type": 10, "X-Plex-Container-Size": 10}
    response = client.get(ALL, params=params, headers={"Accept": accept})
    if accept == "application/json":
        container = response.json()["MediaContainer"]
        assert container["totalSize"] == total and container["size"] == 10
    else:
        assert f'totalSize="{total}"' in response.text and 'size="10"' in response.text
    assert tracks(client).json()["MediaContainer"]["totalSize"] == 600  # once only


def test_swap_puts_another_server_behind_the_address(
    sim: PlexSimulator, client: httpx.Client
) -> None:
    other = SimLibrary.generate(tracks=50, seed=9)
    sim.faults.inject("swap", path="/library/sections", params=None, library=other)
    first = sim.lib.machine_identifier

    def identity() -> str:
        return client.get("/identity").json()["MediaContainer"]["machineIdentifier"]

    assert identity() == first
    client.get("/library/sections")
    assert identity() == other.machine_identifier != first
    assert tracks(client).json()["MediaContainer"]["totalSize"] == 50
    with pytest.raises(ValueError, match="a swap needs the library"):
        sim.faults.inject("swap")


def test_unknown_fault_kind_is_rejected(sim: PlexSimulator) -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        sim.faults.inject("explode")
    with pytest.raises(ValueError):
        sim.faults.inject("status", nth=0)


def page_keys(response: httpx.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [int(item["ratingKey"]) for item in response.json()["MediaContainer"]["Metadata"]]


def test_a_short_page_holds_fewer_items_than_asked_and_says_nothing_of_it(
    sim: PlexSimulator, client: httpx.Client
) -> None:
    whole = page_keys(tracks(client, **{"X-Plex-Container-Size": 40}))
    sim.faults.inject("short", count=2)  # by default: the next track page
    short = tracks(client, **{"X-Plex-Container-Start": 10})
    page = short.json()["MediaContainer"]
    assert (page["offset"], page["size"], page["totalSize"]) == (10, 8, 600)
    assert page_keys(short) == whole[10:18]
    assert page_keys(tracks(client, **{"X-Plex-Container-Start": 10})) == whole[10:20]


def test_a_repeating_page_starts_early_yet_names_the_offset_asked(
    sim: PlexSimulator, client: httpx.Client
) -> None:
    whole = page_keys(tracks(client, **{"X-Plex-Container-Size": 40}))
    sim.faults.inject("repeat")
    shifted = tracks(client, **{"X-Plex-Container-Start": 10})
    assert shifted.json()["MediaContainer"]["offset"] == 10
    assert page_keys(shifted) == whole[9:19]  # repeats the key before, leaves whole[19] out


def test_a_hook_changes_the_library_after_the_nth_matching_request(
    sim: PlexSimulator, client: httpx.Client
) -> None:
    first = page_keys(tracks(client))
    gone = first[0]
    fired: list[int] = []
    sim.on_request(lambda: (fired.append(1), sim.lib.delete_track(gone)), nth=2)
    assert page_keys(tracks(client)) == first and not fired
    assert page_keys(tracks(client)) == first and fired == [1]  # answered before it ran
    assert page_keys(tracks(client)) == first[1:] + page_keys(
        tracks(client, **{"X-Plex-Container-Start": 9, "X-Plex-Container-Size": 1})
    )
    assert fired == [1], "once"


def test_an_unpaged_list_request_is_logged_and_refused_by_a_strict_server(
    caplog: pytest.LogCaptureFixture,
) -> None:
    lib = SimLibrary.generate(tracks=100, seed=2)
    unpaged = {"type": "10"}
    paged = {**unpaged, "X-Plex-Container-Start": "0", "X-Plex-Container-Size": "5"}
    for strict in (False, True):
        with (
            PlexSimulator(lib, token=TOKEN, strict=strict) as sim,
            httpx.Client(base_url=sim.url, headers={"X-Plex-Token": TOKEN}) as http,
        ):
            answer = http.get(ALL, params=unpaged)
            assert answer.status_code == (400 if strict else 200)
            assert http.get(ALL, params=paged).status_code == 200
            playlists = http.get("/playlists")
            assert playlists.status_code == (400 if strict else 200)
            assert http.get("/library/metadata/101").status_code == 200  # one item: no list
            assert [r.path for r in sim.unpaged_requests()] == [ALL, "/playlists"]
    assert "will fail with status code 400" in caplog.text


# ------------------------------------------------------------------------------ latency
def _parallel_gets(sim: PlexSimulator, count: int) -> list[int]:
    def one(_: int) -> int:
        with httpx.Client(base_url=sim.url, headers={"X-Plex-Token": TOKEN}, timeout=30) as http:
            return http.get("/library/sections").status_code

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def test_max_concurrent_bounds_how_many_requests_are_served_at_once(sim: PlexSimulator) -> None:
    sim.latency = Latency(per_request=0.15, max_concurrent=2)
    assert _parallel_gets(sim, 6) == [200] * 6
    assert max_overlap(sim.requests.snapshot()) == 2, "two at once, never three"


def test_without_a_limit_requests_overlap_freely(sim: PlexSimulator) -> None:
    sim.latency = Latency(per_request=0.3)
    assert _parallel_gets(sim, 6) == [200] * 6
    assert max_overlap(sim.requests.snapshot()) >= 3


def test_per_item_latency_scales_with_the_page(sim: PlexSimulator, client: httpx.Client) -> None:
    sim.latency = Latency(per_item=0.001)
    assert tracks(client, **{"X-Plex-Container-Size": 400}).status_code == 200
    assert tracks(client, **{"X-Plex-Container-Size": 0}).status_code == 200
    big, empty = sim.requests.snapshot()
    assert big.finished - big.started >= 0.38  # 400 items x 1 ms, minus timer slack
    assert empty.finished - empty.started < big.finished - big.started
    sim.latency = None
    assert sim.latency is None


def test_latency_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        Latency(per_request=-1)
    with pytest.raises(ValueError):
        Latency(max_concurrent=0)


# ------------------------------------------------------------------------------ admin API
def test_admin_api_requires_the_token(sim: PlexSimulator) -> None:
    admin = httpx.Client(base_url=sim.url + "/__simulator__", timeout=10)
    assert admin.get("/stats").status_code == 401
    assert admin.post("/faults", json={"kind": "status"}).status_code == 401
    assert len(sim.faults) == 0
    assert admin.get("/stats", params={"X-Plex-Token": TOKEN}).status_code == 200


def test_admin_api_controls_faults_latency_and_the_library(
    sim: PlexSimulator, client: httpx.Client
) -> None:
    admin = httpx.Client(
        base_url=sim.url + "/__simulator__", headers={"X-Plex-Token": TOKEN}, timeout=10
    )
    fault = {"kind": "status", "path": ALL, "params": {"type": "10"}, "status": 502}
    assert admin.post("/faults", json=fault).json() == {"faults": 1}
    assert tracks(client).status_code == 502
    assert admin.delete("/faults").is_success and len(sim.faults) == 0

    added = admin.post("/mutate", json={"op": "add_album", "args": {"tracks": 3, "title": "X"}})
    album = added.json()["result"]
    assert album["title"] == "X" and len(album["track_keys"]) == 3
    assert sim.lib.albums[album["rating_key"]].title == "X"
    rated = {"op": "rate_track", "args": {"rating_key": album["track_keys"][0], "rating": 9}}
    assert admin.post("/mutate", json=rated).is_success
    assert sim.lib.tracks[album["track_keys"][0]].user_rating == 9.0
    clock = {"op": "set_clock", "args": {"now": 1_900_000_000}}
    assert admin.post("/mutate", json=clock).is_success and sim.lib.now() == 1_900_000_000
    renamed = {"op": "set_machine_identifier", "args": {"new_id": "abc"}}
    assert admin.post("/mutate", json=renamed).is_success
    assert client.get("/identity").json()["MediaContainer"]["machineIdentifier"] == "abc"
    missing = {"op": "delete_track", "args": {"rating_key": 1}}
    assert admin.post("/mutate", json=missing).status_code == 404
    assert admin.post("/mutate", json={"op": "drop_database"}).status_code == 400

    latency = {"per_request": 0.0, "per_item": 0.0, "max_concurrent": 3}
    assert admin.put("/latency", json=latency).is_success
    assert sim.latency == Latency(max_concurrent=3)
    assert admin.put("/latency", json=None).is_success and sim.latency is None

    stats = admin.get("/stats").json()
    assert stats["requests"] == len(sim.requests) == 2, "admin calls are not counted"
    assert stats["tracks"] == 603
    logged = admin.get("/requests").json()
    assert [(r["path"], r["status"]) for r in logged] == [(ALL, 502), ("/identity", 200)]
    assert admin.delete("/requests").is_success and len(sim.requests) == 0


# ------------------------------------------------------------------------------ lifecycle & CLI
def test_start_stop_and_restart() -> None:
    sim = PlexSimulator(SimLibrary.generate(tracks=10, seed=1), token=TOKEN)
    with pytest.raises(RuntimeError):
        _ = sim.url
    sim.start()
    first = sim.url
    assert httpx.get(first + "/identity").status_code == 200
    sim.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(first + "/identity")
    with sim:
        assert httpx.get(sim.url + "/identity").status_code == 200


def test_keep_alive_serves_many_requests_on_one_connection(sim: PlexSimulator) -> None:
    host, port = sim.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        local_ends = set()
        for path in ("/identity", "/library/sections", f"{ALL}?type=10"):
            connection.request("GET", path, headers={"X-Plex-Token": TOKEN})
            response = connection.getresponse()
            assert response.status == 200 and response.read()
            assert not response.will_close, "HTTP/1.1 keep-alive"
            assert connection.sock is not None
            local_ends.add(connection.sock.getsockname())
        assert len(local_ends) == 1
    finally:
        connection.close()


def test_cli_serves_until_sigterm(tmp_path: Any) -> None:
    command = [
        sys.executable, "-m", "plexcrate.simulator", "--tracks", "50", "--port", "0",
        "--token", "cli-token", "--seed", "4", "--print-url",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = _read_line(process, timeout=30)
        assert url.startswith("http://127.0.0.1:")
        identity = httpx.get(url + "/identity", timeout=10)
        assert identity.status_code == 200
        expected = SimLibrary.generate(tracks=50, seed=4).machine_identifier
        assert f'machineIdentifier="{expected}"' in identity.text
        denied = httpx.get(url + "/", headers={"X-Plex-Token": "simulator-token"}, timeout=10)
        assert denied.status_code == 401
        os.kill(process.pid, signal.SIGTERM)
        assert process.wait(timeout=15) == 0
        assert process.stderr is not None and process.stderr.read() == ""
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _read_line(process: subprocess.Popen[str], timeout: float) -> str:
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(process.stdout.readline()))  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout)
    assert line, "the simulator did not start"
    return line[0].strip()
