"""`spaces-desktop bot`: a headless participant for demos, tests and load.

It creates or joins a Space, asks to speak (or accepts an invitation), talks
from a WAV file or a tone on a schedule, turns its cameras on, and reports what
it received. With --json every line of output is one JSON object; the last one
is the summary.
"""

from __future__ import annotations

import asyncio
import contextlib
import faulthandler
import json
import logging
import math
import os
import secrets
import signal
import sys
import threading
import time
from dataclasses import dataclass, replace
from typing import Any, NoReturn

from spaces_desktop.aio import describe, finish_loop
from spaces_desktop.devices.synthetic_camera import SyntheticCamera
from spaces_desktop.devices.synthetic_microphone import Schedule
from spaces_desktop.domain import CameraSource, Role
from spaces_desktop.domain.state import Connection, SessionState, camera_slot
from spaces_desktop.errors import SpacesError
from spaces_desktop.session.local_media import NONE, DeviceChoice, LocalMedia
from spaces_desktop.session.space_session import TERMINAL, SpaceSession
from spaces_desktop.signaling.client import SpacesClient
from spaces_desktop.signaling.links import parse_link

log = logging.getLogger(__name__)

SHUTDOWN_DEADLINE_S = 2.5
"""From SIGTERM (or the end of --duration) to the process gone, whatever still runs."""


@dataclass(frozen=True)
class BotOptions:
    server: str | None
    create: str | None
    join: str | None
    name: str
    video: bool
    devices: DeviceChoice
    request_to_speak: bool
    raise_hand: bool
    muted: bool
    accept_requests: bool
    camera_toggle_s: float | None
    duration: float | None
    json: bool
    start_at: float | None = None
    """Wall-clock time (Unix seconds) at which the microphone's clip and schedule begin."""
    unplug_camera: tuple[float, float | None] | None = None
    """Seconds after joining at which a synthetic main camera is unplugged, and plugged back in (or never)."""


class Bot:
    def __init__(self, options: BotOptions) -> None:
        self.options = options
        self.started = time.monotonic()
        self._previous: SessionState | None = None
        self._camera_wanted = options.devices.camera != NONE
        self.names: dict[str, str] = {}
        """Everyone seen in the Space, so the summary can name people who already left."""
        self.stopping_at: float | None = None
        self.exit_code = 1
        self._stop = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def emit(self, kind: str, **data: Any) -> None:
        record = {"t": round(time.monotonic() - self.started, 3), "event": kind, **data}
        if self.options.json:
            print(json.dumps(record, default=str), flush=True)
        else:
            details = " ".join(f"{k}={v}" for k, v in data.items())
            print(f"[{record['t']:8.3f}] {kind} {details}", flush=True)

    async def run(self) -> int:
        self._loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                self._loop.add_signal_handler(sig, self.stop)
        options = self.options
        if options.join:
            base, space_id = parse_link(options.join)
        else:
            base, space_id = options.server or "http://127.0.0.1:8470", ""
        client = SpacesClient(base)
        devices = options.devices
        if options.start_at is not None:
            # Several bots share one clock: shift the schedule so time zero is `start_at`.
            lead = max(0.0, options.start_at - time.time())
            windows = devices.speak_schedule or [(0.0, 24 * 3600.0)]
            devices = replace(devices, speak_schedule=[(lead + a, lead + b) for a, b in windows])
        media = LocalMedia(devices)
        if options.start_at is not None and media.microphone is not None:
            media.microphone.start()
        session = SpaceSession(client, media, on_state=self._on_state)
        self.session = session
        client_id = "bot-" + secrets.token_urlsafe(8)
        try:
            if options.create:
                await session.create(options.create, options.name, options.video, client_id)
            else:
                await session.join(space_id, options.name, client_id)
            space = session.state.space
            assert space is not None
            self.emit(
                "joined",
                space_id=space.id,
                share_link=space.share_link,
                participant_id=session.state.me,
                role=session.state.myself.role if session.state.myself else None,
                video=space.video_enabled,
            )
            if options.request_to_speak and session.state.myself and not session.state.myself.on_stage:
                await session.api.request_to_speak()
            if options.raise_hand:
                await session.api.raise_hand(True)
            await self._live(session)
        except SpacesError as exc:
            session.report.errors.append(exc.message)
            self.emit("error", message=exc.message)
        finally:
            self._arm_deadline()
            self.exit_code = 0 if session.state.connection is not Connection.FAILED else 1
            await self._finish(session, client)
        return 0 if not session.report.errors or session.state.connection is not Connection.FAILED else 1

    def stop(self) -> None:
        """SIGTERM or SIGINT: leave now, and be gone within the shutdown deadline."""
        self._arm_deadline()
        self._stop.set()

    def _arm_deadline(self) -> None:
        if self.stopping_at is not None:
            return
        self.stopping_at = time.monotonic()
        watchdog = threading.Timer(SHUTDOWN_DEADLINE_S, self._give_up)
        watchdog.daemon = True
        watchdog.start()

    def _give_up(self) -> None:  # watchdog thread
        """The backstop: something did not end in time; say what, and exit anyway."""
        try:
            running = describe(asyncio.all_tasks(self._loop)) if self._loop is not None else ""
        except RuntimeError:  # the loop's task set changed while we looked
            running = "(could not list the tasks)"
        log.error("Shutdown took over %.1f s; still running:\n%s", SHUTDOWN_DEADLINE_S, running)
        faulthandler.dump_traceback(all_threads=True)
        exit_now(self.exit_code)

    def remaining(self) -> float:
        """Seconds left before the shutdown deadline (the whole deadline if not stopping yet)."""
        if self.stopping_at is None:
            return SHUTDOWN_DEADLINE_S
        return max(0.1, self.stopping_at + SHUTDOWN_DEADLINE_S - time.monotonic())

    async def _live(self, session: SpaceSession) -> None:
        deadline = None if self.options.duration is None else self.started + self.options.duration
        next_toggle = None
        stop = self._stop
        while not stop.is_set() and session.state.connection not in TERMINAL:
            if deadline is not None and time.monotonic() >= deadline:
                break
            await self._act(session)
            if self.options.camera_toggle_s and session.state.can_use_camera:
                now = time.monotonic()
                next_toggle = next_toggle or now + self.options.camera_toggle_s
                if now >= next_toggle:
                    next_toggle = now + self.options.camera_toggle_s
                    await self._set_camera(
                        session, CameraSource.MAIN, not session.media.camera_on[CameraSource.MAIN]
                    )
            self._unplug(session)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.1)

    def _unplug(self, session: SpaceSession) -> None:
        """Rehearse a lost camera with the synthetic camera's fault hook (``--unplug-camera``)."""
        if self.options.unplug_camera is None:
            return
        camera = session.media.cameras.get(CameraSource.MAIN)
        if not isinstance(camera, SyntheticCamera):
            return
        unplug_at, replug_at = self.options.unplug_camera
        elapsed = time.monotonic() - self.started
        if camera.plugged_in and elapsed >= unplug_at and (replug_at is None or elapsed < replug_at):
            camera.fail_now()
            self.emit("camera_unplugged")
        elif not camera.plugged_in and replug_at is not None and elapsed >= replug_at:
            camera.restore()
            self.emit("camera_plugged_in")

    async def _act(self, session: SpaceSession) -> None:
        state = session.state
        me = state.myself
        if me is None:
            return
        if me.invited and not me.on_stage:
            with contextlib.suppress(SpacesError):
                await session.api.accept_invite()
        if self.options.accept_requests and me.role in (Role.HOST, Role.COHOST):
            for requester in state.pending_requests:
                with contextlib.suppress(SpacesError):
                    await session.api.set_role(requester.id, Role.SPEAKER)
                    self.emit("accepted_request", participant_id=requester.id, name=requester.display_name)
        if self.options.muted and me.on_stage and not me.muted:
            with contextlib.suppress(SpacesError):
                await session.set_muted(True)
                self.emit("muted", on=True)
        if state.can_use_camera and self._camera_wanted and not self.options.camera_toggle_s:
            for source in CameraSource:
                lost = session.media.lost.get(camera_slot(source))
                if lost is not None and not lost.back:
                    continue  # gone: turned on again once it is back
                if session.media.has_camera(source) and not session.media.camera_on[source]:
                    await self._set_camera(session, source, True)

    async def _set_camera(self, session: SpaceSession, source: CameraSource, on: bool) -> None:
        try:
            await session.set_camera(source, on)
            self.emit("camera", source=source.value, on=on)
        except SpacesError as exc:
            self.emit("error", message=exc.message)
            self._camera_wanted = False

    def _on_state(self, state: SessionState) -> None:
        previous, self._previous = self._previous, state
        self.names.update({m.id: m.display_name for m in state.members.values()})
        if previous is None or previous.connection != state.connection:
            self.emit("connection", state=state.connection.value, reason=state.reason)
        me, before = state.myself, previous.myself if previous else None
        if me is not None and (before is None or before.role != me.role):
            self.emit("role", role=me.role.value)
        if previous is None or previous.scene != state.scene:
            scene = state.scene
            self.emit(
                "scene",
                scene=scene.kind.value,
                participant_id=scene.participant_id,
                name=self._name(scene.participant_id),
                by=scene.by,
            )
        if previous is not None and previous.stage != state.stage:
            self.emit("stage", participant_id=state.stage, name=self._name(state.stage))
        for member in state.members.values():
            old = previous.members.get(member.id) if previous else None
            if member.id != state.me and old is not None and old.camera_on != member.camera_on:
                self.emit(
                    "member_camera", participant_id=member.id, name=member.display_name, on=member.camera_on
                )
        if previous is None or previous.streams != state.streams:
            self.emit("streams", count=len(state.streams))
        if previous is not None and previous.device_problems != state.device_problems:
            problems = [{"device": p.slot.value, "status": p.status.value} for p in state.device_problems]
            self.emit("devices", problems=problems)

    async def _finish(self, session: SpaceSession, client: SpacesClient) -> None:
        state = session.state
        summary = self.summary(session)
        if state.connection not in TERMINAL:
            await session.leave()
        else:
            await session.close()
        await client.aclose()
        self.emit("summary", **summary)

    def _name(self, participant_id: str | None) -> str | None:
        return self.names.get(participant_id or "")

    def summary(self, session: SpaceSession) -> dict[str, Any]:
        state = session.state
        now = time.monotonic()
        received: dict[str, Any] = {}
        for (pid, source), stats in session.frames.stats().items():
            if pid == state.me:
                continue  # our own camera's mirror, not something we received
            span = (stats.last_at or now) - (stats.first_at or now)
            entry = received.setdefault(pid, {"name": self._name(pid), "video": {}})
            entry["video"][source.value] = {
                "frames": stats.frames,
                "fps": round((stats.frames - 1) / span, 1) if span > 0 else 0.0,
                "recent_fps": round(stats.fps(now), 1),
                "size": f"{stats.width}x{stats.height}",
            }
        for pid, count in session.report.audio_frames.items():
            received.setdefault(pid, {"name": self._name(pid), "video": {}})["audio_frames"] = count
        me = state.myself
        return {
            "role": me.role.value if me else None,
            "me": {
                "hand_raised": me.hand_raised,
                "muted": me.muted,
                "camera_on": me.camera_on,
                "second_camera_on": me.second_camera_on,
            }
            if me
            else None,
            "connection": state.connection.value,
            "received": received,
            "audio_frames": sum(session.report.audio_frames.values()),
            "switches": [
                {
                    "t": round(t - time.time() + (now - self.started), 3),
                    "to": s.to_id,
                    "name": self._name(s.to_id),
                    "reason": s.reason,
                }
                for t, s in session.report.switches
            ],
            "scene": {"kind": state.scene.kind.value, "participant_id": state.scene.participant_id},
            "notes": [
                {
                    "t": round(n.time_s, 3),
                    "kind": n.kind.value,
                    "subject": self._name(n.subject) or n.subject,
                    "previous": self._name(n.previous) or n.previous,
                    "speech_s": round(n.speech_s, 3),
                    "silence_s": round(n.silence_s, 3) if math.isfinite(n.silence_s) else None,
                }
                for n in session.report.notes
            ],
            "publishes": session.report.publishes,
            "subscriptions": session.report.subscriptions,
            "media_reconnects": session.report.rejoins,
            "media_retries": session.report.media_retries,
            "errors": session.report.errors,
        }


def run_bot(options: BotOptions) -> int:
    """Runs a bot to its end; the process exits here, within the shutdown deadline."""
    logging.getLogger("aioice").setLevel(logging.WARNING)
    # `kill -USR1 PID` prints every thread's stack: what a stuck participant is waiting for.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    bot = Bot(options)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    code = 1
    try:
        code = loop.run_until_complete(bot.run())
    except KeyboardInterrupt:
        code = 130
    finally:
        # Bounded, unlike asyncio.run: a task that ignores cancellation is named, not waited on.
        finish_loop(loop, bot.remaining())
    exit_now(code)


def exit_now(code: int) -> NoReturn:
    """Ends the process without the interpreter's final collection: everything that
    matters is closed by now, and collecting PyAV and aiortc objects takes seconds."""
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code)


def schedule_arg(text: str) -> Schedule:
    from spaces_desktop.devices.synthetic_microphone import parse_schedule

    return parse_schedule(text)


__all__ = ["BotOptions", "run_bot", "schedule_arg"]
