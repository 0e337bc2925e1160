"""The server-sent events parser, fed the way a network feeds it: in pieces."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from spaces_desktop.signaling.sse import (
    MAX_LINE_BYTES,
    SseComment,
    SseItem,
    SseMessage,
    SseParser,
    SseRetry,
    SseTooLarge,
)


def parse(*chunks: bytes) -> list[SseItem]:
    parser = SseParser()
    return [item for chunk in chunks for item in parser.feed(chunk)]


def messages(*chunks: bytes) -> list[SseMessage]:
    return [item for item in parse(*chunks) if isinstance(item, SseMessage)]


BACKEND_FRAME = b'retry: 1000\n\nid: 7\nevent: reaction\ndata: {"id": 7}\n\n: keepalive\n\n'


def test_backend_frames() -> None:
    assert parse(BACKEND_FRAME) == [
        SseRetry(1000),
        SseMessage(event="reaction", data='{"id": 7}', id="7"),
        SseComment("keepalive"),
    ]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 13])
def test_any_split_gives_the_same_items(size: int) -> None:
    chunks = [BACKEND_FRAME[i : i + size] for i in range(0, len(BACKEND_FRAME), size)]
    assert parse(*chunks) == parse(BACKEND_FRAME)


def test_multi_line_data_joins_with_newlines() -> None:
    assert messages(b"data: one\ndata:two\ndata\ndata:  three\n\n") == [
        SseMessage(event="message", data="one\ntwo\n\n three", id=None)
    ]


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"])
def test_every_line_ending(eol: bytes) -> None:
    text = b"id: 1" + eol + b"data: a" + eol + b"data: b" + eol + eol + b"data: c" + eol + eol
    assert messages(text) == [SseMessage("message", "a\nb", "1"), SseMessage("message", "c", "1")]


def test_crlf_split_between_chunks_is_one_line_end() -> None:
    # A CR at the end of one chunk and its LF at the start of the next must not make an empty line.
    assert messages(b"data: a\r", b"\ndata: b\r\n\r", b"\n") == [SseMessage("message", "a\nb", None)]


def test_utf8_character_split_between_chunks() -> None:
    raw = 'data: {"emoji": "👏"}\n\n'.encode()
    cut = raw.index("👏".encode()) + 2
    assert messages(raw[:cut], raw[cut:]) == [SseMessage("message", '{"emoji": "👏"}', None)]


def test_incomplete_message_waits_and_is_never_dispatched_without_blank_line() -> None:
    parser = SseParser()
    assert list(parser.feed(b"id: 3\nevent: x\ndata: half")) == []
    assert list(parser.feed(b"-done\n")) == []
    assert list(parser.feed(b"\n")) == [SseMessage("x", "half-done", "3")]


def test_event_without_data_is_not_dispatched_but_its_id_counts() -> None:
    parser = SseParser()
    assert list(parser.feed(b"id: 9\nevent: nothing\n\ndata: x\n\n")) == [SseMessage("message", "x", "9")]
    assert parser.last_id == "9"


def test_comments_retry_and_unknown_fields() -> None:
    items = parse(b":no space\n: spaced\nretry: 250\nretry: soon\nfoo: bar\ndata: d\n\n")
    assert items == [
        SseComment("no space"),
        SseComment("spaced"),
        SseRetry(250),
        SseMessage("message", "d", None),
    ]


def test_leading_bom_is_dropped_once() -> None:
    assert messages(b"\xef\xbb\xbfdata: a\n\n") == [SseMessage("message", "a", None)]


def test_id_with_nul_is_ignored_and_empty_id_resets() -> None:
    assert messages(b"id: 1\ndata: a\n\nid: 2\x00\ndata: b\n\nid\ndata: c\n\n") == [
        SseMessage("message", "a", "1"),
        SseMessage("message", "b", "1"),
        SseMessage("message", "c", ""),
    ]


def test_endless_line_ends_the_stream_in_bounded_time_and_memory() -> None:
    """50 MB without a line end, as a broken or hostile server could send it, fed as a network would."""
    parser = SseParser()
    chunk_size, total = 64 * 1024, 50 * 1024 * 1024
    assert list(parser.feed(b"id: 1\ndata: before\n\ndata: ")) == [SseMessage("message", "before", "1")]
    fed = 0
    started = time.monotonic()
    tracemalloc.start()
    try:
        with pytest.raises(SseTooLarge, match="longer than"):
            while fed < total and time.monotonic() - started < 20:
                chunk = b"x" * chunk_size  # a new object each time, as from a socket
                fed += len(chunk)
                for _ in parser.feed(chunk):
                    pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert fed <= MAX_LINE_BYTES + chunk_size  # refused as soon as the line passed the cap
    assert peak < 2 * MAX_LINE_BYTES + 4 * chunk_size, peak
    assert time.monotonic() - started < 20


def test_line_cap_is_exact_and_holds_across_chunks() -> None:
    parser = SseParser(max_line_bytes=16)
    assert list(parser.feed(b"data: 0123456789\n\n")) == [SseMessage("message", "0123456789", None)]
    assert list(parser.feed(b"data: 01234")) == []
    assert list(parser.feed(b"56789")) == []
    with pytest.raises(SseTooLarge):
        list(parser.feed(b"X\n"))
    with pytest.raises(SseTooLarge):
        list(SseParser(max_line_bytes=16).feed(b"data: 0123456789X\n"))


@pytest.mark.parametrize("line", [b"data: x\n", b"data\n"])
def test_event_over_the_cap_ends_the_stream(line: bytes) -> None:
    # Many short data lines without the blank line that would dispatch them.
    parser = SseParser(max_event_chars=1000)
    with pytest.raises(SseTooLarge, match="event of more than 1000"):
        for _ in range(10_000):
            list(parser.feed(line))
    ok = SseParser(max_event_chars=1000)
    assert [m.data for m in ok.feed(b"data: x\n" * 400 + b"\n") if isinstance(m, SseMessage)] == [
        "\n".join(["x"] * 400)
    ]


def test_many_lines_in_one_chunk_split_in_linear_time() -> None:
    """A megabyte of short lines in one chunk: every line end is found without rescanning the rest."""
    lines = 500_000
    parser = SseParser()
    started = time.monotonic()
    seen = 0
    for item in parser.feed(b":\n" * lines):
        assert item == SseComment("")
        seen += 1
        if seen % 10_000 == 0:
            assert time.monotonic() - started < 15, f"{seen} lines after 15 s"
    assert seen == lines
