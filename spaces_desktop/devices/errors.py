"""Errors raised by cameras, microphones and speakers.

Every error carries a sentence a person can act on (``message``), a way
forward (``hint``) and a machine ``code``; the engine turns them into state the
GUI shows as-is. ``DeviceError`` hangs under the product-wide
:class:`spaces_desktop.errors.SpacesError`.

DeviceError
 ├── CameraError
 │    ├── CameraMissing          no camera at that index/path, or it vanished
 │    └── CameraBusy             the camera exists but will not open or stops delivering
 └── AudioError
      ├── AudioBackendMissing    the PortAudio library is not installed
      ├── MicrophoneMissing      no such microphone, or it cannot be opened
      └── SpeakerMissing         no such speaker/headphones, or it cannot be opened
"""

from __future__ import annotations

from spaces_desktop.errors import SpacesError


class DeviceError(SpacesError):
    """Base of every device failure.

    ``message`` says what went wrong, ``hint`` what the person can do about it;
    ``str(error)`` joins both.
    """

    code = "device"
    default_hint = "Check the device in Settings."

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint if hint is not None else self.default_hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class CameraError(DeviceError):
    code = "camera"
    default_hint = "Pick another camera in Settings, or join without video."


class CameraMissing(CameraError):
    code = "camera_missing"
    default_hint = "Plug the camera in, or pick another one in Settings."


class CameraBusy(CameraError):
    code = "camera_busy"
    default_hint = "Close the other app using the camera, or pick another one in Settings."


class AudioError(DeviceError):
    code = "audio"
    default_hint = "Pick another audio device in Settings."


class AudioBackendMissing(AudioError):
    code = "audio_backend_missing"
    default_hint = "Install PortAudio (on Debian/Ubuntu: sudo apt install libportaudio2) and restart the app."


class MicrophoneMissing(AudioError):
    code = "microphone_missing"
    default_hint = "Plug a microphone in, or pick another one in Settings."


class SpeakerMissing(AudioError):
    code = "speaker_missing"
    default_hint = "Plug in speakers or headphones, or pick another output in Settings."
