"""Makes `spaces://` links open this app: a desktop entry on Linux, a per-user registry key on Windows.

macOS learns the scheme from the bundle's Info.plist (build.spec) and hands the
link to the running app as a file-open event (ui/app.py), so nothing is written
there. Registration is per user, needs no administrator, and is safe to repeat:
the set-up script runs it, and the bundle runs it at its first start.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from spaces_desktop.assets import resource

log = logging.getLogger(__name__)

SCHEME = "spaces"
DESKTOP_FILE = "spaces-desktop.desktop"
MIME_TYPE = f"x-scheme-handler/{SCHEME}"


def app_command() -> list[str]:
    """How to start this app from outside: the bundle's executable, or this interpreter with the package."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    launcher = Path(sys.executable).with_name("spaces-desktop")
    if launcher.exists():
        return [str(launcher)]
    return [sys.executable, "-m", "spaces_desktop"]


def register(command: Sequence[str] | None = None) -> str:
    """Registers the handler for this user; returns a sentence saying where."""
    command = list(command or app_command())
    if sys.platform == "win32":
        return _register_windows(command)
    if sys.platform == "darwin":
        return "On macOS the app bundle registers spaces:// links itself."
    return _register_freedesktop(command)


# --- Linux and other freedesktop systems ------------------------------------------------------


def _data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def _config_home() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")


def desktop_entry(command: Sequence[str]) -> str:
    exec_line = " ".join(_quote_exec(arg) for arg in command) + " %u"
    return "\n".join(
        [
            "[Desktop Entry]",
            "Type=Application",
            "Name=Spaces Desktop",
            "GenericName=Live audio and video Spaces",
            "Comment=Host or join live audio and video Spaces",
            f"Exec={exec_line}",
            f"Icon={resource('app-icon.png')}",
            "Terminal=false",
            "Categories=Network;AudioVideo;Chat;",
            f"MimeType={MIME_TYPE};",
            "StartupWMClass=spaces-desktop",
            "",
        ]
    )


def _quote_exec(arg: str) -> str:
    """One Exec argument as the Desktop Entry Specification quotes it."""
    if arg and not any(ch in arg for ch in " \t\n\"'\\><~|&;$*?#()`"):
        return arg.replace("%", "%%")
    escaped = "".join("\\" + ch if ch in '"`$\\' else ch for ch in arg).replace("%", "%%")
    return f'"{escaped}"'


def _register_freedesktop(command: Sequence[str]) -> str:
    applications = _data_home() / "applications"
    applications.mkdir(parents=True, exist_ok=True)
    entry = applications / DESKTOP_FILE
    entry.write_text(desktop_entry(command), encoding="utf-8")
    if shutil.which("xdg-mime"):
        subprocess.run(["xdg-mime", "default", DESKTOP_FILE, MIME_TYPE], check=False, capture_output=True)
    else:
        _set_default_in_mimeapps(_config_home() / "mimeapps.list")
    if shutil.which("update-desktop-database"):
        subprocess.run(["update-desktop-database", str(applications)], check=False, capture_output=True)
    return f"spaces:// links now open Spaces Desktop ({entry})."


def _set_default_in_mimeapps(path: Path) -> None:
    """What `xdg-mime default` does, for systems without xdg-utils."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    lines = [line for line in lines if not line.startswith(f"{MIME_TYPE}=")]
    try:
        at = lines.index("[Default Applications]") + 1
    except ValueError:
        lines += ["", "[Default Applications]"] if lines else ["[Default Applications]"]
        at = len(lines)
    lines.insert(at, f"{MIME_TYPE}={DESKTOP_FILE}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# --- Windows ---------------------------------------------------------------------------------


def _register_windows(command: Sequence[str]) -> str:
    if sys.platform != "win32":
        raise OSError("The registry is a Windows feature.")
    import winreg

    open_command = " ".join(f'"{arg}"' for arg in command) + ' "%1"'
    base = rf"Software\Classes\{SCHEME}"
    with winreg.CreateKey(winreg.HKEY_CURRENT_USER, base) as key:
        winreg.SetValueEx(key, "", 0, winreg.REG_SZ, "URL:Spaces link")
        winreg.SetValueEx(key, "URL Protocol", 0, winreg.REG_SZ, "")
    with winreg.CreateKey(winreg.HKEY_CURRENT_USER, rf"{base}\DefaultIcon") as key:
        winreg.SetValueEx(key, "", 0, winreg.REG_SZ, f'"{command[0]}",0')
    with winreg.CreateKey(winreg.HKEY_CURRENT_USER, rf"{base}\shell\open\command") as key:
        winreg.SetValueEx(key, "", 0, winreg.REG_SZ, open_command)
    return "spaces:// links now open Spaces Desktop."


__all__ = ["DESKTOP_FILE", "MIME_TYPE", "app_command", "desktop_entry", "register"]
