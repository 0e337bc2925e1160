"""Cameras, microphones and speakers; the only package that imports cv2 or sounddevice.

Real devices and synthetic ones (demo, bots, CI, machines without a camera)
meet the same seams: :class:`CameraDevice` and :class:`MicrophoneSource`, plus
:class:`SpeakerSink` which pulls audio from the mixer. ``sounddevice`` is
imported only when audio is first used, so a machine without PortAudio still
runs (audio then reports :class:`AudioBackendMissing`). Nothing here starts a
thread until asked.

Threads: each camera captures in its own daemon thread ``camera-<name>``;
PortAudio runs microphone and speaker callbacks in its own threads. Every
class says which of its callbacks run where.
"""

from spaces_desktop.devices.audio_backend import FRAME_DURATION, FRAME_SAMPLES, SAMPLE_RATE, load_sounddevice
from spaces_desktop.devices.camera import CameraDevice, CameraFrame, ThreadedCamera
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
    AudioError,
    CameraBusy,
    CameraError,
    CameraMissing,
    DeviceError,
    MicrophoneMissing,
    SpeakerMissing,
)
from spaces_desktop.devices.frame_id import embed_frame_id, read_frame_id
from spaces_desktop.devices.microphone import FrameQueue, MicrophoneSource, SoundDeviceMicrophone
from spaces_desktop.devices.opencv_camera import OpenCvCamera
from spaces_desktop.devices.speaker import SpeakerSink
from spaces_desktop.devices.synthetic_camera import SyntheticCamera, SyntheticPattern
from spaces_desktop.devices.synthetic_microphone import SyntheticMicrophone, load_audio, parse_schedule, tone
from spaces_desktop.devices.watcher import DeviceChange, DeviceWatcher

__all__ = [
    "FRAME_DURATION",
    "FRAME_SAMPLES",
    "SAMPLE_RATE",
    "AudioBackendMissing",
    "AudioCatalog",
    "AudioError",
    "CameraBusy",
    "CameraDevice",
    "CameraError",
    "CameraFrame",
    "CameraMissing",
    "DeviceCatalog",
    "DeviceChange",
    "DeviceError",
    "DeviceInfo",
    "DeviceWatcher",
    "FrameQueue",
    "MicrophoneMissing",
    "MicrophoneSource",
    "OpenCvCamera",
    "SoundDeviceMicrophone",
    "SpeakerMissing",
    "SpeakerSink",
    "SyntheticCamera",
    "SyntheticMicrophone",
    "SyntheticPattern",
    "ThreadedCamera",
    "embed_frame_id",
    "list_audio_devices",
    "list_cameras",
    "list_devices",
    "load_audio",
    "load_sounddevice",
    "parse_schedule",
    "read_frame_id",
    "tone",
]
