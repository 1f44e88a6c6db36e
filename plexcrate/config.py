"""Settings, read from environment variables.

Every setting has a sensible default except the Plex server itself; without one, the app offers
the setup screen (or the demo runs against the bundled simulator).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

CACHE_FILE_NAME = "library_cache.db"


class ConfigError(ValueError):
    """A setting has a value we cannot use; the message names the variable."""


@dataclass(frozen=True, slots=True)
class Settings:
    plex_url: str | None = None
    plex_token: str | None = field(default=None, repr=False)
    data_dir: Path = Path("data")
    plex_timeout: float = 30.0
    music_libraries: tuple[str, ...] = ()
    stale_after_hours: float = 24.0
    password: str | None = field(default=None, repr=False)
    probe_interval: float = 10.0  # seconds between the web app's checks that Plex answers

    @property
    def cache_path(self) -> Path:
        return self.data_dir / CACHE_FILE_NAME

    @property
    def plex_configured(self) -> bool:
        return bool(self.plex_url and self.plex_token)

    def with_plex(self, url: str, token: str) -> Settings:
        return replace(self, plex_url=url, plex_token=token)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            plex_url=_text(env, "PLEX_URL"),
            plex_token=_text(env, "PLEX_TOKEN"),
            data_dir=Path(_text(env, "PLEXCRATE_DATA_DIR") or "data"),
            plex_timeout=_positive_number(env, "PLEXCRATE_PLEX_TIMEOUT", 30.0),
            music_libraries=_names(env, "PLEX_MUSIC_LIBRARY"),
            stale_after_hours=_positive_number(env, "PLEXCRATE_STALE_AFTER_HOURS", 24.0),
            password=_text(env, "PLEXCRATE_PASSWORD"),
            probe_interval=_positive_number(env, "PLEXCRATE_PROBE_INTERVAL", 10.0),
        )


def _text(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _positive_number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = _text(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds or hours, not {raw!r}") from None
    if not value > 0:
        raise ConfigError(f"{name} must be greater than zero, not {raw!r}")
    return value


def _names(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """Comma-separated library titles, e.g. ``Music, Live Recordings``."""
    raw = _text(env, name) or ""
    return tuple(part.strip() for part in raw.split(",") if part.strip())
