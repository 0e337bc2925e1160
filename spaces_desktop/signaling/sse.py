"""An incremental parser for server-sent events, as the HTML standard defines them.

Bytes go in as they arrive, split anywhere (inside a line, a CRLF or a UTF-8
character); whole messages come out. No I/O here, so the edge cases are tested
without a server.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from spaces_desktop.signaling.errors import SignalingError

MAX_LINE_BYTES = 256 * 1024
"""The backend's largest event is a few KiB (a full stage's stream list)."""
MAX_EVENT_CHARS = 1024 * 1024
_LINE_END = re.compile(rb"\r\n|\r|\n")


@dataclass(frozen=True)
class SseMessage:
    """One dispatched event; `id` is the stream's last event id at dispatch (it persists)."""

    event: str
    data: str
    id: str | None


@dataclass(frozen=True)
class SseComment:
    """A `: ...` line; the backend sends `: keepalive` to show the connection is alive."""

    text: str


@dataclass(frozen=True)
class SseRetry:
    """The server's reconnection delay hint."""

    milliseconds: int


SseItem = SseMessage | SseComment | SseRetry


class SseTooLarge(SignalingError):
    """A line or an event over the parser's cap: the stream is broken, reconnect."""

    code = "event_too_large"


class SseParser:
    """Splits lines in time linear in the bytes fed, holding at most one line and one event.

    A line longer than `max_line_bytes`, or an event whose data adds up to more
    than `max_event_chars` characters, raises SseTooLarge as soon as it is seen:
    an endless line costs `max_line_bytes` of memory, not the whole stream.
    """

    def __init__(
        self, *, max_line_bytes: int = MAX_LINE_BYTES, max_event_chars: int = MAX_EVENT_CHARS
    ) -> None:
        self._max_line = max_line_bytes
        self._max_event = max_event_chars
        self._partial: list[bytes] = []  # the line being received, in the pieces it came in
        self._partial_size = 0
        self._started = False
        self._skip_lf = False  # the last chunk ended in CR: a LF first in the next one ends no line
        self._event = ""
        self._data: list[str] = []
        self._data_size = 0
        self._last_id: str | None = None

    @property
    def last_id(self) -> str | None:
        return self._last_id

    def feed(self, chunk: bytes) -> Iterator[SseItem]:
        """Everything complete so far; what is left waits for the next chunk."""
        start = 0
        if self._skip_lf and chunk:
            self._skip_lf = False
            if chunk[:1] == b"\n":
                start = 1
        for end in _LINE_END.finditer(chunk, start):
            piece = chunk[start : end.start()]
            self._check_line(len(piece))
            line = b"".join([*self._partial, piece]) if self._partial else piece
            self._partial, self._partial_size = [], 0
            start = end.end()
            if end.group() == b"\r" and start == len(chunk):
                self._skip_lf = True
            item = self._line(self._decode(line))
            if item is not None:
                yield item
        rest = chunk[start:]
        if rest:
            self._check_line(len(rest))
            self._partial.append(rest)
            self._partial_size += len(rest)

    def _check_line(self, more: int) -> None:
        if self._partial_size + more > self._max_line:
            raise SseTooLarge(f"The server sent a line longer than {self._max_line} bytes.")

    def _decode(self, line: bytes) -> str:
        # Line ends are ASCII, so a line never ends inside a UTF-8 character.
        text = line.decode("utf-8", errors="replace")
        if not self._started:
            self._started = True
            text = text.removeprefix("\ufeff")
        return text

    def _line(self, line: str) -> SseItem | None:
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return SseComment(line[1:].removeprefix(" "))
        field, colon, value = line.partition(":")
        if colon:
            value = value.removeprefix(" ")
        if field == "data":
            self._data_size += len(value) + 1  # +1: empty data lines add a newline each
            if self._data_size > self._max_event:
                raise SseTooLarge(f"The server sent an event of more than {self._max_event} characters.")
            self._data.append(value)
        elif field == "event":
            self._event = value
        elif field == "id":
            if "\0" not in value:
                self._last_id = value
        elif field == "retry" and value.isascii() and value.isdigit():
            return SseRetry(int(value))
        return None  # unknown fields are ignored

    def _dispatch(self) -> SseMessage | None:
        data, event = self._data, self._event
        self._data, self._event, self._data_size = [], "", 0
        if not data:
            return None
        return SseMessage(event=event or "message", data="\n".join(data), id=self._last_id)
