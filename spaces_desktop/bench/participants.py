"""Participants for media benchmarks: a real SpaceSession each, on its own thread and event loop.

Each participant runs the app's engine path (SpaceSession, synthetic devices)
on a loop of its own, optionally inside another network namespace (the thread
enters it before the loop makes a socket), and records when every remote video
frame was decoded, per tile, for gap and recovery measurements.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import threading
import time
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

from spaces_desktop.bench.netns import enter_thread
from spaces_desktop.devices.synthetic_camera import SyntheticCamera
from spaces_desktop.domain import CameraSource, Role
from spaces_desktop.session.frames import FrameBoard, TileKey
from spaces_desktop.session.local_media import NONE, DeviceChoice, LocalMedia
from spaces_desktop.session.space_session import SpaceSession
from spaces_desktop.signaling.client import SpacesClient

T = TypeVar("T")
STALE_AFTER_S = 2.5  # the stage's rule (ui/stage/view.py): no frame for this long shows the avatar


class Participant:
    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        camera: bool,
        width: int = 640,
        height: int = 360,
        fps: float = 30.0,
        namespace: str | None = None,
    ) -> None:
        self.name = name
        self.base_url = base_url
        self.choice = DeviceChoice(
            camera="synthetic" if camera else NONE,
            microphone="synthetic",
            width=width,
            height=height,
            fps=fps,
        )
        self._namespace = namespace
        self._lock = threading.Lock()
        self.frames: dict[TileKey, list[float]] = {}
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"bench-{name}", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError(f"{name}: the engine thread did not start")
        self.session: SpaceSession = self.call(self._make_session())

    def _run(self) -> None:
        if self._namespace is not None:
            enter_thread(self._namespace)
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._ready.set)
        self.loop.run_forever()

    async def _make_session(self) -> SpaceSession:
        board = FrameBoard(on_frame=self._on_frame)
        return SpaceSession(SpacesClient(self.base_url), LocalMedia(self.choice), frames=board)

    def _on_frame(self, key: TileKey) -> None:  # engine loop
        with self._lock:
            self.frames.setdefault(key, []).append(time.monotonic())

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout)

    # --- what a person does ---

    @property
    def id(self) -> str:
        me = self.session.state.me
        assert me is not None
        return me

    def camera_on(self, on: bool = True) -> None:
        self.call(self.session.set_camera(CameraSource.MAIN, on))

    def camera(self) -> SyntheticCamera:
        device = self.session.media.cameras[CameraSource.MAIN]
        assert isinstance(device, SyntheticCamera)
        return device

    def close(self) -> None:
        try:
            self.call(self.session.close(), timeout=30)
            self.call(self.session.client.aclose(), timeout=10)
            self.call(_cancel_the_rest(), timeout=10)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)
            if not self._thread.is_alive():
                self.loop.close()

    # --- what it saw ---

    def times(self, key: TileKey) -> list[float]:
        with self._lock:
            return list(self.frames.get(key, []))

    def shows_avatar(self, participant_id: str, now: float | None = None) -> bool:
        """What the stage would draw for someone's main camera: the avatar unless fresh video arrives."""
        now = time.monotonic() if now is None else now
        key = (participant_id, CameraSource.MAIN)
        state = self.session.state
        member = state.members.get(participant_id)
        if member is None or not member.camera_on or key in state.paused_video:
            return True
        times = self.times(key)
        return not times or now - times[-1] >= STALE_AFTER_S


async def _cancel_the_rest() -> None:
    """Ends what aiortc left running, so nothing wakes up on a closed loop at exit."""
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def recovered_at(times: list[float], since: float, frames: int = 10, within: float = 1.0) -> float | None:
    """When video was flowing again after `since`: the first of `frames` frames inside `within` seconds."""
    start = bisect.bisect_right(times, since)
    for i in range(start, len(times) - frames + 1):
        if times[i + frames - 1] - times[i] <= within:
            return times[i]
    return None


def gaps(times: list[float], start: float, end: float) -> list[float]:
    """Inter-frame gaps inside [start, end], counting the edges as frames so silence is not hidden."""
    inside = [t for t in times if start <= t <= end]
    points = [start, *inside, end]
    return [b - a for a, b in itertools.pairwise(points)]


async def bring_on_stage(host: Participant, speaker: Participant) -> None:
    """Runs on the speaker's loop: ask to speak; the host's loop accepts."""
    await speaker.session.api.request_to_speak()
    promote = asyncio.wrap_future(
        asyncio.run_coroutine_threadsafe(host.session.api.set_role(speaker.id, Role.SPEAKER), host.loop)
    )
    await promote


__all__ = ["Participant", "bring_on_stage", "gaps", "recovered_at"]
