"""`bench cluster`: several backends on one Redis behind a real load balancer, and a backend dying.

The cluster on this machine: a private redis-server (unix socket), one Janus,
two `spaces-desktop serve --redis` processes driving it, and HAProxy in front
(health checks every 200 ms, requests to a dead server re-dispatched). A host
creates a Space through the balancer, a listener joins and opens its event
stream; a third participant raises and lowers a hand every EVENT_EVERY_S, so
events keep coming from whichever backend the balancer picks. The backend
serving the listener's stream (HAProxy names it in X-Served-By) is killed with
SIGKILL; the listener reconnects through the balancer with Last-Event-ID.

- `backend_failover_s`: from the kill until the listener's stream delivers an event again;
- `lost_events` / `repeated_events`: the Space's log as Redis holds it, for the listener,
  against what the listener received (must be 0 / 0).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from spaces_desktop.bench.environment import free_port
from spaces_desktop.bench.janus_nodes import Bridge, JanusNodeProcess, process_cpu_seconds
from spaces_desktop.bench.redis_server import RedisServer
from spaces_desktop.server.janus_process import JanusKeys, JanusSettings, ManagedJanus

log = logging.getLogger(__name__)

EDGE_THRESHOLD = 1
EVENT_EVERY_S = 0.05
RECONNECT_EVERY_S = 0.1
"""The listener's pause between reconnects (the app's own backoff starts lower and grows)."""
BEFORE_KILL_S = 2.0
AFTER_RECOVERY_S = 2.0
FAILOVER_TIMEOUT_S = 30.0
HAPROXY_CONFIG = """global
    maxconn 2000
defaults
    mode http
    timeout connect 500ms
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
    option redispatch
    retries 3
frontend spaces
    bind 127.0.0.1:{port}
    default_backend backends
backend backends
    balance roundrobin
    option httpchk GET /healthz
    http-response set-header X-Served-By %s
{servers}
"""


def haproxy_binary() -> str:
    found = shutil.which("haproxy") or next(
        (p for p in ("/usr/sbin/haproxy", "/sbin/haproxy") if Path(p).exists()), None
    )
    if found is None:
        raise RuntimeError("haproxy is not installed (scripts/install-system-deps.sh)")
    return found


class Serve:
    """One `spaces-desktop serve --redis` process on the shared Redis and Janus (or Janus nodes)."""

    def __init__(
        self,
        name: str,
        folder: Path,
        redis_url: str,
        janus: ManagedJanus | None,
        nodes: list[JanusNodeProcess] | None = None,
        keys: JanusKeys | None = None,
        cluster_secret: str = "",
    ) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / f"{name}.log"
        self.args = [
            sys.executable, "-m", "spaces_desktop", "serve",
            "--port", str(self.port),
            "--data-dir", str(folder / name),
            "--redis", redis_url,
            "--backend-id", name,
            "--rate-limit-scale", "0",
        ]  # fmt: skip
        if janus is not None:
            self.args += ["--janus-url", janus.url]
            keys = janus.keys
        for node in nodes or []:
            self.args += ["--janus-node", f"{node.name}={node.url}"]
        if nodes:
            # The first listener on the origin's VideoRoom, everyone after it on an edge.
            self.args += ["--audience-threshold", str(EDGE_THRESHOLD)]
        assert keys is not None
        # Secrets go in the environment, never on a command line.
        self.env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "SPACES_JANUS_SECRET": keys.api_secret,
            "SPACES_JANUS_ADMIN_KEY": keys.room_admin_key,
            "SPACES_CLUSTER_SECRET": cluster_secret,
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> None:
        with open(self.log_path, "ab") as out:
            self.process = subprocess.Popen(self.args, stdout=out, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=0.5).status_code == 200:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not answer in {timeout:.0f} s:\n{self.log_tail()}")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def cpu_seconds(self) -> float:
        return process_cpu_seconds(self.process.pid) if self.process and self.process.poll() is None else 0.0

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-3000:]
        return ""


class HAProxy:
    def __init__(self, folder: Path, servers: list[Serve]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        lines = "\n".join(
            f"    server {s.name} 127.0.0.1:{s.port} check inter 200 fall 1 rise 2" for s in servers
        )
        self.config = folder / "haproxy.cfg"
        self.config.write_text(HAPROXY_CONFIG.format(port=self.port, servers=lines))
        self.log_path = folder / "haproxy.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 10.0) -> None:
        with open(self.log_path, "ab") as out:
            self.process = subprocess.Popen(
                [haproxy_binary(), "-db", "-f", str(self.config)], stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(self.log_path.read_text(errors="replace")[-2000:])
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=0.5).status_code == 200:
                    return
            time.sleep(0.05)
        raise RuntimeError("haproxy did not answer")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@dataclass
class Cluster:
    folder: Path
    redis: RedisServer
    janus: ManagedJanus | None
    backends: list[Serve]
    balancer: HAProxy
    nodes: list[JanusNodeProcess] = field(default_factory=list)

    def backend(self, name: str) -> Serve:
        return next(b for b in self.backends if b.name == name)

    def node(self, name: str) -> JanusNodeProcess:
        return next(n for n in self.nodes if n.name == name)


@contextlib.asynccontextmanager
async def cluster(backends: int = 2, janus_nodes: int = 0) -> AsyncIterator[Cluster]:
    """Redis, Janus, `backends` serve processes and HAProxy; stopped on exit.

    With `janus_nodes` = 0, one Janus on loopback (no media between machines); otherwise
    that many Janus nodes, each in a network namespace of its own on a bridge
    (bench/janus_nodes.py: the caller must be in a private namespace already).
    """
    with tempfile.TemporaryDirectory(prefix="spaces-cluster-") as tmp:
        folder = Path(tmp)
        redis = RedisServer(folder)
        janus = ManagedJanus(folder / "janus", JanusSettings(ice_interface="lo")) if not janus_nodes else None
        bridge = Bridge() if janus_nodes else None
        keys = JanusKeys.generate()
        nodes = [JanusNodeProcess(i, folder, keys) for i in range(janus_nodes)]
        serves: list[Serve] = []
        balancer: HAProxy | None = None
        try:
            if janus is not None:
                await janus.start()
            for node in nodes:
                await asyncio.to_thread(node.start)
            secret = secrets.token_urlsafe(24)
            serves = [
                Serve(f"backend{i + 1}", folder, redis.url, janus, nodes, keys, secret)
                for i in range(backends)
            ]
            for serve in serves:
                await asyncio.to_thread(serve.start)
            balancer = HAProxy(folder, serves)
            await asyncio.to_thread(balancer.start)
            yield Cluster(folder, redis, janus, serves, balancer, nodes)
        finally:
            if balancer is not None:
                balancer.stop()
            for serve in serves:
                serve.stop()
            if janus is not None:
                await janus.stop()
            for node in nodes:
                node.stop()
            if bridge is not None:
                bridge.close()
            redis.stop()


@dataclass
class Listener:
    """An event stream through the balancer that reconnects with Last-Event-ID, recording every event."""

    base: str
    space_id: str
    token: str
    received: list[int] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    sources: list[str | None] = field(default_factory=list)
    """The backend that served each received event (bytes a killed one sent before dying still arrive)."""
    served_by: str | None = None

    def __post_init__(self) -> None:
        self.ready = asyncio.Event()
        self.reconnects = 0

    async def run(self, client: httpx.AsyncClient) -> None:
        while True:
            headers = {"Authorization": f"Bearer {self.token}"}
            # From the start of the log, then from the last event received: every event, once.
            headers["Last-Event-ID"] = str(self.received[-1] if self.received else 0)
            try:
                url = f"{self.base}/spaces/{self.space_id}/events"
                async with client.stream("GET", url, headers=headers, timeout=httpx.Timeout(5, read=30)) as r:
                    if r.status_code != 200:
                        raise httpx.HTTPStatusError("refused", request=r.request, response=r)
                    self.served_by = r.headers.get("x-served-by")
                    self.ready.set()
                    async for line in r.aiter_lines():
                        if line.startswith("id: "):
                            self.received.append(int(line[4:]))
                            self.times.append(time.monotonic())
                            self.sources.append(self.served_by)
            except (httpx.HTTPError, OSError) as exc:
                log.info("stream ended: %s", type(exc).__name__)
            self.reconnects += 1
            await asyncio.sleep(RECONNECT_EVERY_S)


async def _produce(
    client: httpx.AsyncClient, base: str, space_id: str, tokens: list[str], stop: asyncio.Event
) -> int:
    """Raises and lowers hands (each token's in turn) until stopped; returns how many requests
    failed (during the failover). The host's hand is news for everyone, a listener's for the
    moderators only."""
    failed = 0
    raised = dict.fromkeys(tokens, False)
    turn = 0
    while not stop.is_set():
        token = tokens[turn % len(tokens)]
        turn += 1
        raised[token] = not raised[token]
        with contextlib.suppress(asyncio.TimeoutError):
            try:
                r = await client.post(
                    f"{base}/spaces/{space_id}/me/hand",
                    json={"raised": raised[token]},
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=2,
                )
                failed += r.status_code >= 400
            except httpx.HTTPError:
                failed += 1
        await asyncio.sleep(EVENT_EVERY_S)
    return failed


async def _join(client: httpx.AsyncClient, base: str, space_id: str, name: str) -> dict[str, Any]:
    r = await client.post(
        f"{base}/spaces/{space_id}/join", json={"display_name": name, "client_id": f"bench-{name}"}
    )
    r.raise_for_status()
    return dict(r.json())


async def measure_backend_failover(c: Cluster) -> dict[str, Any]:
    base = c.balancer.url
    async with httpx.AsyncClient(timeout=5) as client:
        created = await client.post(f"{base}/spaces", json={"title": "Cluster bench", "host_name": "Host"})
        created.raise_for_status()
        space_id = created.json()["snapshot"]["space"]["id"]
        host_token = created.json()["token"]
        listener_join = await _join(client, base, space_id, "Listener")
        raiser = await _join(client, base, space_id, "Raiser")
        listener = Listener(base, space_id, listener_join["token"])
        # The host keeps an event stream open too, so presence does not end the Space meanwhile.
        host = Listener(base, space_id, host_token)
        tasks = [asyncio.create_task(listener.run(client)), asyncio.create_task(host.run(client))]
        stop = asyncio.Event()
        tokens = [host_token, raiser["token"]]
        producer = asyncio.create_task(_produce(client, base, space_id, tokens, stop))
        try:
            await asyncio.wait_for(listener.ready.wait(), 10)
            await asyncio.sleep(BEFORE_KILL_S)
            victim = c.backend(listener.served_by or c.backends[0].name)
            created_on_victim = _media_owner(c, space_id) == victim.name
            before = len(listener.received)
            killed_at = time.monotonic()
            victim.kill()
            deadline = killed_at + FAILOVER_TIMEOUT_S
            while not any(by != victim.name for by in listener.sources[before:]):
                if time.monotonic() > deadline:
                    raise RuntimeError("the listener's stream did not come back through the balancer")
                await asyncio.sleep(0.01)
            resumed = next(
                t
                for t, by in zip(listener.times, listener.sources, strict=True)
                if t > killed_at and by != victim.name
            )
            owner = await _media_owner_after(c, space_id, victim.name, deadline)
            media_takeover_s = time.monotonic() - killed_at
            await asyncio.sleep(AFTER_RECOVERY_S)
            stop.set()
            failed = await producer
            viewer = listener_join["participant"]["id"]
            logged = await _caught_up(c, space_id, viewer, listener)
            host_id = created.json()["snapshot"]["you"]
            host_logged = await _caught_up(c, space_id, host_id, host, moderator=True)
        finally:
            stop.set()
            if not producer.done():
                producer.cancel()
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    received = listener.received
    return {
        "backend_failover_s": round(resumed - killed_at, 3),
        "lost_events": len(set(logged) - set(received)) + len(set(host_logged) - set(host.received)),
        "repeated_events": len(received) - len(set(received)),
        "events_logged": len(logged),
        "moderator_events_logged": len(host_logged) - len(logged),
        "listener_saw_moderator_events": len(set(received) - set(logged)),
        "killed": victim.name,
        "resumed_on": listener.served_by,
        "requests_failed_during_failover": failed,
        "media_owner_before": victim.name if created_on_victim else None,
        "media_owner_after": owner,
        "media_takeover_s": round(media_takeover_s, 3) if created_on_victim else None,
    }


def _media_owner(c: Cluster, space_id: str) -> str | None:
    from spaces_desktop.server.media_lease import MediaLeases

    owner = MediaLeases(c.redis.client(), "bench").owner(space_id)
    return owner.backend if owner else None


async def _media_owner_after(c: Cluster, space_id: str, gone: str, deadline: float) -> str | None:
    """Waits until the Space's media lease names a live backend (the killed one's lease runs out)."""
    while time.monotonic() < deadline:
        owner = _media_owner(c, space_id)
        if owner is not None and owner != gone:
            return owner
        await asyncio.sleep(0.05)
    return None


async def _caught_up(
    c: Cluster, space_id: str, viewer_id: str, listener: Listener, moderator: bool = False
) -> list[int]:
    """The viewer's events in the log, once the stream has had time to deliver the last of them."""
    deadline = time.monotonic() + 10
    while True:
        logged = _logged_ids(c, space_id, viewer_id, moderator)
        if (
            listener.received and logged and listener.received[-1] >= logged[-1]
        ) or time.monotonic() > deadline:
            return logged
        await asyncio.sleep(0.05)


def _logged_ids(c: Cluster, space_id: str, viewer_id: str, moderator: bool = False) -> list[int]:
    from spaces_desktop.server.redis_store import RedisStore

    store = RedisStore(c.redis.client())
    try:
        return [e.id for e in store.events_after(space_id, 0, viewer_id, 1_000_000, moderator)]
    finally:
        store.close()


async def run_cluster() -> dict[str, Any]:
    """Media first (both backends up, so media calls are forwarded), then the backends' cost and failover."""
    from spaces_desktop.bench.cascade import measure_backend_cost, measure_cascade, project_nodes

    started = time.monotonic()
    load_before = os.getloadavg()[0]
    async with cluster(2, janus_nodes=3) as c:
        media = await measure_cascade(c)
        cost = await measure_backend_cost(c)
        result = await measure_backend_failover(c)
    projection = project_nodes(
        media["janus_cpu_per_forwarded_subscriber_pct"],
        cost["backend_cpu_ms_per_join"],
        cost["backend_cpu_ms_per_event"],
    )
    return {
        **media,
        **cost,
        **result,
        **projection,
        "backends": 2,
        "load_balancer": "haproxy",
        "janus_nodes": 3,
        "load_average_1min_before": round(load_before, 2),
        "load_average_1min_after": round(os.getloadavg()[0], 2),
        "duration_s": round(time.monotonic() - started, 1),
    }


if __name__ == "__main__":  # python -m spaces_desktop.bench.cluster
    print(json.dumps(asyncio.run(run_cluster())))
