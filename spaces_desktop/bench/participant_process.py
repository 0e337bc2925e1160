"""The child side of a benchmark participant: one SpaceSession in a process of its own.

Real people each run their own app, so each benchmark participant gets its own
interpreter (its own GIL): four engines in one process starve each other's
camera, encoder and decoder threads on a small machine, and that shows up as
gaps that no user would see.

The parent (`participants.Participant`) talks to this process over one duplex
pipe. Parent → child: ``("call", id, method, args)``. Child → parent:
``("reply", id, ok, value)``, ``("frames", [(key, t, rtp_timestamp), ...])``
batches of decode times, ``("camera", [t, ...])`` render times of a watched camera and
``("camera_error", t)``. Times are ``time.monotonic()`` taken here, in the
child: CLOCK_MONOTONIC is system-wide on Linux, so the parent compares them
with its own.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import queue
import sys
import threading
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import av

from spaces_desktop.bench.netns import enter_thread
from spaces_desktop.devices.synthetic_camera import SyntheticCamera
from spaces_desktop.domain import CameraSource, Role
from spaces_desktop.session.frames import FrameBoard, TileKey
from spaces_desktop.session.local_media import NONE, DeviceChoice, LocalMedia
from spaces_desktop.session.space_session import SpaceSession
from spaces_desktop.signaling.client import SpacesClient

log = logging.getLogger(__name__)

STALE_AFTER_S = 2.5  # the stage's rule (ui/stage/view.py): no frame for this long shows the avatar
FLUSH_EVERY_S = 0.05
"""How often decode times go to the parent: late enough to batch, early enough for recovery polls."""
OUTBOX_LIMIT = 2000
"""Messages waiting for the pipe; beyond it a batch is dropped (and counted) rather than block the loop."""
LOOP_TICK_S = 0.01
LOOP_LATE_S = 0.03
"""A loop tick this late is recorded as a stall of the engine loop."""
STALL_TRACE = "SPACES_BENCH_STALL_TRACE"
"""Set (to anything) to sample where the engine loop is while it is held up, logged at close."""
SHUTDOWN_S = 2.5
"""The orderly part of closing; the parent kills a child still there 3 s after asking."""


@dataclass(frozen=True)
class Spec:
    name: str
    base_url: str
    camera: bool
    width: int
    height: int
    fps: float
    namespace: str | None


def main(conn: Connection, spec: Spec) -> None:
    """The child's entry point (multiprocessing "spawn": nothing inherited but the pipe)."""
    # Before any thread or socket exists: threads created later inherit the namespace.
    if spec.namespace is not None:
        enter_thread(spec.namespace)
    logging.basicConfig(level=logging.WARNING, format=f"[{spec.name}] %(levelname)s %(name)s: %(message)s")
    child = Child(conn, spec)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        # Not asyncio.run: its final cancellation waits without limit for a task that swallows it.
        loop.run_until_complete(child.run())
    finally:
        child.outbox_done()
        # A thread aiortc or a device left behind must not keep this process alive past its close.
        os._exit(0)


class TimedBoard(FrameBoard):
    """A FrameBoard that also notes each decoded frame's RTP timestamp (the sender's capture clock)."""

    def __init__(self, on_frame: Callable[[TileKey, int | None], None]) -> None:
        super().__init__()
        self._on_timed = on_frame

    def put(self, key: TileKey, frame: av.VideoFrame) -> None:
        super().put(key, frame)
        self._on_timed(key, frame.pts)


class Child:
    def __init__(self, conn: Connection, spec: Spec) -> None:
        self.conn = conn
        self.spec = spec
        self._lock = threading.Lock()
        self._frames: list[tuple[TileKey, float, int | None]] = []
        self._rendered: list[float] = []
        self._latest: dict[TileKey, float] = {}
        self._outbox: queue.Queue[tuple[Any, ...] | None] = queue.Queue(OUTBOX_LIMIT)
        self.dropped_batches = 0
        self._closing = threading.Event()
        self._sender = threading.Thread(target=self._send_loop, name="bench-outbox", daemon=True)
        self._reader: threading.Thread | None = None
        self._camera_unsubscribe: Callable[[], None] | None = None
        self._answering: set[asyncio.Task[None]] = set()
        self._beat = time.monotonic()
        self._stall_stacks: collections.Counter[str] = collections.Counter()
        self.stalls: collections.deque[tuple[float, float]] = collections.deque(maxlen=2000)
        """(when, how late) of engine-loop ticks that came late."""

    # --- the loop ---

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        choice = DeviceChoice(
            camera="synthetic" if self.spec.camera else NONE,
            microphone="synthetic",
            width=self.spec.width,
            height=self.spec.height,
            fps=self.spec.fps,
        )
        self.session = SpaceSession(
            SpacesClient(self.spec.base_url), LocalMedia(choice), frames=TimedBoard(self._on_frame)
        )
        self.done = asyncio.Event()
        self._main = asyncio.current_task()
        self._sender.start()
        self._reader = threading.Thread(target=self._read_loop, args=(loop,), name="bench-inbox", daemon=True)
        self._reader.start()
        flusher = asyncio.create_task(self._flush_loop())
        watcher = asyncio.create_task(self._watch_loop())
        if os.environ.get(STALL_TRACE):
            threading.Thread(
                target=self._sample_stalls, args=(threading.get_ident(),), name="bench-stalls", daemon=True
            ).start()
        self._post(("ready", os.getpid()))
        await self.done.wait()
        for task in (flusher, watcher):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._flush()

    def _read_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        while not self._closing.is_set():
            try:
                if not self.conn.poll(0.5):
                    continue
                message = self.conn.recv()
            except (EOFError, OSError):  # the parent went away: close as if asked
                message = ("call", None, "close", ())
            loop.call_soon_threadsafe(self._dispatch, message)
            if message[2] == "close":
                return

    def _dispatch(self, message: tuple[Any, ...]) -> None:
        _, request, method, args = message
        handler: Callable[..., Awaitable[Any]] | None = getattr(self, f"do_{method}", None)
        if handler is None:
            self._post(("reply", request, False, f"unknown command {method!r}"))
            return
        task = asyncio.get_running_loop().create_task(self._answer(request, handler(*args)))
        self._answering.add(task)
        task.add_done_callback(self._answering.discard)

    async def _answer(self, request: int | None, work: Awaitable[Any]) -> None:
        try:
            value = await work
        except Exception as exc:
            log.debug("command failed", exc_info=True)
            self._post(("reply", request, False, f"{type(exc).__name__}: {exc}"))
        else:
            self._post(("reply", request, True, value))

    # --- frames out, in batches ---

    def _on_frame(self, key: TileKey, pts: int | None) -> None:  # engine loop
        now = time.monotonic()
        self._latest[key] = now
        with self._lock:
            self._frames.append((key, now, pts))

    def _on_rendered(self, frame: object) -> None:  # camera thread
        with self._lock:
            self._rendered.append(time.monotonic())

    def _on_camera_error(self, error: object) -> None:  # camera thread
        self._post(("camera_error", time.monotonic()))

    async def _watch_loop(self) -> None:
        """Notes when the engine loop was held up: nothing decodes or sends while it is."""
        while True:
            asked = time.monotonic()
            await asyncio.sleep(LOOP_TICK_S)
            self._beat = time.monotonic()
            late = self._beat - asked - LOOP_TICK_S
            if late >= LOOP_LATE_S:
                self.stalls.append((asked, late))

    def _sample_stalls(self, loop_thread: int) -> None:
        """While the loop is late, notes the loop thread's innermost frames (a diagnostic)."""
        while not self._closing.is_set():
            time.sleep(0.02)
            if time.monotonic() - self._beat < LOOP_TICK_S + LOOP_LATE_S:
                continue
            frame = sys._current_frames().get(loop_thread)
            if frame is None:
                continue
            stack = traceback.extract_stack(frame)[-4:]
            where = (f"{f.name}@{os.path.basename(f.filename)}:{f.lineno}" for f in reversed(stack))
            self._stall_stacks[" < ".join(where)] += 1

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_EVERY_S)
            self._flush()

    def _flush(self) -> None:
        with self._lock:
            frames, self._frames = self._frames, []
            rendered, self._rendered = self._rendered, []
        if frames:
            self._post(("frames", frames))
        if rendered:
            self._post(("camera", rendered))

    def _post(self, message: tuple[Any, ...]) -> None:
        try:
            self._outbox.put_nowait(message)
        except queue.Full:
            self.dropped_batches += 1

    def _send_loop(self) -> None:
        while True:
            try:
                message = self._outbox.get(timeout=0.5)
            except queue.Empty:
                if self._closing.is_set():
                    return
                continue
            if message is None:
                return
            try:
                self.conn.send(message)
            except (OSError, ValueError):  # the parent closed its end
                return

    def outbox_done(self) -> None:
        """Lets what is queued reach the parent (bounded), then ends the sender."""
        self._closing.set()
        with contextlib.suppress(queue.Full):
            self._outbox.put(None, timeout=0.5)
        self._sender.join(1.0)
        with contextlib.suppress(OSError):
            self.conn.close()

    # --- commands (run on the loop) ---

    async def do_create(self, title: str, host_name: str) -> str:
        await self.session.create(title, host_name, True)
        space = self.session.state.space
        assert space is not None
        return space.id

    async def do_join(self, space_id: str, display_name: str) -> None:
        await self.session.join(space_id, display_name)

    async def do_me(self) -> str | None:
        return self.session.state.me

    async def do_request_to_speak(self) -> None:
        await self.session.api.request_to_speak()

    async def do_set_role(self, participant_id: str, role: Role) -> None:
        await self.session.api.set_role(participant_id, role)

    async def do_can_use_camera(self) -> bool:
        return self.session.state.can_use_camera

    async def do_subscriptions(self) -> int:
        return self.session.report.subscriptions

    async def do_publishes(self) -> int:
        return self.session.report.publishes

    async def do_loop_stalls(self, since: float, until: float) -> list[tuple[float, float]]:
        return [(at, late) for at, late in self.stalls if since <= at <= until]

    async def do_paused_video(self) -> set[TileKey]:
        return set(getattr(self.session.state, "paused_video", ()))

    async def do_camera_on(self, on: bool) -> None:
        await self.session.set_camera(CameraSource.MAIN, on)

    def _camera(self) -> SyntheticCamera:
        device = self.session.media.cameras[CameraSource.MAIN]
        assert isinstance(device, SyntheticCamera)
        return device

    async def do_watch_camera(self) -> None:
        """Reports the main camera's render times and its failure, from now on."""
        if self._camera_unsubscribe is None:
            self._camera_unsubscribe = self._camera().subscribe(self._on_rendered, self._on_camera_error)

    async def do_camera_fail_now(self) -> None:
        self._camera().fail_now()

    async def do_camera_restore(self) -> None:
        self._camera().restore()

    async def do_shows_avatar(self, participant_id: str, now: float) -> bool:
        """What the stage would draw for someone's main camera: the avatar unless fresh video arrives."""
        key = (participant_id, CameraSource.MAIN)
        state = self.session.state
        member = state.members.get(participant_id)
        if member is None or not member.camera_on or key in state.paused_video:
            return True
        latest = self._latest.get(key)
        return latest is None or now - latest >= STALE_AFTER_S

    async def do_close(self) -> int:
        # asyncio.wait, not wait_for: a timeout must not wait again for the cancelled work.
        shutdown = asyncio.ensure_future(self._shut_down())
        done, _ = await asyncio.wait({shutdown}, timeout=SHUTDOWN_S)
        if not done:
            log.warning("the engine did not close in order within %.1f s", SHUTDOWN_S)
        elif shutdown.exception() is not None:
            log.warning("closing the engine failed", exc_info=shutdown.exception())
        self._flush()
        for stack, count in self._stall_stacks.most_common(12):
            log.warning("loop held up (%d samples of 20 ms): %s", count, stack)
        self.done.set()
        return self.dropped_batches

    async def _shut_down(self) -> None:
        if self._camera_unsubscribe is not None:
            self._camera_unsubscribe()
        await self.session.close()
        await self.session.client.aclose()
        # End what aiortc left running; ours (the main task, the commands' replies, this close) stay.
        tasks = [
            t
            for t in asyncio.all_tasks()
            if t not in (asyncio.current_task(), self._main) and t not in self._answering and not t.done()
        ]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=1.0)


__all__ = ["Child", "Spec", "main"]
