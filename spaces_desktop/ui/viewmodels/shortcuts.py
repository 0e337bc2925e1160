"""The app's keyboard shortcuts, in one place (menus, tooltips and Settings read them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Shortcut:
    id: str
    label: str
    keys: str
    """Portable text as QKeySequence takes it."""


MIC = Shortcut("mic", "Mute or unmute your microphone", "Ctrl+D")
CAMERA = Shortcut("camera", "Turn your camera on or off", "Ctrl+E")
HAND = Shortcut("hand", "Raise or lower your hand", "Ctrl+Shift+H")
LEAVE = Shortcut("leave", "Leave the Space", "Ctrl+Shift+L")
PIN = Shortcut("pin", "Pin or unpin who is on the big tile", "P")
SETTINGS = Shortcut("settings", "Open Settings", "Ctrl+,")

ALL = (MIC, CAMERA, HAND, LEAVE, PIN, SETTINGS)


def with_keys(text: str, shortcut: Shortcut) -> str:
    """A tooltip that names its shortcut, e.g. "Mute (Ctrl+D)"."""
    return f"{text} ({shortcut.keys})"
