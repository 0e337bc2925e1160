"""What cameras, microphones and speakers this machine has.

Cameras: on Linux the kernel already names them in ``/sys/class/video4linux``
(or at least as ``/dev/video*``), which is instant; elsewhere OpenCV has to try
opening a few indices, which is slow (up to a second each) and therefore
bounded. Audio devices come from PortAudio via ``sounddevice``; when PortAudio
is missing the catalog is empty and says why instead of raising.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from spaces_desktop.devices.audio_backend import (
    BackendLoader,
    SoundDeviceModule,
    load_sounddevice,
    reinitialize_portaudio,
)
from spaces_desktop.devices.errors import AudioBackendMissing

log = logging.getLogger(__name__)

DeviceKind = Literal["camera", "microphone", "speaker"]


@dataclass(frozen=True)
class DeviceInfo:
    """One device as Settings lists it.

    ``key`` is stable while the device stays plugged in (used to notice hot-plug);
    ``index`` is what opening it needs (OpenCV camera index or PortAudio device index).
    """

    kind: DeviceKind
    key: str
    name: str
    index: int
    path: str | None = None
    is_default: bool = False
    channels: int = 0
    default_samplerate: float = 0.0


@dataclass(frozen=True)
class AudioCatalog:
    """Microphones and speakers; ``unavailable_reason`` is set when audio cannot work at all."""

    microphones: tuple[DeviceInfo, ...] = ()
    speakers: tuple[DeviceInfo, ...] = ()
    unavailable_reason: str | None = None

    @property
    def default_microphone(self) -> DeviceInfo | None:
        return _default_of(self.microphones)

    @property
    def default_speaker(self) -> DeviceInfo | None:
        return _default_of(self.speakers)


@dataclass(frozen=True)
class DeviceCatalog:
    """Everything at once, as the device watcher sees it."""

    cameras: tuple[DeviceInfo, ...] = ()
    audio: AudioCatalog = field(default_factory=AudioCatalog)

    @property
    def all(self) -> tuple[DeviceInfo, ...]:
        return self.cameras + self.audio.microphones + self.audio.speakers


def _default_of(devices: tuple[DeviceInfo, ...]) -> DeviceInfo | None:
    for device in devices:
        if device.is_default:
            return device
    return devices[0] if devices else None


# --- cameras -----------------------------------------------------------------------------------

CameraProbe = Callable[[int], bool]
"""Returns True when a camera opens at that OpenCV index (slow: opens the device)."""

_VIDEO_NODE = re.compile(r"^video(\d+)$")


def list_cameras(
    *,
    platform: str = sys.platform,
    sysfs_root: Path = Path("/sys/class/video4linux"),
    dev_root: Path = Path("/dev"),
    probe: CameraProbe | None = None,
    max_probe: int = 3,
) -> tuple[DeviceInfo, ...]:
    """List cameras, the first one marked as default.

    On Linux nothing is opened. Elsewhere indices ``0..max_probe-1`` are opened
    in turn until one fails (``probe`` defaults to OpenCV); call this off the GUI
    and engine loops.
    """
    if platform.startswith("linux"):
        cameras = _cameras_from_sysfs(sysfs_root)
        if cameras is None:
            cameras = _cameras_from_dev(dev_root)
    else:
        cameras = _cameras_by_probing(probe or _opencv_probe, max_probe)
    return tuple(
        DeviceInfo(
            kind="camera",
            key=c.key,
            name=c.name,
            index=c.index,
            path=c.path,
            is_default=(i == 0),
        )
        for i, c in enumerate(cameras)
    )


def _cameras_from_sysfs(root: Path) -> list[DeviceInfo] | None:
    if not root.is_dir():
        return None
    cameras = []
    for node in root.iterdir():
        match = _VIDEO_NODE.match(node.name)
        if not match:
            continue
        # A webcam exposes several nodes (capture, metadata); the capture node has index 0.
        if _read_text(node / "index", default="0") != "0":
            continue
        number = int(match.group(1))
        name = _read_text(node / "name", default=f"Camera {number}")
        path = f"/dev/{node.name}"
        cameras.append(DeviceInfo(kind="camera", key=path, name=name, index=number, path=path))
    return sorted(cameras, key=lambda c: c.index)


def _cameras_from_dev(root: Path) -> list[DeviceInfo]:
    cameras = []
    for node in root.glob("video*"):
        match = _VIDEO_NODE.match(node.name)
        if match:
            number = int(match.group(1))
            path = str(node)
            cameras.append(
                DeviceInfo(kind="camera", key=path, name=f"Camera {number}", index=number, path=path)
            )
    return sorted(cameras, key=lambda c: c.index)


def _cameras_by_probing(probe: CameraProbe, max_probe: int) -> list[DeviceInfo]:
    cameras = []
    for index in range(max_probe):
        if not probe(index):
            break
        cameras.append(
            DeviceInfo(kind="camera", key=f"index:{index}", name=f"Camera {index + 1}", index=index)
        )
    return cameras


def _opencv_probe(index: int) -> bool:
    import cv2

    capture = cv2.VideoCapture(index)
    try:
        return bool(capture.isOpened())
    finally:
        capture.release()


def _read_text(path: Path, *, default: str) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip() or default
    except OSError:
        return default


# --- audio -------------------------------------------------------------------------------------


def list_audio_devices(
    load_backend: BackendLoader = load_sounddevice, *, rescan: bool = False
) -> AudioCatalog:
    """List microphones and speakers of the default host API.

    PortAudio fixes its device list when it starts; ``rescan`` restarts it so
    newly plugged devices appear. The restart is skipped while any of our
    streams is open, since it would cut them off.

    Never raises for a missing PortAudio or a failing query: the catalog is then
    empty and ``unavailable_reason`` says why. On Windows the same device shows
    up once per host API (MME, DirectSound, WASAPI…); only the default host
    API's devices are listed so each appears once.
    """
    try:
        backend = load_backend()
    except AudioBackendMissing as exc:
        return AudioCatalog(unavailable_reason=str(exc))
    try:
        if rescan:
            reinitialize_portaudio(backend)
        return _audio_catalog(backend)
    except Exception as exc:  # PortAudio errors surface as sounddevice.PortAudioError
        log.warning("listing audio devices failed: %s", exc)
        return AudioCatalog(unavailable_reason=f"Audio devices could not be listed: {exc}")


def _audio_catalog(backend: SoundDeviceModule) -> AudioCatalog:
    devices = list(backend.query_devices())
    hostapis = list(backend.query_hostapis())
    default_in, default_out = _default_indices(backend)
    preferred_api = _preferred_hostapi(devices, default_in, default_out)

    microphones: list[DeviceInfo] = []
    speakers: list[DeviceInfo] = []
    for position, device in enumerate(devices):
        index = int(device.get("index", position))
        hostapi = int(device.get("hostapi", 0))
        if preferred_api is not None and hostapi != preferred_api:
            continue
        api_name = str(hostapis[hostapi]["name"]) if hostapi < len(hostapis) else str(hostapi)
        name = str(device["name"])
        rate = float(device.get("default_samplerate", 0.0))
        if int(device.get("max_input_channels", 0)) > 0:
            microphones.append(
                DeviceInfo(
                    kind="microphone",
                    key=f"in:{api_name}:{name}",
                    name=name,
                    index=index,
                    is_default=(index == default_in),
                    channels=int(device["max_input_channels"]),
                    default_samplerate=rate,
                )
            )
        if int(device.get("max_output_channels", 0)) > 0:
            speakers.append(
                DeviceInfo(
                    kind="speaker",
                    key=f"out:{api_name}:{name}",
                    name=name,
                    index=index,
                    is_default=(index == default_out),
                    channels=int(device["max_output_channels"]),
                    default_samplerate=rate,
                )
            )
    return AudioCatalog(microphones=_unique(microphones), speakers=_unique(speakers))


def _default_indices(backend: SoundDeviceModule) -> tuple[int, int]:
    try:
        pair: Any = backend.default.device
        return int(pair[0]), int(pair[1])
    except (TypeError, ValueError, IndexError):
        return -1, -1


def _preferred_hostapi(devices: list[Any], default_in: int, default_out: int) -> int | None:
    for wanted in (default_out, default_in):
        for position, device in enumerate(devices):
            if int(device.get("index", position)) == wanted and wanted >= 0:
                return int(device.get("hostapi", 0))
    return None


def _unique(devices: list[DeviceInfo]) -> tuple[DeviceInfo, ...]:
    # Two devices with the same name on one host API would share a key; number the later ones.
    seen: dict[str, int] = {}
    unique = []
    for device in devices:
        count = seen.get(device.key, 0)
        seen[device.key] = count + 1
        if count:
            device = replace(device, key=f"{device.key}#{count + 1}")
        unique.append(device)
    return tuple(unique)


def list_devices(
    *,
    list_camera_devices: Callable[[], tuple[DeviceInfo, ...]] = list_cameras,
    list_audio: Callable[[], AudioCatalog] = list_audio_devices,
) -> DeviceCatalog:
    """Cameras and audio devices together (blocking; run it off the GUI and engine loops)."""
    return DeviceCatalog(cameras=list_camera_devices(), audio=list_audio())
