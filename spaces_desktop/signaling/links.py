"""Share links: `https://host[:port][/prefix]/s/{space_id}` and the app's own `spaces://` scheme.

`spaces://host[:port]/s/{id}` opens the same Space as the https link; it maps to
`https://` because share links travel over chat and mail and a token must never
cross the internet in clear text. Loopback hosts (localhost, 127.0.0.0/8, ::1)
map to `http://` instead: that is the embedded backend on this machine, which
has no certificate. A server on a LAN without TLS shares plain `http://` links.

Links come from other people, so the parser is strict rather than lenient
(`urllib.parse` drops tabs and newlines and reads `a\\@b` as host `b`, where a
browser reads host `a`): printable ASCII only; no user name, query or
fragment; the host a DNS name, a dotted-quad IPv4 address or a bracketed IPv6
address; a port from 1 to 65535; path segments without `.`, `..` or
percent-escapes; and only `https`/`http` links may carry a path prefix (a
backend behind a reverse proxy), `spaces://` names just the host, the port and
`/s/{id}`.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from spaces_desktop.signaling.errors import InvalidLink

MAX_LINK_CHARS = 2048
_SPACE_ID = r"[A-Za-z0-9_-]{1,64}"
_SCHEMES = ("http", "https", "spaces")
_URL = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<authority>[^/?#]*)(?P<path>[^?#]*)(?P<rest>.*)", re.DOTALL
)
_AUTHORITY = re.compile(r"(?:\[(?P<ipv6>[0-9A-Fa-f:.]+)\]|(?P<name>[A-Za-z0-9.-]+))(?::(?P<port>[0-9]*))?")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")
_SEGMENT = r"/(?!\.\.?(?:/|$))[A-Za-z0-9._~-]+"
_SHARE_PATH = re.compile(rf"(?P<prefix>(?:{_SEGMENT})*)/s/(?P<id>{_SPACE_ID})/?")
_APP_PATH = re.compile(rf"/s/(?P<id>{_SPACE_ID})/?")
_PREFIX = re.compile(rf"(?:{_SEGMENT})*/?")


@dataclass(frozen=True)
class _Parts:
    scheme: str
    netloc: str  # host as it is dialled, with brackets for IPv6, and ":port" when given
    host: str
    path: str
    rest: str


class _Malformed(Exception):
    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


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
    shown = _shown(text)
    ending = "a Spaces link ends in /s/ and the Space's id"
    if len(text) > MAX_LINK_CHARS:
        raise InvalidLink(f"'{shown}' is too long for a Spaces link; {ending}.")
    match = _URL.fullmatch(text)
    if match is None or match["scheme"].lower() not in _SCHEMES:
        raise InvalidLink(
            f"'{shown}' isn't a Spaces link; it should look like https://example.com/s/AbC123 "
            "or spaces://example.com/s/AbC123."
        )
    if not _printable_ascii(text):
        raise InvalidLink(f"'{shown}' has spaces, control or non-ASCII characters; a Spaces link never does.")
    try:
        parts = _split(match)
    except _Malformed as exc:
        raise InvalidLink(f"'{shown}' isn't a valid link: {exc.why}.") from None
    if parts.rest:
        raise InvalidLink(f"'{shown}' has a query or a fragment after the Space's id; {ending}.")
    path = (_APP_PATH if parts.scheme == "spaces" else _SHARE_PATH).fullmatch(parts.path)
    if path is None:
        raise InvalidLink(f"'{shown}' doesn't point at a Space; {ending}.")
    scheme = parts.scheme
    if scheme == "spaces":
        scheme = "http" if is_loopback(parts.host) else "https"
    prefix = path.groupdict().get("prefix") or ""
    return f"{scheme}://{parts.netloc}{prefix}", path["id"]


def check_base_url(url: str) -> str:
    """A server address without its trailing slash, or InvalidLink."""
    text = url.strip().rstrip("/")
    shown = _shown(text)
    wrong = f"'{shown}' isn't a server address; it should look like https://example.com."
    if len(text) > MAX_LINK_CHARS:
        raise InvalidLink(wrong)
    match = _URL.fullmatch(text)
    if match is None or match["scheme"].lower() not in ("http", "https") or not _printable_ascii(text):
        raise InvalidLink(wrong)
    try:
        parts = _split(match)
    except _Malformed as exc:
        raise InvalidLink(f"'{shown}' isn't a valid server address: {exc.why}.") from None
    if parts.rest or not _PREFIX.fullmatch(parts.path):
        raise InvalidLink(wrong)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def _split(match: re.Match[str]) -> _Parts:
    authority = match["authority"]
    if "@" in authority:
        raise _Malformed("it carries a user name, and a Spaces link never does")
    if not authority:
        raise _Malformed("it has no server name")
    found = _AUTHORITY.fullmatch(authority)
    if found is None:
        raise _Malformed("the server name is not a host name or an IP address")
    if found["ipv6"] is not None:
        host = _ipv6(found["ipv6"])
        netloc = f"[{host}]"
    else:
        host = netloc = _hostname(found["name"].lower())
    port = found["port"]
    if port is not None:
        if not port or len(port) > 5 or not 1 <= int(port) <= 65535:
            raise _Malformed("the port must be a number from 1 to 65535")
        netloc = f"{netloc}:{int(port)}"
    return _Parts(match["scheme"].lower(), netloc, host, match["path"], match["rest"])


def _hostname(name: str) -> str:
    labels = name.split(".")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        # Resolvers read "127.1", "0x7f.0.0.1" or "2130706433" as addresses: only the plain form passes.
        try:
            return str(ipaddress.IPv4Address(name))
        except ValueError:
            raise _Malformed("the server's IPv4 address is not four numbers from 0 to 255") from None
    if len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise _Malformed("the server name is not a host name or an IP address")
    return name


def _ipv6(text: str) -> str:
    try:
        return ipaddress.IPv6Address(text).compressed
    except ValueError:
        raise _Malformed("the server's IPv6 address is malformed") from None


def _printable_ascii(text: str) -> bool:
    return all("!" <= ch <= "~" for ch in text)


def _shown(text: str) -> str:
    """The link as an error message quotes it: short, and with nothing that could reorder the sentence."""
    short = text if len(text) <= 80 else text[:77] + "..."
    return "".join(ch if " " <= ch <= "~" else "\N{REPLACEMENT CHARACTER}" for ch in short)
