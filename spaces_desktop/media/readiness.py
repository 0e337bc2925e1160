"""The green room's checks: is this guest's camera, microphone and network ready to go live?

`MicMeter` watches the frames the microphone track sends (its `tap`, on the engine
loop) over the last couple of seconds; `assess` turns what was measured into
findings in plain words, one per area, each either fine or saying what is wrong
and what to do. Pure apart from the meter's rolling window; no I/O.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from spaces_desktop.media.levels import LEVEL_FLOOR_DBOV, level_dbov

WINDOW_FRAMES = 150  # 3 s of 20 ms frames
CLIP_SAMPLE = 32_000  # |sample| at or above this is (about to be) clipped
CLIPPING_FRACTION = 0.002  # more than 0.2 % clipped samples is audible distortion
QUIET_SPEECH_DBOV = -42.0  # the loudest moments below this: too quiet to understand
SILENT_DBOV = -70.0
LOUD_RTT_MS = 300.0
LOSSY = 0.05
SLOW_UPLINK_KBPS = 300.0


class Area(StrEnum):
    CAMERA = "camera"
    MICROPHONE = "microphone"
    ECHO = "echo"
    NETWORK = "network"


@dataclass(frozen=True)
class MicStats:
    loud_dbov: float
    """The 90th percentile of frame levels: how loud speech gets."""
    clipped: float
    """Fraction of samples at full scale."""
    frames: int


@dataclass(frozen=True)
class NetStats:
    rtt_ms: float | None
    loss: float | None
    """Fraction of our packets the server reports lost (0..1)."""
    uplink_kbps: float | None


@dataclass(frozen=True)
class Finding:
    area: Area
    ok: bool
    words: str


class MicMeter:
    """Rolling levels of the microphone's last few seconds (fed from the engine loop, read anywhere)."""

    def __init__(self, window: int = WINDOW_FRAMES) -> None:
        self._levels: deque[float] = deque(maxlen=window)
        self._clipped: deque[float] = deque(maxlen=window)
        self._lock = threading.Lock()

    def observe(self, samples: np.ndarray) -> None:
        level = level_dbov(samples)
        clipped = float(np.count_nonzero(np.abs(samples.astype(np.int32)) >= CLIP_SAMPLE)) / max(
            1, samples.size
        )
        with self._lock:
            self._levels.append(level)
            self._clipped.append(clipped)

    def stats(self) -> MicStats | None:
        with self._lock:
            levels, clipped = list(self._levels), list(self._clipped)
        if not levels:
            return None
        return MicStats(float(np.percentile(levels, 90)), float(np.mean(clipped)), len(levels))


def assess(
    *,
    camera: bool | None,
    mic: MicStats | None,
    muted: bool,
    echo_problem: str | None,
    net: NetStats | None,
) -> list[Finding]:
    """One finding per area; `camera` None means the Space has no video; `echo_problem` None means handled."""
    findings: list[Finding] = []
    if camera is not None:
        findings.append(
            Finding(Area.CAMERA, True, "Your camera is on and sending a picture.")
            if camera
            else Finding(
                Area.CAMERA, False, "Your camera is off or sends no picture: turn it on, or pick another."
            )
        )
    findings.append(_microphone(mic, muted))
    findings.append(
        Finding(Area.ECHO, True, "Echo cancellation is on: others will not hear themselves through you.")
        if echo_problem is None
        else Finding(Area.ECHO, False, f"Use headphones: {echo_problem}, so others may hear an echo.")
    )
    findings.append(_network(net))
    return findings


def _microphone(mic: MicStats | None, muted: bool) -> Finding:
    if mic is None or mic.frames == 0:
        return Finding(Area.MICROPHONE, False, "No sound comes from your microphone: check it is plugged in.")
    if mic.clipped > CLIPPING_FRACTION:
        return Finding(
            Area.MICROPHONE,
            False,
            "Your microphone is too loud and distorts: lower its input level or move back.",
        )
    if mic.loud_dbov <= max(SILENT_DBOV, LEVEL_FLOOR_DBOV):
        hint = " (you are muted: unmute to be heard)" if muted else ""
        return Finding(Area.MICROPHONE, False, f"Your microphone hears nothing: say a few words{hint}.")
    if mic.loud_dbov < QUIET_SPEECH_DBOV:
        return Finding(
            Area.MICROPHONE, False, "You sound very quiet: move closer to the microphone or raise its level."
        )
    return Finding(Area.MICROPHONE, True, "Your microphone sounds good.")


def _network(net: NetStats | None) -> Finding:
    if net is None or (net.rtt_ms is None and net.loss is None and net.uplink_kbps is None):
        return Finding(Area.NETWORK, False, "Measuring your connection to the server…")
    problems = []
    if net.loss is not None and net.loss > LOSSY:
        problems.append(f"{net.loss:.0%} of what you send is lost")
    if net.rtt_ms is not None and net.rtt_ms > LOUD_RTT_MS:
        problems.append(f"the server is {net.rtt_ms:.0f} ms away")
    if net.uplink_kbps is not None and net.uplink_kbps < SLOW_UPLINK_KBPS:
        problems.append(f"you send only {net.uplink_kbps:.0f} kbit/s")
    if problems:
        return Finding(
            Area.NETWORK,
            False,
            "Your connection is weak: " + ", ".join(problems) + ". Move closer to Wi-Fi or use a cable.",
        )
    parts = []
    if net.rtt_ms is not None:
        parts.append(f"{net.rtt_ms:.0f} ms to the server")
    if net.uplink_kbps is not None and math.isfinite(net.uplink_kbps):
        parts.append(f"sending {net.uplink_kbps:.0f} kbit/s")
    if net.loss is not None:
        parts.append(f"{net.loss:.0%} lost")
    return Finding(
        Area.NETWORK, True, "Your connection is good" + (f" ({', '.join(parts)})." if parts else ".")
    )
