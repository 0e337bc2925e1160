"""GUI tests: offscreen Qt, a fake engine, fake devices, a stand-in stage, screenshots.

The fake engine records every command and answers with a future the test
controls; the real Engine is tested in tests/integration.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import concurrent.futures
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
from spaces_desktop.domain import CameraSource, Role, SpaceStatus
from spaces_desktop.domain.state import Connection, DeviceSlot, Member, Reaction, SessionState, SpaceInfo
from spaces_desktop.media.stage_director import StageDirectorSettings
from spaces_desktop.server.embedded import EmbeddedServer
from spaces_desktop.session.frames import FrameBoard
from spaces_desktop.session.local_media import DeviceChoice
from spaces_desktop.ui.qt.devices import DeviceDirectory
from spaces_desktop.ui.qt.settings import AppSettings
from spaces_desktop.ui.qt.theme import Theme, ThemeChoice

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


# --- engine ---------------------------------------------------------------------------------


class FakeEngine:
    """Records commands; each returns a Future that is done unless the test holds it."""

    def __init__(self) -> None:
        self.frames = FrameBoard()
        self.notices: list[str] = []
        self.on_state: Callable[[SessionState], None] = lambda _: None
        self.director: StageDirectorSettings | None = None
        self.session: Any = None
        self.token: str | None = None
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.hold: set[str] = set()
        """Commands whose future stays pending until the test resolves it."""
        self.fail: dict[str, BaseException] = {}
        self.futures: dict[str, concurrent.futures.Future[Any]] = {}
        self.shut_down = False

    def _record(self, name: str, *args: Any) -> concurrent.futures.Future[Any]:
        self.calls.append((name, args))
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self.futures[name] = future
        if name in self.fail:
            future.set_exception(self.fail[name])
        elif name not in self.hold:
            future.set_result(None)
        return future

    def called(self, name: str) -> list[tuple[Any, ...]]:
        return [args for n, args in self.calls if n == name]

    def set_director(self, settings: StageDirectorSettings | None) -> concurrent.futures.Future[None]:
        self.director = settings  # not recorded: a setting, not an action the tests count
        done: concurrent.futures.Future[None] = concurrent.futures.Future()
        done.set_result(None)
        return done

    def push(self, state: SessionState) -> None:
        """Deliver a state the way the engine does (from "its" thread: here, directly)."""
        self.on_state(state)

    def create_space(
        self,
        server: str,
        title: str,
        name: str,
        video: bool,
        devices: DeviceChoice,
        client_id: str | None = None,
    ) -> concurrent.futures.Future[None]:
        return self._record("create_space", server, title, name, video, devices, client_id)

    def join(
        self, link: str, name: str, devices: DeviceChoice, client_id: str | None = None
    ) -> concurrent.futures.Future[None]:
        return self._record("join", link, name, devices, client_id)

    def reopen(self, link: str, token: str, devices: DeviceChoice) -> concurrent.futures.Future[None]:
        return self._record("reopen", link, token, devices)

    def leave(self) -> concurrent.futures.Future[None]:
        return self._record("leave")

    def set_muted(self, muted: bool) -> concurrent.futures.Future[Any]:
        return self._record("set_muted", muted)

    def set_camera(self, source: CameraSource, on: bool) -> concurrent.futures.Future[Any]:
        return self._record("set_camera", source, on)

    def set_device(self, slot: DeviceSlot, spec: str) -> concurrent.futures.Future[Any]:
        return self._record("set_device", slot, spec)

    def raise_hand(self, raised: bool) -> concurrent.futures.Future[Any]:
        return self._record("raise_hand", raised)

    def react(self, emoji: str) -> concurrent.futures.Future[Any]:
        return self._record("react", emoji)

    def request_to_speak(self, requested: bool = True) -> concurrent.futures.Future[Any]:
        return self._record("request_to_speak", requested)

    def answer_invite(self, accept: bool) -> concurrent.futures.Future[Any]:
        return self._record("answer_invite", accept)

    def set_role(self, participant_id: str, role: Role) -> concurrent.futures.Future[Any]:
        return self._record("set_role", participant_id, role)

    def invite(self, participant_id: str) -> concurrent.futures.Future[Any]:
        return self._record("invite", participant_id)

    def decline_request(self, participant_id: str) -> concurrent.futures.Future[Any]:
        return self._record("decline_request", participant_id)

    def mute(self, participant_id: str) -> concurrent.futures.Future[Any]:
        return self._record("mute", participant_id)

    def remove(self, participant_id: str, block_address: bool = False) -> concurrent.futures.Future[Any]:
        return self._record("remove", participant_id, block_address)

    def set_access(
        self, *, locked: bool | None = None, approval_required: bool | None = None
    ) -> concurrent.futures.Future[Any]:
        return self._record("set_access", locked, approval_required)

    def admit(self, participant_id: str) -> concurrent.futures.Future[Any]:
        return self._record("admit", participant_id)

    def deny(self, participant_id: str) -> concurrent.futures.Future[Any]:
        return self._record("deny", participant_id)

    def end_space(self) -> concurrent.futures.Future[Any]:
        return self._record("end_space")

    def pin(self, participant_id: str | None) -> concurrent.futures.Future[Any]:
        return self._record("pin", participant_id)

    def shutdown(self, timeout: float = 5.0) -> None:
        self.shut_down = True


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
