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

LOWER_THIRD = Shortcut("lower_third", "Show or hide your lower third (name and title)", "Ctrl+Shift+T")
LOGO = Shortcut("logo", "Show or hide your logo", "Ctrl+Shift+O")
PRODUCT_CARD = Shortcut("product_card", "Show or hide the product card", "Ctrl+Shift+K")
OVERLAYS = Shortcut("overlays", "Set up overlays", "Ctrl+Shift+U")

ALL = (MIC, CAMERA, HAND, LEAVE, PIN, SETTINGS, LOWER_THIRD, LOGO, PRODUCT_CARD, OVERLAYS)


def with_keys(text: str, shortcut: Shortcut) -> str:
    """A tooltip that names its shortcut, e.g. "Mute (Ctrl+D)"."""
    return f"{text} ({shortcut.keys})"
