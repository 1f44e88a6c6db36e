"""Failures talking to Plex, each with a message a person understands.

The message says what we were doing ("reading tracks 4,001–6,000") and what went wrong, and never
contains the token: it is shown in the UI and written to logs.
"""

from __future__ import annotations


class PlexError(Exception):
    """Talking to Plex failed. ``str(error)`` is fit to show to a user."""

    transient = False

    def __init__(self, message: str, *, suggested_url: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        # An address that works where this one failed (a plex.direct one), for the setup screen.
        self.suggested_url = suggested_url


class PlexUnreachable(PlexError):
    """No connection: refused, reset, unknown host."""

    transient = True


class PlexTimeout(PlexError):
    """Plex took longer than the configured timeout to answer."""

    transient = True


class PlexOutOfTime(PlexError):
    """The time allowed for a whole piece of work (a sync) ran out; retrying would not help.
    ``doing`` says what the request was for ("reading tracks 301–400")."""

    def __init__(self, message: str, *, doing: str) -> None:
        super().__init__(message)
        self.doing = doing


class PlexBadResponse(PlexError):
    """Plex answered with an error status or with a body we cannot read."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        # Server errors and garbled bodies are usually passing trouble; 4xx answers are not.
        self.transient = status is None or status >= 500


class PlexInsecure(PlexError):
    """The connection failed for a reason of security: a certificate that does not match or
    can't be verified, or a server that requires secure connections. Not transient."""


class PlexTooLarge(PlexBadResponse):
    """Plex's answer is larger than the request allows; it was not read whole (not transient:
    asking again brings the same)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status=None)
        self.transient = False


class PlexAuthError(PlexError):
    """Plex refused the token."""
