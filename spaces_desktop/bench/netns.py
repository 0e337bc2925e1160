"""Puts a test or benchmark process in a private network namespace with a veth pair.

Janus and aioice never gather loopback candidates, so media between them needs
a real interface; a veth pair inside a namespace this process created keeps all
of it off the machine's own network. Must run before any thread starts, since
a namespace change applies to the calling thread and threads created after it.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys

CLONE_NEWNET = 0x40000000
MARKER = "SPACES_TEST_NETNS"
MEDIA_INTERFACE = "veth0"
HOST_ADDRESS = "10.77.0.1"
PEER_ADDRESS = "10.77.0.2"


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


def build_veth() -> None:
    ip("link", "set", "lo", "up")
    ip("link", "add", "veth0", "type", "veth", "peer", "name", "veth1")
    ip("addr", "add", f"{HOST_ADDRESS}/24", "dev", "veth0")
    ip("addr", "add", f"{PEER_ADDRESS}/24", "dev", "veth1")
    ip("link", "set", "veth0", "up")
    ip("link", "set", "veth1", "up")


def enter(argv: list[str] | None = None) -> str:
    """Enters a fresh namespace (re-executing `argv` under `unshare -rn` without root); returns how.

    `argv` is the command to re-run, by default this pytest run.
    """
    if os.environ.get(MARKER) == "ready":
        return "inherited"
    if os.environ.get(MARKER) == "reexec":
        build_veth()
        os.environ[MARKER] = "ready"
        return "user namespace"
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) == 0:
        build_veth()
        os.environ[MARKER] = "ready"
        return "network namespace"
    if shutil.which("unshare") is None:
        raise RuntimeError(
            "Cannot create a private network namespace: run as root, or allow user namespaces (unshare -rn)."
        )
    os.environ[MARKER] = "reexec"
    command = argv if argv is not None else [sys.executable, "-m", "pytest", *sys.argv[1:]]
    os.execvp("unshare", ["unshare", "-rn", *command])
    raise AssertionError("unreachable")


def set_interface_up(up: bool) -> None:
    """Cuts or restores the media network (both ends of the veth pair)."""
    for name in ("veth0", "veth1"):
        ip("link", "set", name, "up" if up else "down")
