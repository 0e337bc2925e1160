"""Which backend drives a Space's media on the shared Janus, recorded in Redis under a lease.

Two backends must never both drive one Janus room: the backend that opens a
Space's room owns it, with `media:owner:{space}` = {"backend": id, "janus": node}
set with SET NX PX and renewed every third of the lease. When the owner dies
its lease runs out and another backend takes the Space over: it claims the
lease, re-creates the room (open_room destroys whatever the dead owner left)
and tells the Space's clients to publish and subscribe again. The record names
a Janus node ("default" for the one Janus today), so placing rooms on several
nodes later only adds values, not a new record.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

LEASE_MS = 6000
DEFAULT_NODE = "default"

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
_REPLACE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL') end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


@dataclass(frozen=True)
class Ownership:
    backend: str
    janus: str = DEFAULT_NODE
    """The Janus node holding the Space's room (its origin)."""
    url: str | None = None
    """The owner's internal URL, where other backends forward the Space's media calls."""

    def encode(self) -> str:
        record: dict[str, str] = {"backend": self.backend, "janus": self.janus}
        if self.url:
            record["url"] = self.url
        return json.dumps(record, sort_keys=True)

    @staticmethod
    def decode(text: str) -> Ownership:
        d = json.loads(text)
        url = d.get("url")
        return Ownership(str(d["backend"]), str(d.get("janus", DEFAULT_NODE)), str(url) if url else None)


class MediaLeases:
    def __init__(
        self,
        client: redis.Redis,
        backend_id: str,
        prefix: str = "sd:",
        lease_ms: int = LEASE_MS,
        url: str | None = None,
    ) -> None:
        self._r = client
        self._prefix = prefix
        self.prefix = prefix
        self.me = Ownership(backend_id, url=url)
        self.lease_ms = lease_ms
        self._owned: set[str] = set()
        self._values: dict[str, str] = {}
        """The record each owned lease holds (its node may differ from Space to Space)."""
        self._renew = client.register_script(_RENEW)
        self._replace = client.register_script(_REPLACE)
        self._release = client.register_script(_RELEASE)

    def _key(self, space_id: str) -> str:
        return f"{self._prefix}media:owner:{space_id}"

    def owner(self, space_id: str) -> Ownership | None:
        text = self._r.get(self._key(space_id))
        return Ownership.decode(str(text)) if text else None

    def _value(self, space_id: str) -> str:
        return self._values.get(space_id) or self.me.encode()

    def acquire(self, space_id: str) -> bool:
        """True if this backend owns the Space's media now (it did, or the lease was free)."""
        if space_id in self._owned and self._renew(
            keys=[self._key(space_id)], args=[self._value(space_id), self.lease_ms]
        ):
            return True
        value = self.me.encode()
        if self._r.set(self._key(space_id), value, nx=True, px=self.lease_ms):
            self._owned.add(space_id)
            self._values[space_id] = value
            return True
        self._owned.discard(space_id)
        self._values.pop(space_id, None)
        return False

    def place(self, space_id: str, node: str) -> bool:
        """Records the Janus node holding the owned Space's room; False if the lease is not ours."""
        if space_id not in self._owned:
            return False
        old = self._value(space_id)
        new = Ownership(self.me.backend, node, self.me.url).encode()
        if old == new:
            return True
        if self._replace(keys=[self._key(space_id)], args=[old, new]):
            self._values[space_id] = new
            return True
        return False

    def owns(self, space_id: str) -> bool:
        return space_id in self._owned

    def owned(self) -> set[str]:
        return set(self._owned)

    def release(self, space_id: str) -> None:
        self._owned.discard(space_id)
        self._release(keys=[self._key(space_id)], args=[self._values.pop(space_id, self.me.encode())])

    def renew_all(self) -> set[str]:
        """Renews every lease held; returns the Spaces whose lease was lost (it expired meanwhile)."""
        lost = set()
        for space_id in tuple(self._owned):
            if not self._renew(keys=[self._key(space_id)], args=[self._value(space_id), self.lease_ms]):
                self._owned.discard(space_id)
                self._values.pop(space_id, None)
                lost.add(space_id)
        return lost

    async def run(
        self,
        live_rooms: Callable[[], list[tuple[str, int]]],
        take_over: Callable[[str, int], Awaitable[None]],
    ) -> None:
        """Renews this backend's leases and takes over live Spaces whose owner is gone, until cancelled."""
        while True:
            await asyncio.sleep(self.lease_ms / 3000)
            try:
                for space_id in self.renew_all():
                    # Only after Redis was out of reach for a whole lease; the room stays as it is.
                    log.warning("Lost the media lease of Space %s; another backend drives it now", space_id)
                live = dict(live_rooms())
                for space_id in set(self._owned) - set(live):
                    self.release(space_id)  # ended
                for space_id, room_id in live.items():
                    if space_id not in self._owned and self.acquire(space_id):
                        log.info("Taking over the media of Space %s (its backend is gone)", space_id)
                        await take_over(space_id, room_id)
            except (RedisError, OSError) as exc:
                log.warning("Media lease round failed (%s); retrying", type(exc).__name__)
            except Exception:
                log.exception("Media lease round failed")
