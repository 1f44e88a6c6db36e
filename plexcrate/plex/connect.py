"""Choosing how to reach a server plex.tv listed: every connection tried at once, the best that
answers kept.

Best is local before remote, relay last (a relay goes through Plex's servers and is slow, so it
is flagged). https plex.direct addresses are used as they are: the client connects to the IP the
name carries and verifies the certificate against the name. A connection counts only if the
server there answers ``/`` with the access token and is the server asked for (its
machineIdentifier): a 401 there is the token's fault, said as such.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from plexcrate.plex.client import PlexClient
from plexcrate.plex.errors import PlexAuthError, PlexError, PlexUnreachable
from plexcrate.plex.plextv import Connection, Resource


@dataclass(frozen=True, slots=True)
class Reached:
    connection: Connection
    server_name: str


def reach(resource: Resource, timeout: float) -> Reached:
    """The best connection that answers as the server, all tried in parallel; else a
    :class:`PlexError` naming what each said."""
    if not resource.connections:
        raise PlexUnreachable(f"plex.tv lists no address for “{resource.name}”.")
    results: dict[int, Reached | PlexError] = {}
    done = threading.Condition()

    def attempt(index: int, connection: Connection) -> None:
        outcome: Reached | PlexError
        try:
            with PlexClient(
                connection.uri, resource.access_token, timeout=timeout, retries=0
            ) as client:
                identity = client.identity()
            if identity.machine_identifier != resource.machine_identifier:
                outcome = PlexUnreachable(f"{connection.uri} is another Plex server.")
            else:
                outcome = Reached(connection, identity.name or resource.name)
        except PlexError as error:
            outcome = error
        with done:
            results[index] = outcome
            done.notify_all()

    for index, connection in enumerate(resource.connections):  # sorted best first
        threading.Thread(
            target=attempt, args=(index, connection), name="plex-reach", daemon=True
        ).start()
    end = time.monotonic() + timeout + 1
    with done:
        for index in range(len(resource.connections)):
            # The best one that answers: wait for each in turn (all run meanwhile).
            while index not in results and time.monotonic() < end:
                done.wait(max(0.0, end - time.monotonic()))
            outcome = results.get(index)
            if isinstance(outcome, Reached):
                return outcome
    errors = [e for e in results.values() if isinstance(e, PlexError)]
    if any(isinstance(e, PlexAuthError) for e in errors):
        raise PlexAuthError(
            f"“{resource.name}” refused the access token plex.tv gave for it. Sign in with "
            "Plex again; if the server is shared with you, ask its owner to share it again."
        )
    reasons = "; ".join(sorted({e.message for e in errors})) or "no answer in time"
    raise PlexUnreachable(
        f"None of the {len(resource.connections)} addresses of “{resource.name}” answered: "
        f"{reasons}"
    )
