"""Test-only network helpers on top of the product's namespace setup."""

from __future__ import annotations

import subprocess

from spaces_desktop.bench.netns import (
    HOST_ADDRESS,
    MEDIA_INTERFACE,
    PEER_ADDRESS,
    build_veth,
    enter,
    ip,
    set_interface_up,
)

__all__ = [
    "HOST_ADDRESS",
    "MEDIA_INTERFACE",
    "PEER_ADDRESS",
    "OwnNetwork",
    "build_veth",
    "enter",
    "set_interface_up",
]


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
        ip("link", "add", self.outer, "type", "veth", "peer", "name", self.inner)
        ip("addr", "add", f"{self.gateway}/24", "dev", self.outer)
        ip("link", "set", self.outer, "up")

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
        ip("link", "set", self.inner, "netns", str(pid))

    def set_up(self, up: bool) -> None:
        ip("link", "set", self.outer, "up" if up else "down")

    def close(self) -> None:
        subprocess.run(["ip", "link", "del", self.outer], capture_output=True)
