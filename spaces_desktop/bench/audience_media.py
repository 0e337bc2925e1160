"""Janus CPU per WebRTC listener, VideoRoom against Streaming mountpoint (issue 13's media keys).

One backend per mode (`--audience-threshold` huge: every listener on the VideoRoom;
0: every listener on a mountpoint). The host publishes audio and one pre-encoded
VP8 video; a separate process runs the listeners, each a real aiortc subscriber
through the app's own transport (jitter buffers, decoding), so their cost lands
outside the process measured here. Janus's CPU comes from /proc/PID/stat with the
publisher alone, with half the listeners and with all of them; the cost of one
listener is the slope between the last two (fixed costs such as a mountpoint's
forwarding drop out; the average over all listeners is reported too).

Run inside a private network namespace (`python -m spaces_desktop.bench.audience_media`
enters one).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiortc import AudioStreamTrack, MediaStreamTrack
from aiortc.mediastreams import MediaStreamError

from spaces_desktop.bench import netns
from spaces_desktop.bench.clips import PreEncodedVideoTrack, encode_clip, forward_keyframe_requests
from spaces_desktop.bench.environment import BenchBackend
from spaces_desktop.domain import CameraSource
from spaces_desktop.protocol import StreamView
from spaces_desktop.signaling.client import SpacesClient
from spaces_desktop.transport.publisher import Publisher, PublishTracks
from spaces_desktop.transport.subscriber import Subscriber

LISTENERS = 10
WINDOW_S = 8.0
SETTLE_S = 2.0
VIDEO = (640, 360, 30.0, 600_000)  # width, height, fps, bitrate
MODES = {"videoroom": 1_000_000, "streaming": 0}  # --audience-threshold for each
READY_TIMEOUT_S = 120.0


def janus_ticks(pid: int) -> int:
    """User + system CPU of a process so far, in clock ticks (fields 14 and 15 of /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def cpu_percent(pid: int, seconds: float) -> float:
    """One core = 100 %."""
    before, started = janus_ticks(pid), time.monotonic()
    time.sleep(seconds)
    elapsed = time.monotonic() - started
    return (janus_ticks(pid) - before) / os.sysconf("SC_CLK_TCK") / elapsed * 100.0


# --- the listeners' process ---


async def _listen(server: str, space_id: str, count: int, batch: int) -> None:
    client = SpacesClient(server)
    frames: dict[str, int] = {"audio": 0, "video": 0}
    subscribers: list[Subscriber] = []

    def on_track(stream: StreamView, track: MediaStreamTrack) -> None:
        async def drain() -> None:
            try:
                while True:
                    await track.recv()
                    frames[stream.kind] += 1
            except MediaStreamError:
                return

        asyncio.get_running_loop().create_task(drain())

    for index in range(count):
        api = client.as_joined(
            await client.join(space_id, f"Listener {batch}-{index}", f"bench-listener-{batch}-{index:04d}")
        )
        subscriber = Subscriber(on_track)
        await subscriber.connect(api.subscribe, api.subscribe_answer)
        subscribers.append(subscriber)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while frames["video"] < count * 10 and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    print(json.dumps({"ready": True, **frames}), flush=True)
    while await asyncio.to_thread(sys.stdin.readline):  # each line asks for the counts; EOF ends
        print(json.dumps(frames), flush=True)


# --- the measuring process ---


async def _publish(server: str) -> tuple[SpacesClient, str, Publisher]:
    client = SpacesClient(server)
    joined = await client.create_space(
        "Audience bench", "Host", video_enabled=True, client_id="bench-host-0001"
    )
    api = client.as_joined(joined)
    width, height, fps, bitrate = VIDEO
    clip = await asyncio.to_thread(
        encode_clip, width=width, height=height, fps=fps, seconds=2.0, bitrate=bitrate, label="Host"
    )
    video = PreEncodedVideoTrack(clip)
    publisher = Publisher(PublishTracks(audio=AudioStreamTrack(), camera=video))
    for transceiver in publisher.pc.getTransceivers():
        if transceiver.sender.track is video:
            forward_keyframe_requests(transceiver.sender, video)
    await publisher.connect(api.publish)
    await api.set_camera(True, CameraSource.MAIN)
    return client, joined.snapshot.space.id, publisher


def _measure_mode(threshold: int, listeners: int, window: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="spaces-audience-") as folder:
        server = BenchBackend(
            Path(folder),
            serve_args=[
                "--rate-limit-scale", "0",
                "--audience-threshold", str(threshold),
                "--presence-timeout", "600",
            ],
        )  # fmt: skip
        server.start()
        loop = asyncio.new_event_loop()
        crowds: list[subprocess.Popen[str]] = []
        half = max(1, listeners // 2)
        try:
            client, space_id, publisher = loop.run_until_complete(_publish(server.url))
            pid = server.janus_pid()
            loop.run_until_complete(asyncio.sleep(SETTLE_S))
            alone = _sample(loop, pid, window)
            samples: list[float] = []
            frames = 0
            loads: list[float] = []
            # Two steps, so what every mode pays once (the mountpoint and its forwards) drops out.
            for step, count in enumerate((half, listeners - half)):
                crowd = subprocess.Popen(
                    [sys.executable, "-m", "spaces_desktop.bench.audience_media", "--listen",
                     server.url, space_id, str(count), str(step)],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                )  # fmt: skip
                crowds.append(crowd)
                ready = _ask(loop, crowd, first=True)
                if not ready.get("ready") or ready.get("video", 0) < count:
                    raise RuntimeError(f"the listeners did not all receive video: {ready}")
                loop.run_until_complete(asyncio.sleep(SETTLE_S))
                first = _ask(loop, crowd)
                loads.append(os.getloadavg()[0])
                samples.append(_sample(loop, pid, window))
                frames += _ask(loop, crowd).get("video", 0) - first.get("video", 0)
            loop.run_until_complete(publisher.close())
            loop.run_until_complete(client.aclose())
        finally:
            for crowd in crowds:
                crowd.kill()
                crowd.wait()
            loop.close()
            server.stop()
    half_cpu, watched = samples
    slope = max(0.0, watched - half_cpu) / max(1, listeners - half)
    return {
        "janus_cpu_publisher_only_pct": round(alone, 2),
        f"janus_cpu_with_{half}_listeners_pct": round(half_cpu, 2),
        f"janus_cpu_with_{listeners}_listeners_pct": round(watched, 2),
        "janus_cpu_per_listener_pct": round(slope, 3),
        "janus_cpu_average_per_listener_pct": round(max(0.0, watched - alone) / listeners, 3),
        "listener_video_frames_seen_last_window": frames,
        "load_average_1m": round(max(loads), 2),
    }


def _ask(
    loop: asyncio.AbstractEventLoop, crowd: subprocess.Popen[str], first: bool = False
) -> dict[str, Any]:
    """The listeners' frame counts (the first line comes once they all play), the loop running meanwhile."""
    assert crowd.stdin is not None and crowd.stdout is not None
    if not first:
        crowd.stdin.write("\n")
        crowd.stdin.flush()
    line = loop.run_until_complete(asyncio.to_thread(crowd.stdout.readline))
    return dict(json.loads(line or "{}"))


def _sample(loop: asyncio.AbstractEventLoop, pid: int, window: float) -> float:
    """Janus's CPU over `window` while this loop keeps the publisher sending."""
    return loop.run_until_complete(asyncio.to_thread(cpu_percent, pid, window))


def measure(
    listeners: int = LISTENERS, window: float = WINDOW_S, modes: Sequence[str] = tuple(MODES)
) -> dict:
    """The media keys of `bench audience`: Janus CPU per listener in each mode, and the best one."""
    results = {mode: _measure_mode(MODES[mode], listeners, window) for mode in modes}
    best_mode = min(results, key=lambda mode: results[mode]["janus_cpu_per_listener_pct"])
    best = results[best_mode]["janus_cpu_per_listener_pct"]
    width, height, fps, bitrate = VIDEO
    return {
        "janus_cpu_per_listener_pct": best,
        "janus_cpu_per_listener_mode": best_mode,
        **{
            f"janus_cpu_per_listener_{mode}_pct": r["janus_cpu_per_listener_pct"]
            for mode, r in results.items()
        },
        "listeners_per_core": round(100.0 / best) if best > 0 else None,
        "media_modes": results,
        "media_assumptions": (
            f"{listeners} aiortc listeners per mode, each receiving Opus audio (silence, 50 packets/s) and "
            f"one VP8 video {width}x{height}@{fps:.0f} at {bitrate // 1000} kbps from one publisher; "
            f"Janus CPU (user+system; 1 core = 100 %) over {window:.0f} s windows; per listener: the slope "
            "from half to all listeners; listeners_per_core = 100 / that, linear, no loss, "
            "veth in a private namespace; a stage of k publishers costs about k times as much per listener."
        ),
    }


def main(argv: list[str]) -> int:
    if argv[:1] == ["--listen"]:
        asyncio.run(_listen(argv[1], argv[2], int(argv[3]), int(argv[4])))
        return 0
    netns.enter([sys.executable, "-m", "spaces_desktop.bench.audience_media", *argv])
    listeners = int(argv[0]) if argv else LISTENERS
    print(json.dumps(measure(listeners)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
