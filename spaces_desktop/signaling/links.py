"""Share links: `https://host[:port][/prefix]/s/{space_id}` and the app's own `spaces://` scheme.

`spaces://host[:port]/s/{id}` opens the same Space as the https link; it maps to
`https://` because share links travel over chat and mail and a token must never
cross the internet in clear text. Loopback hosts (localhost, 127.0.0.0/8, ::1)
map to `http://` instead: that is the embedded backend on this machine, which
has no certificate. A server on a LAN without TLS shares plain `http://` links.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from spaces_desktop.signaling.errors import InvalidLink

_SPACE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SCHEMES = ("http", "https", "spaces")


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_link(link: str) -> tuple[str, str]:
    """The server's base URL and the Space id of a share link.

    >>> parse_link("spaces://localhost:8470/s/AbC-12_xyz")
    ('http://localhost:8470', 'AbC-12_xyz')
    """
    text = link.strip()
    shown = text if len(text) <= 80 else text[:77] + "..."
    try:
        parts = urlsplit(text)
        port = parts.port  # raises on a port that is not a number in range
    except ValueError as exc:
        raise InvalidLink(f"'{shown}' isn't a valid link: {exc}.") from exc
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise InvalidLink(
            f"'{shown}' isn't a Spaces link; it should look like https://example.com/s/AbC123 "
            "or spaces://example.com/s/AbC123."
        )
    host = parts.hostname
    if not host:
        raise InvalidLink(f"'{shown}' has no server name.")
    if parts.username is not None or parts.password is not None:
        raise InvalidLink(f"'{shown}' carries a user name; a Spaces link never does.")
    prefix, sep, space_id = parts.path.rstrip("/").rpartition("/s/")
    if not sep or not _SPACE_ID.match(space_id):
        raise InvalidLink(
            f"'{shown}' doesn't point at a Space; a Spaces link ends in /s/ and the Space's id."
        )
    if scheme == "spaces":
        scheme = "http" if is_loopback(host) else "https"
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc = f"{netloc}:{port}"
    return f"{scheme}://{netloc}{prefix}", space_id


def check_base_url(url: str) -> str:
    """A server address without its trailing slash, or InvalidLink."""
    text = url.strip().rstrip("/")
    try:
        parts = urlsplit(text)
        _ = parts.port
    except ValueError as exc:
        raise InvalidLink(f"'{text}' isn't a valid server address: {exc}.") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise InvalidLink(f"'{text}' isn't a server address; it should look like https://example.com.")
    return text
