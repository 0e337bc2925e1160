"""Puts the test process in a private network namespace with a veth pair.

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


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


def build_veth() -> None:
    _ip("link", "set", "lo", "up")
    _ip("link", "add", "veth0", "type", "veth", "peer", "name", "veth1")
    _ip("addr", "add", f"{HOST_ADDRESS}/24", "dev", "veth0")
    _ip("addr", "add", f"{PEER_ADDRESS}/24", "dev", "veth1")
    _ip("link", "set", "veth0", "up")
    _ip("link", "set", "veth1", "up")


def enter() -> str:
    """Enters a fresh namespace (re-executing under `unshare -rn` without root); returns how."""
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
        raise RuntimeError("Cannot create a network namespace: run as root or install util-linux's unshare.")
    os.environ[MARKER] = "reexec"
    os.execvp("unshare", ["unshare", "-rn", sys.executable, "-m", "pytest", *sys.argv[1:]])
    raise AssertionError("unreachable")


def set_interface_up(up: bool) -> None:
    """Cuts or restores the media network (both ends of the veth pair)."""
    for name in ("veth0", "veth1"):
        _ip("link", "set", name, "up" if up else "down")


class OwnNetwork:
    """A participant on a network of its own: a child namespace joined to ours by a veth pair.

    Traffic between the two crosses the veth pair, so taking the link down cuts the
    participant off completely (signaling and media), as a dropped Wi-Fi would.
    """

    def __init__(self, name: str = "cut", subnet: str = "10.78.0") -> None:
        self.outer = f"{name}0"
        self.inner = f"{name}1"
        self.gateway = f"{subnet}.1"
        self.address = f"{subnet}.2"
        _ip("link", "add", self.outer, "type", "veth", "peer", "name", self.inner)
        _ip("addr", "add", f"{self.gateway}/24", "dev", self.outer)
        _ip("link", "set", self.outer, "up")

    def prefix(self) -> list[str]:
        """A command prefix that runs the rest in a new namespace once the inner end arrives there."""
        script = (
            f"until ip link show {self.inner} >/dev/null 2>&1; do sleep 0.02; done; "
            f"ip link set lo up; ip addr add {self.address}/24 dev {self.inner}; "
            f"ip link set {self.inner} up; "
            f'ip route add default via {self.gateway}; exec "$@"'
        )
        return ["unshare", "-n", "sh", "-c", script, "sh"]

    def hand_over(self, pid: int) -> None:
        """Moves the inner end into the namespace of process `pid` (started with `prefix()`)."""
        _ip("link", "set", self.inner, "netns", str(pid))

    def set_up(self, up: bool) -> None:
        _ip("link", "set", self.outer, "up" if up else "down")

    def close(self) -> None:
        subprocess.run(["ip", "link", "del", self.outer], capture_output=True)
