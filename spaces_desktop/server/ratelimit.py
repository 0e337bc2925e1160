"""Per-address and per-token request limits: token buckets in front of every state-changing route.

Each route class has its own `Rate` (a burst, refilled at a steady rate):
joining and creating are counted per client address, since they mint new
tokens; every other POST/DELETE and every event-stream open are counted per
token, and also per address so one address holding many tokens is held too.
A refused request gets 429 with `Retry-After` and `{error: "rate_limited"}`.

Buckets live in memory, bounded: a bucket that has been idle long enough to
be full again is the same as no bucket and is dropped; past `max_keys` the
least recently used goes first.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import math
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)

MAX_KEYS = 50_000
"""Buckets kept per route class; about 100 bytes each."""
REFUSAL_PAUSE_S = 0.25
"""A 429 is sent after this pause (no work, just a timer), so a client retrying in a tight loop
over a few connections sends a few requests a second instead of keeping the server busy."""


@dataclass(frozen=True)
class Rate:
    burst: float
    per_second: float

    def scaled(self, factor: float) -> Rate:
        return Rate(max(1.0, self.burst * factor), self.per_second * factor)


class TokenBuckets:
    """One bucket per key; `take(key)` is 0.0 when allowed, else the seconds until it would be."""

    def __init__(
        self, rate: Rate, max_keys: int = MAX_KEYS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.max_keys = max_keys
        self._clock = clock
        # key -> (tokens, when they were counted); oldest use first.
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._refill_s = rate.burst / rate.per_second if rate.per_second > 0 else math.inf

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: str) -> float:
        now = self._clock()
        self._evict_idle(now)
        tokens, then = self._buckets.pop(key, (self.rate.burst, now))
        tokens = min(self.rate.burst, tokens + (now - then) * self.rate.per_second)
        if tokens >= 1.0:
            tokens -= 1.0
            wait = 0.0
        else:
            wait = (1.0 - tokens) / self.rate.per_second if self.rate.per_second > 0 else math.inf
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return wait

    def _evict_idle(self, now: float) -> None:
        # The front is the least recently used; once it has refilled, it is as good as new.
        while self._buckets:
            key, (_, then) = next(iter(self._buckets.items()))
            if now - then < self._refill_s:
                return
            del self._buckets[key]


@dataclass(frozen=True)
class Limits:
    """The defaults of `spaces-desktop serve`; `scaled(0)` turns limiting off."""

    entry: Rate = Rate(burst=60, per_second=2)
    """Create a Space or join one, per client address."""
    reaction: Rate = Rate(burst=10, per_second=4)
    """Reactions, per token."""
    action: Rate = Rate(burst=30, per_second=5)
    """Any other POST or DELETE (hand, camera, requests, moderation, media), per token."""
    stream: Rate = Rate(burst=10, per_second=0.5)
    """Opening the event stream, per token: a client reconnects with backoff, not in a loop."""
    address: Rate = Rate(burst=300, per_second=50)
    """Everything above together, per client address."""
    enabled: bool = True

    def scaled(self, factor: float) -> Limits:
        if factor <= 0:
            return replace(self, enabled=False)
        return Limits(
            entry=self.entry.scaled(factor),
            reaction=self.reaction.scaled(factor),
            action=self.action.scaled(factor),
            stream=self.stream.scaled(factor),
            address=self.address.scaled(factor),
        )


_ENTRY = re.compile(r"^/spaces(/[^/]+/join)?/?$")
_REACTION = re.compile(r"^/spaces/[^/]+/reactions/?$")
_STREAM = re.compile(r"^/spaces/[^/]+/events/?$")


def route_class(method: str, path: str) -> str | None:
    """Which limit a request counts against; None for reads, which are not limited."""
    if method == "GET":
        return "stream" if _STREAM.match(path) else None
    if method not in ("POST", "DELETE", "PUT", "PATCH"):
        return None
    if _ENTRY.match(path):
        return "entry"
    if _REACTION.match(path):
        return "reaction"
    return "action"


@dataclass
class ClientAddress:
    """The caller's address: the peer's, or `X-Forwarded-For`'s when the peer is a trusted proxy."""

    trusted_proxies: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def trusting(cls, proxies: Iterable[str]) -> ClientAddress:
        return cls(frozenset(_normalized(p) for p in proxies))

    def of(self, scope: Scope) -> str:
        client = scope.get("client")
        peer = _normalized(client[0]) if client else "unknown"
        if peer not in self.trusted_proxies:
            return peer
        forwarded = [
            value.decode("latin-1")
            for name, value in scope.get("headers") or ()
            if name == b"x-forwarded-for"
        ]
        hops = [_normalized(h) for h in ",".join(forwarded).split(",") if h.strip()]
        # Each proxy appends the address it saw; walk back past our own proxies.
        for hop in reversed(hops):
            if hop not in self.trusted_proxies:
                return hop
        return peer


def _normalized(address: str) -> str:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return address.strip()[:64]


def _bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers") or ():
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            return value[7:].strip()[:64].decode("latin-1") or None
    return None


class RateLimit:
    """ASGI middleware answering 429 to a request over its limit, before the app reads it."""

    def __init__(
        self, app: ASGIApp, limits: Limits, addresses: ClientAddress, pause_s: float = REFUSAL_PAUSE_S
    ) -> None:
        self.app = app
        self.limits = limits
        self.addresses = addresses
        self.pause_s = pause_s
        self._buckets = {
            "entry": TokenBuckets(limits.entry),
            "reaction": TokenBuckets(limits.reaction),
            "action": TokenBuckets(limits.action),
            "stream": TokenBuckets(limits.stream),
        }
        self._per_address = TokenBuckets(limits.address)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.limits.enabled:
            await self.app(scope, receive, send)
            return
        kind = route_class(scope["method"], scope["path"])
        if kind is None:
            await self.app(scope, receive, send)
            return
        address = self.addresses.of(scope)
        token = _bearer(scope)
        key = address if kind == "entry" or token is None else token
        wait = self._buckets[kind].take(key)
        if wait == 0.0:
            wait = self._per_address.take(address)
        if wait > 0.0:
            log.debug("rate limited %s %s from %s", scope["method"], scope["path"], address)
            await asyncio.sleep(min(self.pause_s, wait))
            await _too_many(kind, wait)(scope, receive, send)
            return
        await self.app(scope, receive, send)


_WHAT = {
    "entry": "Too many joins from your network",
    "reaction": "Too many reactions",
    "action": "Too many requests",
    "stream": "Too many reconnections",
}


def _too_many(kind: str, wait: float) -> JSONResponse:
    seconds = max(1, math.ceil(min(wait, 3600.0)))
    unit = "second" if seconds == 1 else "seconds"
    return JSONResponse(
        {"error": "rate_limited", "message": f"{_WHAT[kind]}; try again in {seconds} {unit}."},
        status_code=429,
        headers={"Retry-After": str(seconds)},
    )


__all__ = ["ClientAddress", "Limits", "Rate", "RateLimit", "TokenBuckets", "route_class"]
