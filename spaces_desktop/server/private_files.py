"""Files only the backend's own user may read: the data folder 0700, everything in it 0600.

The database holds every Space and the Janus config holds its api secret, so
other local users must see neither. Permissions are set when a file is made and
tightened again at start, for folders left by older versions.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from spaces_desktop.errors import ConfigError

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Creates the folder if needed and makes it the owner's alone."""
    try:
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        _tighten(path, DIR_MODE)
    except OSError as exc:
        raise ConfigError(f"Cannot make the data folder {path} private ({exc.strerror}).") from exc
    return path


def private_file(path: Path) -> Path:
    """Creates an empty file 0600 if it is missing; tightens it if it exists."""
    os.close(open_private_log(path))
    return path


def write_private(path: Path, text: str) -> None:
    """Writes a file that no other user can read at any moment, even a pre-existing one."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        os.fchmod(fd, FILE_MODE)
        file.write(text)


def open_private_log(path: Path) -> int:
    """A file descriptor appending to `path`, made or tightened to 0600 (e.g. a child's output)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    except OSError:
        os.close(fd)
        raise
    return fd


def tighten_tree(root: Path) -> None:
    """Folders 0700 and files 0600 under `root` (symbolic links are left alone)."""
    if not root.is_dir() or root.is_symlink():
        return
    _tighten(root, DIR_MODE)
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            _tighten(Path(folder) / name, DIR_MODE)
        for name in files:
            _tighten(Path(folder) / name, FILE_MODE)


def tighten_existing(*paths: Path) -> None:
    for path in paths:
        _tighten(path, FILE_MODE)


def _tighten(path: Path, mode: int) -> None:
    try:
        info = path.lstat()
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode) or stat.S_IMODE(info.st_mode) == mode:
        return
    os.chmod(path, mode)
