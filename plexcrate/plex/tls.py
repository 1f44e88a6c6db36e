"""Secure connections to Plex: plex.direct names, certificates, and what to say when they fail.

A server with "Secure connections: Required" closes plain-http connections without an answer, and
its certificate names only ``*.<hash>.plex.direct``: ``https://<LAN IP>:32400`` fails the name
check. The address that works is ``https://<ip-with-dashes>.<hash>.plex.direct:32400``, a name
that carries its IP; plexcrate connects to that IP itself (``plex_direct_ip``) and checks the
certificate against the name, so no DNS is needed (routers that block DNS rebinding refuse to
resolve plex.direct names). Certificates are always verified, against certifi's authorities or
``SSL_CERT_FILE``/``SSL_CERT_DIR`` when set; nothing turns that off.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import ssl
from urllib.parse import urlsplit

import httpx

_PLEX_DIRECT = re.compile(r"(\d{1,3}(?:-\d{1,3}){3})\.([0-9a-f]+)\.plex\.direct\.?", re.IGNORECASE)
_WILDCARD = re.compile(r"\*\.([0-9a-f]+)\.plex\.direct", re.IGNORECASE)


def client_ssl_context() -> ssl.SSLContext:
    """Verifying context: certifi's authorities, or ``SSL_CERT_FILE``/``SSL_CERT_DIR``."""
    return httpx.create_ssl_context(trust_env=True)


def plex_direct_ip(host: str) -> str | None:
    """The IPv4 address a plex.direct name carries (``192-168-1-10.<hash>.plex.direct`` →
    ``192.168.1.10``), or None for any other host."""
    match = _PLEX_DIRECT.fullmatch(host)
    if match is None:
        return None
    ip = match.group(1).replace("-", ".")
    try:
        ipaddress.IPv4Address(ip)
    except ValueError:
        return None
    return ip


def plex_direct_url(ip: str, port: int, certificate_hash: str) -> str:
    return f"https://{ip.replace('.', '-')}.{certificate_hash}.plex.direct:{port}"


def certificate_names(host: str, port: int, timeout: float) -> list[str]:
    """The DNS names of the certificate served at ``host:port``, its chain verified (only the
    name is not checked: this is to learn the name, and no request, no token, is sent)."""
    context = client_ssl_context()
    context.check_hostname = False
    with (
        socket.create_connection((host, port), timeout=timeout) as raw,
        context.wrap_socket(raw) as tls,
    ):
        certificate = tls.getpeercert() or {}
    names = certificate.get("subjectAltName", ())
    return [str(entry[1]) for entry in names if isinstance(entry, tuple) and entry[0] == "DNS"]


def plex_direct_for(url: str, timeout: float) -> str | None:
    """The plex.direct address of the server at ``url`` when it is an IPv4 address and the
    server's certificate is Plex's ``*.<hash>.plex.direct``; None when that can't be found."""
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
    try:
        ip = str(ipaddress.IPv4Address(host))
    except ValueError:
        ip = plex_direct_ip(host) or ""
    if not ip:
        return None
    try:
        names = certificate_names(ip, port, timeout)
    except (OSError, ssl.SSLError, ValueError):
        return None
    for name in names:
        match = _WILDCARD.fullmatch(name)
        if match:
            return plex_direct_url(ip, port, match.group(1).lower())
    return None


def speaks_tls(url: str, timeout: float) -> bool:
    """Whether ``url``'s host and port complete a TLS handshake with a verified chain."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or 80
    try:
        certificate_names(plex_direct_ip(host) or host, port, timeout)
    except (OSError, ssl.SSLError, ValueError):
        return False
    return True


def certificate_problem(text: str) -> str | None:
    """What an SSL error's text says, briefly, if it is a certificate's fault."""
    lowered = text.lower()
    if "certificate verify failed" not in lowered:
        return None
    if "mismatch" in lowered or "doesn't match" in lowered or "not valid for" in lowered:
        return "name mismatch"
    if "self-signed" in lowered or "self signed" in lowered:
        return "a self-signed certificate"
    if "expired" in lowered:
        return "an expired certificate"
    if "unable to get local issuer" in lowered:
        return "a certificate from an authority this computer does not trust"
    return "a certificate that could not be verified"
