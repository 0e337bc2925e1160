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
SCENES = (
    Shortcut("scene_auto", "Scene: Auto, the active speaker enlarged (host and co-hosts)", "1"),
    Shortcut("scene_person", "Scene: the person on the big tile, held (host and co-hosts)", "2"),
    Shortcut("scene_product", "Scene: the product camera, full (host and co-hosts)", "3"),
    Shortcut(
        "scene_product_pip", "Scene: product with the speaker picture-in-picture (host and co-hosts)", "4"
    ),
    Shortcut("scene_side_by_side", "Scene: speaker and product side by side (host and co-hosts)", "5"),
    Shortcut("scene_grid", "Scene: everyone in a grid (host and co-hosts)", "6"),
)
"""In the order of ``domain.scenes.SCENE_ORDER``."""
PROGRAM = Shortcut("program", "Back to the host's program (drops your own pin)", "0")

LOWER_THIRD = Shortcut("lower_third", "Show or hide your lower third (name and title)", "Ctrl+Shift+T")
LOGO = Shortcut("logo", "Show or hide your logo", "Ctrl+Shift+O")
PRODUCT_CARD = Shortcut("product_card", "Show or hide the product card", "Ctrl+Shift+K")
OVERLAYS = Shortcut("overlays", "Set up overlays", "Ctrl+Shift+U")

ALL = (MIC, CAMERA, HAND, LEAVE, PIN, SETTINGS, LOWER_THIRD, LOGO, PRODUCT_CARD, OVERLAYS, *SCENES, PROGRAM)


def with_keys(text: str, shortcut: Shortcut) -> str:
    """A tooltip that names its shortcut, e.g. "Mute (Ctrl+D)"."""
    return f"{text} ({shortcut.keys})"
