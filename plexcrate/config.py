"""Settings, from environment variables and the setup screen's settings file.

Every setting has a sensible default except the Plex server itself. The server comes from
``PLEX_URL``/``PLEX_TOKEN`` when both are set, else from ``settings.json`` in the data folder,
which the setup screen writes (readable by its owner only: it holds the token). Without either,
the app shows the setup screen (or ``plexcrate demo`` runs against the bundled simulator).
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import orjson

CACHE_FILE_NAME = "library_cache.db"
SETTINGS_FILE_NAME = "settings.json"
ART_FOLDER_NAME = "art"

PlexSource = Literal["env", "file", "demo"]

_HOST_NAME = re.compile(r"[a-z0-9_]([a-z0-9_.-]{0,251}[a-z0-9_])?")
# A Plex token is letters, digits and a little punctuation. Anything else (a space, a pasted line
# break) can't travel in an HTTP header, and the HTTP library's error would quote the token.
_TOKEN = re.compile(r"[!-~]+")
TOKEN_RULE = "must be the token as Plex shows it: letters, digits and punctuation, no spaces"


def check_plex_token(token: str) -> str:
    """``token`` if it can be a Plex token; ValueError (which never quotes it) if not."""
    if not _TOKEN.fullmatch(token):
        raise ValueError(TOKEN_RULE)
    return token


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
    password: str | None = field(default=None, repr=False)  # PLEXCRATE_PASSWORD: protects the UI
    # Host names the app answers to besides IP addresses and localhost ("*": any); see
    # web/security.py on DNS rebinding.
    allowed_hosts: tuple[str, ...] = ()
    probe_interval: float = 10.0  # seconds between the web app's checks that Plex answers
    art_cache_mb: float = 500.0  # album and artist art kept on disk (in the data folder's art/)
    plex_source: PlexSource | None = None  # where the Plex server's URL and token came from

    @property
    def cache_path(self) -> Path:
        return self.data_dir / CACHE_FILE_NAME

    @property
    def art_path(self) -> Path:
        return self.data_dir / ART_FOLDER_NAME

    @property
    def settings_path(self) -> Path:
        return self.data_dir / SETTINGS_FILE_NAME

    @property
    def plex_configured(self) -> bool:
        return bool(self.plex_url and self.plex_token)

    def with_plex(self, url: str, token: str) -> Settings:
        return replace(self, plex_url=url, plex_token=token)

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from the environment, with the Plex server from the settings file when the
        environment names none."""
        settings = cls.from_env(environ)
        if settings.plex_configured:
            return replace(settings, plex_source="env")
        saved = read_settings_file(settings.settings_path)
        if not (saved.get("plex_url") and saved.get("plex_token")):
            return settings
        if not _TOKEN.fullmatch(str(saved["plex_token"])):
            raise ConfigError(
                f"The settings file {settings.settings_path}: plex_token {TOKEN_RULE}."
            )
        libraries = settings.music_libraries or tuple(saved.get("music_libraries", ()))
        return replace(
            settings,
            plex_url=str(saved["plex_url"]),
            plex_token=str(saved["plex_token"]),
            music_libraries=libraries,
            plex_source="file",
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            plex_url=_text(env, "PLEX_URL"),
            plex_token=_token(env, "PLEX_TOKEN"),
            data_dir=Path(_text(env, "PLEXCRATE_DATA_DIR") or "data"),
            plex_timeout=_positive_number(env, "PLEXCRATE_PLEX_TIMEOUT", 30.0),
            music_libraries=_names(env, "PLEX_MUSIC_LIBRARY"),
            stale_after_hours=_positive_number(env, "PLEXCRATE_STALE_AFTER_HOURS", 24.0),
            password=_text(env, "PLEXCRATE_PASSWORD"),
            allowed_hosts=_host_names(env, "PLEXCRATE_ALLOWED_HOSTS"),
            probe_interval=_positive_number(env, "PLEXCRATE_PROBE_INTERVAL", 10.0),
            art_cache_mb=_positive_number(env, "PLEXCRATE_ART_CACHE_MB", 500.0, unit="megabytes"),
        )


def _text(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _token(env: Mapping[str, str], name: str) -> str | None:
    token = _text(env, name)
    if token is not None and not _TOKEN.fullmatch(token):
        raise ConfigError(f"{name} {TOKEN_RULE}.")
    return token


def _positive_number(
    env: Mapping[str, str], name: str, default: float, *, unit: str = "seconds or hours"
) -> float:
    raw = _text(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of {unit}, not {raw!r}") from None
    if not value > 0:
        raise ConfigError(f"{name} must be greater than zero, not {raw!r}")
    return value


def _names(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """Comma-separated library titles, e.g. ``Music, Live Recordings``."""
    raw = _text(env, name) or ""
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _host_names(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """Comma-separated host names, e.g. ``nas.local, music.example.com``; ``*`` allows any.

    A port is allowed and ignored (``nas.local:5765``); a URL is not: it is a common mistake,
    and the message says what to write instead.
    """
    hosts = []
    for entry in _names(env, name):
        if entry.startswith("[") or entry.count(":") > 1:  # an IPv6 address: always allowed
            continue
        host, _, port = entry.lower().partition(":")
        host = host.rstrip(".")
        if (port and not port.isdigit()) or (host != "*" and not _HOST_NAME.fullmatch(host)):
            raise ConfigError(
                f"{name} lists host names separated by commas, like nas.local or "
                f"music.example.com, not {entry!r}"
            )
        hosts.append(host)
    return tuple(hosts)


def read_settings_file(path: Path) -> dict[str, object]:
    """The saved settings, or nothing if there are none; a damaged file names itself."""
    try:
        data = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        return {}
    except (OSError, orjson.JSONDecodeError) as error:
        raise ConfigError(f"The settings file {path} cannot be read ({error}).") from None
    if not isinstance(data, dict):
        raise ConfigError(f"The settings file {path} is not a JSON object.")
    return data


def save_plex_settings(
    settings: Settings, plex_url: str, plex_token: str, music_libraries: Sequence[str]
) -> Settings:
    """Write the Plex server to the settings file and return the settings that use it.

    The file holds the token, so it is created readable by its owner only (0600), and replaced
    atomically, so a crash never leaves half a file.
    """
    path = settings.settings_path
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {
        "plex_url": plex_url,
        "plex_token": plex_token,
        "music_libraries": list(music_libraries),
    }
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".settings-", suffix=".json")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(orjson.dumps(body, option=orjson.OPT_INDENT_2))
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return replace(
        settings,
        plex_url=plex_url,
        plex_token=plex_token,
        music_libraries=tuple(music_libraries),
        plex_source="file",
    )
