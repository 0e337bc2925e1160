"""aiortc tracks fed by our devices: camera video and microphone audio.

Every ``recv`` runs on the engine's asyncio loop (aiortc's RTCRtpSender calls
it); device threads only wake it up. A camera picture is converted for the
encoder in the capture thread as it arrives (the loop never spends
milliseconds per frame, and a frame waits on one thread hand-over, not three:
on a busy machine each costs up to a scheduler slice); a picture sent again
after a stall is converted in the loop's default executor.

Camera off
----------
When the camera is switched off, :class:`CameraVideoTrack` keeps the stream
alive with one black frame per second rather than going silent:

- subscribers see black, never a frozen last picture of someone who chose to
  turn their camera off;
- a subscriber that joins (or loses packets) gets a keyframe within a second
  when the SFU forwards its PLI, so its slot decodes at once when the camera
  comes back;
- Janus does not report the publisher's media as gone (its no-media timer
  fires after about a second), so the backend does not mistake "camera off" for
  a dropped connection;
- VP8 black frames cost a few hundred bytes a second.

The GUI does not rely on the black picture: it shows the avatar because the
"camera off" event says so. A *lost* camera needs none of this once the server
knows it is off: ``keep_alive = False`` then sends nothing until the camera is
on again (the next frame after the pause is decodable: nothing was lost, and a
subscriber that came meanwhile asked for a keyframe the encoder still owes).
Resolution stays the same, so the encoder is not rebuilt and switching back on
costs no extra keyframe.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import logging
import threading
import time
from collections.abc import Callable

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack, VideoStreamTrack

from spaces_desktop.devices.audio_backend import FRAME_SAMPLES, SAMPLE_RATE
from spaces_desktop.devices.camera import CameraDevice, CameraFrame
from spaces_desktop.devices.convert import bgr_to_yuv420p
from spaces_desktop.devices.microphone import MicrophoneSource
from spaces_desktop.media.overlays import Compositor
from spaces_desktop.protocol import SMALL_LAYER_TRACK_PREFIX

log = logging.getLogger(__name__)

VIDEO_CLOCK_RATE = 90_000
VIDEO_TIME_BASE = fractions.Fraction(1, VIDEO_CLOCK_RATE)
AUDIO_TIME_BASE = fractions.Fraction(1, SAMPLE_RATE)


def black_frame(width: int, height: int) -> av.VideoFrame:
    """A video-range black yuv420p frame."""
    planes = np.empty((height * 3 // 2, width), dtype=np.uint8)
    planes[:height] = 16
    planes[height:] = 128
    return av.VideoFrame.from_ndarray(planes, format="yuv420p")


def _call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[[], object]) -> None:
    """Schedule ``callback`` on ``loop`` from any thread; a loop that has shut down is ignored."""
    # RuntimeError: the loop has closed because the engine is shutting down.
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(callback)


class CameraVideoTrack(VideoStreamTrack):
    """Sends the newest picture of a :class:`CameraDevice`, at the camera's rate or at most ``max_fps``.

    ``recv`` waits for the camera's next frame (woken from the capture thread),
    so pictures leave as soon as they are captured; frames the sender had no
    time for are skipped, never queued. pts are 90 kHz ticks of the capture
    time, strictly increasing. If the camera delivers nothing for
    ``stall_resend`` seconds the last picture is sent again (black if the
    camera has stopped), so late subscribers still get a keyframe.

    ``size`` (width, height) scales every picture, e.g. for a small thumbnail
    track next to the full-size one; ``small`` marks it as the camera's small
    layer (its track id, and so the SDP's msid, says so). Both tracks read the
    same capture: a second track costs a conversion and an encode, never a
    second capture. The track does not start or stop the camera: whoever owns
    the camera does (turning it off also frees the device).

    ``wanted`` False (nobody subscribes to this layer) sends nothing at all: no
    conversion, no encode. When it is wanted again the next picture goes out
    at once; the SFU's keyframe request for the new subscriber makes it a
    keyframe.

    ``overlays``, if given, blends its lower third, logo or product card into
    every camera picture before it is scaled and encoded (never into black).
    """

    def __init__(
        self,
        source: CameraDevice,
        *,
        max_fps: float | None = None,
        size: tuple[int, int] | None = None,
        camera_on: bool = True,
        off_interval: float = 1.0,
        stall_resend: float = 1.0,
        overlays: Compositor | None = None,
        small: bool = False,
    ) -> None:
        super().__init__()
        if small:
            self._id = SMALL_LAYER_TRACK_PREFIX + self._id
        self.source = source
        self.overlays = overlays
        self.max_fps = max_fps
        self.size = size
        self._camera_on = camera_on
        self.off_interval = off_interval
        self.stall_resend = stall_resend
        self._wakeup: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._origin: float | None = None
        self._last_pts = -1
        self._last_sent_at: float | None = None
        self._last_index: int | None = None
        self._last_frame: CameraFrame | None = None
        self._last_dims: tuple[int, int] | None = None
        self._black: av.VideoFrame | None = None
        self._keep_alive = True
        self._converted: tuple[CameraDevice, int, av.VideoFrame] | None = None
        """The newest picture, converted in the capture thread: (camera, frame index, frame); used once."""
        self._converted_lock = threading.Lock()
        self.frames_sent = 0
        self.black_frames_sent = 0
        self._wanted = True
        self._wanted_event: asyncio.Event | None = None

    @property
    def wanted(self) -> bool:
        return self._wanted

    @wanted.setter
    def wanted(self, wanted: bool) -> None:
        """Whether any subscriber takes this layer (loop thread); False stops sending and encoding."""
        self._wanted = wanted
        if wanted and self._wanted_event is not None:
            self._wanted_event.set()

    @property
    def camera_on(self) -> bool:
        return self._camera_on

    @camera_on.setter
    def camera_on(self, on: bool) -> None:
        """Switch between the camera's pictures and black at ``off_interval`` (any thread)."""
        self._camera_on = on
        self._wake()

    @property
    def keep_alive(self) -> bool:
        """Whether a camera that is off still sends black every ``off_interval`` (the default)."""
        return self._keep_alive

    @keep_alive.setter
    def keep_alive(self, on: bool) -> None:
        """False: while the camera is off, send nothing at all (any thread)."""
        self._keep_alive = on
        self._wake()

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        self._attach()
        await self._wait_until_wanted()
        if self.max_fps and self._last_sent_at is not None and self._camera_on:
            # Only when asked: the camera itself already paces the track at its own rate.
            due = self._last_sent_at + 1.0 / self.max_fps
            if due > time.monotonic():
                await asyncio.sleep(due - time.monotonic())

        if self._camera_on:
            frame = await self._next_camera_frame()
            if frame is not None:
                video = self._take_converted(frame.index)
                if video is None:
                    loop = asyncio.get_running_loop()
                    video = await loop.run_in_executor(None, self._convert, frame.image)
                return self._stamp(video, frame.timestamp, black=False)
            if self.readyState != "live":
                raise MediaStreamError
        else:
            await self._sleep_while_off()
            if self.readyState != "live":
                raise MediaStreamError
            if self._camera_on:
                # Switched back on while we waited: go straight to the camera.
                return await self.recv()
        return self._stamp(self._black_frame(), time.monotonic(), black=True)

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._wake()
        if self._wanted_event is not None and self._loop is not None:
            _call_soon(self._loop, self._wanted_event.set)
        super().stop()

    def _wake(self) -> None:
        """Wake a waiting recv, from whatever thread called us."""
        if self._wakeup is not None and self._loop is not None:
            _call_soon(self._loop, self._wakeup.set)

    # --- loop thread ---------------------------------------------------------------------------

    def _attach(self) -> None:
        if self._wakeup is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._wakeup = asyncio.Event()
        self._wanted_event = asyncio.Event()
        self._subscribe()

    async def _wait_until_wanted(self) -> None:
        assert self._wanted_event is not None
        while not self._wanted and self.readyState == "live":
            self._wanted_event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wanted_event.wait(), 1.0)
        if self.readyState != "live":
            raise MediaStreamError

    def _subscribe(self) -> None:
        wakeup, loop, source = self._wakeup, self._loop, self.source
        assert wakeup is not None and loop is not None

        def on_frame(frame: CameraFrame) -> None:  # capture thread
            if self._camera_on and self._wanted:
                try:
                    video = self._convert(frame.image)
                except Exception:  # recv converts it in the executor instead, and says why there
                    video = None
                with self._converted_lock:
                    self._converted = None if video is None else (source, frame.index, video)
            _call_soon(loop, wakeup.set)

        self._unsubscribe = self.source.subscribe(on_frame)

    def replace_source(self, source: CameraDevice) -> None:
        """Send another camera's pictures from its next frame on (loop thread).

        The track, its sender and the negotiated stream stay as they are, so a
        device switch needs no renegotiation; the new camera should already be
        delivering (make before break) so subscribers see no gap. pts keep
        increasing across the switch; a different picture size only makes the
        encoder start over with a keyframe.
        """
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self.source = source
        self._last_index = None
        self._last_frame = None
        if self._wakeup is not None and self.readyState == "live":
            self._subscribe()
        self._wake()

    async def _next_camera_frame(self) -> CameraFrame | None:
        """The newest frame not sent yet; the last one again after a stall; None if there is none."""
        assert self._wakeup is not None
        deadline = time.monotonic() + self.stall_resend
        while self._camera_on and self.readyState == "live":
            frame = self.source.latest()
            if frame is not None and frame.index != self._last_index:
                self._last_index = frame.index
                self._last_frame = frame
                return frame
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if self.source.running and self._last_frame is not None:
                    return self._last_frame
                return None
            self._wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), remaining)
        return None

    async def _sleep_while_off(self) -> None:
        """Until the next black keep-alive is due, or the camera is on again, or the track stopped.

        Without keep-alive (a lost camera the server knows is off) nothing is due:
        only a wake-up (camera on, keep-alive back, stop) ends the wait.
        """
        assert self._wakeup is not None
        if self._last_sent_at is None:
            return  # the first frame goes out at once, so the stream starts
        while self.readyState == "live" and not self._camera_on:
            delay: float | None = None
            if self._keep_alive:
                delay = self._last_sent_at + self.off_interval - time.monotonic()
                if delay <= 0:
                    return
            self._wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), delay)

    def _take_converted(self, index: int) -> av.VideoFrame | None:
        """The capture thread's conversion of frame ``index``, once; None if it has another one."""
        with self._converted_lock:
            converted, self._converted = self._converted, None
        if converted is None or converted[0] is not self.source or converted[1] != index:
            return None  # a frame of the camera this track sent before a switch, or an older one
        return converted[2]

    def _convert(self, image: np.ndarray) -> av.VideoFrame:  # capture or executor thread
        if self.overlays is not None:
            image = self.overlays.apply(image)
        return av.VideoFrame.from_ndarray(bgr_to_yuv420p(image, self.size), format="yuv420p")

    def _black_frame(self) -> av.VideoFrame:
        dims = self._last_dims or self.size or (self.source.width & ~1, self.source.height & ~1)
        if self._black is None or (self._black.width, self._black.height) != dims:
            self._black = black_frame(*dims)
        return self._black

    def _stamp(self, video: av.VideoFrame, captured_at: float, *, black: bool) -> av.VideoFrame:
        if self._origin is None:
            self._origin = captured_at
        pts = max(self._last_pts + 1, round((captured_at - self._origin) * VIDEO_CLOCK_RATE))
        now = time.monotonic()
        if black:
            # A shared frame object: copy so each send carries its own pts.
            video = av.VideoFrame.from_ndarray(video.to_ndarray(), format="yuv420p")
            pts = max(pts, round((now - self._origin) * VIDEO_CLOCK_RATE))
            self.black_frames_sent += 1
        else:
            self.frames_sent += 1
        video.pts = pts
        video.time_base = VIDEO_TIME_BASE
        self._last_pts = pts
        self._last_sent_at = now
        self._last_dims = (video.width, video.height)
        return video


class MicrophoneAudioTrack(MediaStreamTrack):
    """Sends 20 ms frames of 48 kHz mono s16 from a :class:`MicrophoneSource`, paced by the clock.

    ``muted`` sends silence without touching the microphone or the connection
    (the source is still read, so unmuting never plays stale audio). A missing
    frame (device late) is sent as silence and counted in ``underruns``. If the
    loop stalls for more than ``max_lag`` the pacing restarts from now instead
    of bursting the backlog; pts then jump by the gap.

    ``tap``, if given, is called on the loop thread with every frame read from
    the microphone, before muting: a level meter can show "you are muted" while
    the person talks.
    """

    kind = "audio"

    def __init__(
        self,
        source: MicrophoneSource,
        *,
        muted: bool = False,
        tap: Callable[[np.ndarray], None] | None = None,
        max_lag: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.source = source
        self.muted = muted
        self.tap = tap
        self.max_lag = max_lag
        self._clock = clock
        self._start: float | None = None
        self._timestamp = 0
        self._silence = np.zeros((1, FRAME_SAMPLES), dtype=np.int16)
        self.frames_sent = 0
        self.underruns = 0

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = self._clock()
            self._timestamp = 0
        else:
            self._timestamp += FRAME_SAMPLES
            wait = self._start + self._timestamp / SAMPLE_RATE - self._clock()
            if wait > 0:
                await asyncio.sleep(wait)
            elif wait < -self.max_lag:
                self._start = self._clock() - self._timestamp / SAMPLE_RATE
        if self.readyState != "live":
            raise MediaStreamError

        samples = self.source.read()
        if samples is None:
            self.underruns += 1
        elif self.tap is not None:
            self.tap(samples)
        if self.muted or samples is None:
            data = self._silence
        else:
            data = np.asarray(samples, dtype=np.int16).reshape(1, -1)[:, :FRAME_SAMPLES]
            if data.shape[1] < FRAME_SAMPLES:
                data = np.pad(data, ((0, 0), (0, FRAME_SAMPLES - data.shape[1])))
        frame = av.AudioFrame.from_ndarray(data, format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self._timestamp
        frame.time_base = AUDIO_TIME_BASE
        self.frames_sent += 1
        return frame
