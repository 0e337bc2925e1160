"""Participants for media benchmarks: a real SpaceSession each, in a process of its own.

Each participant runs the app's engine path (SpaceSession, synthetic devices)
in its own interpreter, as a real person runs their own app: engines sharing one
process (one GIL) on a small machine starve each other's camera and encoder
threads, and the benchmark would measure that instead of the product. The child
(`participant_process`) optionally enters another network namespace before it
makes a socket, records when every remote video frame was decoded, per tile, on
its own monotonic clock (system-wide on Linux, so comparable with ours), and
sends those times here in batches; commands go the other way on the same pipe.
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import logging
import multiprocessing
import os
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

from spaces_desktop.bench import participant_process
from spaces_desktop.bench.participant_process import Spec
from spaces_desktop.domain import Role
from spaces_desktop.session.frames import TileKey

log = logging.getLogger(__name__)

START_TIMEOUT_S = 60.0
"""Spawning an interpreter and importing aiortc, av and cv2 takes seconds on a loaded machine."""
RTP_VIDEO_CLOCK = 90_000
CLOSE_TIMEOUT_S = 3.0
"""A child still running this long after being asked to close is killed."""


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
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self.frames: dict[TileKey, list[float]] = {}
        self.stamps: dict[TileKey, list[int | None]] = {}
        """Per tile, each decoded frame's RTP timestamp (90 kHz, the sender's capture clock), as `frames`."""
        self.rendered: list[float] = []
        """Render times of this participant's own camera, once `camera().watch()` was called."""
        self.camera_errors: list[float] = []
        self._replies: dict[int, tuple[threading.Event, list[Any]]] = {}
        self._requests = itertools.count(1)
        self._ready = threading.Event()
        self._me: str | None = None
        self.pid: int | None = None
        self.dropped_batches = 0
        self.killed = False
        """True when the child had to be killed at close (it did not exit within CLOSE_TIMEOUT_S)."""
        # "spawn": a fresh interpreter inherits none of our threads, locks or sockets.
        context = multiprocessing.get_context("spawn")
        self._conn, child_end = context.Pipe(duplex=True)
        spec = Spec(name, base_url, camera, width, height, fps, namespace)
        self._process = context.Process(
            target=participant_process.main, args=(child_end, spec), name=f"bench-{name}", daemon=True
        )
        self._process.start()
        child_end.close()
        self._reader = threading.Thread(target=self._read_loop, name=f"bench-{name}-inbox", daemon=True)
        self._reader.start()
        if not self._ready.wait(START_TIMEOUT_S):
            self._stop_process(time.monotonic())
            raise RuntimeError(f"{name}: the engine process did not start within {START_TIMEOUT_S:.0f} s")

    # --- the pipe ---

    def _read_loop(self) -> None:
        conn: Connection = self._conn
        while True:
            try:
                # The child's end closes when it exits: recv then raises EOFError.
                if not conn.poll(0.5):
                    continue
                message = conn.recv()
            except (EOFError, OSError):
                break
            self._take(message)
        with self._lock:  # nobody waits for a reply that cannot come any more
            for event, _ in self._replies.values():
                event.set()

    def _take(self, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "frames":
            with self._lock:
                for key, at, pts in message[1]:
                    self.frames.setdefault(key, []).append(at)
                    self.stamps.setdefault(key, []).append(pts)
        elif kind == "camera":
            with self._lock:
                self.rendered.extend(message[1])
        elif kind == "camera_error":
            with self._lock:
                self.camera_errors.append(message[1])
        elif kind == "reply":
            _, request, ok, value = message
            with self._lock:
                waiting = self._replies.get(request)
            if waiting is not None:
                waiting[1].append((ok, value))
                waiting[0].set()
        elif kind == "ready":
            self.pid = message[1]
            self._ready.set()

    def call(self, method: str, *args: Any, timeout: float = 60.0) -> Any:
        """Runs the child's `do_<method>(*args)` on its engine loop and returns its result."""
        request = next(self._requests)
        event, answer = threading.Event(), list[tuple[bool, Any]]()
        with self._lock:
            self._replies[request] = (event, answer)
        try:
            with self._send_lock:
                self._conn.send(("call", request, method, args))
            if not event.wait(timeout):
                raise TimeoutError(f"{self.name}: {method} did not answer within {timeout:.0f} s")
            if not answer:
                raise RuntimeError(f"{self.name}: the engine process ended during {method}")
            ok, value = answer[0]
            if not ok:
                raise RuntimeError(f"{self.name}: {method} failed: {value}")
            return value
        finally:
            with self._lock:
                self._replies.pop(request, None)

    # --- what a person does ---

    def create(self, title: str) -> str:
        """Creates a Space with video, hosted by this participant; returns its id."""
        return str(self.call("create", title, self.name))

    def join(self, space_id: str) -> None:
        self.call("join", space_id, self.name)

    @property
    def id(self) -> str:
        if self._me is None:
            self._me = self.call("me")
        assert self._me is not None
        return self._me

    def can_use_camera(self) -> bool:
        return bool(self.call("can_use_camera"))

    def subscriptions(self) -> int:
        """How many subscriptions the engine negotiated so far (SessionReport.subscriptions)."""
        return int(self.call("subscriptions"))

    def publishes(self) -> int:
        """How many times the engine published (SessionReport.publishes)."""
        return int(self.call("publishes"))

    def loop_stalls(self, since: float, until: float) -> list[tuple[float, float]]:
        """(when, seconds late) of the engine loop's 10 ms ticks that came 30 ms late or more."""
        return [(float(a), float(b)) for a, b in self.call("loop_stalls", since, until)]

    def paused_video(self) -> set[TileKey]:
        """Tiles that say "video paused, reconnecting" right now."""
        return set(self.call("paused_video"))

    def camera_on(self, on: bool = True) -> None:
        self.call("camera_on", on)

    def camera(self) -> RemoteCamera:
        return RemoteCamera(self)

    def close(self) -> None:
        """Asks the engine to close; a process still there CLOSE_TIMEOUT_S after asking is killed."""
        deadline = time.monotonic() + CLOSE_TIMEOUT_S
        try:
            self.dropped_batches = int(self.call("close", timeout=CLOSE_TIMEOUT_S))
        except (TimeoutError, RuntimeError, OSError) as exc:
            log.warning("%s: %s", self.name, exc)
        finally:
            self._stop_process(deadline)
        if self.dropped_batches:
            log.warning("%s: %d batches of frame times were dropped", self.name, self.dropped_batches)

    def _stop_process(self, deadline: float) -> None:
        self._process.join(max(0.0, deadline - time.monotonic()))
        if self._process.is_alive():
            self.killed = True
            log.warning("%s: the engine process did not exit; killing it", self.name)
            self._process.kill()
            self._process.join(2.0)
        with contextlib.suppress(OSError):
            self._conn.close()
        self._reader.join(2.0)

    def scheduler_times(self) -> tuple[float, float]:
        """(seconds on a CPU, seconds runnable but waiting for one), summed over the engine's threads.

        From /proc/PID/task/*/schedstat: waiting that grows as fast as the clock means the
        machine had no core free for this participant, whatever its own code did.
        """
        on_cpu = waiting = 0
        if self.pid is None:
            return 0.0, 0.0
        try:
            tasks = os.listdir(f"/proc/{self.pid}/task")
        except OSError:
            return 0.0, 0.0
        for task in tasks:
            try:
                with open(f"/proc/{self.pid}/task/{task}/schedstat") as stat:
                    fields = stat.read().split()
            except OSError:  # a thread that ended meanwhile
                continue
            on_cpu += int(fields[0])
            waiting += int(fields[1])
        return on_cpu / 1e9, waiting / 1e9

    # --- what it saw ---

    def times(self, key: TileKey) -> list[float]:
        with self._lock:
            return list(self.frames.get(key, []))

    def capture_gap(self, key: TileKey, decoded_at: float) -> float | None:
        """Seconds between the sender capturing the frame decoded at `decoded_at` and the one before it.

        Next to the decode gap it tells a sender that captured nothing (both alike) from
        frames held up on the way or in the receiver (capture gap about one frame interval).
        """
        with self._lock:
            times, stamps = self.frames.get(key, []), self.stamps.get(key, [])
            i = bisect.bisect_left(times, decoded_at)
            if not 0 < i < len(stamps) or stamps[i] is None or stamps[i - 1] is None:
                return None
            after, before = stamps[i], stamps[i - 1]
        assert after is not None and before is not None
        return ((after - before) % 2**32) / RTP_VIDEO_CLOCK

    def shows_avatar(self, participant_id: str, now: float | None = None) -> bool:
        """What the stage would draw for someone's main camera: the avatar unless fresh video arrives.

        Decided in the child, on its latest frame times, for the moment `now` (our clock is its clock).
        """
        return bool(self.call("shows_avatar", participant_id, time.monotonic() if now is None else now))


class RemoteCamera:
    """A participant's synthetic main camera, driven in its process."""

    def __init__(self, owner: Participant) -> None:
        self._owner = owner

    def watch(self) -> None:
        """From now on, the owner's `rendered` and `camera_errors` fill with the camera's times."""
        self._owner.call("watch_camera")

    def fail_now(self) -> None:
        """Behaves like a webcam pulled out (SyntheticCamera.fail_now)."""
        self._owner.call("camera_fail_now")

    def restore(self) -> None:
        self._owner.call("camera_restore")

    def rendered(self) -> list[float]:
        with self._owner._lock:
            return list(self._owner.rendered)

    def errors(self) -> list[float]:
        with self._owner._lock:
            return list(self._owner.camera_errors)


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


def bring_on_stage(host: Participant, speaker: Participant) -> None:
    """The speaker asks to speak; the host accepts."""
    speaker.call("request_to_speak")
    host.call("set_role", speaker.id, Role.SPEAKER)


__all__ = ["Participant", "RemoteCamera", "bring_on_stage", "gaps", "recovered_at"]
