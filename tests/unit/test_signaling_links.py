"""Share links and server addresses."""

from __future__ import annotations

import pytest

from spaces_desktop.signaling import InvalidLink, parse_link
from spaces_desktop.signaling.links import check_base_url


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("https://spaces.example.com/s/AbC-12_xyz", ("https://spaces.example.com", "AbC-12_xyz")),
        ("http://127.0.0.1:8470/s/abc", ("http://127.0.0.1:8470", "abc")),
        ("  https://example.com/s/abc/  ", ("https://example.com", "abc")),
        ("https://example.com/s/abc?utm=chat#top", ("https://example.com", "abc")),
        ("https://example.com/spaces/s/abc", ("https://example.com/spaces", "abc")),
        ("HTTPS://Example.COM/s/abc", ("https://example.com", "abc")),
        ("spaces://example.com/s/abc", ("https://example.com", "abc")),
        ("spaces://example.com:8443/s/abc", ("https://example.com:8443", "abc")),
        ("spaces://192.168.1.20:8470/s/abc", ("https://192.168.1.20:8470", "abc")),
        ("spaces://localhost:8470/s/abc", ("http://localhost:8470", "abc")),
        ("spaces://127.0.0.5:8470/s/abc", ("http://127.0.0.5:8470", "abc")),
        ("spaces://[::1]:8470/s/abc", ("http://[::1]:8470", "abc")),
    ],
)
def test_accepted_links(link: str, expected: tuple[str, str]) -> None:
    assert parse_link(link) == expected


@pytest.mark.parametrize(
    ("link", "says"),
    [
        ("ftp://example.com/s/abc", "isn't a Spaces link"),
        ("example.com/s/abc", "isn't a Spaces link"),
        ("", "isn't a Spaces link"),
        ("https:///s/abc", "no server name"),
        ("https://example.com/", "doesn't point at a Space"),
        ("https://example.com/s/", "doesn't point at a Space"),
        ("https://example.com/spaces/abc", "doesn't point at a Space"),
        ("https://example.com/s/a%2Fb", "doesn't point at a Space"),
        ("https://example.com:99999/s/abc", "isn't a valid link"),
        ("https://user:pw@example.com/s/abc", "user name"),
    ],
)
def test_rejected_links_say_why(link: str, says: str) -> None:
    with pytest.raises(InvalidLink, match=says):
        parse_link(link)


def test_server_address_is_checked_and_trimmed() -> None:
    assert check_base_url("http://127.0.0.1:8470/") == "http://127.0.0.1:8470"
    for bad in ("127.0.0.1:8470", "ws://host", "http://host/?x=1", "http://host:port"):
        with pytest.raises(InvalidLink):
            check_base_url(bad)
