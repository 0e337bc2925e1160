"""An incremental parser for server-sent events, as the HTML standard defines them.

Bytes go in as they arrive, split anywhere (inside a line, a CRLF or a UTF-8
character); whole messages come out. No I/O here, so the edge cases are tested
without a server.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass


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


class SseParser:
    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._started = False
        self._skip_lf = False  # the last chunk ended in CR: a LF first in the next one ends no line
        self._event = ""
        self._data: list[str] = []
        self._last_id: str | None = None

    @property
    def last_id(self) -> str | None:
        return self._last_id

    def feed(self, chunk: bytes) -> Iterator[SseItem]:
        """Everything complete so far; what is left waits for the next chunk."""
        text = self._decoder.decode(chunk)
        if not self._started and text:
            self._started = True
            text = text.removeprefix("\ufeff")
        if self._skip_lf and text:
            text = text.removeprefix("\n")
            self._skip_lf = False
        self._buffer += text
        yield from self._lines()

    def _lines(self) -> Iterator[SseItem]:
        start = 0
        buffer = self._buffer
        while True:
            cr = buffer.find("\r", start)
            lf = buffer.find("\n", start)
            if cr == -1 and lf == -1:
                break
            end = lf if cr == -1 else cr if lf == -1 else min(cr, lf)
            line = buffer[start:end]
            if buffer[end] == "\r":
                if end + 1 < len(buffer):
                    start = end + 2 if buffer[end + 1] == "\n" else end + 1
                else:
                    start = end + 1
                    self._skip_lf = True
            else:
                start = end + 1
            item = self._line(line)
            if item is not None:
                yield item
        self._buffer = buffer[start:]

    def _line(self, line: str) -> SseItem | None:
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return SseComment(line[1:].removeprefix(" "))
        field, colon, value = line.partition(":")
        if colon:
            value = value.removeprefix(" ")
        if field == "data":
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
        self._data, self._event = [], ""
        if not data:
            return None
        return SseMessage(event=event or "message", data="\n".join(data), id=self._last_id)
