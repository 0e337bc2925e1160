"""Where the files shipped inside the package live: icons, themes, sounds, speech clips.

They are package data, read through importlib.resources, so a wheel or a bundle
carries them and nothing depends on a source checkout being next to the code.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

# What a working install must carry; the self-check names what is missing.
REQUIRED = ("themes/app.qss", "icons/mic.svg", "icons/spaces.svg", "app-icon.png", "speech/ava.ogg")


def resource_dir() -> Path:
    """The folder holding the package's resources (a real folder in wheels and bundles alike)."""
    return Path(str(files("spaces_desktop") / "resources"))


def resource(*parts: str) -> Path:
    """One file (or folder) under the resources, e.g. ``resource("icons", "mic.svg")``."""
    return resource_dir().joinpath(*parts)


def missing_resources() -> list[str]:
    """The required resources this install lacks (empty when it is whole)."""
    return [name for name in REQUIRED if not resource(*name.split("/")).is_file()]


__all__ = ["missing_resources", "resource", "resource_dir"]
