"""The benchmarks that need the real stage: `join` and `render` (offscreen Qt).

Both drive the app's own code: the Engine on its thread, frames into the
FrameBoard, the StageView converting and painting them. Remote participants
are cheap on purpose (a separate process replays pre-encoded clips), so the
numbers measure the app.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from typing import Any

from PySide6.QtCore import QElapsedTimer, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

from spaces_desktop.bench.memory import resident_by_kind
from spaces_desktop.domain import CameraSource, Role
from spaces_desktop.domain.state import SessionState
from spaces_desktop.session.engine import Engine
from spaces_desktop.session.frames import TileKey
from spaces_desktop.session.local_media import NONE, SYNTHETIC, DeviceChoice
from spaces_desktop.session.port import EnginePort
from spaces_desktop.ui.stage import StageView
from spaces_desktop.ui.stage.singletons import protect

STALL_TICK_MS = 5


class StateRelay(QObject):
    """Carries engine states to the GUI thread (emitted on the engine thread, delivered queued)."""

    changed = Signal(object)


def _application() -> QApplication:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    protect()
    app = QApplication.instance() or QApplication(["spaces-bench"])
    assert isinstance(app, QApplication)
    return app


def _pump(app: QApplication, until: Callable[[], bool], timeout: float, step_ms: int = 2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.processEvents()
        if until():
            return True
        time.sleep(step_ms / 1000)
    return False


def _staged_engine() -> tuple[EnginePort, StageView, StateRelay]:
    """An engine whose states and frames feed a stage, as in the app (GUI thread)."""
    relay = StateRelay()
    engine = Engine(relay.changed.emit, play_audio=False)
    stage = StageView(engine.frames)
    relay.changed.connect(stage.set_state)
    engine.frames.on_frame = stage.frame_ready
    return engine, stage, relay


def _painted_any(stage: StageView) -> bool:
    return any(tile.painted_seq >= 0 for tile in stage.tiles().values())


def run_join(base_url: str, runs: int) -> dict[str, Any]:
    """From the app's join command to the first remote frame painted, `runs` times."""
    app = _application()
    host: EnginePort = Engine(lambda _: None, play_audio=False)
    camera = DeviceChoice(camera=SYNTHETIC, microphone=NONE, label="Host")
    host.create_space(base_url, "Join timing", "Host", True, camera).result(20)
    host.set_camera(CameraSource.MAIN, True).result(20)
    session = host.session
    assert session is not None and session.state.space is not None
    link = session.state.space.share_link
    _pump(app, lambda: False, 2.0)  # the host's video is flowing into the SFU
    times: list[float] = []
    try:
        for run in range(runs):
            engine, stage, _relay = _staged_engine()
            stage.resize(1280, 720)
            stage.show()
            started = time.monotonic()
            engine.join(link, f"Viewer {run}", DeviceChoice(camera=NONE, microphone=NONE))
            painted = _pump(app, partial(_painted_any, stage), 20)
            if painted:
                times.append((time.monotonic() - started) * 1000)
            engine.leave().result(10)
            engine.shutdown()
            stage.shutdown()
            stage.deleteLater()
            app.processEvents()
    finally:
        host.shutdown()
    ordered = sorted(times)
    return {
        "runs": runs,
        "joined": len(times),
        "p50_ms": round(statistics.median(ordered), 1) if ordered else None,
        "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1) if ordered else None,
        "min_ms": round(ordered[0], 1) if ordered else None,
    }


def run_render(base_url: str, seconds: float) -> dict[str, Any]:
    """The stage with 9 remote videos (1×720p pinned big, 8×360p) and our own 720p camera."""
    steps: dict[str, float] = {"imports": round(_rss_mb(), 1)}
    tracing = os.environ.get("SPACES_BENCH_TRACEMALLOC") == "1"
    if tracing:
        tracemalloc.start(8)
    app = _application()
    steps["qt_application"] = round(_rss_mb(), 1)
    stage: StageView | None = None
    engine: EnginePort | None = None
    publishers: subprocess.Popen[bytes] | None = None
    try:
        engine, stage, relay = _staged_engine()
        stage.resize(1600, 900)
        stage.show()
        app.processEvents()
        steps["engine_and_stage"] = round(_rss_mb(), 1)
        states: list[SessionState] = []
        relay.changed.connect(states.append)
        devices = DeviceChoice(camera=SYNTHETIC, microphone=NONE, width=1280, height=720, label="Me")
        engine.create_space(base_url, "Render", "Me", True, devices).result(20)
        steps["space_created"] = round(_rss_mb(), 1)
        engine.set_camera(CameraSource.MAIN, True).result(20)
        _pump(app, lambda: False, 1.0)
        steps["own_camera_publishing"] = round(_rss_mb(), 1)
        assert engine.session is not None and engine.session.state.space is not None
        space_id = engine.session.state.space.id
        specs = ["Big:1280x720", *(f"Thumb{i}:640x360" for i in range(1, 9))]
        publishers = subprocess.Popen(
            [sys.executable, "-m", "spaces_desktop.bench.publishers", base_url, space_id, *specs],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        promoted: set[str] = set()
        big: list[str] = []

        def bring_on_stage() -> bool:
            for state in states[-1:]:
                for member in state.pending_requests:
                    if member.id not in promoted:
                        promoted.add(member.id)
                        assert engine is not None
                        engine.set_role(member.id, Role.SPEAKER)
                        if member.display_name == "Big":
                            big.append(member.id)
            remote_video = [k for k in engine.frames.stats() if k[0] != (states[-1].me if states else None)]
            return len(promoted) == len(specs) and len(remote_video) == len(specs)

        if not _pump(app, bring_on_stage, 120, step_ms=20):
            raise RuntimeError(
                f"only {len(promoted)} of {len(specs)} remote participants came on stage with video"
            )
        steps["remote_videos_arrived"] = round(_rss_mb(), 1)
        engine.pin(big[0]).result(10)
        _pump(app, lambda: False, 3.0)  # warm up: every tile painting, the pin applied
        steps["warmed_up"] = round(_rss_mb(), 1)

        me = states[-1].me
        remote: list[TileKey] = [key for key in stage.tiles() if key[0] != me]
        gaps: list[float] = []
        clock = QElapsedTimer()
        clock.start()
        last = [clock.nsecsElapsed()]

        def tick() -> None:
            now = clock.nsecsElapsed()
            gaps.append((now - last[0]) / 1e6)
            last[0] = now

        timer = QTimer()
        timer.timeout.connect(tick)
        timer.start(STALL_TICK_MS)
        fps_samples: dict[TileKey, list[float]] = {key: [] for key in remote}
        cpu_start = _cpu_seconds()
        wall_start = time.monotonic()
        next_sample = wall_start + 2.0
        while time.monotonic() - wall_start < seconds:
            app.processEvents()
            time.sleep(0.001)
            if time.monotonic() >= next_sample:
                next_sample += 2.0
                rates = stage.painted_fps()
                for key in remote:
                    fps_samples[key].append(rates.get(key, 0.0))
        wall = time.monotonic() - wall_start
        cpu = _cpu_seconds() - cpu_start
        timer.stop()
        steps["end"] = round(_rss_mb(), 1)
        memory: dict[str, Any] = {
            "rss_steps_mb": steps,
            "rss_by_kind_mb": resident_by_kind(),
            "threads": threading.active_count(),
            "os_threads": len(os.listdir("/proc/self/task")) if os.path.isdir("/proc/self/task") else None,
        }
        if isinstance(engine, Engine):
            memory["heap_trims"] = engine.heap.trims
            memory["heap_trim_ms"] = None if engine.heap.last_ms is None else round(engine.heap.last_ms, 2)
        if tracing:
            memory["python_heap_mb"] = round(tracemalloc.get_traced_memory()[0] / 2**20, 1)
            top = tracemalloc.take_snapshot().statistics("filename")[:12]
            memory["python_heap_top_kb"] = {
                f"{s.traceback[0].filename.split('site-packages/')[-1]}": round(s.size / 1024) for s in top
            }
        stalls = sorted(max(0.0, gap - STALL_TICK_MS) for gap in gaps)
        per_tile = {
            f"{key[0][:8]}:{key[1].value}": round(statistics.mean(v), 1)
            for key, v in fps_samples.items()
            if v
        }
        return {
            "tiles": len(remote),
            "min_tile_fps": round(min(statistics.mean(v) for v in fps_samples.values() if v), 1),
            "big_tile_fps": round(statistics.mean(fps_samples.get((big[0], CameraSource.MAIN), [0.0])), 1),
            "cpu_cores": round(cpu / wall, 2),
            "rss_mb": round(_rss_mb(), 1),
            "stall_p99_ms": round(stalls[int(0.99 * (len(stalls) - 1))], 1) if stalls else None,
            "stall_max_ms": round(stalls[-1], 1) if stalls else None,
            "seconds": round(wall, 1),
            "per_tile_fps": per_tile,
            **memory,
        }
    finally:
        if publishers is not None:
            publishers.terminate()
            publishers.wait(10)
        if stage is not None:
            stage.shutdown()
        if engine is not None:
            engine.shutdown()


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")
