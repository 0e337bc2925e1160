"""`bench cluster`, the media half: a publisher, a listener on the origin Janus, one on an edge.

Runs on the cluster of bench/cluster.py with three Janus nodes in network
namespaces of their own. The host publishes a synthetic 320x180@30 video whose
frames carry their number in the pixels (devices/frame_id.py); one listener
subscribes first and gets the origin's VideoRoom (audience threshold 1), the
second gets a Streaming mountpoint on an edge node fed by rtp_forward. Both
decode in this process, so one clock times both:

- `origin_fps` / `edge_fps`: distinct frames each decoded over the window;
- `edge_added_latency_p50_ms`: per frame id, edge arrival minus origin arrival;
- `edge_failover_s`: the edge listener's node is SIGKILLed; until that listener
  decodes a frame again (its targeted media_reset, a new subscription on the other edge);
- `origin_failover_s`: the origin node is SIGKILLed; until the edge listener
  decodes a frame of the republished video (room re-created on a live node,
  media_reset, the publisher republishes, listeners resubscribe);
- capacity: Janus CPU (/proc/<pid>/stat of every node) per added forwarded
  subscriber, backend CPU per join and per event, and a projection of the nodes
  80,000 Spaces a day need, with its assumptions in the JSON.

Every request goes through HAProxy, so media calls land on either backend: the
one that does not own the Space forwards them to the owner (server/forwarding.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import re
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
    VideoStreamTrack,
)
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcconfiguration import RTCBundlePolicy
from av import VideoFrame

from spaces_desktop.bench.cluster import Cluster
from spaces_desktop.devices.frame_id import embed_frame_id, read_frame_id
from spaces_desktop.server.media_lease import MediaLeases

log = logging.getLogger(__name__)

WIDTH, HEIGHT = 320, 180
WARMUP_S = 3.0
WINDOW_S = 6.0
EXTRA_VIEWERS = 3
RETRY_EVERY_S = 0.1
RECONNECT_TIMEOUT_S = 20.0
FAILOVER_TIMEOUT_S = 20.0
JOINS = 40
EVENTS = 100
CANDIDATE = re.compile(r"^a=candidate:\S+ \d \S+ \d+ (\d+\.\d+\.\d+\.\d+) ", re.M)


class FrameIdTrack(VideoStreamTrack):
    """A grey picture with a moving bar and its frame number in the corner; `sent` records send times."""

    def __init__(self) -> None:
        super().__init__()
        self.index = 0
        self.sent: dict[int, float] = {}

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        image = np.full((HEIGHT, WIDTH, 3), 96, dtype=np.uint8)
        x = (self.index * 4) % WIDTH
        image[:, x : x + 8] = 200
        self.index += 1
        embed_frame_id(image, self.index)
        self.sent[self.index] = time.monotonic()
        frame = VideoFrame.from_ndarray(image, format="bgr24")
        frame.pts, frame.time_base = pts, time_base
        return frame


@dataclass
class Caller:
    base: str
    space_id: str
    id: str
    token: str
    http: httpx.AsyncClient

    async def post(self, path: str, body: Any) -> httpx.Response:
        return await self.http.post(
            f"{self.base}/spaces/{self.space_id}{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=20,
        )


@dataclass
class Events:
    """A participant's event stream through the balancer, resumed with Last-Event-ID; wakes on media_reset."""

    caller: Caller
    last: int = 0
    resets: int = 0
    types: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.reset = asyncio.Event()
        self.ready = asyncio.Event()

    async def run(self) -> None:
        c = self.caller
        while True:
            headers = {"Authorization": f"Bearer {c.token}", "Last-Event-ID": str(self.last)}
            url = f"{c.base}/spaces/{c.space_id}/events"
            try:
                async with c.http.stream("GET", url, headers=headers, timeout=httpx.Timeout(5, read=30)) as r:
                    self.ready.set()
                    async for line in r.aiter_lines():
                        if line.startswith("id: "):
                            self.last = int(line[4:])
                        elif line.startswith("data: "):
                            kind = str(json.loads(line[6:]).get("type"))
                            self.types.append(kind)
                            if kind == "media_reset":
                                self.resets += 1
                                self.reset.set()
            except (httpx.HTTPError, OSError, ValueError):
                pass
            await asyncio.sleep(RETRY_EVERY_S)


def _pc() -> RTCPeerConnection:
    return RTCPeerConnection(RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))


class Stage:
    """The host's publishing side; republishes on a fresh PeerConnection after a media reset."""

    def __init__(self, caller: Caller) -> None:
        self.caller = caller
        self.track = FrameIdTrack()
        self.pc: RTCPeerConnection | None = None
        self.published_at = 0.0

    async def publish(self, timeout: float = RECONNECT_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.pc is not None:
                await self.pc.close()
            # A fresh track for each PeerConnection; frame numbers keep counting.
            index, sent = self.track.index, self.track.sent
            self.track = FrameIdTrack()
            self.track.index, self.track.sent = index, sent
            self.pc = _pc()
            self.pc.addTransceiver(self.track, direction="sendonly")
            await self.pc.setLocalDescription(await self.pc.createOffer())
            offer = {"type": "offer", "sdp": self.pc.localDescription.sdp}
            with contextlib.suppress(httpx.HTTPError):
                r = await self.caller.post("/media/publish", offer)
                if r.status_code == 200:
                    await self.pc.setRemoteDescription(RTCSessionDescription(r.json()["sdp"], "answer"))
                    self.published_at = time.monotonic()
                    return
            if time.monotonic() > deadline:
                raise RuntimeError("could not publish")
            await asyncio.sleep(RETRY_EVERY_S)

    async def close(self) -> None:
        if self.pc is not None:
            await self.pc.close()


class Viewer:
    """A listener decoding every frame it gets: arrival time per frame id, and where it is served."""

    def __init__(self, caller: Caller) -> None:
        self.caller = caller
        self.pc: RTCPeerConnection | None = None
        self.arrivals: dict[int, float] = {}
        self.subscribed_at = 0.0
        self.first_frame_at: float | None = None
        self.node_address: str | None = None
        self.plugin: str | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def subscribe(self, timeout: float = RECONNECT_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        await self._close_pc()
        while True:
            with contextlib.suppress(httpx.HTTPError):
                r = await self.caller.post("/media/subscribe", {})
                if r.status_code == 200:
                    await self._answer(str(r.json()["sdp"]))
                    return
            if time.monotonic() > deadline:
                raise RuntimeError("could not subscribe")
            await asyncio.sleep(RETRY_EVERY_S)

    async def _answer(self, offer: str) -> None:
        found = CANDIDATE.search(offer)
        self.node_address = found.group(1) if found else None
        plugin = re.search(r"^s=(\w+)", offer, re.M)
        self.plugin = plugin.group(1) if plugin else None
        self.pc = pc = _pc()
        self.first_frame_at = None
        pc.on("track", lambda track: self._tasks.append(asyncio.create_task(self._read(track))))
        await pc.setRemoteDescription(RTCSessionDescription(offer, "offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        answer = {"type": "answer", "sdp": pc.localDescription.sdp}
        r = await self.caller.post("/media/subscribe/answer", answer)
        if r.status_code != 204:
            raise httpx.HTTPError(f"answer refused: {r.status_code}")
        self.subscribed_at = time.monotonic()

    async def _read(self, track: MediaStreamTrack) -> None:
        if track.kind != "video":
            return
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                now = time.monotonic()
                frame_id = read_frame_id(frame)
                if frame_id is not None:
                    self.arrivals.setdefault(frame_id, now)
                    if self.first_frame_at is None:
                        self.first_frame_at = now

    def frames_between(self, start: float, end: float) -> int:
        return sum(1 for t in self.arrivals.values() if start <= t < end)

    async def _close_pc(self) -> None:
        for task in self._tasks:
            task.cancel()
        self._tasks.clear()
        if self.pc is not None:
            await self.pc.close()
            self.pc = None

    async def close(self) -> None:
        await self._close_pc()


async def _create(http: httpx.AsyncClient, base: str) -> Caller:
    r = await http.post(
        f"{base}/spaces", json={"title": "Cascade bench", "host_name": "Host", "video_enabled": True}
    )
    r.raise_for_status()
    body = r.json()
    return Caller(base, body["snapshot"]["space"]["id"], body["participant"]["id"], body["token"], http)


async def _join(http: httpx.AsyncClient, host: Caller, name: str) -> Caller:
    url = f"{host.base}/spaces/{host.space_id}/join"
    for _ in range(20):  # the balancer answers 503 while health checks lag on a loaded machine
        r = await http.post(url, json={"display_name": name, "client_id": f"bench-{name}"})
        if r.status_code != 503:
            break
        await asyncio.sleep(0.2)
    r.raise_for_status()
    body = r.json()
    return Caller(host.base, host.space_id, body["participant"]["id"], body["token"], http)


def _owner(c: Cluster, space_id: str) -> tuple[str | None, str | None]:
    owner = MediaLeases(c.redis.client(), "bench").owner(space_id)
    return (owner.backend, owner.janus) if owner else (None, None)


def _node_of(c: Cluster, address: str | None) -> str | None:
    return next((n.name for n in c.nodes if n.address == address), None)


def _janus_cpu(c: Cluster) -> float:
    return sum(n.cpu_seconds() for n in c.nodes if n.process is not None and n.process.poll() is None)


async def _wait_frame(viewer: Viewer, after: float, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while True:
        later = [t for t in viewer.arrivals.values() if t > after]
        if later:
            return min(later)
        if time.monotonic() > deadline:
            raise RuntimeError("no frame arrived after the failover")
        await asyncio.sleep(0.01)


RECONNECT_TRIES = 20
RECONNECT_EVERY_S = 0.25


async def _follow_resets(events: Events, reconnect: Any) -> None:
    """What the app does on media_reset: publish or subscribe again, retrying as the app does while the
    backend still places it on a node that just died or answers 503 during a takeover."""
    while True:
        await events.reset.wait()
        events.reset.clear()
        for _ in range(RECONNECT_TRIES):
            try:
                await reconnect()
                break
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("reconnect after media_reset failed; trying again", exc_info=True)
                await asyncio.sleep(RECONNECT_EVERY_S)


async def measure_cascade(c: Cluster) -> dict[str, Any]:
    base = c.balancer.url
    background: list[asyncio.Task[None]] = []
    peers: list[Stage | Viewer] = []
    async with httpx.AsyncClient(timeout=10, trust_env=False) as http:
        try:
            host = await _create(http, base)
            origin_caller = await _join(http, host, "OriginListener")
            edge_caller = await _join(http, host, "EdgeListener")
            streams = {x.id: Events(x) for x in (host, origin_caller, edge_caller)}
            background += [asyncio.create_task(e.run()) for e in streams.values()]
            stage = Stage(host)
            on_origin, on_edge = Viewer(origin_caller), Viewer(edge_caller)
            peers += [stage, on_origin, on_edge]
            await stage.publish()
            await on_origin.subscribe()
            await on_origin_first(on_origin)
            await on_edge.subscribe()
            background += [
                asyncio.create_task(_follow_resets(streams[host.id], stage.publish)),
                asyncio.create_task(_follow_resets(streams[origin_caller.id], on_origin.subscribe)),
                asyncio.create_task(_follow_resets(streams[edge_caller.id], on_edge.subscribe)),
            ]
            owner, origin = _owner(c, host.space_id)
            edge = _node_of(c, on_edge.node_address)
            placed = {  # before the failovers move them
                "origin_listener_node": _node_of(c, on_origin.node_address),
                "origin_listener_plugin": on_origin.plugin,
                "edge_listener_plugin": on_edge.plugin,
            }
            await asyncio.sleep(WARMUP_S)

            # Window 1: one listener on the origin, one on an edge.
            start, cpu0 = time.monotonic(), _janus_cpu(c)
            await asyncio.sleep(WINDOW_S)
            end, cpu1 = time.monotonic(), _janus_cpu(c)
            origin_fps = on_origin.frames_between(start, end) / (end - start)
            edge_fps = on_edge.frames_between(start, end) / (end - start)
            common = [i for i, t in on_edge.arrivals.items() if start <= t < end and i in on_origin.arrivals]
            added = sorted((on_edge.arrivals[i] - on_origin.arrivals[i]) * 1000 for i in common)
            glass = sorted(
                (on_origin.arrivals[i] - stage.track.sent[i]) * 1000 for i in common if i in stage.track.sent
            )

            # Window 2: more edge listeners; the Janus CPU they add is the cost of forwarding to them.
            extras = [Viewer(await _join(http, host, f"Extra{i}")) for i in range(EXTRA_VIEWERS)]
            peers += extras
            for extra in extras:
                await extra.subscribe()
            await asyncio.sleep(WARMUP_S)
            start2, cpu2 = time.monotonic(), _janus_cpu(c)
            await asyncio.sleep(WINDOW_S)
            cpu3 = _janus_cpu(c)
            window2 = time.monotonic() - start2
            per_subscriber = max(0.0, (cpu3 - cpu2) / window2 - (cpu1 - cpu0) / (end - start)) / EXTRA_VIEWERS
            extra_nodes = sorted({_node_of(c, x.node_address) or "?" for x in extras})
            for extra in extras:
                await extra.close()
                with contextlib.suppress(httpx.HTTPError):
                    await extra.caller.post("/leave", {})

            # The edge node dies: its listener must be on another edge within 5 s.
            assert edge is not None
            killed_edge_at = time.monotonic()
            c.node(edge).kill()
            back = await _wait_frame(on_edge, killed_edge_at, FAILOVER_TIMEOUT_S)
            edge_failover_s = back - killed_edge_at
            edge_after = _node_of(c, on_edge.node_address)

            # The origin node dies: rooms re-created elsewhere, the stage republishes.
            await asyncio.sleep(1.0)
            assert origin is not None
            killed_origin_at = time.monotonic()
            c.node(origin).kill()
            back = await _wait_frame(on_edge, killed_origin_at, FAILOVER_TIMEOUT_S)
            origin_failover_s = back - killed_origin_at
            republish_s = stage.published_at - killed_origin_at
            _, origin_after = _owner(c, host.space_id)
            return {
                "origin_fps": round(origin_fps, 2),
                "edge_fps": round(edge_fps, 2),
                "edge_added_latency_p50_ms": round(statistics.median(added), 2) if added else None,
                "edge_added_latency_p95_ms": round(added[int(len(added) * 0.95)], 2) if added else None,
                "origin_latency_p50_ms": round(statistics.median(glass), 2) if glass else None,
                "video": f"{WIDTH}x{HEIGHT}@30 VP8",
                "media_owner": owner,
                "origin_node": origin,
                "edge_node": edge,
                **placed,
                "extra_viewers_on": extra_nodes,
                "edge_failover_s": round(edge_failover_s, 3),
                "edge_after_failover": edge_after,
                "origin_failover_s": round(origin_failover_s, 3),
                "republish_s": round(republish_s, 3),
                "origin_after_failover": origin_after,
                "janus_cpu_per_forwarded_subscriber_pct": round(per_subscriber * 100, 3),
                "janus_cpu_window1_pct": round((cpu1 - cpu0) / (end - start) * 100, 2),
            }
        finally:
            for task in background:
                task.cancel()
            for task in background:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            for peer in peers:
                with contextlib.suppress(Exception):
                    await peer.close()


async def on_origin_first(viewer: Viewer) -> None:
    """The origin listener must be a VideoRoom subscriber before the edge one asks (the threshold)."""
    deadline = time.monotonic() + RECONNECT_TIMEOUT_S
    while viewer.first_frame_at is None:
        if time.monotonic() > deadline:
            raise RuntimeError("the origin listener got no video")
        await asyncio.sleep(0.02)


async def measure_backend_cost(c: Cluster) -> dict[str, float]:
    """Backend CPU (both processes) per join and per event, through the balancer."""
    base = c.balancer.url
    async with httpx.AsyncClient(timeout=10, trust_env=False) as http:
        host = await _create(http, base)
        events = Events(host)
        reader = asyncio.create_task(events.run())
        try:
            await asyncio.wait_for(events.ready.wait(), 10)
            cpu = sum(b.cpu_seconds() for b in c.backends)
            raiser = None
            for i in range(JOINS):
                joined = await _join(http, host, f"Joiner{i}")
                raiser = raiser or joined
            per_join = (sum(b.cpu_seconds() for b in c.backends) - cpu) / JOINS
            assert raiser is not None
            cpu = sum(b.cpu_seconds() for b in c.backends)
            for i in range(EVENTS):
                await raiser.post("/me/hand", {"raised": i % 2 == 0})
            await asyncio.sleep(0.5)  # the event stream's share of the work
            per_event = (sum(b.cpu_seconds() for b in c.backends) - cpu) / EVENTS
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
    return {
        "backend_cpu_ms_per_join": round(per_join * 1000, 3),
        "backend_cpu_ms_per_event": round(per_event * 1000, 3),
    }


ASSUMPTIONS: dict[str, float] = {
    "spaces_per_day": 80_000,
    "mean_space_minutes": 45,
    "peak_to_mean": 3.0,
    "mean_listeners": 40,
    "mean_publishers": 3,
    "video_share": 0.3,
    "audio_stream_cost_vs_video": 0.25,
    "events_per_space_per_s": 2.0,
    "node_cores": 8,
    "target_utilisation": 0.6,
}


def project_nodes(janus_pct: float, join_ms: float, event_ms: float) -> dict[str, Any]:
    """Nodes for 80k Spaces a day from what was measured here, with the assumptions that scale it."""
    a = ASSUMPTIONS
    concurrent = a["spaces_per_day"] * a["mean_space_minutes"] / 1440 * a["peak_to_mean"]
    # Every listener and stage member receives every publisher's audio, and video where the stage sends it.
    receivers = a["mean_listeners"] + a["mean_publishers"] - 1
    streams = receivers * a["mean_publishers"] * (a["video_share"] + a["audio_stream_cost_vs_video"])
    janus_cores = concurrent * streams * janus_pct / 100
    budget = a["node_cores"] * a["target_utilisation"]
    joins_per_s = concurrent * (a["mean_listeners"] + a["mean_publishers"]) / (a["mean_space_minutes"] * 60)
    backend_cores = (joins_per_s * join_ms + concurrent * a["events_per_space_per_s"] * event_ms) / 1000
    janus_nodes = max(2, math.ceil(janus_cores / budget))
    backends = max(2, math.ceil(backend_cores / budget))
    return {
        "nodes_for_80k_spaces_per_day": janus_nodes + backends + 1,
        "nodes_breakdown": {"janus": janus_nodes, "backend": backends, "redis": 1},
        "projection_peak_concurrent_spaces": round(concurrent),
        "projection_janus_cores": round(janus_cores, 1),
        "projection_backend_cores": round(backend_cores, 1),
        "assumptions": {
            **a,
            "janus_cost": "measured CPU per forwarded 320x180@30 VP8 subscriber, scaled per stream",
        },
    }


__all__ = ["measure_backend_cost", "measure_cascade", "project_nodes"]
