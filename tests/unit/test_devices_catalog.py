"""Device catalog and hot-plug watcher, against fake sysfs trees and a fake sounddevice."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from spaces_desktop.devices.audio_backend import SoundDeviceModule, load_sounddevice
from spaces_desktop.devices.catalog import (
    AudioCatalog,
    DeviceCatalog,
    DeviceInfo,
    list_audio_devices,
    list_cameras,
    list_devices,
)
from spaces_desktop.devices.errors import (
    AudioBackendMissing,
    CameraBusy,
    CameraMissing,
    DeviceError,
    MicrophoneMissing,
)
from spaces_desktop.devices.watcher import DeviceChange, DeviceWatcher
from spaces_desktop.errors import SpacesError


class FakeDefault:
    def __init__(self, device: tuple[int, int]) -> None:
        self.device = device


class FakeSoundDevice:
    """Shaped like the sounddevice module: devices and host APIs as plain dicts."""

    def __init__(self, devices: list[dict[str, Any]], default: tuple[int, int] = (-1, -1)) -> None:
        self.devices = devices
        self.hostapis = [{"name": "ALSA"}, {"name": "OSS"}]
        self.default = FakeDefault(default)
        self.reinitialized = 0

    def InputStream(self, **kwargs: Any) -> Any:
        raise AssertionError("listing devices opens no stream")

    OutputStream = InputStream

    def query_devices(self, device: int | str | None = None, kind: str | None = None) -> Any:
        return self.devices

    def query_hostapis(self, index: int | None = None) -> Any:
        return self.hostapis

    def _terminate(self) -> None:
        self.reinitialized += 1

    def _initialize(self) -> None:
        pass


def audio_device(index: int, name: str, inputs: int, outputs: int, hostapi: int = 0) -> dict[str, Any]:
    return {
        "index": index,
        "name": name,
        "hostapi": hostapi,
        "max_input_channels": inputs,
        "max_output_channels": outputs,
        "default_samplerate": 48000.0,
    }


def make_v4l2(root: Path, number: int, name: str, index: int = 0) -> None:
    node = root / f"video{number}"
    node.mkdir(parents=True)
    (node / "name").write_text(name + "\n")
    (node / "index").write_text(f"{index}\n")


# --- errors --------------------------------------------------------------------------------------


def test_errors_say_what_happened_and_what_to_do() -> None:
    error = CameraBusy("The camera “Integrated” could not be opened.")
    assert isinstance(error, DeviceError)
    assert isinstance(error, SpacesError)
    assert error.code == "camera_busy"
    assert "Close the other app" in error.hint
    assert str(error).startswith("The camera “Integrated” could not be opened. Close")
    custom = MicrophoneMissing("No microphone.", "Plug one in.")
    assert str(custom) == "No microphone. Plug one in."
    assert CameraMissing("x").code != AudioBackendMissing("y").code


# --- cameras -------------------------------------------------------------------------------------


def test_linux_cameras_come_from_sysfs_capture_nodes_only(tmp_path: Path) -> None:
    make_v4l2(tmp_path, 2, "USB Camera")
    make_v4l2(tmp_path, 3, "USB Camera", index=1)  # metadata node of the same camera
    make_v4l2(tmp_path, 0, "Integrated Camera: Integrated C")

    cameras = list_cameras(platform="linux", sysfs_root=tmp_path, probe=_no_probe)

    assert [(c.index, c.name, c.path) for c in cameras] == [
        (0, "Integrated Camera: Integrated C", "/dev/video0"),
        (2, "USB Camera", "/dev/video2"),
    ]
    assert [c.is_default for c in cameras] == [True, False]
    assert all(c.kind == "camera" for c in cameras)


def test_linux_without_sysfs_falls_back_to_dev_names(tmp_path: Path) -> None:
    dev = tmp_path / "dev"
    dev.mkdir()
    for name in ("video1", "video0", "video-not-a-camera", "vcs"):
        (dev / name).touch()
    cameras = list_cameras(platform="linux", sysfs_root=tmp_path / "missing", dev_root=dev, probe=_no_probe)
    assert [c.index for c in cameras] == [0, 1]
    assert cameras[0].key == str(dev / "video0")


def test_linux_with_no_cameras_is_empty_without_probing(tmp_path: Path) -> None:
    cameras = list_cameras(platform="linux", sysfs_root=tmp_path / "none", dev_root=tmp_path, probe=_no_probe)
    assert cameras == ()


def test_other_platforms_probe_a_few_indices_until_one_fails() -> None:
    probed: list[int] = []

    def probe(index: int) -> bool:
        probed.append(index)
        return index < 2

    cameras = list_cameras(platform="darwin", probe=probe, max_probe=5)
    assert [c.index for c in cameras] == [0, 1]
    assert probed == [0, 1, 2]


def test_this_machine_lists_cameras_without_error() -> None:
    # No camera here; the real sysfs/dev lookup must simply return an empty or valid list.
    for camera in list_cameras():
        assert camera.kind == "camera"


def _no_probe(index: int) -> bool:
    raise AssertionError("Linux must not open devices to list them")


# --- audio ---------------------------------------------------------------------------------------


def test_audio_devices_split_into_microphones_and_speakers() -> None:
    backend = FakeSoundDevice(
        [
            audio_device(0, "HDA Intel PCH: ALC3246 Analog (hw:0,0)", 2, 2),
            audio_device(1, "USB Headset", 1, 0),
            audio_device(2, "pulse", 32, 32),
            audio_device(3, "OSS dsp", 2, 2, hostapi=1),  # another host API: hidden
        ],
        default=(1, 2),
    )
    catalog = list_audio_devices(lambda: backend)

    assert catalog.unavailable_reason is None
    assert [m.name for m in catalog.microphones] == [
        "HDA Intel PCH: ALC3246 Analog (hw:0,0)",
        "USB Headset",
        "pulse",
    ]
    assert [s.name for s in catalog.speakers] == ["HDA Intel PCH: ALC3246 Analog (hw:0,0)", "pulse"]
    assert catalog.default_microphone is not None and catalog.default_microphone.name == "USB Headset"
    assert catalog.default_speaker is not None and catalog.default_speaker.index == 2
    assert catalog.microphones[1].key == "in:ALSA:USB Headset"
    assert catalog.microphones[1].channels == 1


def test_same_named_devices_get_distinct_keys() -> None:
    backend = FakeSoundDevice(
        [audio_device(0, "USB Audio", 1, 0), audio_device(1, "USB Audio", 1, 0)], (0, -1)
    )
    keys = [m.key for m in list_audio_devices(lambda: backend).microphones]
    assert len(set(keys)) == 2


def test_missing_portaudio_gives_an_empty_catalog_with_a_reason() -> None:
    def loader() -> SoundDeviceModule:
        raise AudioBackendMissing("Audio is unavailable: the PortAudio library was not found.")

    catalog = list_audio_devices(loader)
    assert catalog.microphones == () and catalog.speakers == ()
    assert catalog.default_microphone is None
    assert catalog.unavailable_reason is not None and "PortAudio" in catalog.unavailable_reason
    assert "apt install libportaudio2" in catalog.unavailable_reason


def test_failing_query_gives_an_empty_catalog_with_a_reason() -> None:
    class Broken(FakeSoundDevice):
        def query_devices(self, device: int | str | None = None, kind: str | None = None) -> Any:
            raise RuntimeError("Error querying device -1")

    catalog = list_audio_devices(lambda: Broken([]))
    assert catalog.microphones == ()
    assert catalog.unavailable_reason is not None and "Error querying device" in catalog.unavailable_reason


def test_rescan_restarts_portaudio_when_no_stream_is_open() -> None:
    backend = FakeSoundDevice([audio_device(0, "Mic", 1, 0)], (0, -1))
    list_audio_devices(lambda: backend, rescan=True)
    assert backend.reinitialized == 1


def test_real_portaudio_is_present_and_lists_without_error() -> None:
    try:
        load_sounddevice()
    except AudioBackendMissing:
        pytest.skip("PortAudio is not installed on this machine")
    catalog = list_audio_devices()
    # A server has no sound card; either way the catalog must be well formed.
    assert catalog.unavailable_reason is None
    for device in catalog.microphones + catalog.speakers:
        assert device.kind in ("microphone", "speaker")


def test_list_devices_combines_both() -> None:
    camera = DeviceInfo(kind="camera", key="/dev/video0", name="Cam", index=0)
    catalog = list_devices(list_camera_devices=lambda: (camera,), list_audio=AudioCatalog)
    assert catalog.all == (camera,)


# --- watcher -------------------------------------------------------------------------------------


def _catalog(*cameras: str, microphones: tuple[str, ...] = ()) -> DeviceCatalog:
    return DeviceCatalog(
        cameras=tuple(DeviceInfo(kind="camera", key=c, name=c, index=i) for i, c in enumerate(cameras)),
        audio=AudioCatalog(
            microphones=tuple(
                DeviceInfo(kind="microphone", key=m, name=m, index=i) for i, m in enumerate(microphones)
            )
        ),
    )


def test_watcher_reports_added_and_removed_devices() -> None:
    scans = iter(
        [
            _catalog("/dev/video0"),
            _catalog("/dev/video0"),
            _catalog("/dev/video0", "/dev/video2", microphones=("USB Headset",)),
            _catalog("/dev/video2"),
        ]
    )
    changes: list[DeviceChange] = []
    watcher = DeviceWatcher(changes.append, scan=lambda: next(scans))

    assert watcher.poll() is None  # baseline
    assert watcher.poll() is None  # nothing changed
    plugged = watcher.poll()
    unplugged = watcher.poll()

    assert plugged is not None and unplugged is not None
    assert sorted(d.key for d in plugged.added) == ["/dev/video2", "USB Headset"]
    assert plugged.removed == ()
    assert [d.key for d in unplugged.removed] == ["/dev/video0", "USB Headset"]
    assert changes == [plugged, unplugged]
    assert watcher.catalog is not None and [c.key for c in watcher.catalog.cameras] == ["/dev/video2"]


async def test_watcher_task_polls_in_the_background_and_survives_a_failing_scan() -> None:
    results: list[DeviceCatalog | Exception] = [
        _catalog(),
        RuntimeError("sysfs hiccup"),
        _catalog("/dev/video0"),
    ]

    def scan() -> DeviceCatalog:
        result = results.pop(0) if results else _catalog("/dev/video0")
        if isinstance(result, Exception):
            raise result
        return result

    changed = asyncio.Event()
    seen: list[DeviceChange] = []

    def on_change(change: DeviceChange) -> None:
        seen.append(change)
        changed.set()

    watcher = DeviceWatcher(on_change, scan=scan, interval=0.01)
    task = asyncio.create_task(watcher.run())
    try:
        await asyncio.wait_for(changed.wait(), 5)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert [d.key for d in seen[0].added] == ["/dev/video0"]


def test_default_scanner_runs_on_this_machine() -> None:
    watcher = DeviceWatcher(lambda change: None)
    assert watcher.poll() is None
    assert watcher.catalog is not None
