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
import time

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
        self.holder: subprocess.Popen[bytes] | None = None
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

    def hand_over(self, pid: int, timeout: float = 10.0) -> None:
        """Moves the inner end into the namespace of process `pid` (started with `prefix()`)."""
        # Only once `unshare` has made its namespace: moving the link earlier is a no-op.
        ours = os.readlink("/proc/self/ns/net")
        deadline = time.monotonic() + timeout
        while os.readlink(f"/proc/{pid}/ns/net") == ours:
            if time.monotonic() > deadline:
                raise RuntimeError("the participant's namespace was not created")
            time.sleep(0.01)
        ip("link", "set", self.inner, "netns", str(pid))

    def hold(self) -> str:
        """Builds the namespace with a placeholder process; returns its path, for `enter_thread`."""
        self.holder = subprocess.Popen([*self.prefix(), "sleep", "infinity"])
        self.hand_over(self.holder.pid)
        deadline = time.monotonic() + 10
        while self.run_inside("ip", "route", "show", "default").stdout.strip() == b"":
            if time.monotonic() > deadline:
                raise RuntimeError("the participant's network did not come up")
            time.sleep(0.02)
        return f"/proc/{self.holder.pid}/ns/net"

    def run_inside(self, *command: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        assert self.holder is not None, "hold() first"
        return subprocess.run(
            ["nsenter", f"--net=/proc/{self.holder.pid}/ns/net", *command],
            input=stdin,
            capture_output=True,
            check=True,
        )

    def drop_udp(self, percent: int, ports: tuple[int, int]) -> None:
        """Random loss on this participant's media both ways (nftables: these kernels have no netem)."""
        low, high = ports
        rules = [
            "add table inet loss",
            "add chain inet loss in { type filter hook input priority 0; }",
            "add chain inet loss out { type filter hook output priority 0; }",
            f"add rule inet loss in udp sport {low}-{high} numgen random mod 100 < {percent} drop",
            f"add rule inet loss out udp dport {low}-{high} numgen random mod 100 < {percent} drop",
        ]
        self.run_inside("nft", "-f", "-", stdin="\n".join(rules).encode())

    def set_up(self, up: bool) -> None:
        ip("link", "set", self.outer, "up" if up else "down")

    def close(self) -> None:
        subprocess.run(["ip", "link", "del", self.outer], capture_output=True)
        if self.holder is not None:
            self.holder.kill()
            self.holder.wait()


def enter_thread(path: str) -> None:
    """Moves the calling thread (and the threads and sockets it creates) into the namespace at `path`."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns failed")
    finally:
        os.close(fd)


def set_interface_up(up: bool) -> None:
    """Cuts or restores the media network (both ends of the veth pair)."""
    for name in ("veth0", "veth1"):
        ip("link", "set", name, "up" if up else "down")
