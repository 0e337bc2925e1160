"""GUI tests: offscreen Qt, a fake engine, fake devices, a stand-in stage, screenshots.

The fake engine is the product's own (spaces_desktop.session.fake, held to the
engine contract by mypy): it records every command and answers with a future
the test controls. The real Engine is tested in tests/integration.
"""

from __future__ import annotations

import gc
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent
from PySide6.QtWidgets import QApplication, QWidget

from spaces_desktop.devices.camera import CameraDevice
from spaces_desktop.devices.catalog import AudioCatalog, DeviceCatalog, DeviceInfo
from spaces_desktop.devices.microphone import MicrophoneSource
from spaces_desktop.devices.synthetic_camera import SyntheticCamera
from spaces_desktop.devices.synthetic_microphone import SyntheticMicrophone
from spaces_desktop.domain import Role, SpaceStatus
from spaces_desktop.domain.state import Connection, Member, Reaction, SessionState, SpaceInfo
from spaces_desktop.server.embedded import EmbeddedServer
from spaces_desktop.session.fake import FakeEngine
from spaces_desktop.session.frames import FrameBoard
from spaces_desktop.ui.qt.devices import DeviceDirectory
from spaces_desktop.ui.qt.settings import AppSettings
from spaces_desktop.ui.qt.theme import Theme, ThemeChoice

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


# --- engine ---------------------------------------------------------------------------------


class FakeMixer:
    def __init__(self, levels: Mapping[str, float]) -> None:
        self._levels = dict(levels)

    def levels(self) -> dict[str, float]:
        return dict(self._levels)


class FakeSession:
    def __init__(self, levels: Mapping[str, float]) -> None:
        self.mixer = FakeMixer(levels)


# --- stage ------------------------------------------------------------------------------------


class StandInStage(QWidget):
    """Stands in for spaces_desktop.ui.stage.StageView in these tests: same interface, plain tiles."""

    pin_requested = Signal(object)

    def __init__(self, frames: FrameBoard, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.frames = frames
        self.state = SessionState()
        self.levels: dict[str, float] = {}
        self.layout_mode = "speaker"
        self.frame_keys: list[Any] = []

    def set_state(self, state: SessionState) -> None:
        self.state = state
        self.update()

    def set_levels(self, levels: Mapping[str, float]) -> None:
        self.levels = dict(levels)

    def set_layout_mode(self, mode: str) -> None:
        self.layout_mode = mode

    def shutdown(self) -> None:
        self.stopped = True

    def frame_ready(self, key: Any) -> None:
        self.frame_keys.append(key)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#0b0d10"))
        speakers = self.state.speakers
        if not speakers:
            painter.end()
            return
        cols = 2 if len(speakers) > 1 else 1
        rows = (len(speakers) + cols - 1) // cols
        gap = 12
        w = (self.width() - gap * (cols + 1)) // cols
        h = (self.height() - gap * (rows + 1)) // rows
        font = QFont(self.font())
        font.setPointSize(12)
        font.setBold(True)
        painter.setFont(font)
        for i, member in enumerate(speakers):
            x = gap + (i % cols) * (w + gap)
            y = gap + (i // cols) * (h + gap)
            painter.fillRect(x, y, w, h, QColor("#1f2530"))
            painter.setPen(QColor("#e7e9ea"))
            painter.drawText(x + 14, y + h - 16, member.display_name)
        painter.end()


# --- devices ---------------------------------------------------------------------------------


class CountingDevices:
    """Preview devices that record what was opened; cameras are small synthetic ones."""

    def __init__(self) -> None:
        self.cameras: list[tuple[str, CameraDevice]] = []
        self.microphones: list[tuple[str, MicrophoneSource]] = []

    def camera(self, spec: str, label: str) -> CameraDevice | None:
        if spec == "none":
            return None
        camera = SyntheticCamera(label or spec, width=320, height=180, fps=15, frame_id=False)
        self.cameras.append((spec, camera))
        return camera

    def microphone(self, spec: str) -> MicrophoneSource | None:
        if spec == "none":
            return None
        mic = SyntheticMicrophone.from_tone(220.0, level_dbfs=-18.0)
        self.microphones.append((spec, mic))
        return mic

    @property
    def running_cameras(self) -> list[str]:
        return [spec for spec, camera in self.cameras if camera.running]


def catalog_with_devices() -> DeviceCatalog:
    return DeviceCatalog(
        cameras=(DeviceInfo("camera", "/dev/video0", "Integrated Webcam", 0, "/dev/video0", True),),
        audio=AudioCatalog(
            microphones=(
                DeviceInfo("microphone", "in:ALSA:Built-in", "Built-in Microphone", 3, is_default=True),
            ),
        ),
    )


def empty_catalog() -> DeviceCatalog:
    return DeviceCatalog()


# --- states ----------------------------------------------------------------------------------

HOST_ID = "p_host"


def member(pid: str, name: str, role: Role = Role.LISTENER, **fields: Any) -> Member:
    return Member(pid, name, role, **fields)


def space_state(
    me: str = HOST_ID,
    *,
    video: bool = True,
    connection: Connection = Connection.LIVE,
    reason: str | None = None,
    members: list[Member] | None = None,
    reactions: tuple[Reaction, ...] = (),
    title: str = "Launch day: the new headphones",
) -> SessionState:
    people = members or [member(HOST_ID, "Dana Host", Role.HOST)]
    return SessionState(
        connection=connection,
        reason=reason,
        space=SpaceInfo(
            id="AbC123",
            title=title,
            video_enabled=video,
            status=SpaceStatus.LIVE,
            host_id=HOST_ID,
            share_link="http://127.0.0.1:8470/s/AbC123",
        ),
        me=me,
        members=MappingProxyType({m.id: m for m in people}),
        reactions=reactions,
        stage=HOST_ID,
    )


def busy_room(me: str = HOST_ID, my_role: Role | None = None, **kwargs: Any) -> SessionState:
    """A host, a co-host, two speakers, a listener asking to speak, and listeners."""
    people = [
        member(HOST_ID, "Dana Host", Role.HOST, camera_on=True),
        member("p_co", "Chris Cohost", Role.COHOST, camera_on=True),
        member("p_sam", "Sam Speaker", Role.SPEAKER, muted=True),
        member("p_ari", "Ari Product", Role.SPEAKER, camera_on=True, second_camera_on=True, hand_raised=True),
        member("p_req", "Robin Request", Role.LISTENER, speak_requested=True),
        member("p_lee", "Lee Listener", Role.LISTENER),
        member("p_inv", "Ivy Invited", Role.LISTENER, invited=True),
    ]
    if my_role is not None:
        people = [
            Member(m.id, m.display_name, my_role, **{k: getattr(m, k) for k in ("muted", "camera_on")})
            if m.id == me
            else m
            for m in people
        ]
    return space_state(me, members=people, **kwargs)


def reaction(pid: str, emoji: str, second: int = 0) -> Reaction:
    return Reaction(pid, emoji, datetime(2025, 1, 1, 12, 0, second, tzinfo=UTC))


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def theme(qapp: QApplication) -> Theme:
    t = Theme()
    t.apply(qapp, ThemeChoice.DARK)
    return t


@pytest.fixture
def app_settings(tmp_path: Path) -> AppSettings:
    return AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine()


@pytest.fixture
def devices() -> CountingDevices:
    return CountingDevices()


@pytest.fixture
def directory(qapp: QApplication) -> Iterator[DeviceDirectory]:
    d = DeviceDirectory(catalog_with_devices)
    d.load_now()
    yield d
    d.close()


@pytest.fixture
def empty_directory(qapp: QApplication) -> Iterator[DeviceDirectory]:
    d = DeviceDirectory(empty_catalog)
    d.load_now()
    yield d
    d.close()


@pytest.fixture
def shot() -> Callable[[QWidget, str], Path]:
    """Save what a widget looks like to test-output/screenshots/NAME.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(widget: QWidget, name: str) -> Path:
        QApplication.processEvents()
        path = SCREENSHOTS / f"{name}.png"
        assert widget.grab().save(str(path)), f"could not save {path}"
        return path

    return save


@pytest.fixture
def server_url(tmp_path: Path) -> Iterator[str]:
    server = EmbeddedServer(tmp_path / "server")
    done = threading.Event()
    outcome: dict[str, str] = {}
    server.start(
        lambda url: (outcome.setdefault("url", url), done.set()),
        lambda message: (outcome.setdefault("error", message), done.set()),
    )
    try:
        assert done.wait(40) and "url" in outcome, outcome.get("error")
        yield outcome["url"]
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _collect_the_last_tests_widgets() -> None:
    """Python wrappers of the widgets a finished test left behind are collected here, between
    tests, not by a garbage collection that happens to run inside a later test's paint event."""
    gc.collect()
