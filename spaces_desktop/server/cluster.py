"""`serve --redis URL`: the parts of a backend that several `serve` processes share through Redis.

What lives where with several backends:
  shared in Redis   Spaces, participants, tokens (digests), bans, the event log (Streams),
                    presence (server/redis_presence.py), media ownership (server/media_lease.py)
  per process       the live feeds of this process's event streams (fed from the Streams),
                    row caches checked against Redis's per-Space version on every read,
                    participant views (keyed by that version), rate limits (each backend
                    counts its own requests: N backends allow up to N times a limit),
                    reaction batches (each backend logs at most one batch per Space and
                    interval), talking state (from the Janus events of the owning backend),
                    stream tickets and admission long-polls (a decision made on another
                    backend is seen at the poll's next round, within 8 s)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import redis
import redis.asyncio as aioredis

from spaces_desktop.errors import ConfigError
from spaces_desktop.server.media_lease import MediaLeases
from spaces_desktop.server.redis_events import RedisEventBus
from spaces_desktop.server.redis_presence import SharedPresence
from spaces_desktop.server.redis_store import RedisStore

log = logging.getLogger(__name__)

REDIS_PASSWORD_ENV = "SPACES_REDIS_PASSWORD"
SOCKET_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class RedisSettings:
    url: str
    """redis://host:port/db, rediss://… or unix:///path/redis.sock — without a password."""
    password: str | None = None
    """From --redis-password-file or SPACES_REDIS_PASSWORD, never the command line."""
    prefix: str = "sd:"
    backend_id: str = ""
    """This process's name in media leases; empty picks host:pid:random."""
    internal_url: str | None = None
    """Where other backends reach this one to forward media calls (server/forwarding.py)."""


def check_redis_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(f"'{url}' is not a redis://, rediss:// or unix:// URL.")
    if parts.password is not None:
        raise ConfigError(
            "Put the Redis password in a file (--redis-password-file) or in "
            f"{REDIS_PASSWORD_ENV}, not in the URL: every local user can read command lines."
        )
    return url


def redis_password(path: Path | None) -> str | None:
    if path is not None:
        try:
            return path.read_text(encoding="utf-8").strip() or None
        except OSError as exc:
            raise ConfigError(f"Cannot read the Redis password file {path}: {exc}.") from exc
    return os.environ.get(REDIS_PASSWORD_ENV) or None


@dataclass
class Cluster:
    store: RedisStore
    bus: RedisEventBus
    presence: SharedPresence
    leases: MediaLeases
    _client: redis.Redis
    _aclient: aioredis.Redis
    _tasks: list[asyncio.Task[None]]

    @classmethod
    def connect(cls, settings: RedisSettings) -> Cluster:
        options = {
            "password": settings.password,
            "decode_responses": True,
            "socket_timeout": SOCKET_TIMEOUT_S,
        }
        client = redis.Redis.from_url(settings.url, **options)
        # The live reader blocks in XREAD for BLOCK_MS: no socket timeout shorter than that.
        aclient = aioredis.Redis.from_url(settings.url, **options)  # type: ignore[arg-type]
        try:
            client.ping()
        except (redis.RedisError, OSError) as exc:
            raise ConfigError(f"Cannot reach Redis at {settings.url}: {type(exc).__name__}.") from exc
        store = RedisStore(client, settings.prefix)
        backend_id = settings.backend_id or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        return cls(
            store,
            RedisEventBus(store, aclient),
            SharedPresence(client, settings.prefix),
            MediaLeases(client, backend_id, settings.prefix, url=settings.internal_url),
            client,
            aclient,
            [],
        )

    @property
    def client(self) -> redis.Redis:
        return self._client

    @property
    def prefix(self) -> str:
        return self.leases.prefix

    def start(
        self,
        live_rooms: Callable[[], list[tuple[str, int]]],
        take_over: Callable[[str, int], Awaitable[None]],
    ) -> None:
        self.bus.start()
        loop = asyncio.get_running_loop()
        self._tasks.append(loop.create_task(self.leases.run(live_rooms, take_over), name="media-leases"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.bus.stop()
        for space_id in self.leases.owned():
            with contextlib.suppress(redis.RedisError, OSError):
                self.leases.release(space_id)  # another backend takes it at once, not after the lease
        await self._aclient.aclose()
