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
        ("https://example.com/spaces/s/abc", ("https://example.com/spaces", "abc")),
        ("HTTPS://Example.COM/s/abc", ("https://example.com", "abc")),
        ("spaces://example.com/s/abc", ("https://example.com", "abc")),
        ("spaces://example.com:8443/s/abc", ("https://example.com:8443", "abc")),
        ("spaces://192.168.1.20:8470/s/abc", ("https://192.168.1.20:8470", "abc")),
        ("spaces://localhost:8470/s/abc", ("http://localhost:8470", "abc")),
        ("spaces://127.0.0.5:8470/s/abc", ("http://127.0.0.5:8470", "abc")),
        ("spaces://[::1]:8470/s/abc", ("http://[::1]:8470", "abc")),
        ("spaces://[2001:DB8:0:0::1]:8470/s/abc", ("https://[2001:db8::1]:8470", "abc")),
        ("https://example.com:0443/s/abc", ("https://example.com:443", "abc")),
        ("https://xn--bcher-kva.example/s/abc", ("https://xn--bcher-kva.example", "abc")),
        ("https://intranet/a.b/c~d/s/abc", ("https://intranet/a.b/c~d", "abc")),
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
        ("https://@example.com/s/abc", "user name"),
        ("spaces://good.example@evil.example/s/abc", "user name"),
        # urllib reads host "evil.example" here, a browser reads "good.example".
        ("https://good.example\\@evil.example/s/abc", "isn't a valid link"),
        ("https://good.example\\evil/s/abc", "isn't a valid link"),
        # urllib silently drops tabs and newlines.
        ("https://exa\tmple.com/s/abc", "control or non-ASCII"),
        ("https://example.com/s/a\nbc", "control or non-ASCII"),
        ("https://example.com/s/abc\u202e", "control or non-ASCII"),
        ("https://bücher.example/s/abc", "control or non-ASCII"),
        ("https://example.com/s/abc?utm=chat", "query or a fragment"),
        ("https://example.com/s/abc#top", "query or a fragment"),
        ("https://example.com/s/abc?", "query or a fragment"),
        ("spaces://example.com/s/abc#/s/other", "query or a fragment"),
        ("spaces://example.com/prefix/s/abc", "doesn't point at a Space"),
        ("https://example.com/../s/abc", "doesn't point at a Space"),
        ("https://example.com/a/./s/abc", "doesn't point at a Space"),
        ("https://example.com//s/abc", "doesn't point at a Space"),
        ("https://example.com/%2e%2e/s/abc", "doesn't point at a Space"),
        ("https://example.com/s/abc/extra", "doesn't point at a Space"),
        ("https://example.com/s/" + "a" * 65, "doesn't point at a Space"),
        ("https://example.com/s/ab.c", "doesn't point at a Space"),
        ("https://example.com:/s/abc", "port must be a number"),
        ("https://example.com:0/s/abc", "port must be a number"),
        ("https://example.com:+80/s/abc", "isn't a valid link"),
        ("https://127.1/s/abc", "IPv4"),
        ("https://0x7f.0.0.1/s/abc", "IPv4"),
        ("https://2130706433/s/abc", "IPv4"),
        ("https://127.000.000.001/s/abc", "IPv4"),
        ("https://256.1.1.1/s/abc", "IPv4"),
        ("https://[::1%25eth0]/s/abc", "isn't a valid link"),
        ("https://[1:2:3]/s/abc", "IPv6"),
        ("https://::1/s/abc", "isn't a valid link"),
        ("https://exa_mple.com/s/abc", "isn't a valid link"),
        ("https://-example.com/s/abc", "not a host name"),
        ("https://example..com/s/abc", "not a host name"),
        ("https://" + "a" * 64 + ".com/s/abc", "not a host name"),
        ("https://example.com/s/" + "a" * 3000, "too long"),
    ],
)
def test_rejected_links_say_why(link: str, says: str) -> None:
    with pytest.raises(InvalidLink, match=says):
        parse_link(link)


def test_server_address_is_checked_and_trimmed() -> None:
    assert check_base_url("http://127.0.0.1:8470/") == "http://127.0.0.1:8470"
    assert check_base_url("HTTPS://Example.com:8443/spaces/") == "https://example.com:8443/spaces"
    for bad in (
        "127.0.0.1:8470",
        "ws://host",
        "http://host/?x=1",
        "http://host:port",
        "http://user@host",
        "http://host#x",
        "http://ho\tst",
        "http://host/../up",
        "http://127.1",
        "http://host\\@other",
    ):
        with pytest.raises(InvalidLink):
            check_base_url(bad)


def test_error_messages_quote_the_link_without_control_characters() -> None:
    with pytest.raises(InvalidLink) as caught:
        parse_link("https://example.com/\u202es/abc\x00")
    assert "\u202e" not in caught.value.message and "\x00" not in caught.value.message
    assert "https://example.com/" in caught.value.message


def test_text_that_is_no_link_at_all_says_so_first() -> None:
    for text in ("not a link", "hello wörld", "AbC123", "https//example.com/s/abc"):
        with pytest.raises(InvalidLink, match="isn't a Spaces link"):
            parse_link(text)
    with pytest.raises(InvalidLink, match="control or non-ASCII"):
        parse_link("https://example.com/s/abc?\nx")
