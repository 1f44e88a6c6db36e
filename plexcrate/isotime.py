"""Timestamps as the API, the CLI and the UI show them: ISO 8601 in UTC, to the second."""

from __future__ import annotations

from datetime import UTC, datetime


def iso_utc(timestamp: float | None) -> str | None:
    """Unix seconds as ``2024-03-01T12:00:00Z``; None stays None."""
    if timestamp is None:
        return None
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
