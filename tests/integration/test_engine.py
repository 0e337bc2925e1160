"""The engine thread: commands from another thread, state and frames back, a clean exit."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from spaces_desktop.devices.convert import bgr_to_yuv420p
from spaces_desktop.domain import CameraSource
from spaces_desktop.domain.state import Connection, SessionState
from spaces_desktop.session.engine import Engine
from spaces_desktop.session.local_media import NONE, DeviceChoice
from tests.support.backend import Backend
from tests.support.bots import BotProcess


def _full_numbers(state: SessionState, participant_id: str) -> bool:
    network = state.network.get(participant_id)
    return network is not None and network.kbps is not None and network.round_trip_ms is not None


def test_engine_hosts_a_space_and_receives_a_guest(backend: Backend, tmp_path: Path) -> None:
    states: list[SessionState] = []
    threads: set[str] = set()

    def on_state(state: SessionState) -> None:
        threads.add(threading.current_thread().name)
        states.append(state)

    engine = Engine(on_state, play_audio=False)
    guest: BotProcess | None = None
    try:
        devices = DeviceChoice(camera="synthetic", microphone=NONE, label="Me")
        engine.create_space(backend.url, "Engine", "Me", True, devices).result(10)
        assert states[-1].connection is Connection.LIVE and states[-1].can_use_camera
        engine.set_camera(CameraSource.MAIN, True).result(10)
        link = states[-1].space.share_link if states[-1].space else ""
        guest = BotProcess(["--join", link, "--request-to-speak", "--duration", "30"], tmp_path, "Guest")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not any(s.pending_requests for s in states[-3:]):
            time.sleep(0.05)
        [request] = states[-1].pending_requests
        engine.set_role(request.id, request.role.SPEAKER).result(10)
        deadline = time.monotonic() + 20
        key = (request.id, CameraSource.MAIN)
        while time.monotonic() < deadline and (
            engine.frames.stats().get(key) is None or engine.frames.stats()[key].frames < 30
        ):
            time.sleep(0.1)
        assert engine.frames.stats()[key].frames >= 30
        latest = engine.frames.latest(key)
        assert latest is not None and latest[1].width == 640
        # The guest's network is rated from the receivers' statistics.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and states[-1].quality.get(request.id) is None:
            time.sleep(0.1)
        assert states[-1].quality.get(request.id) == "good"
        # ... with the numbers behind it: what arrives from them, and our own round trip to the SFU.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not _full_numbers(states[-1], request.id):
            time.sleep(0.1)
        network = states[-1].network[request.id]
        assert network.loss_percent < 2 and network.kbps is not None and network.kbps > 20, network
        assert network.round_trip_ms is not None and 0 <= network.round_trip_ms < 500, network
        assert threads == {"spaces-engine"}
        me = states[-1].myself
        assert me is not None and me.camera_on
        # Our own tile shows the capture itself, never a decoded copy: some self-view frame is exactly
        # the colour conversion of a captured picture (a VP8 round trip would change its pixels).
        assert engine.session is not None
        camera = engine.session.media.cameras[CameraSource.MAIN]
        assert camera is not None
        exact = False
        for _ in range(100):
            captured, shown = camera.latest(), engine.frames.latest((me.id, CameraSource.MAIN))
            assert captured is not None and shown is not None
            planes = shown[1].to_ndarray()
            if (
                planes.shape == bgr_to_yuv420p(captured.image).shape
                and (planes == bgr_to_yuv420p(captured.image)).all()
            ):
                exact = True
                break
            time.sleep(0.011)
        assert exact, "the self-view never matched a captured picture"
    finally:
        engine.leave().result(10)
        engine.shutdown()
        if guest is not None:
            guest.stop()
    assert states[-1].connection in (Connection.LEFT, Connection.ENDED)


def test_engine_process_exits_cleanly(backend: Backend) -> None:
    script = f"""
import time
from spaces_desktop.session.engine import Engine
from spaces_desktop.session.local_media import DeviceChoice
engine = Engine(lambda state: None, play_audio=False)
engine.create_space({backend.url!r}, "Exit", "Me", True, DeviceChoice(label="Me")).result(10)
time.sleep(2)
engine.shutdown()
print("bye")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "bye" in done.stdout
    assert "Fatal Python error" not in done.stderr and "Traceback" not in done.stderr, done.stderr
