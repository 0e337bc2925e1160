"""uvicorn's h11 protocol with a deadline for reading each request.

uvicorn closes idle keep-alive connections, but a client that opens a socket
and sends half a request line (or trickles headers, or a body) is waited for
forever; a few hundred of those hold the connection limit and starve
everyone else. Here every request, the first on a connection included, must
arrive in full within `request_timeout` seconds of the connection opening or
of the previous response; otherwise the connection is closed.
"""

from __future__ import annotations

import asyncio
import logging

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)

DEFAULT_REQUEST_TIMEOUT_S = 10.0
_READING = (h11.IDLE, h11.SEND_BODY)
"""The client's side of the connection while its request is still coming in."""


class GuardedH11Protocol(H11Protocol):
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT_S

    _read_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_read_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_read_deadline()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_read_deadline()  # the next request on this connection gets the same time

    def _arm_read_deadline(self) -> None:
        self._disarm_read_deadline()
        self._read_deadline = self.loop.call_later(self.request_timeout, self._read_deadline_passed)

    def _disarm_read_deadline(self) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
            self._read_deadline = None

    def _read_deadline_passed(self) -> None:
        self._read_deadline = None
        if self.transport.is_closing() or self.conn.their_state not in _READING:
            return
        log.info("closed a connection from %s that did not send its request in time", self.client)
        self.transport.close()


def guarded_protocol(request_timeout: float) -> type[GuardedH11Protocol]:
    """The protocol class for `uvicorn.Config(http=...)`, with this deadline."""
    return type("GuardedH11Protocol", (GuardedH11Protocol,), {"request_timeout": request_timeout})


__all__ = ["DEFAULT_REQUEST_TIMEOUT_S", "GuardedH11Protocol", "guarded_protocol"]
