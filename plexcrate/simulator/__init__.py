"""A simulated Plex Media Server for music libraries.

A real HTTP server (stdlib ``http.server``) speaking enough of the PMS API, in XML and JSON,
that python-plexapi and plexcrate's own client cannot tell it from a small real server. Tests
use it over loopback, benchmarks against 100k-500k tracks, and ``plexcrate demo`` for its demo.

    lib = SimLibrary.generate(tracks=1000, seed=1)
    with PlexSimulator(lib, token="simulator-token") as sim:
        ...  # talk to sim.url; mutate lib; sim.faults.inject("reset", path=...)

Module map: ``library`` (data model, mutations), ``generator``/``names`` (synthetic data),
``query`` (filters/sorting), ``render`` (Plex-shaped JSON/XML), ``routes*`` (endpoints),
``server`` (HTTP, token, faults, latency), ``faults``, ``records``, ``admin`` (out-of-process
control API), ``runner`` (blocking entry point and CLI).
"""

from plexcrate.simulator.faults import FAULT_KINDS, Fault, FaultPlan, Latency
from plexcrate.simulator.library import (
    SimAlbum,
    SimArtist,
    SimLibrary,
    SimPlaylist,
    SimSection,
    SimTrack,
)
from plexcrate.simulator.records import RequestLog, RequestRecord
from plexcrate.simulator.runner import run_simulator
from plexcrate.simulator.server import PlexSimulator

__all__ = [
    "FAULT_KINDS",
    "Fault",
    "FaultPlan",
    "Latency",
    "PlexSimulator",
    "RequestLog",
    "RequestRecord",
    "SimAlbum",
    "SimArtist",
    "SimLibrary",
    "SimPlaylist",
    "SimSection",
    "SimTrack",
    "run_simulator",
]
