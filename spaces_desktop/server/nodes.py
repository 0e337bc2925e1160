"""Janus nodes a backend drives (`serve --janus-node URL` or `--janus-nodes FILE`), and their load.

Every node can be an origin (it holds a Space's VideoRoom, where the stage
publishes) and an edge (Streaming mountpoints fed by `rtp_forward` from the
origin room, where listeners watch). Placement picks the least-loaded live
node: rooms for an origin, viewers for an edge. The load every backend puts on
every node lives in Redis as `janus:load:{backend}` (JSON, under a lease that
the backend renews), and a node a backend saw die is marked `janus:down:{node}`
for a while, so other backends stop placing on it before their own sessions
notice. Without Redis (one backend), the load is this process's own.

Secrets never come from the command line: a nodes file (0600) may name each
node's `secret` and `admin_key`; otherwise the shared SPACES_JANUS_SECRET and
SPACES_JANUS_ADMIN_KEY (or --janus-secret-file) apply to all nodes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import redis
from redis.exceptions import RedisError

from spaces_desktop.errors import ConfigError

log = logging.getLogger(__name__)

LOAD_LEASE_MS = 6000
DOWN_MS = 10_000
"""A node seen dead is avoided this long by every backend (its own session may come back sooner)."""


@dataclass(frozen=True)
class JanusNode:
    name: str
    url: str
    """Janus HTTP API, e.g. http://10.0.0.11:8088/janus."""
    media_address: str
    """Where other nodes send this node RTP (rtp_forward into its mountpoints); its mountpoints bind here."""
    secret: str | None = field(default=None, repr=False)
    admin_key: str | None = field(default=None, repr=False)


def parse_node(text: str, index: int) -> JanusNode:
    """`URL` or `NAME=URL`; the node's media address is the URL's host."""
    name, _, url = text.partition("=") if "=" in text.split("://", 1)[0] else (f"janus{index + 1}", "", text)
    return _node(name.strip(), url.strip(), None, None, None)


def _node(name: str, url: str, address: str | None, secret: str | None, admin_key: str | None) -> JanusNode:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"'{url}' is not a Janus HTTP API URL like http://10.0.0.11:8088/janus.")
    if parts.password is not None or parts.query:
        raise ConfigError("Put Janus secrets in the nodes file or the environment, not in the URL.")
    if not name or not name.replace("-", "").replace("_", "").isalnum():
        raise ConfigError(f"'{name}' is not a node name (letters, digits, - and _).")
    return JanusNode(name, url.rstrip("/"), address or parts.hostname, secret, admin_key)


def read_nodes_file(path: Path) -> list[JanusNode]:
    """{"nodes": [{"name", "url", "media_address"?, "secret"?, "admin_key"?}, ...]}"""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if path.stat().st_mode & 0o077:
            log.warning("%s can be read by other users; chmod 600 it.", path)
        rows = data["nodes"]
        return [
            _node(
                str(row["name"]),
                str(row["url"]),
                row.get("media_address"),
                row.get("secret"),
                row.get("admin_key"),
            )
            for row in rows
        ]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"Cannot read the Janus nodes file {path}: {exc!r}.") from exc


def with_shared_secrets(
    nodes: Iterable[JanusNode], secret: str | None, admin_key: str | None
) -> list[JanusNode]:
    result = [
        JanusNode(n.name, n.url, n.media_address, n.secret or secret, n.admin_key or admin_key) for n in nodes
    ]
    names = [n.name for n in result]
    if len(set(names)) != len(names):
        raise ConfigError("Two Janus nodes have the same name.")
    return result


@dataclass
class Load:
    rooms: int = 0
    viewers: int = 0


class NodeLoads:
    """How loaded each node is, over every backend; which nodes are down."""

    def __init__(
        self, names: list[str], client: redis.Redis | None, backend_id: str, prefix: str = "sd:"
    ) -> None:
        self.names = names
        self._r = client
        self._backend = backend_id
        self._prefix = prefix
        self.mine: dict[str, Load] = {name: Load() for name in names}
        self._down_here: set[str] = set()

    def set_down(self, name: str, down: bool) -> None:
        (self._down_here.add if down else self._down_here.discard)(name)
        if self._r is not None:
            try:
                if down:
                    self._r.set(f"{self._prefix}janus:down:{name}", self._backend, px=DOWN_MS)
                else:
                    self._r.delete(f"{self._prefix}janus:down:{name}")
            except (RedisError, OSError):
                log.warning("Could not record Janus node %s as %s in Redis", name, "down" if down else "up")

    def live(self) -> list[str]:
        down = set(self._down_here)
        if self._r is not None:
            try:
                flags = self._r.mget([f"{self._prefix}janus:down:{n}" for n in self.names])
                down |= {n for n, flag in zip(self.names, flags, strict=True) if flag}
            except (RedisError, OSError):
                pass
        return [n for n in self.names if n not in down]

    def totals(self) -> dict[str, Load]:
        """Every backend's load per node (this one's from memory, the others' from Redis)."""
        totals = {n: Load(self.mine[n].rooms, self.mine[n].viewers) for n in self.names}
        if self._r is None:
            return totals
        try:
            keys = [k for k in self._r.scan_iter(f"{self._prefix}janus:load:*", count=100)]
            others = [k for k in keys if str(k) != f"{self._prefix}janus:load:{self._backend}"]
            for text in self._r.mget(others) if others else []:
                for name, load in (json.loads(str(text)) if text else {}).items():
                    if name in totals:
                        totals[name].rooms += int(load.get("rooms", 0))
                        totals[name].viewers += int(load.get("viewers", 0))
        except (RedisError, OSError, ValueError):
            log.warning("Could not read Janus node loads from Redis; placing by this backend's own")
        return totals

    def pick(self, kind: str, exclude: Iterable[str] = ()) -> str | None:
        """The least-loaded live node (by rooms for an origin, by viewers for an edge); ties by name order."""
        skip = set(exclude)
        candidates = [n for n in self.live() if n not in skip]
        if not candidates:
            return None
        totals = self.totals()
        if kind == "origin":
            return min(candidates, key=lambda n: (totals[n].rooms, totals[n].viewers, self.names.index(n)))
        return min(candidates, key=lambda n: (totals[n].viewers, totals[n].rooms, self.names.index(n)))

    def publish(self) -> None:
        """Writes this backend's load to Redis under its lease (called every third of it)."""
        if self._r is None:
            return
        record = {n: {"rooms": load.rooms, "viewers": load.viewers} for n, load in self.mine.items()}
        try:
            self._r.set(f"{self._prefix}janus:load:{self._backend}", json.dumps(record), px=LOAD_LEASE_MS)
        except (RedisError, OSError):
            log.warning("Could not write this backend's Janus load to Redis")


__all__ = ["JanusNode", "Load", "NodeLoads", "parse_node", "read_nodes_file", "with_shared_secrets"]
