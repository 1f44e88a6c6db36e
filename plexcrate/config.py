"""Settings, from environment variables and the setup screen's settings file.

Every setting has a sensible default except the Plex server itself. The server comes from
``PLEX_URL``/``PLEX_TOKEN`` when both are set, else from ``settings.json`` in the data folder,
which the setup screen writes (readable by its owner only: it holds the token). Without either,
the app shows the setup screen (or ``plexcrate demo`` runs against the bundled simulator).
"""

from __future__ import annotations

import contextlib
import ipaddress
import math
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

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


URL_EXAMPLE = "http://192.168.1.10:32400"
_LABEL = re.compile(r"[\w-]{1,63}")  # a host name's part between dots (letters of any script)


def check_plex_url(text: str) -> str:
    """The Plex server's address, tidied (``http://nas:32400/`` → ``http://nas:32400``).

    ValueError says what is wrong, completing "PLEX_URL …" or "plex_url: …", and never quotes
    the address: one copied from Plex's "View XML" carries the token in its query.
    """
    url = text.strip().rstrip("/")
    if not url.isprintable() or any(ch.isspace() for ch in url):
        raise ValueError("must be one address, without spaces or control characters")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise ValueError("has unmatched brackets (they go around an IPv6 address)") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValueError(f"must be an http:// or https:// address, like {URL_EXAMPLE}")
    if "x-plex-token" in url.lower() or parts.password:
        raise ValueError(
            f"must be just the server's address, like {URL_EXAMPLE}: this one carries a Plex "
            "token (X-Plex-Token) or a password, which goes with the token, separately"
        )
    if parts.username or parts.query or parts.fragment:
        raise ValueError("must be just the server's address, without a login, query or fragment")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise ValueError("has a port that is not a number from 1 to 65535")
    if not _is_host(parts.hostname or ""):
        raise ValueError(
            f"must name its host as an IP address or a host name, like {URL_EXAMPLE} or "
            "http://nas.local:32400"
        )
    return url


def _is_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.removesuffix(".").split(".")
    return len(host) <= 253 and all(_LABEL.fullmatch(label) for label in labels)


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
    # Listen to Plex's notifications and sync soon after it announces a change (web/notify.py).
    listen_for_changes: bool = True
    art_cache_mb: float = 500.0  # album and artist art kept on disk (in the data folder's art/)
    # A picture larger than this is refused (a placeholder) and never kept.
    art_max_picture_mb: float = 5.0
    plex_source: PlexSource | None = None  # where the Plex server's URL and token came from
    # How long a whole sync may take: this, plus the next for every 1,000 tracks (seconds).
    sync_time_base_s: float = 600.0
    sync_time_per_1000_tracks_s: float = 15.0
    # plex.tv (PLEXCRATE_PLEX_TV_URL): the simulator's in tests and the demo.
    plex_tv_url: str = "https://plex.tv"
    # Signed in with Plex: whose account (its username, shown; its token kept like the server's,
    # never shown), which server, and the identifier plex.tv knows this install by.
    plex_account: str | None = None
    plex_account_token: str | None = field(default=None, repr=False)
    plex_server_id: str | None = None
    plex_client_identifier: str | None = None

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
        try:
            url = check_plex_url(str(saved["plex_url"]))
        except ValueError as problem:
            raise ConfigError(
                f"The settings file {settings.settings_path}: plex_url {problem}."
            ) from None
        listed = saved.get("music_libraries", ())
        libraries = settings.music_libraries or tuple(
            str(title) for title in (listed if isinstance(listed, list | tuple) else ())
        )
        account = saved.get("plex_account")
        return _with_account(
            replace(
                settings,
                plex_url=url,
                plex_token=str(saved["plex_token"]),
                music_libraries=libraries,
                plex_source="file",
            ),
            account if isinstance(account, dict) else {},
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            plex_url=_url(env, "PLEX_URL"),
            plex_token=_token(env, "PLEX_TOKEN"),
            data_dir=Path(_text(env, "PLEXCRATE_DATA_DIR") or "data"),
            plex_timeout=_number(env, "PLEXCRATE_PLEX_TIMEOUT", 30.0, "seconds", 3600),
            music_libraries=_names(env, "PLEX_MUSIC_LIBRARY"),
            stale_after_hours=_number(env, "PLEXCRATE_STALE_AFTER_HOURS", 24.0, "hours", 87_600),
            password=_text(env, "PLEXCRATE_PASSWORD"),
            allowed_hosts=_host_names(env, "PLEXCRATE_ALLOWED_HOSTS"),
            probe_interval=_number(env, "PLEXCRATE_PROBE_INTERVAL", 10.0, "seconds", 3600),
            listen_for_changes=_switch(env, "PLEXCRATE_LISTEN_FOR_CHANGES", True),
            sync_time_base_s=_number(env, "PLEXCRATE_SYNC_TIME_BASE", 600.0, "seconds", 604_800),
            sync_time_per_1000_tracks_s=_number(
                env, "PLEXCRATE_SYNC_TIME_PER_1000_TRACKS", 15.0, "seconds", 3600
            ),
            art_cache_mb=_number(env, "PLEXCRATE_ART_CACHE_MB", 500.0, "megabytes", 1_000_000),
            art_max_picture_mb=_number(env, "PLEXCRATE_ART_MAX_PICTURE_MB", 5.0, "megabytes", 64),
            plex_tv_url=_url(env, "PLEXCRATE_PLEX_TV_URL") or "https://plex.tv",
        )


_ON, _OFF = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def _switch(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = (_text(env, name) or "").lower()
    if not value:
        return default
    if value in _ON | _OFF:
        return value in _ON
    raise ConfigError(f"{name} must be true or false, not {env[name].strip()!r}.")


def _text(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _token(env: Mapping[str, str], name: str) -> str | None:
    token = _text(env, name)
    if token is not None and not _TOKEN.fullmatch(token):
        raise ConfigError(f"{name} {TOKEN_RULE}.")
    return token


def _url(env: Mapping[str, str], name: str) -> str | None:
    raw = _text(env, name)
    if raw is None:
        return None
    try:
        return check_plex_url(raw)
    except ValueError as problem:
        raise ConfigError(f"{name} {problem}.") from None


def _number(env: Mapping[str, str], name: str, default: float, unit: str, most: float) -> float:
    """A positive number of ``unit`` up to ``most``; the message names the variable."""
    raw = _text(env, name)
    if raw is None:
        return default
    shown = repr(raw if len(raw) <= 30 else raw[:30] + "…")
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of {unit}, not {shown}.") from None
    if not (math.isfinite(value) and 0 < value <= most):
        raise ConfigError(
            f"{name} must be a number of {unit} above 0 and at most {most:,g}, not {shown}."
        )
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


@dataclass(frozen=True, slots=True)
class SignedIn:
    """What signing in with Plex adds to a saved server: the account and its token (kept to
    look the server's addresses up again), the server's identifier, this install's."""

    username: str
    token: str = field(repr=False)
    server_id: str
    client_identifier: str


def _with_account(settings: Settings, saved: Mapping[str, object]) -> Settings:
    """``settings`` with the signed-in account as the settings file holds it (or none)."""

    def text(name: str) -> str | None:
        value = saved.get(name)
        return str(value) if isinstance(value, str) and value else None

    token = text("token")
    return replace(
        settings,
        plex_account=text("username"),
        plex_account_token=token if token and _TOKEN.fullmatch(token) else None,
        plex_server_id=text("server_id"),
        plex_client_identifier=text("client_identifier"),
    )


def save_plex_settings(
    settings: Settings,
    plex_url: str,
    plex_token: str,
    music_libraries: Sequence[str],
    signed_in: SignedIn | None = None,
) -> Settings:
    """Write the Plex server to the settings file and return the settings that use it.

    The file holds the token, so it is created readable by its owner only (0600), and replaced
    atomically, so a crash never leaves half a file.
    """
    path = settings.settings_path
    path.parent.mkdir(parents=True, exist_ok=True)
    body: dict[str, object] = {
        "plex_url": plex_url,
        "plex_token": plex_token,
        "music_libraries": list(music_libraries),
    }
    account: dict[str, str] = {}
    if signed_in is not None:
        account = {
            "username": signed_in.username,
            "token": signed_in.token,
            "server_id": signed_in.server_id,
            "client_identifier": signed_in.client_identifier,
        }
        body["plex_account"] = account
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
    return _with_account(
        replace(
            settings,
            plex_url=plex_url,
            plex_token=plex_token,
            music_libraries=tuple(music_libraries),
            plex_source="file",
        ),
        account,
    )
