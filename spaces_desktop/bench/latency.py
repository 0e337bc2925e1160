"""Glass-to-glass latency: a synthetic camera with its frame id in the pixels, through
the backend and Janus, to the app's subscriber pipeline, against plain aiortc.

The publisher records when each frame id was captured; the receiving side reads
the id back from the decoded picture and takes the difference (one process, one
clock). The ``painted_*`` keys come from bench/painted.py: the same id read back
from the pixels the stage painted. The app's path is the real one: SpaceSession (low-latency jitter buffer)
→ FrameBoard → conversion to the painting format; the baseline is an aiortc
PeerConnection with its default jitter buffer. Both run in the same process, one
after the other, on the same publisher.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from typing import Any

import av
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcconfiguration import RTCBundlePolicy

from spaces_desktop.devices.camera import CameraFrame
from spaces_desktop.devices.frame_id import read_frame_id
from spaces_desktop.devices.synthetic_camera import SyntheticCamera
from spaces_desktop.media.tracks import CameraVideoTrack
from spaces_desktop.session.frames import FrameBoard, TileKey
from spaces_desktop.session.local_media import NONE, DeviceChoice, LocalMedia
from spaces_desktop.session.space_session import SpaceSession
from spaces_desktop.signaling.client import ParticipantClient, SpacesClient
from spaces_desktop.transport.publisher import Publisher, PublishTracks

WARMUP_S = 2.0

Painter = Callable[[av.VideoFrame], Any]


class Probe:
    """Matches received frame ids to capture times."""

    def __init__(self) -> None:
        self.captured: dict[int, float] = {}
        self.samples: list[float] = []
        self.received: list[float] = []
        self.measuring = False

    def on_capture(self, frame: CameraFrame) -> None:  # capture thread
        self.captured[frame.index] = frame.timestamp

    def on_picture(self, picture: Any) -> None:
        now = time.monotonic()
        frame_id = read_frame_id(picture)
        if not self.measuring or frame_id is None or frame_id not in self.captured:
            return
        self.samples.append((now - self.captured[frame_id]) * 1000)
        self.received.append(now)

    def result(self) -> dict[str, float]:
        if len(self.samples) < 2:
            return {"p50_ms": float("nan"), "p95_ms": float("nan"), "frames": len(self.samples), "fps": 0.0}
        ordered = sorted(self.samples)
        span = self.received[-1] - self.received[0]
        return {
            "p50_ms": round(statistics.median(ordered), 1),
            "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1),
            "frames": len(ordered),
            "fps": round((len(ordered) - 1) / span, 1) if span > 0 else 0.0,
        }


async def _measure(probe: Probe, seconds: float) -> dict[str, float]:
    probe.samples.clear()
    probe.received.clear()
    await asyncio.sleep(WARMUP_S)
    probe.measuring = True
    await asyncio.sleep(seconds)
    probe.measuring = False
    return probe.result()


async def _baseline(api: ParticipantClient, probe: Probe, seconds: float) -> dict[str, float]:
    """A plain aiortc subscriber: default jitter buffer, no app pipeline."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
    tasks: list[asyncio.Task[None]] = []

    async def read(track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                probe.on_picture(frame.to_ndarray(format="bgr24"))  # type: ignore[union-attr]
        except MediaStreamError:
            return

    pc.on(
        "track",
        lambda track: tasks.append(asyncio.ensure_future(read(track))) if track.kind == "video" else None,
    )
    offer = await api.subscribe()
    await pc.setRemoteDescription(RTCSessionDescription(offer.sdp, "offer"))
    await pc.setLocalDescription(await pc.createAnswer())
    await api.subscribe_answer(pc.localDescription.sdp)
    try:
        return await _measure(probe, seconds)
    finally:
        for task in tasks:
            task.cancel()
        await pc.close()


async def run_latency(
    base_url: str,
    width: int,
    height: int,
    seconds: float,
    painter: Callable[[FrameBoard, TileKey], Any] | None = None,
) -> dict[str, Any]:
    client = SpacesClient(base_url)
    probe = Probe()
    camera = SyntheticCamera("Latency", width=width, height=height, fps=30.0)
    unsubscribe = camera.subscribe(probe.on_capture)
    camera.start()
    publisher: Publisher | None = None
    listener: SpaceSession | None = None
    try:
        joined = await client.create_space("Latency", "Camera", video_enabled=True)
        host = client.as_joined(joined)
        publisher = Publisher(PublishTracks(audio=None, camera=CameraVideoTrack(camera)))
        await publisher.connect(host.publish)

        # Baseline first: a second participant with a plain aiortc subscriber.
        watcher = client.as_joined(await client.join(joined.snapshot.space.id, "Baseline"))
        for _ in range(100):
            if (await watcher.snapshot()).streams:
                break
            await asyncio.sleep(0.05)
        baseline = await _baseline(watcher, probe, seconds)
        await watcher.leave()

        # The app's path: a SpaceSession, its FrameBoard, then conversion (and painting).
        board = FrameBoard()
        listener = SpaceSession(client, LocalMedia(DeviceChoice(camera=NONE, microphone=NONE)), frames=board)

        def on_frame(key: TileKey) -> None:  # engine loop, right after the decoder
            latest = board.latest(key)
            if latest is None:
                return
            picture = painter(board, key) if painter is not None else latest[1].to_ndarray(format="bgra")
            probe.on_picture(picture)

        board.on_frame = on_frame
        await listener.join(joined.snapshot.space.id, "App")
        app = await _measure(probe, seconds)
        return {
            "resolution": f"{width}x{height}",
            "fps": app["fps"],
            "p50_ms": app["p50_ms"],
            "p95_ms": app["p95_ms"],
            "frames": app["frames"],
            "baseline_p50_ms": baseline["p50_ms"],
            "baseline_p95_ms": baseline["p95_ms"],
            "baseline_fps": baseline["fps"],
            "painted": painter is not None,
        }
    finally:
        unsubscribe()
        if listener is not None:
            await listener.close()
        if publisher is not None:
            await publisher.close()
        camera.stop()
        await client.aclose()


__all__ = ["run_latency"]
