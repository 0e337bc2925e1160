"""Which cameras and microphones to offer, and which to pick by default (view model, no widgets).

Real devices come first and are the default when present; the synthetic camera
(a moving test picture) and the synthetic microphone (a tone) are always
offered, so the app works on a machine without any device, and a note says so.
"""

from __future__ import annotations

import concurrent.futures
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from PySide6.QtCore import QCoreApplication, QObject, Signal

from spaces_desktop.devices.camera import CameraDevice
from spaces_desktop.devices.catalog import DeviceCatalog, list_devices
from spaces_desktop.devices.microphone import MicrophoneSource
from spaces_desktop.domain.state import DeviceSlot
from spaces_desktop.session.local_media import NONE, SYNTHETIC, DeviceChoice, open_camera, open_microphone
from spaces_desktop.ui.qt.bridge import GuiDispatcher
from spaces_desktop.ui.qt.screen_source import screen_options
from spaces_desktop.ui.viewmodels.i18n import QT_TRANSLATE_NOOP

log = logging.getLogger(__name__)

# English here; options carry them translated (``tr``).
SYNTHETIC_CAMERA_LABEL = QT_TRANSLATE_NOOP("Devices", "Synthetic camera (test picture)")
SYNTHETIC_MIC_LABEL = QT_TRANSLATE_NOOP("Devices", "Synthetic microphone (tone)")
NO_MIC_LABEL = QT_TRANSLATE_NOOP("Devices", "No microphone")
SYSTEM_SPEAKER_LABEL = QT_TRANSLATE_NOOP("Devices", "System default")


def tr(text: str) -> str:
    return QCoreApplication.translate("Devices", text)


def default_mark(name: str, is_default: bool) -> str:
    """A device's name, marked when it is the system's default."""
    return QCoreApplication.translate("Devices", "%1 (default)").replace("%1", name) if is_default else name


@dataclass(frozen=True)
class DeviceOption:
    label: str
    spec: str
    """What DeviceChoice takes: a device index, "synthetic" or "none"."""

    @property
    def synthetic(self) -> bool:
        return self.spec == SYNTHETIC


def camera_options(catalog: DeviceCatalog | None) -> list[DeviceOption]:
    real = [DeviceOption(c.name, str(c.index)) for c in (catalog.cameras if catalog else ())]
    return [*real, DeviceOption(tr(SYNTHETIC_CAMERA_LABEL), SYNTHETIC)]


def microphone_options(catalog: DeviceCatalog | None) -> list[DeviceOption]:
    mics = catalog.audio.microphones if catalog else ()
    ordered = sorted(mics, key=lambda m: not m.is_default)
    real = [DeviceOption(default_mark(m.name, m.is_default), str(m.index)) for m in ordered]
    return [*real, DeviceOption(tr(SYNTHETIC_MIC_LABEL), SYNTHETIC), DeviceOption(tr(NO_MIC_LABEL), NONE)]


def speaker_options(catalog: DeviceCatalog | None) -> list[DeviceOption]:
    """Outputs; "" is the system default (what the engine opens when nothing was picked)."""
    speakers = catalog.audio.speakers if catalog else ()
    real = [DeviceOption(default_mark(s.name, s.is_default), str(s.index)) for s in speakers]
    return [DeviceOption(tr(SYSTEM_SPEAKER_LABEL), ""), *real]


def live_options(slot: DeviceSlot, catalog: DeviceCatalog | None) -> list[DeviceOption]:
    """What a device can be switched to during a Space ("none" is not a switch: mute or turn off)."""
    if slot is DeviceSlot.SPEAKER:
        return speaker_options(catalog)
    options = microphone_options(catalog) if slot is DeviceSlot.MICROPHONE else camera_options(catalog)
    if slot is DeviceSlot.SECOND_CAMERA:
        # A screen or a window can stand in for the product camera (a page, a slide deck).
        options += [DeviceOption(o.label, o.spec) for o in screen_options()]
    return [o for o in options if o.spec != NONE]


def default_index(options: Sequence[DeviceOption], preferred: str = "") -> int:
    """The preferred device when still present, else the first real one, else the synthetic one."""
    for i, option in enumerate(options):
        if preferred and option.spec == preferred:
            return i
    return 0


def device_notes(catalog: DeviceCatalog | None) -> list[str]:
    """What a person should know about the devices found (shown under the pickers)."""
    if catalog is None:
        return [QCoreApplication.translate("Devices", "Looking for cameras and microphones…")]
    notes = []
    if not catalog.cameras:
        notes.append(
            QCoreApplication.translate(
                "Devices", "No camera found: the synthetic camera (a moving test picture) stands in."
            )
        )
    if catalog.audio.unavailable_reason:
        notes.append(
            QCoreApplication.translate("Devices", "%1 The synthetic microphone (a tone) stands in.").replace(
                "%1", catalog.audio.unavailable_reason
            )
        )
    elif not catalog.audio.microphones:
        notes.append(
            QCoreApplication.translate(
                "Devices", "No microphone found: the synthetic microphone (a tone) stands in."
            )
        )
    return notes


class PreviewDevices(Protocol):
    """Opens devices for a preview or a device check; tests pass a fake that counts what was opened."""

    def camera(self, spec: str, label: str) -> CameraDevice | None: ...

    def microphone(self, spec: str) -> MicrophoneSource | None: ...


class LocalPreviewDevices:
    """The real thing: the same devices the engine would open for this choice."""

    def __init__(self, width: int = 640, height: int = 360, fps: float = 15.0) -> None:
        self.choice = DeviceChoice(width=width, height=height, fps=fps)

    def camera(self, spec: str, label: str) -> CameraDevice | None:
        return open_camera(spec, self.choice, label)

    def microphone(self, spec: str) -> MicrophoneSource | None:
        return open_microphone(DeviceChoice(microphone=spec), None)


class DeviceDirectory(QObject):
    """The device catalog, listed off the GUI thread; ``changed`` fires on the GUI thread.

    ``catalog`` is None until the first listing finishes; a listing that fails
    leaves an empty catalog (synthetic devices only) and logs why.
    """

    changed = Signal()

    def __init__(
        self,
        lister: Callable[[], DeviceCatalog] = list_devices,
        dispatcher: GuiDispatcher | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._lister = lister
        self._dispatcher = dispatcher or GuiDispatcher(self)
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="device-list")
        self.catalog: DeviceCatalog | None = None

    def refresh(self) -> None:
        """GUI thread: list devices again in the background."""
        future = self._pool.submit(self._lister)
        self._dispatcher.when_done(future, self._listed)

    def load_now(self) -> None:
        """List devices on the calling thread (tests, and the fast Linux path)."""
        self._listed(self._lister(), None)

    def _listed(self, catalog: DeviceCatalog | None, error: BaseException | None) -> None:
        if error is not None:
            log.warning("Listing devices failed: %s", error)
            catalog = DeviceCatalog()
        self.catalog = catalog
        self.changed.emit()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
