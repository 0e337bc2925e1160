"""Stream tickets: a browser's EventSource cannot send an Authorization header, so it opens the
event stream with a ticket in the query instead of its long-lived token.

A ticket is 128 random bits, names one participant, lives a few seconds and works once, so one
that leaks into a proxy's access log or the browser's history is worthless by then.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

TICKET_TTL_S = 30.0
MAX_OUTSTANDING = 50_000  # a bound on memory whatever the callers do


@dataclass(frozen=True)
class _Ticket:
    space_id: str
    participant_id: str
    expires: float


class StreamTickets:
    def __init__(self, ttl_s: float = TICKET_TTL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._tickets: dict[str, _Ticket] = {}

    def issue(self, space_id: str, participant_id: str) -> str:
        self._forget_expired()
        if len(self._tickets) >= MAX_OUTSTANDING:
            oldest = min(self._tickets, key=lambda key: self._tickets[key].expires)
            del self._tickets[oldest]
        ticket = secrets.token_urlsafe(16)
        self._tickets[ticket] = _Ticket(space_id, participant_id, self._clock() + self.ttl_s)
        return ticket

    def redeem(self, space_id: str, ticket: str) -> str | None:
        """The participant a valid ticket names (and the ticket is spent), or None."""
        found = self._tickets.pop(ticket, None)
        if found is None or found.space_id != space_id or found.expires < self._clock():
            return None
        return found.participant_id

    def _forget_expired(self) -> None:
        now = self._clock()
        for key in [key for key, t in self._tickets.items() if t.expires < now]:
            del self._tickets[key]


__all__ = ["TICKET_TTL_S", "StreamTickets"]
