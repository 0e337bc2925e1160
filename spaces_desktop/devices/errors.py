"""Errors raised by cameras, microphones and speakers.

Every error carries a sentence a person can act on (``message``) and a way
forward (``hint``); the engine turns them into state the GUI shows as-is.

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


class DeviceError(Exception):
    """Base of every device failure.

    ``message`` says what went wrong, ``hint`` what the person can do about it;
    ``str(error)`` joins both.
    """

    default_hint = "Check the device in Settings."

    def __init__(self, message: str, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint if hint is not None else self.default_hint
        super().__init__(f"{message} {self.hint}".strip())


class CameraError(DeviceError):
    default_hint = "Pick another camera in Settings, or join without video."


class CameraMissing(CameraError):
    default_hint = "Plug the camera in, or pick another one in Settings."


class CameraBusy(CameraError):
    default_hint = "Close the other app using the camera, or pick another one in Settings."


class AudioError(DeviceError):
    default_hint = "Pick another audio device in Settings."


class AudioBackendMissing(AudioError):
    default_hint = "Install PortAudio (on Debian/Ubuntu: sudo apt install libportaudio2) and restart the app."


class MicrophoneMissing(AudioError):
    default_hint = "Plug a microphone in, or pick another one in Settings."


class SpeakerMissing(AudioError):
    default_hint = "Plug in speakers or headphones, or pick another output in Settings."
